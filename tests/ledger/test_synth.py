"""The synthetic ledger: deterministic, internally consistent, plausible, and carrying the
signal (and only the signal) its ground truth says it does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ledger.frames import Ledger, dtype_of
from ledger.schema import ENTITIES, ORDER_STATUSES
from ledger.synth import SynthConfig, SynthResult, generate, write

END = date(2026, 10, 31)
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def result() -> SynthResult:
    return generate(SynthConfig(customers=3000, months=24, seed=11))


@pytest.fixture(scope="module")
def settled(result: SynthResult) -> pd.DataFrame:
    """Invoices with the date they were paid in full (NaT if not by the ledger end)."""
    inv = result.ledger.invoices
    pay = result.ledger.payments.sort_values(["invoice_id", "payment_date"], kind="stable")
    cumulative = pay.groupby("invoice_id")["amount"].cumsum()
    amount = pay["invoice_id"].map(inv.set_index("invoice_id")["amount"])
    full = pay[cumulative >= amount - 0.005].groupby("invoice_id")["payment_date"].min()
    return inv.assign(paid_full=inv["invoice_id"].map(full).astype("datetime64[ns]"))


@pytest.fixture(scope="module")
def full_window(result: SynthResult) -> pd.DataFrame:
    """Truth rows whose 12-month outcome window ends within the ledger, with the outcome."""
    truth = result.truth
    horizon = truth["month"] + pd.DateOffset(months=12)
    rows = truth[horizon <= pd.Timestamp(END)].copy()
    end = rows["month"] + pd.DateOffset(months=12)
    rows["defaulted"] = (rows["defaulted_on"] > rows["month"]) & (rows["defaulted_on"] <= end)
    return rows


def first_90_dpd_unpaid(settled: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per customer, the first date one of its invoices is 90 days past due and not paid."""
    reach = settled["due_date"] + 90 * DAY
    unpaid_then = settled["paid_full"].isna() | (settled["paid_full"] > reach)
    events = reach[unpaid_then & (reach <= as_of)]
    return events.groupby(settled.loc[events.index, "customer_id"]).min()


# --- determinism and configuration -------------------------------------------------------------


def test_same_seed_gives_identical_ledger_and_truth() -> None:
    config = SynthConfig(customers=300, months=12, seed=5, chunk_customers=120)
    a, b = generate(config), generate(config)
    for name in ("customers", "invoices", "payments", "orders"):
        pd.testing.assert_frame_equal(getattr(a.ledger, name), getattr(b.ledger, name))
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_different_seed_gives_different_ledger() -> None:
    a = generate(SynthConfig(customers=300, months=12, seed=5))
    b = generate(SynthConfig(customers=300, months=12, seed=6))
    assert not a.ledger.invoices["amount"].equals(b.ledger.invoices["amount"])
    assert not a.truth["true_pd_12m"].equals(b.truth["true_pd_12m"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("customers", 0), ("months", 0), ("seed", -1), ("currency", "euro"), ("existing_share", 2.0)],
)
def test_invalid_setting_is_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        SynthConfig(**{field: value})  # type: ignore[arg-type]


def test_ledger_spans_the_configured_months_up_to_end(result: SynthResult) -> None:
    inv = result.ledger.invoices
    assert result.as_of == END
    assert inv["invoice_date"].min() >= pd.Timestamp("2024-11-01")
    assert inv["invoice_date"].max() <= pd.Timestamp(END)
    assert set(result.truth["month"].dt.day) == {1}
    assert result.truth["month"].min() == pd.Timestamp("2024-11-01")
    assert result.truth["month"].max() == pd.Timestamp("2026-10-01")


def test_frames_have_the_canonical_columns_and_dtypes(result: SynthResult) -> None:
    for name, entity in ENTITIES.items():
        frame = getattr(result.ledger, name)
        assert list(frame.columns) == entity.columns
        for column in entity.columns:
            assert str(frame[column].dtype) == dtype_of(entity, column), (name, column)
    assert result.ledger.invoices["paid_date"].isna().all()  # payments are explicit
    assert list(result.truth.columns) == ["customer_id", "month", "true_pd_12m", "defaulted_on"]


# --- consistency -------------------------------------------------------------------------------


def test_ids_are_unique_text_and_every_reference_resolves(result: SynthResult) -> None:
    led = result.ledger
    assert led.customers["customer_id"].str.fullmatch(r"C\d{6}").all()  # leading zeros kept
    for frame, key in (
        (led.customers, "customer_id"),
        (led.invoices, "invoice_id"),
        (led.payments, "payment_id"),
        (led.orders, "order_id"),
    ):
        assert frame[key].is_unique
    customers = set(led.customers["customer_id"])
    assert set(led.invoices["customer_id"]) <= customers
    assert set(led.orders["customer_id"]) <= customers
    assert set(result.truth["customer_id"]) <= customers
    assert set(led.payments["invoice_id"]) <= set(led.invoices["invoice_id"])


def test_dates_follow_each_other_and_stop_at_the_ledger_end(result: SynthResult) -> None:
    led, end = result.ledger, pd.Timestamp(END)
    inv = led.invoices
    onboarded = inv["customer_id"].map(led.customers.set_index("customer_id")["onboarding_date"])
    assert (inv["invoice_date"] >= onboarded).all()
    assert (inv["due_date"] >= inv["invoice_date"]).all()
    pay = led.payments.merge(inv[["invoice_id", "invoice_date"]], on="invoice_id")
    assert (pay["payment_date"] >= pay["invoice_date"]).all()
    assert (pay["payment_date"] <= end).all()
    disputed = inv[inv["disputed"]]
    assert disputed["dispute_date"].notna().all()
    assert inv.loc[~inv["disputed"], "dispute_date"].isna().all()
    assert (disputed["dispute_date"] > disputed["invoice_date"]).all()
    assert (disputed["dispute_date"] <= end).all()
    assert (inv["written_off_date"].dropna() <= end).all()
    assert (led.orders["order_date"] <= end).all()


def test_payments_never_exceed_the_invoice_amount(result: SynthResult) -> None:
    paid = result.ledger.payments.groupby("invoice_id")["amount"].sum()
    amount = result.ledger.invoices.set_index("invoice_id")["amount"].reindex(paid.index)
    assert (paid <= amount + 1e-6).all()
    assert (result.ledger.payments["amount"] > 0).all()


def test_defaulted_on_is_the_first_day_an_invoice_is_90_days_past_due_unpaid(
    result: SynthResult, settled: pd.DataFrame
) -> None:
    recomputed = first_90_dpd_unpaid(settled, pd.Timestamp(END))
    per_customer = result.truth.groupby("customer_id")["defaulted_on"].agg(["first", "nunique"])
    assert (per_customer["nunique"] <= 1).all()
    stated = per_customer["first"].dropna()
    assert len(stated) > 30
    pd.testing.assert_series_equal(
        stated.sort_index(), recomputed.sort_index(), check_names=False, check_freq=False
    )


def test_written_off_invoices_are_unpaid_invoices_of_defaulted_customers(
    result: SynthResult, settled: pd.DataFrame
) -> None:
    written = settled[settled["written_off_date"].notna()]
    assert len(written) > 0
    assert written["paid_full"].isna().all()
    defaulted_on = result.truth.groupby("customer_id")["defaulted_on"].first()
    assert (written["written_off_date"] > written["customer_id"].map(defaulted_on)).all()


def test_truth_rows_run_monthly_from_onboarding_until_default(result: SynthResult) -> None:
    truth = result.truth
    onboarded = truth["customer_id"].map(
        result.ledger.customers.set_index("customer_id")["onboarding_date"]
    )
    assert (truth["month"] >= onboarded).all()
    assert (truth["defaulted_on"].isna() | (truth["month"] < truth["defaulted_on"])).all()
    gaps = truth.groupby("customer_id")["month"].diff().dropna().dt.days
    assert gaps.between(28, 31).all()  # consecutive months, no holes
    first = truth.groupby("customer_id")["month"].min()
    onboarding = result.ledger.customers.set_index("customer_id")["onboarding_date"]
    expected_first = onboarding.reindex(first.index).dt.to_period("M").dt.to_timestamp()
    late_in_month = onboarding.reindex(first.index).dt.day > 1
    expected_first = expected_first.where(~late_in_month, expected_first + pd.DateOffset(months=1))
    expected_first = expected_first.clip(lower=pd.Timestamp("2024-11-01")).astype("datetime64[ns]")
    pd.testing.assert_series_equal(first, expected_first, check_names=False, check_freq=False)
    last = truth.groupby("customer_id").agg(month=("month", "max"), d=("defaulted_on", "first"))
    ended = last["d"].notna()
    assert (last.loc[ended, "month"] + pd.DateOffset(months=1) >= last.loc[ended, "d"]).all()
    assert (last.loc[~ended, "month"] == pd.Timestamp("2026-10-01")).all()


def test_customers_already_in_arrears_towards_default_have_pd_one(
    result: SynthResult,
) -> None:
    # Once the invoice that will default is past due (90 days before defaulted_on), the
    # generator knows the outcome.
    truth = result.truth
    stopped = truth["defaulted_on"].notna() & (truth["month"] > truth["defaulted_on"] - 90 * DAY)
    assert stopped.sum() > 0
    assert (truth.loc[stopped, "true_pd_12m"] == 1.0).all()
    assert truth["true_pd_12m"].between(0.0, 1.0).all()


# --- plausibility ------------------------------------------------------------------------------


def test_annual_default_rate_is_plausible(full_window: pd.DataFrame) -> None:
    assert 0.01 <= full_window["defaulted"].mean() <= 0.05


def test_share_of_invoices_paid_after_due_is_plausible(settled: pd.DataFrame) -> None:
    paid = settled[settled["paid_full"].notna()]
    late = (paid["paid_full"] > paid["due_date"]).mean()
    assert 0.25 <= late <= 0.45


def test_disputes_partial_payments_and_limit_breaches_occur(
    result: SynthResult, settled: pd.DataFrame
) -> None:
    inv = result.ledger.invoices
    assert 0.01 <= inv["disputed"].mean() <= 0.06
    instalments = result.ledger.payments.groupby("invoice_id").size()
    assert 0.03 <= (instalments > 1).sum() / len(inv) <= 0.12
    # Open balance at the ledger end above the credit limit.
    end = pd.Timestamp(END)
    open_inv = settled[settled["paid_full"].isna() & settled["written_off_date"].isna()]
    paid_part = result.ledger.payments.groupby("invoice_id")["amount"].sum()
    balance = open_inv["amount"] - open_inv["invoice_id"].map(paid_part).fillna(0.0)
    exposure = balance.groupby(open_inv["customer_id"]).sum()
    limits = result.ledger.customers.set_index("customer_id")["credit_limit"]
    over = exposure > limits.reindex(exposure.index)
    assert over.sum() >= 0.02 * len(limits)
    assert inv["invoice_date"].max() <= end


def test_payment_terms_are_the_common_ones(result: SynthResult) -> None:
    inv = result.ledger.invoices
    terms = (inv["due_date"] - inv["invoice_date"]).dt.days.value_counts(normalize=True)
    assert terms[[30, 45, 60]].sum() > 0.9
    assert terms.drop([30, 45, 60]).sum() > 0.005  # and the odd non-standard invoice
    assert set(result.ledger.customers["payment_terms_days"].unique()) == {30, 45, 60}


def test_invoicing_dips_in_august_and_peaks_towards_year_end(result: SynthResult) -> None:
    inv = result.ledger.invoices
    month = inv["invoice_date"].dt.to_period("M")
    onboarded = result.ledger.customers["onboarding_date"].dt.to_period("M")
    periods = pd.period_range("2024-11", "2026-10", freq="M")
    active = pd.Series([(onboarded <= p).sum() for p in periods], index=periods)
    per_customer = month.value_counts().reindex(periods) / active
    by_calendar = per_customer.groupby(per_customer.index.month).mean()
    assert by_calendar[8] < 0.85 * (by_calendar[7] + by_calendar[9]) / 2
    assert by_calendar[[10, 11, 12]].mean() > by_calendar[[1, 2, 4, 5, 6, 7]].mean()


def test_orders_cover_the_last_90_days(result: SynthResult) -> None:
    orders = result.ledger.orders
    end = pd.Timestamp(END)
    assert set(orders["status"]) == set(ORDER_STATUSES)
    assert (orders["order_date"] > end - 90 * DAY).all()
    open_orders = orders[orders["status"] == "open"]
    assert (open_orders["order_date"] > end - 30 * DAY).all()
    # No open orders for customers whose supply was stopped (defaulted well before the end).
    truth = result.truth.groupby("customer_id")["defaulted_on"].first()
    long_defaulted = truth[truth <= end - 60 * DAY].index
    assert not open_orders["customer_id"].isin(long_defaulted).any()


# --- signal ------------------------------------------------------------------------------------


def test_truth_pd_ranks_realised_defaults_well(full_window: pd.DataFrame) -> None:
    assert roc_auc_score(full_window["defaulted"], full_window["true_pd_12m"]) > 0.8


def test_truth_pd_is_calibrated_on_average(full_window: pd.DataFrame) -> None:
    still_paying = full_window[full_window["true_pd_12m"] < 1.0]
    ratio = still_paying["defaulted"].mean() / still_paying["true_pd_12m"].mean()
    assert 0.7 < ratio < 1.4


def test_days_late_rise_in_the_months_before_a_default(
    result: SynthResult, settled: pd.DataFrame
) -> None:
    defaulted_on = result.truth.groupby("customer_id")["defaulted_on"].first().dropna()
    paid = settled[settled["paid_full"].notna() & ~settled["disputed"]]
    paid = paid[paid["customer_id"].isin(defaulted_on.index)]
    before = (paid["customer_id"].map(defaulted_on) - paid["due_date"]).dt.days
    days_late = (paid["paid_full"] - paid["due_date"]).dt.days
    recent = days_late[before.between(90, 180)].mean()  # due 3-6 months before default
    earlier = days_late[before.between(270, 450)].mean()  # due 9-15 months before
    assert recent > earlier + 5


def test_onboarding_profile_carries_signal(result: SynthResult, full_window: pd.DataFrame) -> None:
    bureau = full_window["customer_id"].map(
        result.ledger.customers.set_index("customer_id")["bureau_score"]
    )
    known = bureau.notna()
    assert roc_auc_score(full_window.loc[known, "defaulted"], -bureau[known]) > 0.6


# --- files -------------------------------------------------------------------------------------


def read_back(paths: dict[str, Path], fmt: str) -> tuple[Ledger, pd.DataFrame]:
    frames = {}
    for name in ("customers", "invoices", "payments", "orders"):
        entity = ENTITIES[name]
        if fmt == "csv":
            text = {f.name: "str" for f in entity.fields if dtype_of(entity, f.name) == "str"}
            frames[name] = pd.read_csv(paths[name], dtype=text)
        else:
            frames[name] = pd.read_parquet(paths[name])
    truth = pd.read_csv(
        paths["truth"], dtype={"customer_id": "str"}, parse_dates=["month", "defaulted_on"]
    )
    truth = truth.astype({"month": "datetime64[ns]", "defaulted_on": "datetime64[ns]"})
    return Ledger.from_frames(**frames), truth


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_files_read_back_to_the_same_ledger(tmp_path: Path, fmt: str) -> None:
    result = generate(SynthConfig(customers=400, months=13, seed=3))
    paths = write(result, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    assert {p.name for p in paths.values()} == {
        f"customers.{fmt}",
        f"invoices.{fmt}",
        f"payments.{fmt}",
        f"orders.{fmt}",
        "truth.csv",
    }
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in paths.values()
    )
    ledger, truth = read_back(paths, fmt)
    for name in ("customers", "invoices", "payments", "orders"):
        pd.testing.assert_frame_equal(getattr(ledger, name), getattr(result.ledger, name))
    pd.testing.assert_frame_equal(truth, result.truth)


def test_csv_has_plain_dates_text_ids_and_no_paid_date(tmp_path: Path) -> None:
    result = generate(SynthConfig(customers=50, months=3, seed=1))
    paths = write(result, tmp_path, fmt="csv")
    header, first = paths["invoices"].read_text().splitlines()[:2]
    assert "paid_date" not in header
    assert "index" not in header.lower()
    assert first.split(",")[0].strip('"').startswith("INV0")
    assert any(len(v) == 10 and v[4] == "-" for v in first.split(","))  # YYYY-MM-DD


def test_writing_into_a_file_path_fails_clearly_and_writes_nothing(tmp_path: Path) -> None:
    result = generate(SynthConfig(customers=20, months=2, seed=1))
    blocker = tmp_path / "ledger"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="not a folder"):
        write(result, blocker)
    with pytest.raises(ValueError, match="format"):
        write(result, tmp_path / "x", fmt="xlsx")  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger"]
