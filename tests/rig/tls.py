"""TLS material for the rig: a private CA and certificates for the site's names (cryptography).

    ensure(tls_dir)            # idempotent: ca.pem, site.pem/.key, expiring.pem/.key, other...
    ca_file(rig_dir)           # the CA a check's `ca_file` should name

- `site`: valid for a year, names SITE_NAMES (the shop, www, mx): served on each host's :443 and
  used by the SMTP server's STARTTLS.
- `expiring`: the same names, but it expires in EXPIRING_DAYS days: served on :8443, for the
  "certificate about to expire" warning.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SITE_NAMES = ("shop.test", "www.shop.test", "mx.shop.test")
EXPIRING_DAYS = 3
HTTPS_PORT = 443
HTTPS_EXPIRING_PORT = 8443


def ca_file(rig_dir: Path) -> Path:
    return rig_dir / "tls" / "ca.pem"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def ensure(tls_dir: Path) -> None:
    """Create the CA and the certificates once (a few ms); later calls do nothing."""
    if (tls_dir / "expiring.pem").exists():
        return
    tls_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "failover rig CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    (tls_dir / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, days in (("site", 365), ("expiring", EXPIRING_DAYS)):
        key = _key()
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in SITE_NAMES]
        sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE_NAMES[0])]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write_key(key, tls_dir / f"{name}.key")
        (tls_dir / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
