"""The feature contract: the same columns and category codes at training and scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.errors import InvalidInputError
from models.feature_schema import FeatureSchema


def _training() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "days_late": [0.0, 5.0, 12.0, np.nan, 40.0],
            "sector": ["retail", "mining", "retail", None, "food"],
            "employees": pd.array([3, 10, None, 7, 2], dtype="Int64"),
            "exporter": [True, False, False, True, False],
        }
    )


def test_text_columns_are_categorical_and_numbers_numeric() -> None:
    schema = FeatureSchema.infer(_training())
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "days_late": "numeric",
        "sector": "categorical",
        "employees": "numeric",
        "exporter": "numeric",
    }
    assert schema.column("sector").categories == ("food", "mining", "retail")


def test_references_are_portfolio_median_and_most_common_level() -> None:
    schema = FeatureSchema.infer(_training())
    assert schema.column("days_late").reference == pytest.approx(8.5)
    assert schema.column("sector").reference == "retail"


def test_matrix_uses_training_codes_whatever_the_row_order() -> None:
    schema = FeatureSchema.infer(_training())
    scoring = pd.DataFrame(
        {
            "exporter": [False, True],
            "sector": ["retail", "food"],
            "employees": [1, 2],
            "days_late": [1.0, 2.0],
            "unused": ["x", "y"],
        }
    )
    matrix = schema.to_matrix(scoring)
    assert matrix.tolist() == [[1.0, 2.0, 1.0, 0.0], [2.0, 0.0, 2.0, 1.0]]


def test_unseen_category_and_missing_value_become_missing() -> None:
    schema = FeatureSchema.infer(_training())
    frame = pd.DataFrame(
        {"days_late": [1.0], "sector": ["aerospace"], "employees": [None], "exporter": [True]}
    )
    matrix = schema.to_matrix(frame)
    assert np.isnan(matrix[0, 1])
    assert np.isnan(matrix[0, 2])


def test_text_in_a_numeric_column_is_an_error_naming_column_and_row() -> None:
    schema = FeatureSchema.infer(_training())
    frame = _training().astype({"days_late": object})
    frame.loc[3, "days_late"] = "twelve"
    with pytest.raises(InvalidInputError, match=r"'days_late' must hold numbers; row 3 .*'twelve'"):
        schema.to_matrix(frame)


def test_infinite_value_is_an_error() -> None:
    schema = FeatureSchema.infer(_training())
    frame = _training()
    frame.loc[1, "days_late"] = np.inf
    with pytest.raises(InvalidInputError, match="infinite value in row 1"):
        schema.to_matrix(frame)


def test_missing_column_is_named() -> None:
    schema = FeatureSchema.infer(_training())
    with pytest.raises(InvalidInputError, match=r"missing feature columns: \['sector'\]"):
        schema.to_matrix(_training().drop(columns=["sector"]))


def test_date_columns_are_refused_as_features() -> None:
    frame = _training().assign(opened=pd.Timestamp("2024-01-01"))
    with pytest.raises(InvalidInputError, match="'opened' holds dates"):
        FeatureSchema.infer(frame)


def test_a_categorical_feature_cannot_carry_a_direction() -> None:
    schema = FeatureSchema.infer(_training())
    with pytest.raises(InvalidInputError, match="'sector' is categorical"):
        schema.monotone_vector({"sector": 1})
    assert schema.monotone_vector({"days_late": 1, "exporter": -1}) == [1, 0, 0, -1]


def test_monotone_spec_naming_an_unknown_feature_is_refused() -> None:
    schema = FeatureSchema.infer(_training())
    with pytest.raises(InvalidInputError, match="unknown features: \\['dso'\\]"):
        schema.monotone_vector({"dso": 1})


def test_schema_round_trips_through_a_dict() -> None:
    schema = FeatureSchema.infer(_training(), categorical=["employees"])
    assert FeatureSchema.from_dict(schema.to_dict()) == schema
    assert schema.column("employees").categories == ("10", "2", "3", "7")


def test_numeric_codes_read_with_gaps_are_the_same_category() -> None:
    schema = FeatureSchema.infer(pd.DataFrame({"sector_code": [1, 2, 3, 2]}), ["sector_code"])
    later = pd.DataFrame({"sector_code": [2.0, np.nan, 3.0]})
    matrix = schema.to_matrix(later)
    assert matrix[[0, 2], 0].tolist() == [1.0, 2.0]
    assert np.isnan(matrix[1, 0])


def test_one_block_conversion_equals_the_column_by_column_path() -> None:
    """All-float frames take the one-call numeric block; any other dtype goes column by column.
    Both give the same matrix, whatever the column order and extra columns of the frame."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "a": rng.normal(size=50),
            "sector": rng.choice(["x", "y", "z"], size=50),
            "b": rng.normal(size=50),
            "c": rng.normal(size=50),
        }
    )
    schema = FeatureSchema.infer(train)
    scoring = train.iloc[::-1][["c", "sector", "b", "a"]].assign(extra=1.0)
    scoring.loc[scoring.index[:5], "b"] = np.nan
    fast = schema.to_matrix(scoring)
    slow = schema.to_matrix(scoring.astype({"a": "object"}))  # not all float: per column
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast[:, 0], scoring["a"].to_numpy())
    assert np.isnan(fast[:5, 2]).all()


def test_a_filled_column_scores_missing_as_its_median_with_a_missing_flag() -> None:
    schema = FeatureSchema.infer(_training(), fill_missing=["days_late", "exporter"])
    assert schema.column("days_late").fill == pytest.approx(8.5)
    assert schema.column("days_late").missing_flag
    assert not schema.column("exporter").missing_flag  # never missing in training: no flag
    assert schema.matrix_names == [*schema.names, "days_late_missing"]
    matrix = schema.to_matrix(pd.DataFrame(_training().iloc[[0, 2, 3]]))
    days_late, flag = matrix[:, 0], matrix[:, -1]
    assert days_late.tolist() == [0.0, 12.0, 8.5]
    assert flag.tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(matrix[1, 2])  # employees is not filled: LightGBM sees the gap
    # The flag may only raise the prediction; the columns keep their own directions.
    assert schema.monotone_vector({"days_late": 1}) == [1, 0, 0, 0, 1]


def test_a_directed_fill_takes_the_quantile_on_the_risky_side() -> None:
    frame = pd.DataFrame(
        {
            "days_late": [*range(0, 100, 10), np.nan],  # 0 … 90: more days late is riskier
            "bureau_score": [*range(500, 600, 10), np.nan],  # 500 … 590: a higher score is safer
            "tenure": [*range(10), np.nan],  # no direction
        }
    )
    directions = {"days_late": 1, "bureau_score": -1, "tenure": 0}
    schema = FeatureSchema.infer(frame, fill_missing=directions, fill_quantile=0.9)
    assert schema.column("days_late").fill == pytest.approx(np.quantile(range(0, 100, 10), 0.9))
    assert schema.column("bureau_score").fill == pytest.approx(
        np.quantile(range(500, 600, 10), 0.1)
    )
    assert schema.column("tenure").fill == pytest.approx(4.5)  # no risky side: the median
    # Reasons still compare with the portfolio median, whatever the fill.
    assert schema.column("days_late").reference == pytest.approx(45.0)
    median = FeatureSchema.infer(frame, fill_missing=directions, fill_quantile=0.5)
    assert median.column("days_late").fill == pytest.approx(45.0)
    assert median.column("bureau_score").fill == pytest.approx(545.0)


@pytest.mark.parametrize("quantile", [0.4, 1.2])
def test_a_fill_better_than_the_median_is_refused(quantile: float) -> None:
    with pytest.raises(InvalidInputError, match=r"fill_quantile must be between 0\.5"):
        FeatureSchema.infer(_training(), fill_missing={"days_late": 1}, fill_quantile=quantile)


def test_fill_and_flag_survive_the_round_trip_and_fold_onto_their_column() -> None:
    schema = FeatureSchema.infer(_training(), fill_missing=["days_late"])
    again = FeatureSchema.from_dict(schema.to_dict())
    assert again == schema
    assert again.matrix_names == schema.matrix_names
    contributions = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, -2.0]])  # 4 columns, flag, bias
    assert schema.fold(contributions).tolist() == [[0.6, 0.2, 0.3, 0.4, -2.0]]


def test_only_numeric_columns_can_be_filled() -> None:
    with pytest.raises(InvalidInputError, match="only numeric columns are filled"):
        FeatureSchema.infer(_training(), fill_missing=["sector"])
