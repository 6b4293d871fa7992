"""Journeys in a real browser (chromium through Playwright) against ``arscore serve``: what a
credit officer, a collector and a salesperson do every day, and the refusals they may meet.
Each journey asserts that no request left the machine (the ``journey`` fixture) and keeps a
screenshot of every page it visits."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from ledger import tables
from ledger.storage import make_engine
from serving.web.session import Session, SessionCodec, signing_key

from .pages import PASSWORDS

# End-to-end like test_serve_command.py: a real `arscore serve` and a browser; `make test` runs
# them, `make check` (the quick loop) leaves them out.
pytestmark = pytest.mark.slow

NO_PD_MARKERS = ('data-testid="pd"', 'data-testid="grade"', 'data-testid="score"',
                 'data-testid="reasons"', 'data-testid="pd-basis"')  # fmt: skip


def test_officer_finds_a_customer_reads_pd_and_reasons_and_sets_a_limit(journey, live) -> None:
    page = journey.page
    customer_id, name = live.customers[11]
    journey.sign_in(live.users["credit_officer"], PASSWORDS["credit_officer"])
    assert page.url.endswith("/app/customers")

    page.get_by_label("Name or id").fill(name)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    journey.shot("customers found")
    page.get_by_role("link", name=customer_id).click()
    page.wait_for_load_state()
    journey.shot("customer page")

    assert re.fullmatch(r"\d+\.\d\d %", page.get_by_test_id("pd").inner_text())
    assert page.get_by_test_id("grade").inner_text().isdigit()
    assert page.get_by_test_id("pd-basis").inner_text() in ("model", "expert scorecard")
    reasons = page.get_by_test_id("reasons")
    assert reasons.locator("svg rect").count() >= 1
    assert reasons.locator("li").count() >= 1
    assert page.get_by_test_id("aging-chart").locator("svg").count() == 1
    assert page.get_by_test_id("open-invoices").locator("table").count() == 1

    form = page.get_by_test_id("set-limit-form")
    form.get_by_label("New limit").fill("45000")
    form.get_by_label("Reason").fill("Approved by the credit committee")
    form.get_by_role("button", name="Set limit").click()
    page.wait_for_load_state()
    journey.shot("limit saved")

    assert "The credit limit was saved." in page.content()
    history = page.get_by_test_id("limit-history").inner_text()
    assert "Approved by the credit committee" in history
    assert "45,000 EUR" in history
    assert live.users["credit_officer"] in history
    assert page.get_by_test_id("current-limit").inner_text() == "45,000 EUR"


def test_sales_checks_a_limit_and_sees_no_pd_on_any_page(journey, live) -> None:
    page = journey.page
    customer_id, _ = live.customers[3]
    journey.sign_in(live.users["sales"], PASSWORDS["sales"])
    assert page.url.endswith("/app/limit-check")

    page.get_by_label("Customer (id or name)").fill(customer_id)
    page.get_by_label("Order amount").fill("40,000")
    page.get_by_role("button", name="Check").click()
    page.wait_for_load_state()
    journey.shot("limit decision")

    assert page.get_by_test_id("limit-decision").inner_text().lower() in (
        "approve", "refer", "decline",
    )  # fmt: skip
    assert page.get_by_test_id("available-credit").inner_text()
    seen = [page.content()]
    links = [a.get_attribute("href") for a in page.locator("header nav a").all()]
    assert links == ["/app/limit-check"]
    for path in [*links, "/app/sign-in"]:
        journey.visit(path)
        seen.append(page.content())
    for html in seen:
        for marker in NO_PD_MARKERS:
            assert marker not in html
        assert not re.search(r"\bPD\b|probability of default|Grade<", html)


def test_collector_filters_the_worklist_and_downloads_it(journey, live) -> None:
    page = journey.page
    journey.sign_in(live.users["credit_officer"], PASSWORDS["credit_officer"])
    journey.visit("/app/portfolio", "portfolio")
    everything = int(page.get_by_test_id("worklist-count").inner_text().split()[0].replace(",", ""))

    page.get_by_label("Days overdue at least").fill("30")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    journey.shot("worklist filtered")
    filtered = int(page.get_by_test_id("worklist-count").inner_text().split()[0].replace(",", ""))
    with page.expect_download() as download:
        page.get_by_test_id("worklist-download").click()
    with open(download.value.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert 0 < filtered < everything
    assert len(rows) == filtered
    assert all(int(r["days_overdue"]) >= 30 for r in rows)
    assert download.value.suggested_filename.startswith("worklist-")


def test_officer_scores_an_applicant(journey, live) -> None:
    page = journey.page
    journey.sign_in(live.users["credit_officer"], PASSWORDS["credit_officer"])
    journey.visit("/app/onboarding", "onboarding form")

    page.get_by_label("Industry").fill("Retail")
    page.get_by_label("Country (ISO code, e.g. DE)").fill("DE")
    page.get_by_label("Payment terms (days)").fill("30")
    page.get_by_label("Requested limit").fill("50000")
    page.get_by_label("Bureau score").fill("620")
    page.get_by_role("button", name="Score applicant").click()
    page.wait_for_load_state()
    journey.shot("applicant scored")

    assert re.fullmatch(r"\d+\.\d\d %", page.get_by_test_id("pd").inner_text())
    assert page.get_by_test_id("grade").inner_text().isdigit()
    assert page.get_by_test_id("reasons").locator("li").count() >= 1
    decision_id = page.get_by_test_id("decision-id").inner_text()
    engine = make_engine(live.database_url)
    with engine.connect() as connection:
        row = connection.execute(
            select(tables.decisions).where(tables.decisions.c.decision_id == decision_id)
        ).one()
    engine.dispose()
    assert row.caller_name == live.users["credit_officer"]


def test_a_wrong_password_keeps_the_user_out(journey, live) -> None:
    page = journey.page
    journey.sign_in(live.users["credit_officer"], "not-the-password")

    assert page.get_by_test_id("sign-in-error").inner_text() == "Wrong username or password."
    journey.visit("/app/customers", "still signed out")
    assert "/app/sign-in" in page.url


def test_an_expired_session_asks_to_sign_in_again(journey, live) -> None:
    page = journey.page
    journey.sign_in(live.users["credit_officer"], PASSWORDS["credit_officer"])
    engine = make_engine(live.database_url)
    codec = SessionCodec(signing_key(engine), 480 * 60)
    engine.dispose()
    stale = codec.dumps_issued_ago(
        Session.signed_in(live.users["credit_officer"], "credit_officer"), 9 * 3600
    )
    page.context.add_cookies([{"name": "arscore_session", "value": stale, "url": live.url}])

    journey.visit("/app/customers", "expired")

    assert "/app/sign-in" in page.url
    assert "Your session has expired" in page.content()


def test_a_form_without_its_csrf_token_changes_nothing(journey, live) -> None:
    page = journey.page
    customer_id, _ = live.customers[12]
    journey.sign_in(live.users["credit_officer"], PASSWORDS["credit_officer"])
    journey.visit(f"/app/customers/{customer_id}", "customer")

    page.evaluate(
        "document.querySelector('[data-testid=set-limit-form] input[name=csrf_token]').remove()"
    )
    form = page.get_by_test_id("set-limit-form")
    form.get_by_label("New limit").fill("1")
    form.get_by_label("Reason").fill("forged request")
    form.get_by_role("button", name="Set limit").click()
    page.wait_for_load_state()
    journey.shot("refused")

    assert "Form refused" in page.content()
    journey.visit(f"/app/customers/{customer_id}", "unchanged")
    assert "forged request" not in page.get_by_test_id("limit-history").inner_text()


def test_sales_opening_an_officer_page_is_refused(journey, live) -> None:
    page = journey.page
    customer_id, _ = live.customers[3]
    journey.sign_in(live.users["sales"], PASSWORDS["sales"])

    response = journey.visit(f"/app/customers/{customer_id}", "officer page")

    assert response.status == 403
    assert "Your role (sales) cannot open this page" in page.content()
    for marker in NO_PD_MARKERS:
        assert marker not in page.content()
