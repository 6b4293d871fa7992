"""The training section of the credit policy: labels, splits, minimum data and LightGBM settings.

Defaults are documented where they are declared; the ``arscore`` package composes this model
into the policy file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class LightGBMParams(BaseModel):
    """LightGBM hyper-parameters, chosen for small, noisy credit data on a shared 2-core machine.

    Shallow trees, row and column sampling and a strong L2 penalty: credit books have few
    defaults, so the model must not chase individual ones. The number of trees is set by early
    stopping on the validation fold. These values were compared with LightGBM-like defaults
    (15 leaves, little regularisation) on the public benchmarks in ``bench/real_datasets.py``:
    within 0.001 AUC on the large sets, +0.007 AUC on the 1,000-row German credit set.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    learning_rate: float = Field(0.05, gt=0, le=1, description="Shrinkage per tree")
    num_leaves: int = Field(7, ge=2, description="Leaves per tree: shallow trees (depth ~3)")
    min_child_samples: int = Field(20, ge=1, description="Minimum rows per leaf")
    feature_fraction: float = Field(
        0.5, gt=0, le=1, description="Share of columns drawn per tree: decorrelates the trees"
    )
    bagging_fraction: float = Field(0.8, gt=0, le=1, description="Share of rows per tree")
    bagging_freq: int = Field(1, ge=0, description="Re-draw the row sample every k trees")
    lambda_l2: float = Field(10.0, ge=0, description="L2 penalty on leaf values (strong)")
    max_cat_to_onehot: int = Field(
        4, ge=1, description="Categoricals with at most this many levels split one-vs-rest"
    )
    cat_smooth: float = Field(10.0, ge=0, description="Smoothing of category statistics")
    min_data_per_group: int = Field(50, ge=1, description="Minimum rows per category group")
    max_boost_rounds: int = Field(3000, ge=1, description="Upper bound on the number of trees")
    early_stopping_rounds: int = Field(
        150, ge=1, description="Stop when validation log loss has not improved for this many trees"
    )
    monotone_constraints_method: Literal["basic", "intermediate", "advanced"] = Field(
        "intermediate", description="LightGBM's monotone method: all guarantee monotonicity"
    )
    n_jobs: int = Field(2, ge=1, description="Threads; the machine has 2 shared cores")

    def booster_params(
        self, objective: str, seed: int, monotone: list[int] | None = None
    ) -> dict[str, Any]:
        """LightGBM's parameter dict: reproducible (deterministic, seeded, column-wise
        histograms) and quiet."""
        params: dict[str, Any] = {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "max_cat_to_onehot": self.max_cat_to_onehot,
            "cat_smooth": self.cat_smooth,
            "min_data_per_group": self.min_data_per_group,
            "num_threads": self.n_jobs,
            "deterministic": True,
            "force_col_wise": True,
            "seed": seed,
            "verbosity": -1,
        }
        if monotone and any(monotone):
            params["monotone_constraints"] = monotone
            params["monotone_constraints_method"] = self.monotone_constraints_method
        return params


class ScorecardParams(BaseModel):
    """Settings of the WOE scorecard baseline (see :class:`models.scorecard.WoeScorecard`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_bins: int = Field(8, ge=2, description="Quantile bins per numeric column")
    min_bin_share: float = Field(
        0.05, ge=0, lt=0.5, description="Categories rarer than this share are pooled as 'other'"
    )
    min_information_value: float = Field(
        0.02, ge=0, description="Columns below this information value are left out"
    )
    c: float = Field(1.0, gt=0, description="Inverse L2 strength of the logistic regression")


class ProxyTargetPolicy(BaseModel):
    """The proxy tier: where default events are too few for a default-PD model, a model of a
    more frequent severe-delinquency event, calibrated down to the default rate.

    A customer that lets an invoice reach 60 days past due is far more often seen than one that
    reaches 90, and ranks much the same customers; the proxy model's PDs are shifted in log-odds
    so that their mean on the rows it was fitted on equals the observed default rate of those
    rows when there are some defaults, else the policy's portfolio default rate
    (``expert_scorecard.portfolio_default_rate``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        True, description="Train the proxy tier when the default-PD model cannot be trained"
    )
    dpd: int = Field(
        60, ge=1, description="Days past due that count as a severe-delinquency (proxy) event"
    )
    horizon_months: int = Field(12, ge=1, description="Proxy outcome window after the as-of date")


class TrainingPolicy(BaseModel):
    """How tasks are labelled, split and fitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_months: int = Field(
        12, ge=1, description="Default / late-payment outcome window after the as-of date"
    )
    default_dpd: int = Field(90, ge=1, description="Days past due that count as a default")
    late_after_days: int = Field(
        30, ge=0, description="Days past due that count as paying late (0 = any day after due)"
    )
    min_positives: int = Field(
        50, ge=2, description="Fewer events than this and the task is skipped (AUC would be noise)"
    )
    min_event_customers: int = Field(
        25,
        ge=1,
        description="Customer-month tasks (default PD, its proxy): fewer distinct customers with "
        "an event than this and the task is skipped; a defaulter counts in up to 12 monthly "
        "rows, so rows alone overstate what a book teaches",
    )
    oot_months: int = Field(
        6, ge=1, description="Out-of-time test window: the last months of the data"
    )
    valid_months: int = Field(6, ge=1, description="Validation window just before the test window")
    min_oot_months: int = Field(
        3,
        ge=1,
        description="A short history shrinks the test window down to this many months (never "
        "below) rather than leave nothing to fit on",
    )
    min_valid_months: int = Field(
        3,
        ge=1,
        description="A short history shrinks the validation window down to this many months; "
        "shorter still, the model is validated on customers never fitted on inside the fit months",
    )
    min_fit_months: int = Field(
        3, ge=1, description="Months the windows must leave to fit on before they shrink"
    )
    warmup_months: int = Field(
        6, ge=0, description="Months of ledger before the first default-PD snapshot"
    )
    min_warmup_months: int = Field(
        2,
        ge=0,
        description="A short ledger starts its snapshots earlier, down to this many months, so "
        "that the out-of-time test and at least one month to fit on have labelled snapshots",
    )
    refit_deployed: bool = Field(
        True,
        description="With dates: after the out-of-time evaluation, refit the deployed model on "
        "every labelled row up to the data end with the evaluated number of trees, so it knows "
        "the latest months; the evaluated model's test metrics stay the model's metrics",
    )
    holdout_share: float = Field(
        0.3,
        ge=0,
        lt=1,
        description="Share of customers never fitted on, whose rows in the out-of-time window "
        "form the test set (out of sample and out of time); 0 tests on every customer",
    )
    valid_holdout_share: float = Field(
        0.2,
        ge=0,
        lt=1,
        description="With dates and customers: share of the validation window's customers never "
        "fitted on, whose validation rows alone early-stop and calibrate LightGBM (validating on "
        "fitted customers rewards remembering them); 0 validates on every customer's rows",
    )
    min_valid_events: int = Field(
        20,
        ge=1,
        description="With valid_holdout_share: when the validation customers never fitted on "
        "hold fewer events than this, validate on every customer's validation rows instead (a "
        "small book's unseen customers may hold one late invoice: early stopping, calibration "
        "and model selection on it are noise)",
    )
    cv_folds: int = Field(5, ge=2, description="Stratified folds when the data has no dates")
    cv_repeats: int = Field(
        1, ge=1, description="Repeats of the cross-validation with reshuffled folds"
    )
    valid_share: float = Field(
        0.2,
        gt=0,
        lt=0.5,
        description="Without dates: share of each training fold held out for early stopping "
        "and calibration",
    )
    model_selection: Literal["validation", "lightgbm", "woe_scorecard"] = Field(
        "validation",
        description="Which model a binary task deploys: the better of LightGBM and the WOE "
        "scorecard on the validation rows (never the test window), or always one of them",
    )
    selection_margin: float = Field(
        0.0,
        ge=0,
        le=0.2,
        description="Validation AUC by which LightGBM must beat the scorecard to be deployed "
        "(its validation rows also chose its number of trees); ties go to the scorecard",
    )
    calibration: Literal["platt", "isotonic"] = Field(
        "platt", description="Platt keeps the ranking and suits small books; isotonic is freer"
    )
    missing_fill_quantile: float = Field(
        0.9,
        ge=0.5,
        le=1.0,
        description="A missing value of a feature with a credit direction is scored as the "
        "training value at this quantile towards the risky side (0.9: the 90th percentile of "
        "days late, the 10th of a bureau score), plus a missing flag that may only raise the "
        "PD; 0.5 is the median, the least the policy allows (missing never scores better than "
        "the portfolio median). Measured in bench/short_history.py: 0.9 ranks defaults better "
        "than the median on every book tried",
    )
    pd_floor: float = Field(
        0.0003, gt=0, lt=0.5, description="Smallest PD ever reported (Basel floor, 3 bp)"
    )
    seed: int = Field(42, description="Seed of splits, bagging and everything random")
    proxy_target: ProxyTargetPolicy = Field(default_factory=ProxyTargetPolicy)
    lightgbm: LightGBMParams = Field(default_factory=LightGBMParams)
    scorecard: ScorecardParams = Field(default_factory=ScorecardParams)
