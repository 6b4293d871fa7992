"""Splits: out of time when there are dates, stratified folds when there are none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.errors import InsufficientDataError, InvalidInputError
from training.split import (
    out_of_time_split,
    random_folds,
    stratified_folds,
    validate_on_unseen_groups,
    window_months,
)


def _dates(days: list[int]) -> pd.Series:
    return pd.Series(pd.Timestamp("2024-12-31") - pd.to_timedelta(days, unit="D"), name="date")


def test_test_window_is_the_latest_months_and_validation_just_before() -> None:
    days_before_end = np.arange(0, 730, 5)
    times = _dates(days_before_end.tolist())
    y = (np.arange(len(times)) % 4 == 0).astype(float)
    split = out_of_time_split(times, y, oot_months=6, valid_months=3)
    assert split.test_start == pd.Timestamp("2024-06-30")
    # A month end stays a month end: three months before 30 June is 31 March.
    assert split.valid_start == pd.Timestamp("2024-03-31")
    assert times[split.test].min() > split.test_start
    assert times[split.valid].max() <= split.test_start < times[split.test].min()
    assert times[split.train].max() <= split.valid_start < times[split.valid].min()
    assert len(split.train) + len(split.valid) + len(split.test) == len(times)


def test_window_without_events_cannot_be_tested() -> None:
    times = _dates(list(range(0, 720, 3)))
    y = np.zeros(len(times))
    y[times < pd.Timestamp("2024-06-01")] = (
        np.arange((times < pd.Timestamp("2024-06-01")).sum()) % 2
    )
    with pytest.raises(InsufficientDataError, match=r"the test window \(\d+ rows, 0 events\)"):
        out_of_time_split(times, y, oot_months=6, valid_months=3)


def test_rows_without_a_date_are_named() -> None:
    times = _dates([0, 10, 20])
    times[1] = pd.NaT
    with pytest.raises(InvalidInputError, match=r"empty in 1 rows \(first: 1\)"):
        out_of_time_split(times, np.array([0.0, 1.0, 0.0]), 1, 1)


def test_every_row_is_tested_once_per_repeat() -> None:
    y = (np.arange(500) % 5 == 0).astype(float)
    folds = stratified_folds(y, folds=5, repeats=2, valid_share=0.2, seed=3)
    assert len(folds) == 10
    for repeat in (0, 1):
        tested = np.concatenate([f.test for f in folds if f.repeat == repeat])
        assert sorted(tested.tolist()) == list(range(500))
    for fold in folds:
        assert not set(fold.fit) & set(fold.valid)
        assert not (set(fold.fit) | set(fold.valid)) & set(fold.test)
        assert y[fold.test].mean() == pytest.approx(0.2)
        assert y[fold.valid].mean() == pytest.approx(0.2, abs=0.02)


def test_folds_are_reproducible_and_depend_on_the_seed() -> None:
    y = (np.arange(300) % 3 == 0).astype(float)
    first = stratified_folds(y, 3, 1, 0.2, seed=1)
    again = stratified_folds(y, 3, 1, 0.2, seed=1)
    other = stratified_folds(y, 3, 1, 0.2, seed=2)
    assert all((a.test == b.test).all() for a, b in zip(first, again, strict=True))
    assert any((a.test != b.test).any() for a, b in zip(first, other, strict=True))


def test_too_few_events_for_the_folds() -> None:
    y = np.zeros(100)
    y[:3] = 1
    with pytest.raises(InsufficientDataError, match="3 rows in the rarer outcome cannot fill 5"):
        stratified_folds(y, 5, 1, 0.2, seed=0)


def test_random_folds_cover_every_row() -> None:
    folds = random_folds(120, folds=4, repeats=1, valid_share=0.25, seed=0)
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(120))


def test_held_out_customers_are_tested_but_never_fitted_or_validated() -> None:
    dates = pd.Series(pd.date_range("2023-01-31", periods=30, freq="ME").repeat(200))
    customers = pd.Series(np.tile([f"C{i:04d}" for i in range(200)], 30))
    y = np.random.default_rng(1).integers(0, 2, len(dates)).astype(float)
    split = out_of_time_split(dates, y, 6, 6, groups=customers, holdout_share=0.3, seed=7)
    tested = set(customers.iloc[split.test])
    seen = set(customers.iloc[np.concatenate([split.train, split.valid])])
    assert tested.isdisjoint(seen)
    assert 0.2 < len(tested) / 200 < 0.4
    assert "30% of customers never fitted on" in split.describe()
    again = out_of_time_split(dates, y, 6, 6, groups=customers, holdout_share=0.3, seed=7)
    assert np.array_equal(split.test, again.test)  # same seed, same customers held out


def _customer_months(customers: int = 200, months: int = 30, seed: int = 1):
    dates = pd.Series(pd.date_range("2023-01-31", periods=months, freq="ME").repeat(customers))
    names = pd.Series(np.tile([f"C{i:04d}" for i in range(customers)], months))
    y = np.random.default_rng(seed).integers(0, 2, len(dates)).astype(float)
    return dates, names, y


def test_validation_customers_are_never_fitted_and_the_test_rows_stay() -> None:
    dates, customers, y = _customer_months()
    split = out_of_time_split(dates, y, 6, 6, groups=customers, holdout_share=0.3, seed=7)
    unseen = validate_on_unseen_groups(split, y, customers, 0.2, seed=7)
    fitted = set(customers.iloc[unseen.train])
    validating = set(customers.iloc[unseen.valid])
    assert fitted.isdisjoint(validating)
    assert validating <= set(customers.iloc[split.valid])
    assert 0.1 < len(validating) / len(set(customers.iloc[split.valid])) < 0.3
    # The rest of the validation window's customers are fitted on their earlier rows.
    assert fitted == set(customers.iloc[split.train]) - validating
    assert np.array_equal(unseen.test, split.test)
    assert "validated on 20% of the validation window's customers" in unseen.describe()
    again = validate_on_unseen_groups(split, y, customers, 0.2, seed=7)
    assert np.array_equal(unseen.valid, again.valid)


def test_validation_customers_do_not_depend_on_row_order() -> None:
    dates, customers, y = _customer_months()
    order = np.random.default_rng(3).permutation(len(dates))
    split = out_of_time_split(dates, y, 6, 6, groups=customers)
    shuffled_dates = dates.iloc[order].reset_index(drop=True)
    shuffled_customers = customers.iloc[order].reset_index(drop=True)
    shuffled = out_of_time_split(shuffled_dates, y[order], 6, 6, groups=shuffled_customers)
    first = validate_on_unseen_groups(split, y, customers, 0.2, seed=1)
    second = validate_on_unseen_groups(shuffled, y[order], shuffled_customers, 0.2, seed=1)
    assert set(customers.iloc[first.valid]) == set(shuffled_customers.iloc[second.valid])


def test_zero_share_validates_on_every_customer() -> None:
    dates, customers, y = _customer_months()
    split = out_of_time_split(dates, y, 6, 6, groups=customers, holdout_share=0.3, seed=7)
    assert validate_on_unseen_groups(split, y, customers, 0.0, seed=7) is split


def test_validation_customers_without_both_outcomes_keep_the_whole_window() -> None:
    dates, customers, _ = _customer_months(customers=20)
    y = np.zeros(len(dates))
    y[customers.to_numpy() == "C0000"] = 1.0  # one customer holds every event
    split = out_of_time_split(dates, y, 6, 6, groups=customers)
    # Drawn, C0000 leaves the fit rows without an event; not drawn, the validation rows have
    # none. Either way the validation window stays as it was.
    for seed in range(5):
        unseen = validate_on_unseen_groups(split, y, customers, 0.2, seed=seed)
        assert unseen is split
        assert "validated on" not in unseen.describe()


def test_windows_keep_the_policy_while_they_leave_months_to_fit() -> None:
    assert window_months(19, 6, 6, 3, 3, 3) == (6, 6)
    assert window_months(15, 6, 6, 3, 3, 3) == (6, 6)


def test_windows_shrink_with_a_short_history_validation_first_down_to_the_floors() -> None:
    assert window_months(14, 6, 6, 3, 3, 3) == (6, 5)
    assert window_months(12, 6, 6, 3, 3, 3) == (5, 4)
    assert window_months(9, 6, 6, 3, 3, 3) == (3, 3)


def test_too_short_for_a_validation_window_validates_on_customers() -> None:
    # 6 snapshot months: 3 test + 3 validation would leave nothing to fit on.
    assert window_months(6, 6, 6, 3, 3, 3) == (3, 0)
    assert window_months(4, 6, 6, 3, 3, 3) == (3, 0)


def _short_panel(months: int, customers: int = 400) -> tuple[pd.Series, np.ndarray, pd.Series]:
    ends = pd.date_range("2024-01-31", periods=months, freq="ME")
    dates = pd.Series(np.repeat(ends, customers), name="as_of")
    ids = pd.Series(np.tile([f"C{i:03d}" for i in range(customers)], months), name="customer_id")
    y = (np.random.default_rng(0).random(len(dates)) < 0.1).astype(float)
    return dates, y, ids


def test_short_history_tests_the_last_months_and_validates_on_unseen_customers() -> None:
    dates, y, ids = _short_panel(4)
    split = out_of_time_split(
        dates, y, 6, 6, groups=ids, holdout_share=0.3, seed=5,
        min_oot_months=3, min_valid_months=3, min_fit_months=3,
    )  # fmt: skip
    assert split.valid_by_customers
    assert len(split.valid) == 0
    assert sorted(dates[split.test].unique()) == list(
        pd.date_range("2024-02-29", periods=3, freq="ME")
    )
    assert set(dates[split.train]) == {pd.Timestamp("2024-01-31")}
    boosted = validate_on_unseen_groups(split, y, ids, 0.2, seed=5)
    assert len(boosted.valid) > 0
    assert not set(ids[boosted.valid]) & set(ids[boosted.train])
    assert not set(ids[split.test]) & (set(ids[boosted.train]) | set(ids[boosted.valid]))
    assert "validated on 20% of the fit window's customers" in boosted.describe()


def test_short_history_validates_on_a_stratified_draw_of_customers() -> None:
    # 400 customers, 17 of the fit month's customers defaulters: 20% of them (3) validate
    # whatever the seed; the unstratified draw gave 1 to 8 of the 17 over these seeds.
    dates, _, ids = _short_panel(4)
    defaulters = {f"C{i:03d}" for i in range(0, 400, 400 // 30)}
    y = ids.isin(defaulters).to_numpy().astype(float)
    split = out_of_time_split(
        dates, y, 6, 6, groups=ids, holdout_share=0.3, seed=5,
        min_oot_months=3, min_valid_months=3, min_fit_months=3,
    )  # fmt: skip
    fit_ids = set(ids[split.train])
    with_event, without = len(fit_ids & defaulters), len(fit_ids - defaulters)
    for seed in range(10):
        boosted = validate_on_unseen_groups(split, y, ids, 0.2, seed=seed)
        validating = set(ids[boosted.valid])
        assert len(validating & defaulters) == round(0.2 * with_event)
        assert len(validating - defaulters) == round(0.2 * without)
        assert not validating & set(ids[boosted.train])


def test_short_history_without_customer_ids_cannot_be_validated() -> None:
    dates, y, _ = _short_panel(4)
    with pytest.raises(InsufficientDataError, match="no customer ids"):
        out_of_time_split(dates, y, 6, 6, min_oot_months=3, min_valid_months=3, min_fit_months=3)


def test_month_end_windows_hold_whole_months() -> None:
    # Three months before 30 April is 31 January: January's snapshot is fitted, not tested.
    dates, y, ids = _short_panel(4)
    split = out_of_time_split(dates, y, 3, 1, groups=ids, min_oot_months=3, min_valid_months=1)
    assert split.test_start == pd.Timestamp("2024-01-31")
    assert dates[split.test].nunique() == 3


def test_unseen_validation_customers_with_too_few_events_validate_on_everyone() -> None:
    dates, customers, y = _customer_months()
    split = out_of_time_split(dates, y, 6, 6, groups=customers, holdout_share=0.3, seed=7)
    unseen = validate_on_unseen_groups(split, y, customers, 0.2, seed=7)
    events = int(y[unseen.valid].sum())
    assert events >= 2
    kept = validate_on_unseen_groups(split, y, customers, 0.2, seed=7, min_events=events)
    assert np.array_equal(kept.valid, unseen.valid)
    # One event short: a small book's unseen customers cannot validate, every customer does.
    fallback = validate_on_unseen_groups(split, y, customers, 0.2, seed=7, min_events=events + 1)
    assert np.array_equal(fallback.valid, split.valid)
    assert np.array_equal(fallback.train, split.train)
    assert np.array_equal(fallback.test, split.test)
