"""The FastAPI application: JSON API under /api/v1 (OpenAPI at /docs) and server-rendered pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from kinko import __version__
from kinko.config import Settings, get_settings
from kinko.db.engine import Database, get_database
from kinko.web import deps, problems, security
from kinko.web.admission import Admission
from kinko.web.pages import auth as auth_pages
from kinko.web.pages import backoffice as backoffice_pages
from kinko.web.pages import banking, corporate_operator, mailroom, onboarding, signup
from kinko.web.pages import bulk_recall as bulk_recall_pages
from kinko.web.pages import certificates as certificate_pages
from kinko.web.pages import claims as claim_pages
from kinko.web.pages import claims_operator as claim_operator_pages
from kinko.web.pages import corporate as corporate_pages
from kinko.web.pages import corporate_services as corporate_service_pages
from kinko.web.pages import operator as operator_pages
from kinko.web.pages import recalls as recall_pages
from kinko.web.pages import services as service_pages
from kinko.web.pages import settings as settings_pages
from kinko.web.pages import verification as verification_pages
from kinko.web.pages import verification_review as verification_review_pages
from kinko.web.params import refuse_control_characters
from kinko.web.routes import (
    apidocs,
    auth_api,
    bulk,
    claims_api,
    corporate,
    corporate_services,
    demo,
    health,
    mailbox,
    operator_api,
    retail,
    retail_services,
    telephony,
)

STATIC = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The console's policy changes before the first request (then at most every 30 s).
    await run_in_threadpool(deps.read_policy_changes, app.state.db)
    yield


def create_app(db: Database | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Kinko API",
        version=__version__,
        description=(
            "Kinko インターネットバンキング API。エラーは RFC 9457 problem+json で、"
            "安定したコード（`code`）と日本語・英語のメッセージを返します。\n\n"
            "Kinko internet banking API. Errors are RFC 9457 problem+json with a stable "
            "`code` and Japanese and English messages."
        ),
        docs_url=None, redoc_url=None,  # served from shipped assets by apidocs
        # No control character (NUL among them) in any path, query or form value (params.py).
        dependencies=[Depends(refuse_control_characters)],
        lifespan=_lifespan,
    )
    app.state.db = db or get_database()
    app.state.settings = settings
    problems.install(app)
    operator_pages.install(app)  # the console's sign-in redirect from its dependency
    # Inside the security headers, so that a SERVER_BUSY answer carries them too.
    app.add_middleware(Admission, limit=settings.max_concurrent_requests,
                       wait_s=settings.request_queue_wait_s)
    security.install(app)
    apidocs.install(app)  # before /static: its assets live under /static/apidocs
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(demo.router)
    app.include_router(mailbox.router)
    app.include_router(retail.router)
    app.include_router(retail_services.router)
    app.include_router(telephony.router)
    app.include_router(banking.router)
    app.include_router(service_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(recall_pages.router)
    app.include_router(auth_pages.router)
    app.include_router(auth_api.router)
    app.include_router(claim_operator_pages.router)
    app.include_router(corporate_pages.router)
    app.include_router(bulk_recall_pages.router)
    app.include_router(corporate.router)
    app.include_router(corporate.pages)
    app.include_router(corporate.operator_pages)
    app.include_router(bulk.router)
    app.include_router(operator_pages.router)
    app.include_router(backoffice_pages.router)
    app.include_router(onboarding.router)
    app.include_router(mailroom.router)
    app.include_router(signup.router)
    app.include_router(certificate_pages.router)
    app.include_router(operator_api.router)
    app.include_router(claim_pages.router)
    app.include_router(claims_api.router)
    app.include_router(verification_pages.router)
    app.include_router(verification_review_pages.router)
    app.include_router(corporate_services.router)
    app.include_router(corporate_service_pages.router)
    app.include_router(corporate_operator.router)
    return app
