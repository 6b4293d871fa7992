"""The proxy tier: a model of severe delinquency, calibrated down to the default rate.

A small book sees few defaults (an invoice 90 days past due unpaid, or written off) but many
more invoices that reach 60 days past due, and the customers who do are much the same ones. Where
the default-PD model cannot be trained, :func:`proxy_pd_sample` labels the same customer-month
snapshots with the policy's proxy event (``training.proxy_target``), the generic trainer fits
it, and :func:`calibrate_down` shifts the fitted model's PDs in log-odds so that their mean on
every row it was fitted on is the default rate: the observed one of those rows when there are
defaults, else the policy's portfolio default rate. The shift keeps the ranking (AUC) and the
bundle's JSON form, so serving reads a proxy model like any other and names it
``pd_basis: proxy_model``.

A proxy model serves only where it ranks better than the tier below it: :func:`against_expert`
scores the proxy task's validation rows with the policy's expert scorecard, as serving would
score those customers on those dates, and :func:`training.selection.select_tier` keeps the
proxy model only when its validation AUC on the proxy event is the higher one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.customer import customer_features_at
from features.ledger_arrays import LedgerArrays, to_day
from features.policy import RulesPolicy
from ledger.frames import Ledger
from models.calibration import calibrate_to_rate
from models.expert_scorecard import factor_points, pd_of_points
from models.policy import ExpertScorecardPolicy
from models.tasks import Task
from training.fit import BinaryFit
from training.labels import default_labels
from training.policy import TrainingPolicy
from training.samples import Sample, data_window, default_pd_sample
from training.selection import TierSelection, select_tier


def proxy_pd_sample(
    ledger: Ledger,
    rules: RulesPolicy,
    training: TrainingPolicy,
    arrays: LedgerArrays | None = None,
) -> Sample:
    """The default-PD snapshots labelled with the proxy event (e.g. 60+ days past due within
    12 months) instead of a default; customers already past the proxy event are left out."""
    proxy = training.proxy_target
    relabelled = training.model_copy(
        update={"default_dpd": proxy.dpd, "horizon_months": proxy.horizon_months}
    )
    return replace(
        default_pd_sample(ledger, rules, relabelled, arrays=arrays), task=Task.PROXY_PD.value
    )


@dataclass(frozen=True)
class DefaultRate:
    """The rate a proxy model is calibrated to, and where it comes from."""

    rate: float
    source: Literal["observed", "policy"]
    defaults: int
    rows: int

    def as_record(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "source": self.source,
            "defaults": self.defaults,
            "rows": self.rows,
        }


def default_rate_of(
    sample: Sample, ledger: Ledger, training: TrainingPolicy, policy_rate: float
) -> DefaultRate:
    """The 12-month default rate of the proxy sample's own rows (customer, as-of date), or
    ``policy_rate`` when none of them defaults (an invoices-only book, a young book)."""
    if len(sample.y) == 0:
        return DefaultRate(policy_rate, "policy", 0, 0)
    _, end = data_window(ledger)
    dates = sorted(pd.Series(sample.dates).unique())
    labels = default_labels(
        ledger,
        [pd.Timestamp(d) for d in dates],
        data_end=end,
        horizon_months=training.horizon_months,
        default_dpd=training.default_dpd,
    )
    rows = pd.DataFrame({"customer_id": sample.ids.to_numpy(), "as_of": sample.dates.to_numpy()})
    joined = rows.merge(labels, on=["customer_id", "as_of"], how="left")
    known = joined[joined["complete"].fillna(False).astype(bool)]
    defaults = int(known["defaulted"].sum())
    if defaults == 0 or known.empty:
        return DefaultRate(policy_rate, "policy", 0, len(known))
    return DefaultRate(defaults / len(known), "observed", defaults, len(known))


def calibrate_down(fit: BinaryFit, features: pd.DataFrame, target: DefaultRate) -> BinaryFit:
    """``fit`` with its deployed model's PDs shifted in log-odds so that their mean over
    ``features`` (the rows it was fitted on) is ``target.rate``.

    The test metrics stay those of the proxy event (the shift keeps the ranking, so the AUC is
    the same; Brier and log loss are the unshifted model's against the proxy outcome); the
    bundle's info records the proxy event, the rate and the shift.
    """
    bundle = fit.bundle
    assert bundle.calibrator is not None  # a binary fit is always calibrated
    margin = bundle.raw_score(features[bundle.schema.names])
    proxy_mean = float(np.mean(bundle.calibrator.predict(margin)))
    calibrator, shift = calibrate_to_rate(bundle.calibrator, margin, target.rate)
    record = {
        **target.as_record(),
        "proxy_event_mean_pd": proxy_mean,
        "log_odds_shift": shift,
        "rows_calibrated": len(features),
    }
    deployed = replace(
        bundle, calibrator=calibrator, info={**bundle.info, "calibrated_to_default_rate": record}
    )
    return replace(fit, bundle=deployed)


def expert_pd_of(
    sample: Sample,
    rows: NDArray[np.int64],
    arrays: LedgerArrays,
    rules: RulesPolicy,
    expert: ExpertScorecardPolicy,
) -> NDArray[np.float64]:
    """The expert scorecard's PD of each of ``rows`` (positions in ``sample``), computed as
    serving computes it (:func:`models.scoring.customers.score_customers`): the customer's
    features as of the row's own date, so only what was known then, scored by the policy's
    points."""
    ids = sample.ids.iloc[rows].to_numpy()
    dates = pd.to_datetime(sample.dates.iloc[rows]).to_numpy()
    out = np.empty(len(rows))
    for t in np.unique(dates):
        at_t = dates == t
        features = customer_features_at(arrays, to_day(pd.Timestamp(t)), rules.features)
        points = factor_points(features.loc[ids[at_t]], expert).sum(axis=1).to_numpy(dtype=float)
        out[at_t] = pd_of_points(points, expert)
    return out


def default_outcomes(
    sample: Sample, rows: NDArray[np.int64], ledger: Ledger, training: TrainingPolicy
) -> NDArray[np.float64] | None:
    """Whether each of ``rows`` defaulted within the policy's horizon after its date, or None
    when any of them cannot be told yet (its horizon runs past the data)."""
    _, end = data_window(ledger)
    ids = sample.ids.iloc[rows].to_numpy()
    dates = pd.to_datetime(sample.dates.iloc[rows]).to_numpy()
    labels = default_labels(
        ledger,
        [pd.Timestamp(t) for t in np.unique(dates)],
        data_end=end,
        horizon_months=training.horizon_months,
        default_dpd=training.default_dpd,
    )
    keys = pd.DataFrame({"customer_id": ids, "as_of": dates})
    joined = keys.merge(labels, on=["customer_id", "as_of"], how="left")
    if not joined["complete"].fillna(False).astype(bool).all():
        return None
    return joined["defaulted"].to_numpy(dtype=float)


def against_expert(
    fit: BinaryFit,
    sample: Sample,
    ledger: Ledger,
    rules: RulesPolicy,
    expert: ExpertScorecardPolicy,
    training: TrainingPolicy,
    arrays: LedgerArrays | None = None,
) -> TierSelection:
    """Does the proxy model in ``fit`` (trained on ``sample``) serve, or the expert scorecard?
    Both are compared on the fit's validation rows by AUC on the proxy event: the evaluated
    proxy model never fitted them, and the scorecard is fitted on nothing. Both AUCs on the
    same rows' defaults are recorded beside, where there are some."""
    if fit.valid_rows is None or fit.valid_margin is None:
        raise ValueError("the proxy tier is compared on out-of-time validation rows")
    rows = fit.valid_rows
    arrays = LedgerArrays.from_ledger(ledger) if arrays is None else arrays
    proxy = training.proxy_target
    return select_tier(
        np.asarray(sample.y, dtype=float)[rows],
        fit.valid_margin,
        expert_pd_of(sample, rows, arrays, rules, expert),
        training,
        event=f"{proxy.dpd}+ days past due within {proxy.horizon_months} months",
        defaults=default_outcomes(sample, rows, ledger, training),
    )
