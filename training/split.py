"""How rows are split for fitting, early stopping, calibration and testing.

With dates, the split is out of time: the model is tested on the latest months, validated on the
months just before and fitted on everything earlier, which is how it will be used; with customer
ids, test and validation customers can be kept out of fitting entirely. Without dates it falls
back to stratified cross-validation, with a stratified hold-out inside each training fold for
early stopping and calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from models.errors import InsufficientDataError, InvalidInputError
from training.policy import TrainingPolicy

Indices = NDArray[np.int64]


@dataclass(frozen=True)
class TimeSplit:
    """Row positions of the three windows and the dates that separate them."""

    train: Indices
    valid: Indices
    test: Indices
    valid_start: pd.Timestamp
    test_start: pd.Timestamp
    last_date: pd.Timestamp

    held_out_share: float = 0.0
    # Share of the validation window's customers kept out of fitting (they alone validate).
    valid_held_out_share: float = 0.0
    # No validation window (a short history): validation customers come from the fit window.
    valid_by_customers: bool = False

    def describe(self) -> str:
        if self.valid_by_customers:
            text = (
                f"out-of-time: fit until {self.test_start.date()}, test "
                f"{self.test_start.date()} – {self.last_date.date()}"
            )
        else:
            text = (
                f"out-of-time: fit before {self.valid_start.date()}, validate until "
                f"{self.test_start.date()}, test {self.test_start.date()} – {self.last_date.date()}"
            )
        if self.held_out_share:
            text += f" on {self.held_out_share:.0%} of customers never fitted on"
        if self.valid_by_customers:
            text += (
                f"; too short a history for a validation window: validated on "
                f"{self.valid_held_out_share:.0%} of the fit window's customers, never fitted on"
            )
        elif self.valid_held_out_share:
            text += (
                f"; validated on {self.valid_held_out_share:.0%} of the validation window's "
                "customers, never fitted on"
            )
        return text


@dataclass(frozen=True)
class Fold:
    """One cross-validation fold: fit rows, validation rows (inside training) and test rows."""

    fit: Indices
    valid: Indices
    test: Indices
    repeat: int


def _check_dates(times: pd.Series) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        raise InvalidInputError(f"the date column {times.name!r} must hold dates")
    missing = times.isna().to_numpy()
    if missing.any():
        rows = ", ".join(str(times.index[p]) for p in np.flatnonzero(missing)[:3])
        raise InvalidInputError(
            f"the date column {times.name!r} is empty in {int(missing.sum())} rows "
            f"(first: {rows}); every row needs a date to be placed in time"
        )
    return times


def held_out_groups(groups: pd.Series, share: float, seed: int) -> NDArray[np.bool_]:
    """Which rows belong to the ``share`` of groups (customers) kept out of fitting.

    The draw is per distinct group, seeded, and independent of row order, so the same data and
    seed always hold out the same customers.
    """
    codes, uniques = pd.factorize(groups.astype("str"), sort=True)
    held = np.random.default_rng(seed).random(len(uniques)) < share
    return held[codes]


def _months_spanned(dates: pd.Series) -> int:
    """Calendar months from the first date's month to the last's, both counted: the number of
    monthly snapshots a sample of month ends holds."""
    first, last = dates.min(), dates.max()
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _months_before(date: pd.Timestamp, months: int) -> pd.Timestamp:
    """``months`` calendar months before ``date``; a month end stays a month end (three months
    before 30 April is 31 January, not 30 January, which would put 31 January's snapshot in the
    later window)."""
    earlier = date - pd.DateOffset(months=months)
    return earlier + pd.offsets.MonthEnd(0) if date.is_month_end else earlier


def window_months(
    months: int, oot: int, valid: int, min_oot: int, min_valid: int, min_fit: int
) -> tuple[int, int]:
    """Test and validation months for data spanning ``months`` months.

    The policy's windows are kept while they leave ``min_fit`` months to fit on. A shorter
    history shrinks them, validation first, one month at a time, down to ``min_oot`` and
    ``min_valid``; if even that leaves fewer than ``min_fit`` months, validation returns 0
    months: the model is then validated on customers never fitted on, inside the fit months
    (see :func:`validate_on_unseen_groups`), and only the test stays out of time.
    """
    oot, valid = max(oot, 1), max(valid, 1)
    min_oot, min_valid = min(min_oot, oot), min(min_valid, valid)
    while months - oot - valid < min_fit and (oot > min_oot or valid > min_valid):
        if valid > min_valid and (valid >= oot or oot <= min_oot):
            valid -= 1
        else:
            oot -= 1
    if months - oot - valid < min_fit:
        return oot, 0
    return oot, valid


def out_of_time_split(
    times: pd.Series,
    y: NDArray[np.float64],
    oot_months: int,
    valid_months: int,
    binary: bool = True,
    groups: pd.Series | None = None,
    holdout_share: float = 0.0,
    seed: int = 0,
    *,
    min_oot_months: int | None = None,
    min_valid_months: int | None = None,
    min_fit_months: int = 1,
) -> TimeSplit:
    """Test = the last ``oot_months`` months up to the latest date, validation = the
    ``valid_months`` before that, fit = everything earlier.

    With ``min_oot_months`` / ``min_valid_months`` the windows shrink with a short history
    (see :func:`window_months`) instead of leaving nothing to fit on; when even the smallest
    validation window leaves fewer than ``min_fit_months``, the split has no validation window
    (``valid`` is empty, ``valid_by_customers`` is set) and its validation rows must be drawn from
    customers in the fit window by :func:`validate_on_unseen_groups`, which needs ``groups``.

    With ``groups`` (customer ids) and a ``holdout_share``, the test rows come only from customers
    that are never fitted or validated on: out of sample as well as out of time. Without it a
    customer's default counted in an early snapshot's 12-month label reappears in the test
    window, and the model is rewarded for remembering that customer.

    Each window must hold rows (and, for a binary outcome, both outcomes), or the task cannot be
    trained out of time.
    """
    dates = _check_dates(times)
    last = dates.max()
    if min_oot_months is not None or min_valid_months is not None:
        oot_months, valid_months = window_months(
            _months_spanned(dates),
            oot_months,
            valid_months,
            oot_months if min_oot_months is None else min_oot_months,
            valid_months if min_valid_months is None else min_valid_months,
            min_fit_months,
        )
    by_customers = valid_months == 0
    if by_customers and groups is None:
        raise InsufficientDataError(
            f"dates run {dates.min().date()} – {last.date()}: too short to validate out of time "
            "and there are no customer ids to validate on customers never fitted on"
        )
    test_start = _months_before(last, oot_months)
    valid_start = _months_before(test_start, valid_months)
    values = dates.to_numpy()
    if groups is not None and holdout_share > 0:
        held = held_out_groups(pd.Series(groups).reset_index(drop=True), holdout_share, seed)
    else:
        held = np.zeros(len(values), dtype=bool)
    in_test = values > test_start.to_datetime64()
    test = np.flatnonzero(in_test & (held | ~held.any()))
    valid = np.flatnonzero((values > valid_start.to_datetime64()) & ~in_test & ~held)
    train = np.flatnonzero((values <= valid_start.to_datetime64()) & ~held)
    windows = [("fit", train), ("test", test)] + ([] if by_customers else [("validation", valid)])
    for name, rows in windows:
        events = int(y[rows].sum()) if binary else len(rows)
        if len(rows) == 0 or (binary and events in (0, len(rows))):
            raise InsufficientDataError(
                f"the {name} window ({len(rows)} rows, {events} events) needs both outcomes; "
                f"dates run {dates.min().date()} – {last.date()} and the policy tests on the last "
                f"{oot_months} months after "
                + (
                    "validating on customers never fitted on"
                    if by_customers
                    else f"{valid_months} validation months"
                )
            )
    share = holdout_share if held.any() else 0.0
    return TimeSplit(
        train, valid, test, valid_start, test_start, last, share, valid_by_customers=by_customers
    )


def _stratified_customers(
    candidates: NDArray[np.str_], draw: NDArray[np.float64], with_event: pd.Series, share: float
) -> NDArray[np.str_]:
    """``share`` of the customers with an event and ``share`` of the others (each rounded, at
    least one of each), those with the lowest ``draw``: a stratified draw, so the number of
    events that validate is not left to luck."""
    has_event = np.isin(candidates, with_event.unique())
    drawn: list[NDArray[np.str_]] = []
    for stratum in (has_event, ~has_event):
        count = int(stratum.sum())
        take = min(count, max(1, round(share * count)))
        order = np.argsort(draw[stratum], kind="stable")
        drawn.append(candidates[stratum][order[:take]])
    return np.concatenate(drawn)


def validate_on_unseen_groups(
    split: TimeSplit,
    y: NDArray[np.float64],
    groups: pd.Series | None,
    share: float,
    seed: int,
    binary: bool = True,
    min_events: int = 1,
) -> TimeSplit:
    """``split`` with a ``share`` of the customers in its validation window moved out of
    fitting: only their validation rows early-stop (and calibrate), and none of their rows is
    fitted. Test rows are unchanged.

    A customer's rows before and in the validation window share most of their outcome window
    (a default 12 months ahead is the label of many consecutive snapshots), and its profile
    identifies it. Validated on customers it was fitted on, a booster is rewarded for remembering
    them, so early stopping lets it grow long after it stopped ranking unseen customers better.

    A split without a validation window (``valid_by_customers``, a history too short for one)
    draws its validation customers from the fit window instead: their rows there validate, the
    other customers' rows are fitted. Such a split must be validated; it raises
    :class:`InsufficientDataError` when it cannot be. Its draw is stratified (binary outcomes):
    ``share`` of the customers with an event and ``share`` of the others, because it has no
    fallback and its few events are otherwise a lottery (``bench/short_history.py``'s 36-month
    book cut at 18 months drew 2 of its 33 defaulters where 20% is 6.6, and chose its model on
    those 2 events).

    Without ``groups`` (no customer ids) ``split`` is returned unchanged. The draw is per
    distinct customer, seeded and independent of row order. When the drawn
    customers' rows cannot validate (no rows, one outcome only, or fewer than ``min_events``
    events: a small book's few unseen customers may hold one late invoice, and early stopping
    and calibration on one event are noise) or the rest cannot be fitted, ``split`` is returned
    unchanged.
    """
    by_customers = split.valid_by_customers
    if by_customers:
        share = share if share > 0 else 0.2
    elif groups is None or share <= 0 or len(split.valid) == 0:
        return split
    if groups is None:
        raise InsufficientDataError("validating on unseen customers needs customer ids")
    pool = split.train if by_customers else split.valid
    names = pd.Series(groups).reset_index(drop=True).astype("str")
    candidates = np.sort(names.iloc[pool].unique())
    draw = np.random.default_rng([seed, 1]).random(len(candidates))
    if by_customers and binary:
        drawn = _stratified_customers(candidates, draw, names.iloc[pool][y[pool] == 1], share)
    else:
        drawn = candidates[draw < share]
    kept_out = names.isin(drawn).to_numpy()
    train = split.train[~kept_out[split.train]]
    valid = pool[kept_out[pool]]
    for name, rows in (("fit", train), ("validation", valid)):
        events = int(y[rows].sum()) if binary else 0
        too_few = binary and name == "validation" and not by_customers and events < min_events
        if len(rows) == 0 or (binary and events in (0, len(rows))) or too_few:
            if not by_customers:
                return split
            raise InsufficientDataError(
                f"the {name} customers ({len(rows)} rows) need both outcomes to validate on "
                "customers never fitted on"
            )
    return replace(split, train=train, valid=valid, valid_held_out_share=share)


def policy_time_split(
    times: pd.Series,
    y: NDArray[np.float64],
    policy: TrainingPolicy,
    groups: pd.Series | None = None,
    binary: bool = True,
) -> tuple[TimeSplit, TimeSplit]:
    """The policy's out-of-time split (windows shrunk for a short history) and the same split
    with its validation customers kept out of fitting: ``(window, boosted)``. ``window.test``
    are the test rows; ``boosted.train`` / ``boosted.valid`` fit and validate the booster."""
    window = out_of_time_split(
        times,
        y,
        policy.oot_months,
        policy.valid_months,
        binary=binary,
        groups=groups,
        holdout_share=policy.holdout_share,
        seed=policy.seed,
        min_oot_months=policy.min_oot_months,
        min_valid_months=policy.min_valid_months,
        min_fit_months=policy.min_fit_months,
    )
    boosted = validate_on_unseen_groups(
        window,
        y,
        groups,
        policy.valid_holdout_share,
        policy.seed,
        binary=binary,
        min_events=policy.min_valid_events,
    )
    return window, boosted


def stratified_folds(
    y: NDArray[np.float64], folds: int, repeats: int, valid_share: float, seed: int
) -> list[Fold]:
    """Stratified k-fold test rows, each training part split again into fit and validation."""
    smallest_class = int(min(y.sum(), len(y) - y.sum()))
    if smallest_class < folds:
        raise InsufficientDataError(
            f"{smallest_class} rows in the rarer outcome cannot fill {folds} folds"
        )
    out: list[Fold] = []
    positions = np.arange(len(y))
    for repeat in range(repeats):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        for train, test in splitter.split(positions, y):
            fit, valid = train_test_split(
                train,
                test_size=valid_share,
                stratify=y[train],
                random_state=seed + repeat,
            )
            out.append(Fold(np.sort(fit), np.sort(valid), np.sort(test), repeat))
    return out


def random_folds(
    n_rows: int, folds: int, repeats: int, valid_share: float, seed: int
) -> list[Fold]:
    """Shuffled k-fold for a quantity (no classes to stratify on), same layout as
    :func:`stratified_folds`."""
    if n_rows < folds * 2:
        raise InsufficientDataError(f"{n_rows} rows cannot fill {folds} folds")
    out: list[Fold] = []
    positions = np.arange(n_rows)
    for repeat in range(repeats):
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        for train, test in splitter.split(positions):
            fit, valid = train_test_split(train, test_size=valid_share, random_state=seed + repeat)
            out.append(Fold(np.sort(fit), np.sort(valid), np.sort(test), repeat))
    return out
