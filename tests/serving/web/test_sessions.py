"""Session cookies and sign-in throttling, on their own."""

from __future__ import annotations

import pytest

from serving.web.session import Session, SessionCodec
from serving.web.throttle import SignInThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_cookie_round_trips() -> None:
    codec = SessionCodec("k" * 40, 3600)
    session = Session.signed_in("olga", "credit_officer")

    assert codec.loads(codec.dumps(session)) == (session, False)


def test_a_changed_cookie_or_another_key_is_refused() -> None:
    codec = SessionCodec("k" * 40, 3600)
    value = codec.dumps(Session.signed_in("olga", "credit_officer"))
    forged = SessionCodec("x" * 40, 3600).dumps(Session.signed_in("olga", "risk_admin"))

    assert codec.loads(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) == (None, False)
    assert codec.loads(forged) == (None, False)
    assert codec.loads("not a cookie") == (None, False)


def test_a_session_older_than_its_lifetime_is_expired() -> None:
    codec = SessionCodec("k" * 40, 3600)
    old = codec.dumps_issued_ago(Session.signed_in("olga", "credit_officer"), 3700)
    anonymous = codec.dumps_issued_ago(Session.anonymous(), 3700)
    fresh = codec.dumps_issued_ago(Session.signed_in("olga", "credit_officer"), 3500)

    assert codec.loads(old) == (None, True)
    assert codec.loads(anonymous) == (None, False)  # nothing to tell: just a new form
    assert codec.loads(fresh)[0] is not None


def test_sign_ins_are_refused_after_the_limit_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = SignInThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("user:olga") == 0
        throttle.failed("user:olga")

    assert throttle.retry_after("user:olga") == pytest.approx(60)
    assert throttle.retry_after("user:sam") == 0
    clock.now += 59
    assert throttle.retry_after("user:olga") == pytest.approx(1)
    clock.now += 1
    assert throttle.retry_after("user:olga") == 0


def test_a_success_clears_the_failures_of_that_name() -> None:
    throttle = SignInThrottle(max_failures=2, window_seconds=60, clock=FakeClock())
    throttle.failed("user:olga")
    throttle.succeeded("user:olga")
    throttle.failed("user:olga")

    assert throttle.retry_after("user:olga") == 0


def test_the_throttle_keeps_at_most_max_keys() -> None:
    throttle = SignInThrottle(max_failures=2, window_seconds=60, max_keys=100, clock=FakeClock())
    for n in range(10_000):
        throttle.failed(f"ip:10.0.{n // 256}.{n % 256}")

    assert len(throttle) == 100
    throttle.failed("ip:1.2.3.4")
    throttle.failed("ip:1.2.3.4")
    assert throttle.retry_after("ip:1.2.3.4") > 0  # the newest is kept, the oldest dropped
