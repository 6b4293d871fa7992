"""The web pages' rules in-process (the trained service's app through TestClient): sign-in,
sessions, CSRF, throttling, roles, and the pages' decisions audited like their API twins."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ledger import tables
from serving.users import UserError, create_user, disable_user, list_users, verify_user
from serving.web.guard import codec
from serving.web.session import COOKIE, Session

from .pages import PASSWORDS, csrf_of, make_users, sign_in

PD_MARKERS = ('data-testid="pd"', 'data-testid="grade"', 'data-testid="reasons"', "PD ")


@pytest.fixture(scope="module")
def users(server) -> dict[str, str]:
    return make_users(server.state.engine, prefix="ip-")


def new_browser(server) -> TestClient:
    """A client with its own cookie jar, like one browser, on the session's app (its lifespan
    already ran: the models are loaded)."""
    return TestClient(server.app.app)


@pytest.fixture
def browser(server) -> Iterator[TestClient]:
    return new_browser(server)


def signed_in_as(server, users, role: str) -> TestClient:
    client = new_browser(server)
    response = sign_in(client, users[role], PASSWORDS[role])
    assert response.status_code == 303, response.text
    return client


def customer_of(server, n: int = 3) -> str:
    with server.state.engine.connect() as connection:
        ids = connection.execute(
            select(tables.customers.c.customer_id).order_by(tables.customers.c.customer_id)
        ).scalars()
        return list(ids)[n]


def test_the_root_and_every_page_lead_to_the_sign_in(browser: TestClient) -> None:
    assert browser.get("/", follow_redirects=False).headers["location"] == "/app/sign-in"
    response = browser.get("/app/customers?q=abc", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/sign-in?next=/app/customers")
    form = browser.get("/app/sign-in").text
    assert '<label for="username">Username</label>' in form
    assert '<label for="password">Password</label>' in form
    assert ">Sign in</button>" in form


def test_signing_in_sets_an_httponly_samesite_cookie_and_lands_by_role(server, users) -> None:
    officer = sign_in(new_browser(server), users["credit_officer"], PASSWORDS["credit_officer"])
    sales = sign_in(new_browser(server), users["sales"], PASSWORDS["sales"])

    cookie = officer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=28800" in cookie
    assert officer.headers["location"] == "/app/customers"
    assert sales.headers["location"] == "/app/limit-check"


def test_a_wrong_password_is_refused_with_the_same_answer_as_an_unknown_user(server, users) -> None:
    client = new_browser(server)
    wrong = sign_in(client, users["credit_officer"], "not-the-password")
    unknown = sign_in(client, "nobody-at-all", "not-the-password")
    after = client.get("/app/customers", follow_redirects=False)

    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert "Wrong username or password." in unknown.text
    assert after.status_code == 303  # still not signed in


def _events_of(server, name: str) -> list[tuple[str, str]]:
    e = tables.sign_in_events
    with server.state.engine.connect() as connection:
        rows = connection.execute(
            select(e.c.outcome, e.c.address).where(e.c.user_name == name).order_by(e.c.event_id)
        )
        return [(row.outcome, row.address) for row in rows]


def test_sign_ins_failures_and_sign_outs_are_recorded_with_name_and_address(server) -> None:
    with server.state.engine.begin() as connection:
        create_user(connection, "recorded-user", "credit_officer", "right-password-1")
    client = new_browser(server)
    wrong = sign_in(client, "recorded-user", "wrong-password-1")
    unknown = sign_in(client, "no-such-user-here", "wrong-password-1")
    right = sign_in(client, "recorded-user", "right-password-1")
    page = client.get("/app/customers")
    out = client.post(
        "/app/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )

    assert (wrong.status_code, unknown.status_code, right.status_code) == (401, 401, 303)
    assert out.status_code == 303
    client_address = "testclient"  # what Starlette's TestClient reports as the peer
    assert _events_of(server, "recorded-user") == [
        ("wrong_password", client_address),
        ("signed_in", client_address),
        ("signed_out", client_address),
    ]
    assert _events_of(server, "no-such-user-here") == [("wrong_password", client_address)]
    with server.state.engine.connect() as connection:
        listed = {row["name"]: row for row in list_users(connection)}
    assert listed["recorded-user"]["last_sign_in"] is not None


def test_sign_ins_are_throttled_per_user_name(server) -> None:
    with server.state.engine.begin() as connection:
        create_user(connection, "throttled-user", "sales", "right-password-1")
    client = new_browser(server)
    answers = [
        sign_in(client, "throttled-user", f"wrong-password-{n}").status_code for n in range(5)
    ]
    blocked = sign_in(client, "throttled-user", "right-password-1")

    assert answers == [401] * 5
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in blocked.text
    # The five failures are recorded; the refused attempt is not (a flood writes nothing).
    assert [outcome for outcome, _ in _events_of(server, "throttled-user")] == [
        "wrong_password"
    ] * 5


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(server, users) -> None:
    customer = customer_of(server)
    client = signed_in_as(server, users, "credit_officer")
    with server.state.engine.connect() as connection:
        before = connection.execute(select(tables.credit_limit_changes)).all()

    missing = client.post(
        f"/app/customers/{customer}/credit-limit", data={"amount": "1", "reason": "no token"}
    )
    wrong = client.post(
        f"/app/customers/{customer}/credit-limit",
        data={"amount": "1", "reason": "wrong token", "csrf_token": "x" * 43},
    )
    no_sign_in_token = new_browser(server).post(
        "/app/sign-in", data={"username": users["sales"], "password": PASSWORDS["sales"]}
    )

    assert missing.status_code == wrong.status_code == no_sign_in_token.status_code == 403
    assert "Nothing was changed" in missing.text
    with server.state.engine.connect() as connection:
        assert connection.execute(select(tables.credit_limit_changes)).all() == before


def test_an_expired_session_leads_to_the_sign_in_saying_so(server, users) -> None:
    client = new_browser(server)
    old = codec_for(server).dumps_issued_ago(
        Session.signed_in(users["credit_officer"], "credit_officer"), 9 * 3600
    )
    client.cookies.set(COOKIE, old)

    response = client.get("/app/customers", follow_redirects=False)
    form = client.get(response.headers["location"])

    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]
    assert "Your session has expired" in form.text


def codec_for(server):
    class _App:
        state = server.app.app.state

    class _Request:
        app = _App

    return codec(_Request)  # type: ignore[arg-type]


def test_a_disabled_user_is_signed_out_at_the_next_page(server) -> None:
    with server.state.engine.begin() as connection:
        create_user(connection, "leaving-user", "credit_officer", "leaving-password")
    client = new_browser(server)
    assert sign_in(client, "leaving-user", "leaving-password").status_code == 303
    assert client.get("/app/onboarding").status_code == 200

    with server.state.engine.begin() as connection:
        disable_user(connection, "leaving-user")

    assert client.get("/app/onboarding", follow_redirects=False).status_code == 303
    assert sign_in(client, "leaving-user", "leaving-password").status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/app/customers", "/app/customers/{customer}", "/app/onboarding", "/app/portfolio",
     "/app/portfolio/worklist.csv", "/app/models"],
)  # fmt: skip
def test_sales_may_not_open_an_officer_page(server, users, path: str) -> None:
    client = signed_in_as(server, users, "sales")

    response = client.get(path.format(customer=customer_of(server)))

    assert response.status_code == 403
    assert "Your role (sales) cannot open this page" in response.text


def test_officers_may_not_open_the_models_page(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")

    assert client.get("/app/models").status_code == 403


def test_a_sales_limit_check_shows_no_pd_score_grade_or_model_reason(server, users) -> None:
    client = signed_in_as(server, users, "sales")
    customer = customer_of(server)
    form = client.get("/app/limit-check")

    answer = client.post(
        "/app/limit-check",
        data={"customer": customer, "amount": "40,000", "csrf_token": csrf_of(form.text)},
    )

    assert answer.status_code == 200
    assert re.search(r'data-testid="limit-decision">(approve|refer|decline)<', answer.text)
    assert 'data-testid="available-credit"' in answer.text
    for page in (form.text, answer.text):
        for marker in PD_MARKERS:
            assert marker not in page
        assert "Customers</a>" not in page
        assert "Portfolio</a>" not in page


def test_a_page_decision_is_audited_with_the_user_name(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")
    customer = customer_of(server, 7)

    page = client.get(f"/app/customers/{customer}")
    saved = client.post(
        f"/app/customers/{customer}/credit-limit",
        data={"amount": "12,345", "reason": "committee of 7 Dec", "csrf_token": csrf_of(page.text)},
    )

    assert page.status_code == 200
    assert 'data-testid="pd"' in page.text
    assert saved.status_code == 200  # after the redirect: the customer page again
    assert "committee of 7 Dec" in saved.text
    assert "12,345 EUR" in saved.text
    d = tables.decisions
    with server.state.engine.connect() as connection:
        rows = connection.execute(
            select(d.c.endpoint, d.c.caller_role)
            .where(d.c.caller_name == users["credit_officer"], d.c.customer_id == customer)
            .order_by(d.c.created_at)
        ).all()
        # The session's server is shared: other tests may change this customer's limit too.
        change = connection.execute(
            select(tables.credit_limit_changes).where(
                tables.credit_limit_changes.c.customer_id == customer,
                tables.credit_limit_changes.c.reason == "committee of 7 Dec",
            )
        ).one()
    endpoints = [r.endpoint for r in rows]
    assert "POST /v1/scores" in endpoints
    assert "PUT /v1/customers/{customer_id}/credit-limit" in endpoints
    assert change.changed_by == users["credit_officer"]
    assert change.new_amount == 12345.0


def test_a_bad_limit_is_shown_on_the_form_and_not_saved(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")
    customer = customer_of(server, 8)
    page = client.get(f"/app/customers/{customer}")

    response = client.post(
        f"/app/customers/{customer}/credit-limit",
        data={"amount": "-5", "reason": "x", "csrf_token": csrf_of(page.text)},
    )

    assert response.status_code == 422
    assert "field-error" in response.text
    with server.state.engine.connect() as connection:
        assert not connection.execute(
            select(tables.credit_limit_changes).where(
                tables.credit_limit_changes.c.customer_id == customer
            )
        ).all()


def test_an_applicant_scored_on_the_page_is_kept_as_a_decision(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")
    form = client.get("/app/onboarding")

    response = client.post(
        "/app/onboarding",
        data={
            "industry": "Retail",
            "country": "de",
            "payment_terms_days": "30",
            "requested_limit": "50,000",
            "bureau_score": "620",
            "csrf_token": csrf_of(form.text),
        },
    )

    assert response.status_code == 200
    decision = re.search(r'data-testid="decision-id">([^<]+)<', response.text)
    assert decision is not None
    with server.state.engine.connect() as connection:
        row = connection.execute(
            select(tables.decisions).where(tables.decisions.c.decision_id == decision.group(1))
        ).one()
    assert row.caller_name == users["credit_officer"]
    assert row.endpoint == "POST /v1/onboarding/scores"


def test_the_worklist_downloads_as_csv_with_its_filters(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")

    everything = client.get("/app/portfolio/worklist.csv")
    overdue = client.get("/app/portfolio/worklist.csv?min_days_overdue=30")

    assert everything.headers["content-type"].startswith("text/csv")
    assert "attachment" in everything.headers["content-disposition"]
    rows = overdue.text.strip().splitlines()
    header = rows[0].split(",")
    days = header.index("days_overdue")
    assert all(int(r.split(",")[days]) >= 30 for r in rows[1:] if '"' not in r)
    assert len(rows) < len(everything.text.strip().splitlines())


def test_users_are_created_listed_and_disabled(sqlite_engine) -> None:
    with sqlite_engine.begin() as connection:
        create_user(connection, "olga", "credit_officer", "long-enough-pw")
        with pytest.raises(UserError, match="exists already"):
            create_user(connection, "olga", "sales", "long-enough-pw")
        with pytest.raises(UserError, match="at least 10"):
            create_user(connection, "sam", "sales", "short")
        with pytest.raises(UserError, match="role must be one of"):
            create_user(connection, "sam", "boss", "long-enough-pw")
        stored = connection.execute(select(tables.users.c.password_hash)).scalar_one()
        assert stored.startswith("$argon2id$")
        assert "long-enough-pw" not in stored
        assert verify_user(connection, "olga", "long-enough-pw") is not None
        assert verify_user(connection, "olga", "long-enough-px") is None
        disable_user(connection, "olga")
        assert verify_user(connection, "olga", "long-enough-pw") is None
        assert list_users(connection)[0]["disabled_at"] is not None


def test_the_user_commands(tmp_path, monkeypatch) -> None:
    from arscore.cli import app

    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path / "home"))
    for name in ("ARSCORE_DATABASE_URL", "ARSCORE_MLFLOW_TRACKING_URI", "ARSCORE_POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    created = runner.invoke(
        app, ["user", "create", "olga", "--role", "sales", "--password-stdin"],
        input="a-good-password\n",
    )  # fmt: skip
    short = runner.invoke(
        app, ["user", "create", "sam", "--role", "sales", "--password-stdin"], input="short\n"
    )
    listed = runner.invoke(app, ["user", "list"])
    disabled = runner.invoke(app, ["user", "disable", "olga"])
    again = runner.invoke(app, ["user", "disable", "olga"])

    assert created.exit_code == 0, created.output
    assert short.exit_code == 2
    assert "at least 10" in short.output
    assert "olga" in listed.output
    assert "sales" in listed.output
    assert "last sign-in" in listed.output
    assert disabled.exit_code == 0
    assert again.exit_code == 2
    assert "no active user" in again.output


def test_risk_admins_see_champions_versions_metrics_and_calibration(server, users) -> None:
    client = signed_in_as(server, users, "risk_admin")

    response = client.get("/app/models")

    assert response.status_code == 200
    for name in ("arscore-default-pd", "arscore-late-payment", "arscore-onboarding-pd"):
        assert name in response.text
    assert response.text.count('data-testid="champion"') == len(server.state.store.current.loaded)
    assert 'data-testid="calibration"' in response.text
    assert "test_auc" in response.text or "auc" in response.text


def test_the_portfolio_page_shows_aging_grades_worklist_and_dso(server, users) -> None:
    client = signed_in_as(server, users, "credit_officer")

    response = client.get("/app/portfolio?min_days_overdue=1")

    assert response.status_code == 200
    for hook in ("portfolio-aging", "dso-chart", "grade-distribution", "worklist"):
        assert f'data-testid="{hook}"' in response.text
    assert "EUR" in response.text
