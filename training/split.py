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

    def describe(self) -> str:
        text = (
            f"out-of-time: fit before {self.valid_start.date()}, validate until "
            f"{self.test_start.date()}, test {self.test_start.date()} – {self.last_date.date()}"
        )
        if self.held_out_share:
            text += f" on {self.held_out_share:.0%} of customers never fitted on"
        if self.valid_held_out_share:
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


def out_of_time_split(
    times: pd.Series,
    y: NDArray[np.float64],
    oot_months: int,
    valid_months: int,
    binary: bool = True,
    groups: pd.Series | None = None,
    holdout_share: float = 0.0,
    seed: int = 0,
) -> TimeSplit:
    """Test = the last ``oot_months`` months up to the latest date, validation = the
    ``valid_months`` before that, fit = everything earlier.

    With ``groups`` (customer ids) and a ``holdout_share``, the test rows come only from customers
    that are never fitted or validated on: out of sample as well as out of time. Without it a
    customer's default counted in an early snapshot's 12-month label reappears in the test
    window, and the model is rewarded for remembering that customer.

    Each window must hold rows (and, for a binary outcome, both outcomes), or the task cannot be
    trained out of time.
    """
    dates = _check_dates(times)
    last = dates.max()
    test_start = last - pd.DateOffset(months=oot_months)
    valid_start = test_start - pd.DateOffset(months=valid_months)
    values = dates.to_numpy()
    if groups is not None and holdout_share > 0:
        held = held_out_groups(pd.Series(groups).reset_index(drop=True), holdout_share, seed)
    else:
        held = np.zeros(len(values), dtype=bool)
    in_test = values > test_start.to_datetime64()
    test = np.flatnonzero(in_test & (held | ~held.any()))
    valid = np.flatnonzero((values > valid_start.to_datetime64()) & ~in_test & ~held)
    train = np.flatnonzero((values <= valid_start.to_datetime64()) & ~held)
    for name, rows in (("fit", train), ("validation", valid), ("test", test)):
        events = int(y[rows].sum()) if binary else len(rows)
        if len(rows) == 0 or (binary and events in (0, len(rows))):
            raise InsufficientDataError(
                f"the {name} window ({len(rows)} rows, {events} events) needs both outcomes; "
                f"dates run {dates.min().date()} – {last.date()} and the policy tests on the last "
                f"{oot_months} months after {valid_months} validation months"
            )
    share = holdout_share if held.any() else 0.0
    return TimeSplit(train, valid, test, valid_start, test_start, last, share)


def validate_on_unseen_groups(
    split: TimeSplit,
    y: NDArray[np.float64],
    groups: pd.Series | None,
    share: float,
    seed: int,
    binary: bool = True,
) -> TimeSplit:
    """``split`` with a ``share`` of the customers in its validation window moved out of
    fitting: only their validation rows early-stop (and calibrate), and none of their rows is
    fitted. Test rows are unchanged.

    A customer's rows before and in the validation window share most of their outcome window
    (a default 12 months ahead is the label of many consecutive snapshots), and its profile
    identifies it. Validated on customers it was fitted on, a booster is rewarded for remembering
    them, so early stopping lets it grow long after it stopped ranking unseen customers better.

    Without ``groups`` (no customer ids) ``split`` is returned unchanged. The draw is per
    distinct customer, seeded and independent of row order. When the drawn
    customers' rows cannot validate (no rows, or one outcome only) or the rest cannot be fitted,
    ``split`` is returned unchanged.
    """
    if groups is None or share <= 0 or len(split.valid) == 0:
        return split
    names = pd.Series(groups).reset_index(drop=True).astype("str")
    candidates = np.sort(names.iloc[split.valid].unique())
    drawn = candidates[np.random.default_rng([seed, 1]).random(len(candidates)) < share]
    kept_out = names.isin(drawn).to_numpy()
    train = split.train[~kept_out[split.train]]
    valid = split.valid[kept_out[split.valid]]
    for rows in (train, valid):
        if len(rows) == 0 or (binary and int(y[rows].sum()) in (0, len(rows))):
            return split
    return replace(split, train=train, valid=valid, valid_held_out_share=share)


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
