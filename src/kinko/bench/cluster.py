"""A throw-away PostgreSQL cluster for `kinko bench bank`: initdb + pg_ctl on a free port.

The cluster lives in a temporary directory and is owned by the bench, so the bench may stop it
with ``pg_ctl stop -m immediate`` (what a crash looks like to the clients: every backend dies at
once, the next start replays the WAL) and start it again. PostgreSQL refuses to run as root;
when the bench runs as root, initdb and the server run as the ``postgres`` system user if there
is one, else as ``nobody``, and the directory is handed to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from kinko.bench.pg import BenchError, last_line

PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin")
RUN_AS = ("postgres", "nobody")
START_TIMEOUT = 60        # seconds pg_ctl waits for the server to accept connections
STOP_TIMEOUT = 30
DATABASE = "kinko"
# Written to postgresql.conf once, so every restart uses them. fsync is off because the
# faults kill processes, never the machine: committed WAL sits in the operating system's page
# cache and survives a `pg_ctl stop -m immediate`; flushing it would only slow the run down
# on a disk the machine shares with other work.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "fsync": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


def pg_bin(name: str) -> str | None:
    """Where a PostgreSQL server binary is: Debian's versioned directory first, then PATH."""
    for directory in PG_BIN_DIRS:
        path = Path(directory) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)


def initdb_available() -> bool:
    return pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_user() -> pwd.struct_passwd | None:
    """The user the server runs as when the bench is root; None when it is not root."""
    if os.geteuid() != 0:
        return None
    for name in RUN_AS:
        with suppress(KeyError):
            return pwd.getpwnam(name)
    raise BenchError("running as root and neither a 'postgres' nor a 'nobody' user exists "
                     "to run the PostgreSQL cluster as")


class Cluster:
    """One PostgreSQL cluster in a temp dir. ``close()`` stops it and removes the directory."""

    def __init__(self) -> None:
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise BenchError("initdb/pg_ctl not found (Debian: apt-get install postgresql); "
                             "or give --database-url (then db-restart is not possible)")
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.user = _run_as_user()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kinko-bench-bank-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgresql.log"
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _argv(self, *argv: str) -> list[str]:
        if self.user is None:
            return list(argv)
        return ["runuser", "-u", self.user.pw_name, "--", *argv]

    def _run(self, *argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(  # noqa: S603 - fixed argv, no shell
                self._argv(*argv), capture_output=True, text=True, check=False,
                timeout=timeout, cwd=self.dir, env=self._env())
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{Path(argv[0]).name} did not finish within {timeout:g} s"
                             ) from exc

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        return env

    def init(self) -> None:
        """initdb (trust auth on the loopback only), the settings, then start."""
        done = self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
                         "-E", "UTF8", "--no-sync", "--no-instructions", timeout=120)
        if done.returncode != 0:
            raise BenchError(f"initdb failed: {last_line(done.stderr or done.stdout)}")
        conf = self.data / "postgresql.conf"
        settings = dict(SETTINGS, port=str(self.port),
                        unix_socket_directories=f"'{self.dir}'")
        with conf.open("a", encoding="utf-8") as out:
            out.write("\n# kinko bench bank\n")
            out.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.start()

    def start(self) -> None:
        done = self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w",
                         "-t", str(START_TIMEOUT), "start", timeout=START_TIMEOUT + 10)
        if done.returncode != 0:
            raise BenchError(f"pg_ctl start failed: {self.log_tail()}")

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` is the crash: no checkpoint, every backend killed, WAL replayed."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w",
                  "-t", str(STOP_TIMEOUT), "stop", timeout=STOP_TIMEOUT + 10)

    def running(self) -> bool:
        done = self._run(self.pg_ctl, "-D", str(self.data), "status", timeout=15)
        return done.returncode == 0

    def log_tail(self) -> str:
        try:
            return last_line(self.log.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return "no server log"

    def close(self) -> None:
        """Stop the server (if it runs) and remove the directory; never raises."""
        if self.data.exists():
            with suppress(BenchError, OSError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
