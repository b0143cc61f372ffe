"""Where updates live and how they are fetched: ``update.toml`` beside the kiosk configuration.

Every key is optional::

    releases_root = "/opt/kiosk"        # releases/<version>, current, state.json, staging/, tuf/
    repository_url = ""                 # default: <central.url>/updates/
    bundle_dir = ""                     # an offline USB bundle (metadata/ + targets/) instead of the link
    channel = "stable"
    staging_max_mb = 1024               # the staging area's bound; a release larger than this is refused
    reserve_mb = 200                    # free space left on the disk after the download
    max_boots = 3                       # starts of a pending release before it is rolled back
    probation_s = 60.0                  # how long a pending release must stay up before it is marked good
    trusted_root = ""                   # default: the root.json shipped in this package
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Config, ConfigError

SHIPPED_ROOT = Path(__file__).with_name("trusted_root.json")


@dataclass(frozen=True)
class UpdateSettings:
    releases_root: str = "/opt/kiosk"
    repository_url: str = ""
    bundle_dir: str = ""
    channel: str = "stable"
    staging_max_mb: int = 1024
    reserve_mb: int = 200
    max_boots: int = 3
    probation_s: float = 60.0
    trusted_root: str = ""

    @property
    def root(self) -> Path:
        return Path(self.releases_root)

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def metadata_dir(self) -> Path:
        return self.root / "tuf"

    @property
    def root_file(self) -> Path:
        return Path(self.trusted_root) if self.trusted_root else SHIPPED_ROOT

    def repo_url(self, cfg: Config) -> str:
        return self.repository_url or cfg.central.url.rstrip("/") + "/updates/"


def load_settings(cfg: Config, path: str | Path | None = None) -> UpdateSettings:
    """``path`` or ``update.toml`` next to the kiosk configuration; defaults when absent."""
    if path is None:
        if not cfg.source:
            return UpdateSettings()
        path = Path(cfg.source).with_name("update.toml")
        if not path.exists():
            return UpdateSettings()
    p = Path(path)
    try:
        table: dict[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"update ({p})", f"cannot read: {exc}") from None
    fields = {f.name: f.type for f in dataclasses.fields(UpdateSettings)}
    for key, value in table.items():
        kind = fields.get(key)
        if kind is None:
            raise ConfigError(f"update.{key}", "unknown key")
        ok = {"str": isinstance(value, str), "int": isinstance(value, int) and not isinstance(value, bool),
              "float": isinstance(value, int | float) and not isinstance(value, bool)}[str(kind)]
        if not ok:
            raise ConfigError(f"update.{key}", f"must be a {kind}, got {value!r}")
    s = UpdateSettings(**table)
    if s.max_boots < 1:
        raise ConfigError("update.max_boots", "must be at least 1")
    return s
