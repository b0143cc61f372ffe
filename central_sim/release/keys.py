"""Signing keys on disk: one directory per role, one PEM file (PKCS#8, Ed25519) per key.

A key file may be encrypted; its passphrase comes from ``KIOSK_RELEASE_PASSPHRASE_<ROLE>``
(e.g. ``..._ROOT``), never from the command line (it would show in ``ps`` and shell history).
Root and targets keys are meant to live offline (a USB stick brought to the signing machine
for a ceremony); snapshot and timestamp keys are online, on the machine that re-signs them.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from securesystemslib.signer import CryptoSigner, SSlibKey

from hal.atomic_file import replace_path, write_atomic

ROLES = ("root", "targets", "snapshot", "timestamp")


class KeyError_(Exception):
    """A key file is missing, unreadable or locked."""


def _passphrase(role: str) -> bytes | None:
    value = os.environ.get(f"KIOSK_RELEASE_PASSPHRASE_{role.upper()}", "")
    return value.encode("utf-8") if value else None


def generate(keys_dir: Path, role: str) -> CryptoSigner:
    """A new Ed25519 key for ``role``, written as ``<keys_dir>/<role>/<keyid>.pem`` (mode 0600)."""
    private = ed25519.Ed25519PrivateKey.generate()
    public = SSlibKey.from_crypto(private.public_key())
    secret = _passphrase(role)
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm)
    folder = keys_dir / role
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{public.keyid}.pem"
    write_atomic(path, pem, mode=0o600, exclusive=True)  # a key is never overwritten
    return CryptoSigner(private, public)


def load(keys_dir: Path, role: str) -> dict[str, CryptoSigner]:
    """Every key of ``role`` present in ``keys_dir``, by key id (an absent directory gives none)."""
    out: dict[str, CryptoSigner] = {}
    folder = keys_dir / role
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.pem")):
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), _passphrase(role))
        except (ValueError, TypeError) as exc:
            raise KeyError_(f"{path}: cannot load ({exc}); is KIOSK_RELEASE_PASSPHRASE_{role.upper()} set?") from exc
        if not isinstance(private, ed25519.Ed25519PrivateKey):
            raise KeyError_(f"{path}: not an Ed25519 key")
        signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
        out[signer.public_key.keyid] = signer
    return out


def retire(keys_dir: Path, role: str, keyid: str) -> None:
    """Move a revoked key out of the signing set (kept under retired/ for the record)."""
    src = keys_dir / role / f"{keyid}.pem"
    dest = keys_dir / "retired" / role
    dest.mkdir(parents=True, exist_ok=True)
    replace_path(src, dest / src.name)
