"""Settings, read from ``KINKO_*`` environment variables (and a ``.env`` file if present)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.cwd() / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINKO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    # Empty means "a SQLite file in data_dir" (the embedded default).
    database_url: str = ""
    # The bank's secret key (no default: see kinko.keys for where else it may come from and
    # what `kinko serve` accepts); earlier keys, comma-separated, newest first, stay
    # readable until `kinko keys reencrypt` has moved their data to the current key.
    secret_key: SecretStr = SecretStr("")
    secret_key_previous: SecretStr = SecretStr("")
    secret_key_file: Path | None = None
    # A TOML file that overrides the default policy (SPEC §13); empty = defaults only.
    policy_file: Path | None = None
    # This bank on the Zengin network (0999 is not assigned to any real bank).
    bank_code: str = "0999"
    bank_name: str = "金庫銀行"
    bank_name_kana: str = "ｷﾝｺｷﾞﾝｺｳ"
    host: str = "127.0.0.1"
    port: int = 8000
    sql_echo: bool = False
    # Outgoing e-mail (NOTIF-1). The demo starts a local SMTP sink on this port.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "Kinko Bank <no-reply@kinko.example.jp>"
    # The request header in which the bank's edge proxy puts the client's country (ISO 3166
    # alpha-2, from its geolocation of the address); empty = not known, treated as Japan.
    country_header: str = "X-Client-Country"
    # Client certificates verified by a TLS-terminating proxy (AUTH-11): the header it puts
    # the URL-encoded PEM in, honoured only from these proxy addresses.
    client_cert_header: str = "X-SSL-Client-Cert"
    trusted_proxies: tuple[str, ...] = ()
    # Demo mode shows the demo bank's overview without login; never enable it in production.
    demo: bool = False
    # Concurrency and faults (docs/operations.md). PostgreSQL session limits, in milliseconds
    # (0 = off): no statement waits longer than lock_timeout for a row lock, none runs longer
    # than statement_timeout, and a transaction left idle is ended by the server.
    db_lock_timeout_ms: int = 5_000
    db_statement_timeout_ms: int = 30_000
    db_idle_in_transaction_timeout_ms: int = 60_000
    # SQLite: how long a transaction waits for the file's single writer (this process's queue,
    # then another process's lock) before the request is answered 503 DB_BUSY.
    sqlite_write_wait_s: float = 10.0
    # Requests in progress at once per process; the rest wait (without a thread) in a queue
    # for at most request_queue_wait_s, then are answered 503 SERVER_BUSY.
    max_concurrent_requests: int = 20
    request_queue_wait_s: float = 10.0
    # The external face-matching vendor (KYC-5), used when the policy's kyc.face_matcher is
    # "vendor": its base URL, the shared HMAC key both sides sign with, and the time one
    # request may take (docs/verification.md).
    face_vendor_url: str = ""
    face_vendor_key: SecretStr = SecretStr("")
    face_vendor_timeout_s: float = 10.0

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'kinko.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
