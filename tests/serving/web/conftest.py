"""A real service for the browser journeys: ``arscore serve`` (uvicorn, two workers) on a copy
of the trained service's database, a user per role, and chromium driven by Playwright.

One server and one browser for the whole session keep the journeys quick; each test gets a
fresh browser context (its own cookies). Every context routes all requests through a handler
that lets only the server's own address through and aborts (and records) anything else, so a
page that tried to load something from the internet fails its test. Screenshots of each page a
journey visits go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledger.storage import make_engine

from ..test_serve_command import running_serve
from .pages import make_users

CHROMIUM = (
    os.environ.get("ARSCORE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class LiveService:
    url: str
    database_url: str
    users: dict[str, str]
    customers: list[tuple[str, str]]  # (id, name)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live(trained, tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[LiveService]:
    """``arscore serve`` with two workers on a private copy of the trained database."""
    home = tmp_path_factory.mktemp("live")
    shutil.copy(trained.home / "arscore.db", home / "arscore.db")
    database_url = f"sqlite:///{(home / 'arscore.db').as_posix()}"
    engine = make_engine(database_url)
    users = make_users(engine, prefix="br-")
    with engine.connect() as connection:
        customers = [
            (str(r[0]), str(r[1]))
            for r in connection.exec_driver_sql(
                "select customer_id, name from customers order by customer_id limit 40"
            )
        ]
    engine.dispose()
    scratch = home / "tmp"
    scratch.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "TMPDIR": str(scratch),
        "ARSCORE_HOME": str(home),
        "ARSCORE_DATABASE_URL": database_url,
        "ARSCORE_MLFLOW_TRACKING_URI": trained.tracking_uri,
        "ARSCORE_SERVING__MODEL_POLL_SECONDS": "0",
    }
    # models load slowly on a busy machine
    with running_serve(env, workers=2, ready_seconds=300) as (url, _):
        yield LiveService(url, database_url, users, customers)


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


@dataclass
class Journey:
    """One test's browser tab, the requests it tried to send off the machine, and its
    screenshots."""

    page: Any
    base: str
    name: str
    outside: list[str] = field(default_factory=list)
    shots: int = 0

    def shot(self, label: str) -> None:
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(
            path=str(SCREENSHOTS / f"{self.name}-{self.shots:02d}-{slug}.png"), full_page=True
        )

    def visit(self, path: str, label: str | None = None) -> Any:
        response = self.page.goto(self.base + path)
        self.shot(label or path)
        return response

    def sign_in(self, name: str, password: str) -> None:
        self.visit("/", "sign-in")
        self.page.get_by_label("Username").fill(name)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        self.shot("after sign-in")


@pytest.fixture
def journey(browser, live: LiveService, request: pytest.FixtureRequest) -> Iterator[Journey]:
    """A fresh context (no cookies) whose every request off the server's address is aborted
    and recorded; the test fails if there was any."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 900})
    journey = Journey(context.new_page(), live.url, request.node.name)
    own = live.url + "/"

    def guard(route: Any) -> None:
        target = route.request.url
        if target.startswith(own) or target == live.url:
            route.continue_()
        else:
            journey.outside.append(target)
            route.abort()

    context.route("**/*", guard)
    try:
        yield journey
    finally:
        context.close()
    assert journey.outside == [], f"requests left the machine: {journey.outside}"
    assert journey.shots > 0
