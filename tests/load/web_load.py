"""The SQLite acceptance run by hand: N client processes make transfers for S seconds against
uvicorn serving the real app in its own process, and one JSON line tells requests, confirmed
transfers/s, p50/p99/max latency, requests over 2 s, statuses and the load average::

    PYTHONPATH=src python -m tests.load.web_load --seconds 30 --clients 8
    PYTHONPATH=src python -m tests.load.web_load --seconds 30 --clients 8 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With ``--postgres`` the run uses a scratch database on that server, dropped afterwards. The
server is ``kinko.bench.api_server:create`` (the app with the clock frozen at a business
morning, so that every transfer moves money now); the customers are those of
``tests/load/test_web_concurrency.py``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing, suppress
from typing import Any

import httpx


def _client(args: tuple[str, Any, float]) -> tuple[list[tuple[str, int, float]], int]:
    from tests.load import test_web_concurrency as load

    base, setup, seconds = args
    log = load.Log()
    stop = threading.Event()
    worker = threading.Thread(target=load._transfers, args=(base, setup, log, stop))
    worker.start()
    time.sleep(seconds)
    stop.set()
    worker.join()
    return log.calls, log.transfers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL (admin)")
    options = parser.parse_args()

    from kinko import clock
    from kinko.db import Database
    from kinko.db.migrate import upgrade
    from tests.conftest import create_pg_database, drop_pg_database
    from tests.load import test_web_concurrency as load

    data = tempfile.mkdtemp()
    url = (create_pg_database(options.postgres) if options.postgres
           else f"sqlite:///{data}/kinko.sqlite3")
    try:
        upgrade(url)
        db = Database(url)
        clock.set_now(load.MOMENT)
        setups = [load._customer(db, i) for i in range(options.clients)]
        db.dispose()
        with closing(socket.socket()) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "KINKO_BENCH_API_DATABASE_URL": url, "KINKO_DATA_DIR": data,
               "KINKO_BENCH_API_NOW": load.MOMENT.isoformat()}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "kinko.bench.api_server:create", "--factory",
             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                time.sleep(0.1)
            with mp.get_context("spawn").Pool(options.clients) as pool:
                out = pool.map(_client, [(base, s, options.seconds) for s in setups])
        finally:
            server.terminate()
            server.wait()
    finally:
        if options.postgres:
            drop_pg_database(options.postgres, url)
    calls = [c for o in out for c in o[0]]
    transfers = sum(o[1] for o in out)
    durations = sorted(d for _, _, d in calls)
    statuses: dict[int, int] = {}
    for _, status, _ in calls:
        statuses[status] = statuses.get(status, 0) + 1
    print(json.dumps({
        "backend": "postgresql" if options.postgres else "sqlite",
        "seconds": options.seconds, "clients": options.clients, "requests": len(calls),
        "transfers": transfers, "transfers_per_s": round(transfers / options.seconds, 1),
        "p50_ms": round(durations[len(durations) // 2] * 1000),
        "p99_ms": round(durations[int(len(durations) * 0.99)] * 1000),
        "max_ms": round(durations[-1] * 1000), "over_2s": sum(d > 2 for d in durations),
        "http_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "statuses": statuses, "load_average": [round(x, 1) for x in os.getloadavg()],
    }))


if __name__ == "__main__":
    main()
