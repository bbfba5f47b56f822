"""Every router module is part of the real app, every URL README's tour names answers, and the
OpenAPI viewers use only assets the app serves itself (banks run closed networks)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from kinko.config import Settings
from kinko.db import Database
from kinko.demo.data import create
from kinko.web import pages, routes
from kinko.web.app import create_app

README = Path(__file__).resolve().parents[2] / "README.md"


def _router_modules() -> list[str]:
    return [f"{package.__name__}.{info.name}"
            for package in (routes, pages)
            for info in pkgutil.iter_modules(package.__path__)]


@pytest.fixture
def demo_client(db: Database) -> Iterator[TestClient]:
    db.run(create)
    with TestClient(create_app(db, Settings(demo=True))) as client:
        yield client


def _included_routers(routes: list[Any]) -> Iterator[APIRouter]:
    """The routers included in an app, at any depth (FastAPI keeps the original object)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if isinstance(original, APIRouter):
            yield original
            yield from _included_routers(original.routes)


@pytest.mark.parametrize("module_name", _router_modules())
def test_every_router_module_is_mounted(module_name: str) -> None:
    """A router its own test mounts on a private app, but the real app never includes, is a
    feature no user can reach: every router module's router must be in create_app()."""
    router = getattr(importlib.import_module(module_name), "router", None)
    if not isinstance(router, APIRouter):
        pytest.skip(f"{module_name} has no router")
    app = create_app(Database("sqlite://"), Settings())
    assert any(r is router for r in _included_routers(app.routes)), (
        f"{module_name}.router is not included in create_app()")


def _readme_paths() -> list[str]:
    urls = re.findall(r"http://127\.0\.0\.1:8000(/[^\s)`'\"]*)", README.read_text("utf-8"))
    return sorted({u.rstrip(".,") for u in urls})


def test_readme_names_the_tour() -> None:
    assert {"/", "/login", "/docs", "/demo/mailbox"} <= set(_readme_paths())


@pytest.mark.parametrize("path", _readme_paths())
def test_every_url_in_the_readme_answers(demo_client: TestClient, path: str) -> None:
    response = demo_client.get(path, follow_redirects=True)
    assert response.status_code == 200, f"{path}: {response.status_code}"


@pytest.mark.parametrize("viewer", ["/docs", "/redoc"])
def test_openapi_viewers_load_only_shipped_assets(demo_client: TestClient, viewer: str) -> None:
    page = demo_client.get(viewer, follow_redirects=True)
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets, "the viewer page names its script and styles"
    for asset in assets:
        assert asset.startswith("/"), f"{viewer} loads {asset} from elsewhere"
        assert demo_client.get(asset).status_code == 200, asset
    assert "fonts.googleapis" not in page.text and "cdn." not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "http" not in csp
