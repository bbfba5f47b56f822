"""STARTTLS to the relay when configured (NOTIF-1), against the sink with a test certificate."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kinko.config import Settings
from kinko.db import Database
from kinko.notifications import mailer
from kinko.notifications.service import mailbox
from kinko.notifications.sink import start_sink
from tests.notifications.conftest import free_port


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.req("NOTIF-1")
def test_starttls_then_login(db: Database, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    port = free_port()
    settings = Settings(smtp_host="localhost", smtp_port=port, smtp_starttls=True,
                        smtp_user="kinko", smtp_password="relay-secret")
    message = mailer.build_message(to="taro.yamada@example.jp", subject="テスト / test",
                                   body="本文 / body", settings=settings)
    with start_sink("localhost", port, db=db, users={"kinko": "relay-secret"},
                    tls_context=server_tls):
        mailer.send(message, settings, ssl_context=client_tls)
        with pytest.raises(ssl.SSLCertVerificationError):    # an untrusted relay is refused
            mailer.send(message, settings)
    [mail] = db.run(mailbox)
    assert mail.subject == "テスト / test" and mail.body.strip() == "本文 / body"
