"""Onboarding from the user's own table: columns as they come, clear refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.errors import InsufficientDataError, InvalidInputError
from training.policy import LightGBMParams, TrainingPolicy
from training.tabular import prepare_table, read_table, train_onboarding_table

FAST = TrainingPolicy(
    lightgbm=LightGBMParams(max_boost_rounds=300, early_stopping_rounds=30, learning_rate=0.1),
    cv_folds=3,
)


def _applications(make_sample: Callable, n: int = 1500) -> pd.DataFrame:
    sample = make_sample(seed=21, n=n)
    table = sample.features.copy()
    table.insert(0, "application_id", [f"A{i:05d}" for i in range(n)])
    table["applied_on"] = sample.times.dt.strftime("%Y-%m-%d")
    table["company_name"] = [f"Company {i}" for i in range(n)]
    table["country"] = "DE"
    table["bureau_flag"] = np.nan
    table["outcome"] = np.where(sample.target == 1, "default", "repaid")
    return table


def test_table_with_dates_is_tested_out_of_time(make_sample: Callable, tmp_path: Path) -> None:
    path = tmp_path / "applications.csv"
    _applications(make_sample).to_csv(path, index=False)
    outcome = train_onboarding_table(
        path,
        "outcome",
        id_column="application_id",
        date_column="applied_on",
        positive_label="default",
        policy=FAST,
    )
    assert outcome.fit.split.method == "out-of-time"
    assert outcome.fit.bundle.schema.names == ["days_late", "utilisation", "sector", "noise"]
    assert outcome.table.dropped == {
        "company_name": "text with 1,500 different values: an identifier or free text",
        "country": "the same value ('DE') in every row",
        "bureau_flag": "empty in every row",
    }
    assert outcome.registered is None
    lines = outcome.summary_lines()
    assert any(line.startswith("LightGBM: AUC") for line in lines)
    assert any(line.startswith("scorecard baseline: AUC") for line in lines)
    assert "left out country: the same value ('DE') in every row" in lines


def test_table_without_dates_is_cross_validated_and_semicolons_are_read(
    make_sample: Callable, tmp_path: Path
) -> None:
    path = tmp_path / "applications.csv"
    table = _applications(make_sample).drop(columns=["applied_on"])
    table["outcome"] = (table["outcome"] == "default").astype(int)
    table.to_csv(path, index=False, sep=";")
    outcome = train_onboarding_table(path, "outcome", id_column="application_id", policy=FAST)
    assert outcome.fit.split.method == "stratified-cv"
    assert outcome.fit.split.n_test == 1500
    assert outcome.fit.bundle.schema.names == ["days_late", "utilisation", "sector", "noise"]


def test_two_label_target_needs_the_bad_label(make_sample: Callable) -> None:
    table = _applications(make_sample, n=200)
    with pytest.raises(InvalidInputError, match="'default' and 'repaid'; say which one is the bad"):
        prepare_table(table, "outcome")
    with pytest.raises(InvalidInputError, match="'bad' does not occur in target 'outcome'"):
        prepare_table(table, "outcome", positive_label="bad")


def test_yes_no_target_is_understood(make_sample: Callable) -> None:
    table = _applications(make_sample, n=200)
    table["outcome"] = np.where(table["outcome"] == "default", "Yes", "no")
    prepared = prepare_table(table, "outcome", id_column="application_id")
    assert prepared.target.sum() == (table["outcome"] == "Yes").sum()


def test_empty_outcomes_are_named_by_row(make_sample: Callable) -> None:
    table = _applications(make_sample, n=200)
    table.loc[[4, 9], "outcome"] = None
    with pytest.raises(InvalidInputError, match=r"empty in 2 rows \(rows 5, 10\)"):
        prepare_table(table, "outcome", positive_label="default")


def test_unreadable_dates_are_named_by_row(make_sample: Callable) -> None:
    table = _applications(make_sample, n=200)
    table.loc[2, "applied_on"] = "soon"
    with pytest.raises(InvalidInputError, match=r"not dates in rows 3 \(such as 'soon'\)"):
        prepare_table(table, "outcome", date_column="applied_on", positive_label="default")


def test_unknown_column_lists_the_columns(make_sample: Callable) -> None:
    table = _applications(make_sample, n=50)
    with pytest.raises(InvalidInputError, match="the target 'defaulted' is not in the table"):
        prepare_table(table, "defaulted")


def test_table_with_no_usable_column_is_skipped(make_sample: Callable) -> None:
    table = _applications(make_sample, n=200)[["application_id", "company_name", "outcome"]]
    with pytest.raises(InsufficientDataError, match=r"no usable feature columns .*company_name"):
        prepare_table(table, "outcome", positive_label="default")


def test_table_with_too_few_defaults_is_skipped(make_sample: Callable, tmp_path: Path) -> None:
    table = _applications(make_sample, n=300)
    table["outcome"] = "repaid"
    table.loc[:9, "outcome"] = "default"
    path = tmp_path / "few.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InsufficientDataError, match=r"10 events .* at least 50"):
        train_onboarding_table(path, "outcome", positive_label="default", policy=FAST)


def test_unsupported_file_type_is_named(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InvalidInputError, match=r"\.csv, \.csv\.gz or \.parquet"):
        read_table(path)
