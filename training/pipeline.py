"""``arscore train``: every model a ledger can support, trained, tested, logged and registered.

Tasks are independent: a ledger with no defaults still gets its late-payment model, a ledger
without onboarding profiles still gets its default-PD model. A task that cannot be trained is
reported as skipped with the reason; the run fails only when nothing could be trained.

The proxy tier (:mod:`training.proxy`) is trained only where the default-PD model was not: a
model of the policy's severe-delinquency event, calibrated down to the default rate. It is
registered, but may become champion only where it out-ranks the policy's expert scorecard on its
validation rows (:func:`training.selection.select_tier`); otherwise serving keeps falling back
to the scorecard.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from features.ledger_arrays import LedgerArrays
from features.policy import RulesPolicy
from features.registry import FEATURES
from ledger.frames import Ledger
from models.errors import InsufficientDataError, ModelError
from models.policy import ExpertScorecardPolicy, MasterScalePolicy
from models.tasks import REGISTERED_MODELS, Task
from training.fit import BinaryFit, fit_binary_task
from training.fit_regression import RegressionFit, fit_regression_task
from training.inputs import check_events
from training.policy import TrainingPolicy
from training.proxy import against_expert, calibrate_down, default_rate_of, proxy_pd_sample
from training.samples import Sample, default_pd_sample, invoice_samples, onboarding_sample
from training.selection import TierSelection
from training.tracking import log_and_register

Progress = Callable[[str], None]


class NothingTrainedError(RuntimeError):
    """No task could be trained; the message lists why for each."""


@dataclass(frozen=True)
class TaskOutcome:
    """What happened to one task: trained (with metrics and registry result) or skipped.

    ``metrics`` are LightGBM's and ``baseline_metrics`` the scorecard's test metrics; for a
    binary task ``selection`` says which of the two is deployed and why (``fit.metrics`` are the
    deployed kind's). For the proxy task ``tier`` says whether it or the expert scorecard gives
    the PDs; a proxy model that lost is registered but never champion (``serves`` is False)."""

    task: str
    status: Literal["trained", "skipped"]
    sample: str
    reason: str = ""
    split: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    baseline_metrics: dict[str, float] = field(default_factory=dict)
    registered_name: str | None = None
    version: int | None = None
    champion: bool = False
    decision: str = ""
    # Binary tasks: which kind of model (LightGBM or WOE scorecard) is deployed, and why.
    selection: str = ""
    seconds: float = 0.0
    fit: BinaryFit | RegressionFit | None = None
    tier: TierSelection | None = None

    @property
    def serves(self) -> bool:
        """Whether this trained model may serve: False for a proxy model that does not beat
        the expert scorecard on validation."""
        return self.status == "trained" and (self.tier is None or self.tier.proxy_serves)


def monotone_spec(columns: Sequence[str]) -> dict[str, int]:
    """Monotone directions from the feature registry (more days late never lowers PD…)."""
    return {c: FEATURES[c].monotone for c in columns if c in FEATURES and FEATURES[c].monotone}


def categorical_columns(columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in FEATURES and FEATURES[c].kind == "categorical"]


# Customer-month tasks: a customer with an event counts in many monthly rows.
_CUSTOMER_MONTH_TASKS = (Task.DEFAULT_PD, Task.PROXY_PD)


def check_event_customers(sample: Sample, training: TrainingPolicy) -> None:
    """Skip a customer-month task whose events come from fewer distinct customers than
    ``training.min_event_customers``: 80 default rows from 15 defaulters teach (and test) what
    15 customers do."""
    if sample.task not in _CUSTOMER_MONTH_TASKS or sample.groups is None or len(sample.y) == 0:
        return
    customers = int(sample.groups[np.asarray(sample.y) == 1].nunique())
    if customers < training.min_event_customers:
        raise InsufficientDataError(
            f"task {sample.task!r} skipped: its {int(np.sum(sample.y))} event rows come from "
            f"{customers} customers; the policy needs at least {training.min_event_customers} "
            "(training.min_event_customers) for a meaningful model"
        )


def _fit(
    sample: Sample, training: TrainingPolicy, scale: MasterScalePolicy
) -> BinaryFit | RegressionFit:
    if sample.task in _CUSTOMER_MONTH_TASKS:
        check_events(sample.task, np.asarray(sample.y, dtype=float), training)
        check_event_customers(sample, training)
    columns = list(sample.X.columns)
    categorical = categorical_columns(columns)
    if sample.task == Task.DAYS_LATE:
        # Days late has no monotone credit logic of its own; the binary tasks do.
        return fit_regression_task(
            sample.task,
            sample.X,
            sample.y,
            times=sample.dates,
            groups=sample.groups,
            categorical=categorical,
            policy=training,
        )
    return fit_binary_task(
        sample.task,
        sample.X,
        sample.y,
        times=sample.dates,
        groups=sample.groups,
        categorical=categorical,
        policy=training,
        monotone=monotone_spec(columns),
        # Every feature with a direction scores a missing value on its risky side of the median
        # (training.missing_fill_quantile) plus a flag that may only raise the PD, so "no data"
        # never scores better than the portfolio median (LightGBM alone may send it either way).
        fill_missing=monotone_spec(columns),
        scale=scale,
    )


def build_samples(
    ledger: Ledger,
    rules: RulesPolicy,
    training: TrainingPolicy,
    late_after_days: int | None = None,
    tasks: Sequence[str] = tuple(Task),
) -> dict[Task, Sample]:
    """Every requested task's sample from one prepared ledger (task names as Task or plain
    text; an unknown name is a ValueError)."""
    wanted = [Task(t) for t in tasks]
    arrays = LedgerArrays.from_ledger(ledger)
    samples: dict[Task, Sample] = {}
    if Task.DEFAULT_PD in wanted:
        samples[Task.DEFAULT_PD] = default_pd_sample(ledger, rules, training, arrays=arrays)
    if Task.LATE_PAYMENT in wanted or Task.DAYS_LATE in wanted:
        late, days = invoice_samples(ledger, rules, training, late_after_days)
        samples[Task.LATE_PAYMENT], samples[Task.DAYS_LATE] = late, days
    if Task.PROXY_PD in wanted:
        samples[Task.PROXY_PD] = proxy_pd_sample(ledger, rules, training, arrays=arrays)
    if Task.ONBOARDING_PD in wanted:
        samples[Task.ONBOARDING_PD] = onboarding_sample(ledger, rules, training, arrays=arrays)
    return {task: samples[task] for task in wanted if task in samples}


def _proxy_skip_reason(outcomes: Sequence[TaskOutcome], training: TrainingPolicy) -> str:
    """Why the proxy tier is not trained this run, or "" when it is needed."""
    if not training.proxy_target.enabled:
        return "the proxy tier is off (training.proxy_target.enabled: false)"
    if any(o.task == Task.DEFAULT_PD and o.status == "trained" for o in outcomes):
        return "not needed: the default-PD model trained, and serving prefers it"
    return ""


def train_ledger_models(
    ledger: Ledger,
    *,
    rules: RulesPolicy,
    training: TrainingPolicy,
    scale: MasterScalePolicy,
    tracking_uri: str | None,
    late_after_days: int | None = None,
    promote: bool = False,
    tasks: Sequence[str] = tuple(Task),
    progress: Progress | None = None,
    portfolio_default_rate: float | None = None,
    expert_scorecard: ExpertScorecardPolicy | None = None,
) -> list[TaskOutcome]:
    """Train every task the ledger supports; log and register each when ``tracking_uri`` is set.

    The proxy task is trained only when the default-PD model is not (it was not requested, or
    the book has too few defaults); its PDs are calibrated down to the observed default rate of
    its rows, or ``portfolio_default_rate`` (the policy's, by default the expert scorecard's)
    when they hold no default; it may become champion only where it beats ``expert_scorecard``
    (the policy's, which serving falls back to) on its validation rows. Raises
    :class:`NothingTrainedError` when every task was skipped.
    """
    say = progress or (lambda _message: None)
    say("building samples (features as of each date, labels after it)")
    # In the enum's order, so the proxy task always comes after the default-PD task it backs.
    asked = {Task(t) for t in tasks}
    wanted = [t for t in Task if t in asked]
    eager = [t for t in wanted if t != Task.PROXY_PD]
    samples = build_samples(ledger, rules, training, late_after_days, eager)
    expert = expert_scorecard or ExpertScorecardPolicy()
    policy_rate = (
        expert.portfolio_default_rate if portfolio_default_rate is None else portfolio_default_rate
    )
    late_after = training.late_after_days if late_after_days is None else late_after_days
    outcomes: list[TaskOutcome] = []
    for task in wanted:
        extra: dict[str, object] = {"late_after_days": late_after, "source": "ledger"}
        extra_metrics: dict[str, float] = {}
        tier: TierSelection | None = None
        if task == Task.PROXY_PD:
            why_not = _proxy_skip_reason(outcomes, training)
            if why_not:
                outcomes.append(TaskOutcome(task, "skipped", "", reason=why_not))
                say(f"skipped {task}: {why_not}")
                continue
            sample = proxy_pd_sample(ledger, rules, training)
        else:
            sample = samples[task]
        say(f"training {task} on {sample.describe()}")
        started = time.perf_counter()
        try:
            fitted = _fit(sample, training, scale)
        except ModelError as exc:  # too few events, or nothing learnable: skip, say why
            outcomes.append(TaskOutcome(task, "skipped", sample.describe(), reason=str(exc)))
            say(f"skipped {task}: {exc}")
            continue
        if task == Task.PROXY_PD:
            assert isinstance(fitted, BinaryFit)
            target = default_rate_of(sample, ledger, training, policy_rate)
            fitted = calibrate_down(fitted, sample.X, target)
            extra |= {
                "proxy_dpd": training.proxy_target.dpd,
                "proxy_horizon_months": training.proxy_target.horizon_months,
                "calibrated_default_rate": round(target.rate, 6),
                "default_rate_source": target.source,
            }
            say(
                f"{task} calibrated down to the {target.source} default rate {target.rate:.2%} "
                f"({target.defaults} defaults in {target.rows:,} rows)"
            )
            tier = against_expert(fitted, sample, ledger, rules, expert, training)
            fitted = replace(
                fitted,
                bundle=replace(
                    fitted.bundle, info={**fitted.bundle.info, "tier_selection": tier.as_record()}
                ),
            )
            extra |= {"tier_chosen": str(tier.chosen), "tier_reason": tier.reason}
            extra_metrics = {
                name: value
                for name, value in (
                    ("valid_auc_proxy", tier.valid_auc_proxy),
                    ("valid_auc_expert_scorecard", tier.valid_auc_expert),
                    ("valid_default_auc_proxy", tier.default_auc_proxy),
                    ("valid_default_auc_expert_scorecard", tier.default_auc_expert),
                )
                if value is not None
            }
        selection = fitted.selection.reason if isinstance(fitted, BinaryFit) else ""
        if selection:
            say(f"{task} deploys {selection}")
        if tier is not None:
            say(f"{task}: {tier.reason}")
            if tier.defaults_note():
                say(f"{task} {tier.defaults_note()}")
        registered = None
        name = REGISTERED_MODELS.get(task)
        if tracking_uri is not None and name is not None:
            say(f"logging {task} to MLflow and registering {name}")
            registered = log_and_register(
                fitted,
                registered_name=name,
                tracking_uri=tracking_uri,
                extra_params=extra,
                extra_metrics=extra_metrics,
                promote=promote,
                not_servable=None if tier is None or tier.proxy_serves else tier.reason,
            )
        outcomes.append(
            TaskOutcome(
                task=task,
                status="trained",
                sample=sample.describe(),
                split=fitted.split.description,
                # LightGBM's beside the scorecard's, whichever is deployed (``selection``).
                metrics=dict(
                    fitted.lightgbm_metrics if isinstance(fitted, BinaryFit) else fitted.metrics
                ),
                baseline_metrics=dict(fitted.baseline_metrics),
                registered_name=name,
                version=None if registered is None else registered.version,
                champion=False if registered is None else registered.decision.promoted,
                decision="" if registered is None else registered.decision.reason,
                selection=selection,
                seconds=time.perf_counter() - started,
                fit=fitted,
                tier=tier,
            )
        )
    if not any(o.status == "trained" for o in outcomes):
        reasons = "; ".join(f"{o.task}: {o.reason}" for o in outcomes) or "no tasks requested"
        raise NothingTrainedError(f"nothing could be trained from this ledger — {reasons}")
    return outcomes
