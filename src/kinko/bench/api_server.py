"""The app factory `kinko bench api` serves with uvicorn (``--factory``) in a subprocess.

uvicorn's worker processes import the app by name and cannot be handed arguments, so the bench
passes its scratch database and its moment through the environment. Only the bench sets these
variables; nothing else should import this module.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from kinko import clock
from kinko.config import get_settings
from kinko.db.engine import Database
from kinko.web.app import create_app

DATABASE_URL_ENV = "KINKO_BENCH_API_DATABASE_URL"
NOW_ENV = "KINKO_BENCH_API_NOW"


def create() -> FastAPI:
    """The real app on the bench's scratch database, its clock frozen at the bench's moment.

    The clock is frozen because the customers' sessions were opened at that moment and every
    transfer must be a same-day one (a business day before the cutoff), whatever the day and
    hour the bench is run: on a Sunday the real clock would turn every transfer into a
    future-dated one that moves no money.
    """
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise RuntimeError(f"{DATABASE_URL_ENV} is not set (only `kinko bench api` serves this)")
    moment = os.environ.get(NOW_ENV)
    if moment:
        clock.set_now(clock.parse_moment(moment))
    return create_app(Database(url), get_settings())
