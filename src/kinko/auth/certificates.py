"""Client certificates from the bank's own CA (AUTH-11, CRED-4).

The customer's PC makes its key pair and sends a certificate signing request; the bank never
holds a client's private key. The CA's key is stored encrypted (AES-GCM, key from settings).
A certificate is valid for the policy's period, renewable in the window before it expires,
revoked by the customer before disposing of the PC, and invalid once the contract ends.

At login the TLS terminator passes the client certificate it verified; Kinko checks again
that it is one it issued (by SHA-256 fingerprint), signed by its CA, active and in its
validity period — so a certificate revoked a second ago no longer logs in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.crypto import decrypt, encrypt
from kinko.auth.effects import audit
from kinko.auth.errors import CertificateRejected, FactorNotAvailable
from kinko.auth.models import (
    CertificateAuthority,
    CertificateState,
    ClientCertificate,
)
from kinko.auth.users import contract_of, get_user, rules_for_user
from kinko.errors import ValidationFailed

_KEY_PURPOSE = "ca-key"
CA_NAME = "Kinko Client CA"


@dataclass(frozen=True)
class IssuedCertificate:
    certificate_id: int
    serial: str
    fingerprint: str
    certificate_pem: str
    not_after_iso: str


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _active_ca(session: Session) -> CertificateAuthority | None:
    return session.execute(
        select(CertificateAuthority).where(CertificateAuthority.active.is_(True))
        .order_by(CertificateAuthority.id.desc()).limit(1)
    ).scalar_one_or_none()


def ensure_ca(session: Session, *, actor: str, name: str = CA_NAME,
              validity: timedelta = timedelta(days=3650)) -> CertificateAuthority:
    """The active CA, created (P-256 key, self-signed) the first time it is needed."""
    existing = _active_ca(session)
    if existing is not None:
        return existing
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kinko"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = clock.now().astimezone(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    ca = CertificateAuthority(
        name=name, certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_ciphertext=encrypt(_KEY_PURPOSE, key_pem, context=f"ca:{_fingerprint(cert)}"),
        active=True, created_at=clock.now())
    session.add(ca)
    session.flush()
    audit(session, actor=actor, action="auth.ca_created", subject_type="certificate_authority",
          subject_id=ca.id, fingerprint=_fingerprint(cert))
    return ca


def _ca_material(ca: CertificateAuthority) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
    key_pem = decrypt(_KEY_PURPOSE, ca.key_ciphertext, context=f"ca:{_fingerprint(cert)}")
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we made it
        raise TypeError("the CA key is not an EC key")
    return cert, key


def issue(session: Session, *, user_id: int, csr_pem: str, actor: str) -> IssuedCertificate:
    """Sign the user's CSR (the private key stays on the PC)."""
    user = get_user(session, user_id)
    if not contract_of(session, user).certificate_login:
        raise FactorNotAvailable(detail="this contract does not use the certificate method")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise ValidationFailed(detail="not a PEM certificate signing request") from exc
    if not csr.is_signature_valid:
        raise ValidationFailed(detail="the request's signature does not verify")
    rules = rules_for_user(session, user)
    ca = ensure_ca(session, actor=actor)
    ca_cert, ca_key = _ca_material(ca)
    now = clock.now()
    not_after = now + timedelta(days=rules.certificate_validity_days)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kinko customer"),
        x509.NameAttribute(NameOID.COMMON_NAME, user.login_id or f"user-{user.id}"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, str(user.id)),
    ])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now.astimezone(UTC) - timedelta(minutes=5))
            .not_valid_after(not_after.astimezone(UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    row = ClientCertificate(user_id=user.id, ca_id=ca.id, serial=format(cert.serial_number, "x"),
                            fingerprint=_fingerprint(cert), subject=cert.subject.rfc4514_string(),
                            not_before=now, not_after=not_after, state=CertificateState.ACTIVE,
                            certificate_pem=pem, issued_at=now)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="auth.certificate_issued", user=user,
          serial=row.serial, not_after=not_after.isoformat())
    return IssuedCertificate(row.id, row.serial, row.fingerprint, pem, not_after.isoformat())


def _by_serial(session: Session, serial: str) -> ClientCertificate:
    row = session.execute(select(ClientCertificate).where(ClientCertificate.serial == serial)
                          ).scalar_one_or_none()
    if row is None:
        raise CertificateRejected(detail="unknown certificate")
    return row


def renew(session: Session, *, serial: str, csr_pem: str, actor: str) -> IssuedCertificate:
    """Renew before expiry, inside the renewal window (002 第2条6(1)); the old one ends."""
    old = _by_serial(session, serial)
    now = clock.now()
    rules = rules_for_user(session, get_user(session, old.user_id))
    if old.state is not CertificateState.ACTIVE or now >= old.not_after:
        raise CertificateRejected(detail="only a valid certificate can be renewed")
    if now < old.not_after - rules.certificate_renewal_window:
        raise ValidationFailed(detail="renewal opens "
                               f"{rules.certificate_renewal_window.days} days before expiry")
    issued = issue(session, user_id=old.user_id, csr_pem=csr_pem, actor=actor)
    old.state = CertificateState.SUPERSEDED
    old.revoked_at = now
    old.revocation_reason = "renewed"
    return issued


def revoke(session: Session, *, serial: str, reason: str, actor: str) -> None:
    """Revoke (the customer before disposing of a PC, the bank at contract end, a report)."""
    row = _by_serial(session, serial)
    if row.state is not CertificateState.ACTIVE:
        return
    row.state = CertificateState.REVOKED
    row.revoked_at = clock.now()
    row.revocation_reason = reason[:80]
    audit(session, actor=actor, action="auth.certificate_revoked", user=row.user_id,
          serial=serial, reason=reason)


def revoke_all(session: Session, *, user_ids: list[int], reason: str, actor: str) -> int:
    rows = session.execute(select(ClientCertificate).where(
        ClientCertificate.user_id.in_(user_ids),
        ClientCertificate.state == CertificateState.ACTIVE)).scalars().all()
    for row in rows:
        revoke(session, serial=row.serial, reason=reason, actor=actor)
    return len(rows)


def has_active(session: Session, user_id: int) -> bool:
    now = clock.now()
    return session.execute(select(ClientCertificate.id).where(
        ClientCertificate.user_id == user_id,
        ClientCertificate.state == CertificateState.ACTIVE,
        ClientCertificate.not_after > now)).first() is not None


def user_for_certificate(session: Session, certificate_pem: str) -> int | None:
    """The user a presented certificate belongs to, if it is ours, active and in date."""
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError:
        return None
    row = session.execute(select(ClientCertificate).where(
        ClientCertificate.fingerprint == _fingerprint(cert))).scalar_one_or_none()
    if row is None or row.state is not CertificateState.ACTIVE:
        return None
    now = clock.now()
    if not row.not_before <= now < row.not_after:
        return None
    ca = session.get(CertificateAuthority, row.ca_id)
    if ca is None:  # pragma: no cover - foreign key
        return None
    ca_cert = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return None
    return row.user_id
