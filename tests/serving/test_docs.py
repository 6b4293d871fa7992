"""The documentation pages work offline: /docs and /redoc load their scripts, styles and icon
from the package (vendored, pinned by SHA256SUMS, licences beside them), and / leads to /docs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from arscore.policy import Policy
from models.scoring.common import ScoringPolicy
from serving.app import create_app
from serving.config import ServingConfig
from serving.docs import STATIC_DIR
from serving.model_store import ModelStore
from serving.state import ServiceState

# Every address a page refers to: attributes and the strings in its inline script.
_REFERENCES = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)|url:\s*'([^']+)'""")


@pytest.fixture
def client(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    config = ServingConfig()
    state = ServiceState(
        engine=sqlite_engine,
        config=config,
        policy=ScoringPolicy.from_policy(Policy()),
        store=ModelStore(config, f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"),
    )
    with TestClient(create_app(state, load_models=False)) as client:
        yield client


def _references(html: str) -> list[str]:
    return [a or b for a, b in _REFERENCES.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_service_itself(client: TestClient, page: str):
    response = client.get(page)

    assert response.status_code == 200
    html = response.text
    assert "//" not in html.replace("window.location.origin", ""), "an absolute address"
    references = _references(html)
    assert "/openapi.json" in references
    assets = [r for r in references if r.startswith("/static/")]
    assert len(assets) == (3 if page == "/docs" else 2)  # script (+ styles) and favicon
    for url in [*assets, "/openapi.json"]:
        assert client.get(url).status_code == 200, url


def test_the_asset_types_are_what_browsers_expect(client: TestClient):
    types = {
        url: client.get(url).headers["content-type"]
        for url in (
            "/static/swagger-ui/swagger-ui-bundle.js",
            "/static/swagger-ui/swagger-ui.css",
            "/static/redoc/redoc.standalone.js",
        )
    }
    assert all(
        t.startswith(("text/javascript", "application/javascript"))
        for u, t in types.items()
        if u.endswith(".js")
    )
    assert types["/static/swagger-ui/swagger-ui.css"].startswith("text/css")


def test_the_root_leads_to_the_sign_in_of_the_web_pages(client: TestClient):
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/app/sign-in"


@pytest.mark.parametrize("folder", ["swagger-ui", "redoc"])
def test_vendored_files_are_the_pinned_ones_with_their_licence(folder: str):
    here = STATIC_DIR / folder
    pinned = dict(
        reversed(line.split(maxsplit=1)) for line in (here / "SHA256SUMS").read_text().splitlines()
    )

    assert "LICENSE" in pinned
    assert {p.name for p in here.iterdir()} == {*pinned, "SHA256SUMS"}
    for name, digest in pinned.items():
        assert hashlib.sha256((here / name).read_bytes()).hexdigest() == digest, name
