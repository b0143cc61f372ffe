"""Getting repository files: over the kiosk's own HTTP settings, or from an offline USB bundle.

``HttpFetcher`` uses the central link's settings (the CA bundle, the kiosk's client certificate,
the connect/read timeouts; a proxy from the standard environment variables) and resumes partial
target downloads with HTTP Range. ``BundleFetcher`` reads the same layout from a directory.
Both hand bytes to python-tuf, which checks every length, hash and signature.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from tuf.api.exceptions import DownloadError, DownloadHTTPError
from tuf.ngclient import FetcherInterface

from offline_queue.http_transport import make_ssl_context

CHUNK = 64 * 1024


class HttpFetcher(FetcherInterface):
    def __init__(self, *, ca_file: str = "", cert_file: str = "", key_file: str = "", kiosk_id: str = "",
                 connect_timeout_s: float = 3.0, read_timeout_s: float = 10.0) -> None:
        verify = make_ssl_context(ca_file, cert_file, key_file) if ca_file else True
        headers = {"X-Kiosk-Id": kiosk_id} if kiosk_id else {}
        # trust_env: HTTPS_PROXY / NO_PROXY apply, as for any tool on the kiosk.
        self._http = httpx.Client(verify=verify, headers=headers, trust_env=True,
                                  timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s))

    def close(self) -> None:
        self._http.close()

    def _fetch(self, url: str) -> Iterator[bytes]:
        return self._stream(url, 0)

    def _stream(self, url: str, offset: int) -> Iterator[bytes]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code not in (200, 206):
                    raise DownloadHTTPError(f"HTTP {response.status_code} for {url}", response.status_code)
                if offset and response.status_code == 200:
                    raise DownloadError("the server ignored the Range request")
                yield from response.iter_bytes(CHUNK)
        except httpx.HTTPError as exc:
            raise DownloadError(f"{type(exc).__name__} fetching {url}") from exc

    def fetch_resume(self, url: str, offset: int) -> Iterator[bytes]:
        """The bytes of ``url`` from ``offset`` on (a staged partial download continues)."""
        return self._stream(url, offset)


class BundleFetcher(FetcherInterface):
    """Serves ``<base_url><path>`` from ``<bundle_dir>/<path>``: the repository copied to a USB stick."""

    def __init__(self, bundle_dir: Path, base_url: str) -> None:
        self.dir = Path(bundle_dir)
        self.base = base_url.rstrip("/") + "/"

    def _path(self, url: str) -> Path:
        if not url.startswith(self.base):
            raise DownloadError(f"{url} is outside the bundle")
        rel = unquote(urlsplit(url).path[len(urlsplit(self.base).path):])
        path = (self.dir / rel).resolve()
        if self.dir.resolve() not in path.parents:
            raise DownloadError(f"{url} escapes the bundle")
        return path

    def _fetch(self, url: str) -> Iterator[bytes]:
        return self.fetch_resume(url, 0)

    def fetch_resume(self, url: str, offset: int) -> Iterator[bytes]:
        path = self._path(url)
        if not path.is_file():
            raise DownloadHTTPError(f"{path.name} is not in the bundle", 404)
        return _read_file(path, offset)

    def close(self) -> None:
        pass


def _read_file(path: Path, offset: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(offset)
        while chunk := f.read(CHUNK):
            yield chunk


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
