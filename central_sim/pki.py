"""A development PKI for mutual TLS (`kiosk central-sim --make-pki DIR`): CA, central server certificate
(SAN 127.0.0.1/localhost) and kiosk client certificates (CN = kiosk id). For demos and tests only:
a city's real PKI issues these from its own CA, with keys generated on the kiosk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hal.atomic_file import write_atomic


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_file: str
    key_file: str


def _name(cn: str | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sscard test")]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _write(out: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    cert_file, key_file = out / f"{stem}.crt", out / f"{stem}.key"
    write_atomic(cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    write_atomic(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return Issued(cert, key, str(cert_file), str(key_file))


def make_ca(out: Path, stem: str, cn: str) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(out, stem, cert, key)


def issue(out: Path, stem: str, ca: Issued, cn: str | None, *, server: bool, expired: bool = False,
          dns_names: tuple[str, ...] = ()) -> Issued:
    """``cn=None`` and ``dns_names`` make the odd client certificates the identity tests need."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = (now - dt.timedelta(days=10), now - dt.timedelta(days=1)) if expired else \
        (now - dt.timedelta(hours=1), now + dt.timedelta(days=7))
    b = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                              else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if server:
        b = b.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    elif dns_names:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
    return _write(out, stem, b.sign(ca.key, hashes.SHA256()), key)


def make_dev_pki(out: Path, kiosk_ids: list[str], server_name: str = "central.local") -> dict[str, Issued]:
    """ca.crt/.key, server.crt/.key and kiosk-<id>.crt/.key in ``out`` (keys 0600)."""
    out.mkdir(parents=True, exist_ok=True)
    ca = make_ca(out, "ca", "sscard development CA")
    issued = {"ca": ca, "server": issue(out, "server", ca, server_name, server=True)}
    for kiosk_id in kiosk_ids:
        issued[kiosk_id] = issue(out, f"kiosk-{kiosk_id}", ca, kiosk_id, server=False)
    return issued
