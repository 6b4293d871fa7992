"""Which model a task deploys: LightGBM or the WOE scorecard, chosen on validation data.

Every binary task fits both. The champion candidate is the one with the higher AUC on the
validation rows (the rows that early-stop and calibrate LightGBM, never fitted on by either
model); the test window only reports both afterwards, so the choice cannot flatter the test
figures. LightGBM must beat the scorecard by more than ``policy.selection_margin``: its
validation rows also chose its number of trees, which flatters it a little, and a tie goes to
the model a credit officer can read off a table. ``policy.model_selection`` can force either.

The proxy tier is chosen the same way, one level up (:func:`select_tier`): the trained proxy
model serves only where it out-ranks the policy's expert scorecard (the tier serving falls back
to) on the proxy task's validation rows, by AUC on the proxy event; the same margin applies and a
tie again goes to the simpler, hand-written scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from models.bundle import EstimatorKind
from models.tasks import PdBasis
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


@dataclass(frozen=True)
class TierSelection:
    """Whether the proxy model or the expert scorecard gives the PDs, and why: both AUCs on the
    proxy task's validation rows (the proxy event as target), and how many rows and events.
    Where those rows hold defaults, both AUCs on the defaults are reported beside them (too
    few to decide on: a small book's validation window holds a handful)."""

    chosen: PdBasis
    valid_auc_proxy: float | None
    valid_auc_expert: float | None
    rows_valid: int
    events_valid: int
    reason: str
    defaults_valid: int = 0
    default_auc_proxy: float | None = None
    default_auc_expert: float | None = None

    @property
    def proxy_serves(self) -> bool:
        return self.chosen == PdBasis.PROXY_MODEL

    def as_record(self) -> dict[str, Any]:
        """Plain values for the bundle's info, MLflow parameters and reports."""
        return {
            "chosen": str(self.chosen),
            "valid_auc_proxy": self.valid_auc_proxy,
            "valid_auc_expert": self.valid_auc_expert,
            "rows_valid": self.rows_valid,
            "events_valid": self.events_valid,
            "reason": self.reason,
            "defaults_valid": self.defaults_valid,
            "default_auc_proxy": self.default_auc_proxy,
            "default_auc_expert": self.default_auc_expert,
        }

    def defaults_note(self) -> str:
        """The AUCs on the validation rows' defaults, in words ("" without defaults)."""
        if self.default_auc_proxy is None or self.default_auc_expert is None:
            return ""
        return (
            f"on the {self.defaults_valid} defaults of the same rows: proxy model "
            f"{self.default_auc_proxy:.4f} vs expert scorecard {self.default_auc_expert:.4f} "
            "(reported, not deciding)"
        )


def select_tier(
    target: NDArray[np.float64],
    proxy_score: NDArray[np.float64],
    expert_pd: NDArray[np.float64],
    policy: TrainingPolicy,
    event: str = "proxy event",
    defaults: NDArray[np.float64] | None = None,
) -> TierSelection:
    """The proxy model serves only when its validation AUC beats the expert scorecard's by more
    than ``policy.selection_margin`` on the same validation rows (``target``: the proxy event;
    ``proxy_score``: the evaluated proxy model's raw scores, never fitted on these rows;
    ``expert_pd``: the expert scorecard's PDs of the same rows as of the same dates). Rows with a
    single outcome cannot show that the proxy ranks better, so the scorecard serves. ``defaults``
    (the same rows' default outcomes) only adds both AUCs on them to the record."""
    y = np.asarray(target, dtype=float)
    if not len(y) == len(proxy_score) == len(expert_pd):
        raise ValueError("target, proxy_score and expert_pd must have one value per row")
    on_defaults: dict[str, Any] = {}
    if defaults is not None:
        d = np.asarray(defaults, dtype=float)
        if len(d) != len(y):
            raise ValueError("defaults must have one value per row")
        on_defaults["defaults_valid"] = int(d.sum())
        if 0 < d.sum() < len(d):
            on_defaults["default_auc_proxy"] = float(roc_auc_score(d, proxy_score))
            on_defaults["default_auc_expert"] = float(roc_auc_score(d, expert_pd))
    events = int(y.sum())
    if not 0 < events < len(y):
        reason = (
            f"expert scorecard serves: the {len(y):,} validation rows hold {events} events "
            f"({event}), so nothing shows the proxy model ranks better"
        )
        return TierSelection(
            PdBasis.EXPERT_SCORECARD, None, None, len(y), events, reason, **on_defaults
        )
    proxy = float(roc_auc_score(y, proxy_score))
    expert = float(roc_auc_score(y, expert_pd))
    margin = policy.selection_margin
    by = f" by more than {margin:g}" if margin else ""
    figures = (
        f"validation AUC on {event}: proxy model {proxy:.4f} vs expert scorecard "
        f"{expert:.4f} on {len(y):,} rows ({events} events) never fitted on"
    )
    if proxy > expert + margin:
        reason = f"proxy model serves: higher validation AUC{by} ({figures})"
        return TierSelection(
            PdBasis.PROXY_MODEL, proxy, expert, len(y), events, reason, **on_defaults
        )
    reason = (
        f"expert scorecard serves: the proxy model does not beat it{by}; the simpler "
        f"scorecard wins ties ({figures})"
    )
    return TierSelection(
        PdBasis.EXPERT_SCORECARD, proxy, expert, len(y), events, reason, **on_defaults
    )
