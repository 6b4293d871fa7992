"""Which model a task deploys: LightGBM or the WOE scorecard, chosen on validation data.

Every binary task fits both. The champion candidate is the one with the higher AUC on the
validation rows (the rows that early-stop and calibrate LightGBM, never fitted on by either
model); the test window only reports both afterwards, so the choice cannot flatter the test
figures. LightGBM must beat the scorecard by more than ``policy.selection_margin``: its
validation rows also chose its number of trees, which flatters it a little, and a tie goes to
the model a credit officer can read off a table. ``policy.model_selection`` can force either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.bundle import EstimatorKind
from training.policy import TrainingPolicy

LABELS: dict[EstimatorKind, str] = {"lightgbm": "LightGBM", "woe_scorecard": "WOE scorecard"}


@dataclass(frozen=True)
class ModelSelection:
    """The deployed kind of model and why: both models' validation AUC (mean over folds without
    dates), the validation rows, and the rule that decided."""

    chosen: EstimatorKind
    valid_auc_lightgbm: float | None
    valid_auc_scorecard: float | None
    rows_valid: int
    reason: str

    def as_record(self) -> dict[str, Any]:
        """Plain values for the bundle's info, MLflow parameters and reports."""
        return {
            "chosen": self.chosen,
            "valid_auc_lightgbm": self.valid_auc_lightgbm,
            "valid_auc_scorecard": self.valid_auc_scorecard,
            "rows_valid": self.rows_valid,
            "reason": self.reason,
        }


def _auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def select_model(
    lightgbm_auc: float | None,
    scorecard_auc: float | None,
    rows_valid: int,
    policy: TrainingPolicy,
    unusable: dict[EstimatorKind, str] | None = None,
) -> ModelSelection:
    """Choose the deployed model from validation AUCs (None = that model cannot be deployed;
    ``unusable`` says why). At least one must be usable."""
    why = dict(unusable or {})
    figures = (
        f"validation AUC LightGBM {_auc(lightgbm_auc)} vs WOE scorecard {_auc(scorecard_auc)} "
        f"on {rows_valid:,} rows never fitted on"
    )

    def chosen(kind: EstimatorKind, rule: str) -> ModelSelection:
        return ModelSelection(
            kind, lightgbm_auc, scorecard_auc, rows_valid, f"{LABELS[kind]}: {rule} ({figures})"
        )

    if lightgbm_auc is None and scorecard_auc is None:
        raise ValueError("neither model can be deployed")
    if scorecard_auc is None:
        return chosen("lightgbm", f"the scorecard cannot be deployed: {why.get('woe_scorecard')}")
    if lightgbm_auc is None:
        return chosen("woe_scorecard", f"LightGBM cannot be deployed: {why.get('lightgbm')}")
    if policy.model_selection == "lightgbm":
        return chosen("lightgbm", "forced by the policy (training.model_selection)")
    if policy.model_selection == "woe_scorecard":
        return chosen("woe_scorecard", "forced by the policy (training.model_selection)")
    margin = policy.selection_margin
    if lightgbm_auc > scorecard_auc + margin:
        rule = "higher validation AUC" + (f" by more than {margin:g}" if margin else "")
        return chosen("lightgbm", rule)
    rule = (
        "LightGBM does not beat it on validation"
        + (f" by more than {margin:g}" if margin else "")
        + "; the simpler model wins ties"
    )
    return chosen("woe_scorecard", rule)
