"""``arscore train``: every model a ledger can support, trained, tested, logged and registered.

Tasks are independent: a ledger with no defaults still gets its late-payment model, a ledger
without onboarding profiles still gets its default-PD model. A task that cannot be trained is
reported as skipped with the reason; the run fails only when nothing could be trained.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from features.ledger_arrays import LedgerArrays
from features.policy import RulesPolicy
from features.registry import FEATURES
from ledger.frames import Ledger
from models.errors import ModelError
from models.policy import MasterScalePolicy
from models.tasks import REGISTERED_MODELS, Task
from training.fit import BinaryFit, fit_binary_task
from training.fit_regression import RegressionFit, fit_regression_task
from training.policy import TrainingPolicy
from training.samples import Sample, default_pd_sample, invoice_samples, onboarding_sample
from training.tracking import log_and_register

Progress = Callable[[str], None]


class NothingTrainedError(RuntimeError):
    """No task could be trained; the message lists why for each."""


@dataclass(frozen=True)
class TaskOutcome:
    """What happened to one task: trained (with metrics and registry result) or skipped.

    ``metrics`` are LightGBM's and ``baseline_metrics`` the scorecard's test metrics; for a
    binary task ``selection`` says which of the two is deployed and why (``fit.metrics`` are the
    deployed kind's)."""

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


def monotone_spec(columns: Sequence[str]) -> dict[str, int]:
    """Monotone directions from the feature registry (more days late never lowers PD…)."""
    return {c: FEATURES[c].monotone for c in columns if c in FEATURES and FEATURES[c].monotone}


def filled_columns(columns: Sequence[str]) -> list[str]:
    """The columns whose missing values score as the training median plus a missing flag that
    may only raise the PD: every feature with a direction, so "no data" never scores better
    than the portfolio median (LightGBM alone may send it to the low-risk side of a split)."""
    return list(monotone_spec(columns))


def categorical_columns(columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in FEATURES and FEATURES[c].kind == "categorical"]


def _fit(
    sample: Sample, training: TrainingPolicy, scale: MasterScalePolicy
) -> BinaryFit | RegressionFit:
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
        fill_missing=filled_columns(columns),
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
    if Task.ONBOARDING_PD in wanted:
        samples[Task.ONBOARDING_PD] = onboarding_sample(ledger, rules, training, arrays=arrays)
    return {task: samples[task] for task in wanted if task in samples}


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
) -> list[TaskOutcome]:
    """Train every task the ledger supports; log and register each when ``tracking_uri`` is set.

    Raises :class:`NothingTrainedError` when every task was skipped.
    """
    say = progress or (lambda _message: None)
    say("building samples (features as of each date, labels after it)")
    samples = build_samples(ledger, rules, training, late_after_days, tasks)
    late_after = training.late_after_days if late_after_days is None else late_after_days
    outcomes: list[TaskOutcome] = []
    for task, sample in samples.items():
        say(f"training {task} on {sample.describe()}")
        started = time.perf_counter()
        try:
            fitted = _fit(sample, training, scale)
        except ModelError as exc:  # too few events, or nothing learnable: skip, say why
            outcomes.append(TaskOutcome(task, "skipped", sample.describe(), reason=str(exc)))
            say(f"skipped {task}: {exc}")
            continue
        selection = fitted.selection.reason if isinstance(fitted, BinaryFit) else ""
        if selection:
            say(f"{task} deploys {selection}")
        registered = None
        name = REGISTERED_MODELS.get(task)
        if tracking_uri is not None and name is not None:
            say(f"logging {task} to MLflow and registering {name}")
            registered = log_and_register(
                fitted,
                registered_name=name,
                tracking_uri=tracking_uri,
                extra_params={"late_after_days": late_after, "source": "ledger"},
                promote=promote,
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
            )
        )
    if not any(o.status == "trained" for o in outcomes):
        reasons = "; ".join(f"{o.task}: {o.reason}" for o in outcomes) or "no tasks requested"
        raise NothingTrainedError(f"nothing could be trained from this ledger — {reasons}")
    return outcomes
