"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from kinko import __version__, clock
from kinko.db.engine import Database
from kinko.web.deps import database

router = APIRouter(tags=["health"])


@router.get("/health", summary="ヘルスチェック / health check")
def health(db: Database = Depends(database)) -> JSONResponse:
    """200 when the app and its database answer; 503 when the database does not."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database_state = "ok"
    except Exception:
        database_state = "unavailable"
    status = 200 if database_state == "ok" else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "degraded", "database": database_state,
         "version": __version__, "time": clock.now().isoformat()},
        status_code=status,
    )
