"""The OpenAPI viewer (Swagger UI at /docs) from assets shipped with Kinko.

Banks run closed networks: FastAPI's default viewers load their scripts from a CDN and show a
blank page there. The script and styles come from the ``fastapi-offline`` package (Swagger UI,
Apache 2.0), served under /static/apidocs; nothing is fetched from the internet.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/apidocs"

# The viewer needs inline bootstrap script and styles; everything else stays same-origin, so a
# viewer that tried to reach a CDN would be blocked by the browser as well.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'; "
       "base-uri 'none'")

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title="Kinko API — Swagger UI",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png")


@router.get("/redoc")
def redoc() -> RedirectResponse:
    """ReDoc's bundle loads its logo from the vendor's CDN; one viewer that works offline is
    better than two, so /redoc leads to Swagger UI."""
    return RedirectResponse("/docs", status_code=308)


def install(app: FastAPI) -> None:
    """Mount the assets and the viewer (the app is created with docs_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="apidocs")
    app.include_router(router)
