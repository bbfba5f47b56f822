"""One due-work runner for `kinko bench bank`: `kinko batch run` (``run_due``) in a loop.

Started as ``python -m kinko.bench.bank_runner`` with the scratch bank's URL and frozen moment
in the environment, like the app (kinko.bench.api_server); the bench SIGKILLs it at any moment
and starts another. Each round is what one `kinko batch run --at MOMENT` does: every due outbox
message in its own transaction, then the audit chain sealed. A round that fails (the database
is restarting) is logged and the loop goes on: a runner outlives its database.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from kinko import clock
from kinko.bench.api_server import DATABASE_URL_ENV, NOW_ENV

PAUSE = 0.2      # seconds between rounds when there was nothing to do
BACKOFF = 0.5    # seconds after a failed round


def main() -> None:
    from kinko.batch.service import run_due
    from kinko.db.engine import Database

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s runner %(process)d %(levelname)s %(message)s")
    log = logging.getLogger("kinko.bench.bank_runner")
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise SystemExit(f"{DATABASE_URL_ENV} is not set (only `kinko bench bank` runs this)")
    moment = os.environ.get(NOW_ENV)
    at = clock.parse_moment(moment) if moment else None
    if at is not None:
        clock.set_now(at)
    db = Database(url, pool_size=2)
    while True:
        try:
            report = run_due(db, at=at)
        except Exception as exc:  # the database restarts under it: log, wait, go on
            log.warning("batch round failed: %s: %s", type(exc).__name__,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            time.sleep(BACKOFF)
            continue
        if not (report.done or report.retried or report.sealed):
            time.sleep(PAUSE)


if __name__ == "__main__":
    main()
