"""Encryption at rest of queued request bodies: AES-256-GCM, one random 96-bit nonce per item.

Blob layout: nonce (12 bytes) || ciphertext || tag (16 bytes). The associated data binds the
blob to its row (item id and idempotency key), so a body moved to another row fails to open.
The key is 32 bytes read from a file that must be a regular file, owned by us, mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hal.atomic_file import write_atomic
from offline_queue.errors import KeyFileError

KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
OVERHEAD = NONCE_LEN + TAG_LEN


class BodyUnreadable(Exception):
    """The stored blob does not open with this key (wrong key or tampered row)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _aad(item_id: int, idempotency_key: str) -> bytes:
    return b"oq1|%d|%s" % (item_id, idempotency_key.encode("ascii"))


class BodyCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_LEN:
            raise ValueError("AES-256 key must be 32 bytes")
        self._aead = AESGCM(key)
        # Derived values, so the raw key is used for nothing but AES-GCM.
        self.key_id = hmac.new(key, b"offline_queue key id", hashlib.sha256).digest()[:8]
        self._okey_mac = hmac.new(key, b"offline_queue ordering key", hashlib.sha256).digest()[:32]

    def encrypt(self, item_id: int, idempotency_key: str, body: bytes) -> bytes:
        nonce = os.urandom(NONCE_LEN)
        return nonce + self._aead.encrypt(nonce, body, _aad(item_id, idempotency_key))

    def decrypt(self, item_id: int, idempotency_key: str, blob: bytes, key_id: bytes | None) -> bytes:
        if key_id is not None and key_id != self.key_id:
            raise BodyUnreadable(f"encrypted with another key (key id {key_id.hex()}, ours {self.key_id.hex()})")
        if len(blob) < OVERHEAD:
            raise BodyUnreadable("stored body truncated")
        try:
            return self._aead.decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], _aad(item_id, idempotency_key))
        except InvalidTag:
            raise BodyUnreadable("authentication failed: row tampered or wrong key") from None

    def ordering_tag(self, ordering_key: str) -> str:
        """Pseudonym of an ordering key (often a citizen's ID number), so it is never stored in clear."""
        # keyed BLAKE2b: a MAC like HMAC, at a fraction of its cost on the enqueue path
        return hashlib.blake2b(ordering_key.encode("utf-8"), key=self._okey_mac, digest_size=16).hexdigest()


def load_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read and check the key file: regular file, owner = current uid, mode 0600, 32 bytes (raw or hex)."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyFileError(str(p), "does not exist (create it with `kiosk queue init-key --key PATH`)") from None
    except OSError as exc:
        raise KeyFileError(str(p), f"cannot open: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(str(p), "is not a regular file")
        if st.st_uid != os.getuid():
            raise KeyFileError(str(p), f"owned by uid {st.st_uid}, must be owned by uid {os.getuid()}")
        mode = stat.S_IMODE(st.st_mode)
        if mode != 0o600:
            raise KeyFileError(str(p), f"permissions are {mode:04o}, must be 0600 (chmod 600 {p})")
        raw = os.read(fd, 4096)
    finally:
        os.close(fd)
    if len(raw) == KEY_LEN:
        return raw
    text = raw.strip()
    if len(text) == 2 * KEY_LEN:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise KeyFileError(str(p), f"must hold a 32-byte key (raw or 64 hex digits), found {len(raw)} bytes")


def create_key_file(path: str | os.PathLike[str]) -> bytes:
    """Create a new random key file with mode 0600 (never overwrites an existing file)."""
    p = Path(path)
    key = os.urandom(KEY_LEN)
    try:  # whole or absent, even after a power cut mid-write; never over an existing name
        write_atomic(p.absolute(), key.hex() + "\n", exclusive=True)
    except FileExistsError:
        raise KeyFileError(str(p), "already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyFileError(str(p), f"cannot create: {exc.strerror}") from None
    return key
