"""The MLflow model registry: versions, the ``champion`` alias, promotion and rollback.

Serving loads ``models:/<name>@champion``; the alias moves only when a new version beats the
champion on the new version's out-of-time test rows (the champion's evaluated model is re-scored
on exactly the same rows: a deployed model refitted on every row may have been fitted on them),
or when a person forces it with :func:`promote` — which is also how to roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models.errors import InvalidInputError, ModelError
from models.metrics import binary_metrics, regression_metrics
from models.pyfunc import load_bundle
from models.tasks import CHAMPION_ALIAS
from training.fit import BinaryFit
from training.fit_regression import RegressionFit

METRIC_TAG = "arscore.metric"
METRIC_VALUE_TAG = "arscore.metric_value"
SPLIT_TAG = "arscore.split"
FINGERPRINT_TAG = "arscore.fingerprint"
# "evaluated" (the tested model is deployed) or "refit-all-rows" (refitted after evaluation).
DEPLOYED_FIT_TAG = "arscore.deployed_fit"
# Model URI of the evaluated model whose test metrics a version carries.
EVALUATED_MODEL_TAG = "arscore.evaluated_model"


class RegistryError(ModelError):
    """A registry request that cannot be served (unknown model or version)."""


@dataclass(frozen=True)
class VersionInfo:
    """One registered model version as a user sees it."""

    name: str
    version: int
    run_id: str | None
    created: datetime
    aliases: tuple[str, ...]
    metric: str | None
    metric_value: float | None
    split: str | None
    evaluated_model: str | None = None

    @property
    def is_champion(self) -> bool:
        return CHAMPION_ALIAS in self.aliases


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a new version became champion, and why, with the figures compared."""

    promoted: bool
    reason: str
    metric: str
    challenger_value: float
    champion_value: float | None = None
    champion_version: int | None = None


@contextmanager
def mlflow_uri(tracking_uri: str) -> Iterator[MlflowClient]:
    """Point MLflow's process-wide tracking and registry URIs at ``tracking_uri`` for the block
    (the fluent logging API reads them) and restore the previous ones afterwards."""
    previous_tracking = mlflow.get_tracking_uri()
    previous_registry = mlflow.get_registry_uri()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    finally:
        mlflow.set_tracking_uri(previous_tracking)
        mlflow.set_registry_uri(previous_registry)


def primary_metric(fit: BinaryFit | RegressionFit) -> tuple[str, float, bool]:
    """The metric that decides promotion: (name, value, higher is better)."""
    if isinstance(fit, BinaryFit):
        return "auc", float(fit.metrics["auc"]), True
    return "mae", float(fit.metrics["mae"]), False


def _aliases(client: MlflowClient, name: str) -> dict[int, tuple[str, ...]]:
    """Aliases per version (version search results do not carry them)."""
    by_version: dict[int, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        by_version.setdefault(int(version), []).append(alias)
    return {v: tuple(sorted(a)) for v, a in by_version.items()}


def _version_info(
    client: MlflowClient, name: str, mv: object, aliases: dict[int, tuple[str, ...]] | None = None
) -> VersionInfo:
    tags = dict(getattr(mv, "tags", {}) or {})
    aliases = _aliases(client, name) if aliases is None else aliases
    value = tags.get(METRIC_VALUE_TAG)
    return VersionInfo(
        name=name,
        version=int(mv.version),  # type: ignore[attr-defined]
        run_id=getattr(mv, "run_id", None),
        created=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),  # type: ignore[attr-defined]
        aliases=aliases.get(int(mv.version), ()),  # type: ignore[attr-defined]
        metric=tags.get(METRIC_TAG),
        metric_value=None if value is None else float(value),
        split=tags.get(SPLIT_TAG),
        evaluated_model=tags.get(EVALUATED_MODEL_TAG),
    )


def _require_model(client: MlflowClient, name: str) -> None:
    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        raise RegistryError(f"no model is registered as {name!r}") from exc


def list_versions(name: str, tracking_uri: str) -> list[VersionInfo]:
    """Every version of a registered model, newest first, with its aliases and metric."""
    with mlflow_uri(tracking_uri) as client:
        _require_model(client, name)
        versions = client.search_model_versions(f"name = '{name}'")
        aliases = _aliases(client, name)
        infos = [_version_info(client, name, mv, aliases) for mv in versions]
    return sorted(infos, key=lambda v: v.version, reverse=True)


def champion(name: str, tracking_uri: str) -> VersionInfo | None:
    """The version that holds the ``champion`` alias, or None."""
    with mlflow_uri(tracking_uri) as client:
        return _champion(client, name)


def _champion(client: MlflowClient, name: str) -> VersionInfo | None:
    try:
        mv = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        return None
    return _version_info(client, name, mv)


def withdraw_champion(client: MlflowClient, name: str) -> int | None:
    """Remove the ``champion`` alias from ``name`` (serving then falls back to the next tier);
    the version that held it, or None when none did."""
    current = _champion(client, name)
    if current is None:
        return None
    client.delete_registered_model_alias(name, CHAMPION_ALIAS)
    return current.version


def promote(name: str, version: int, tracking_uri: str) -> VersionInfo:
    """Make ``version`` the champion, whatever its metrics (deliberate promotion or rollback)."""
    with mlflow_uri(tracking_uri) as client:
        _require_model(client, name)
        try:
            client.get_model_version(name, str(version))
        except MlflowException as exc:
            raise RegistryError(f"model {name!r} has no version {version}") from exc
        client.set_registered_model_alias(name, CHAMPION_ALIAS, str(version))
        mv = client.get_model_version(name, str(version))
        return _version_info(client, name, mv)


def decide_promotion(
    client: MlflowClient,
    name: str,
    fit: BinaryFit | RegressionFit,
    tracking_uri: str,
    force: bool = False,
    not_servable: str | None = None,
) -> PromotionDecision:
    """Should the version just registered from ``fit`` become champion?

    ``not_servable`` says why the version must not serve whatever its test metric (a proxy
    model that does not beat the expert scorecard on validation): it is not promoted unless
    ``force``.

    Out of time, the current champion is re-scored on the new version's test rows and must be
    strictly beaten there by the new version's evaluated test metric. The champion's evaluated
    model is re-scored (its deployed refit may have been fitted on those very rows); a version
    registered before evaluated models were recorded is re-scored as registered. Without dates
    there is no shared out-of-time fold, so the recorded cross-validated metrics are compared
    and the reason says so.
    """
    metric, value, higher_is_better = primary_metric(fit)
    current = _champion(client, name)
    if force:
        return PromotionDecision(True, "promotion forced", metric, value, None, None)
    if not_servable:
        return PromotionDecision(
            False, not_servable, metric, value, None, None if current is None else current.version
        )
    if current is None:
        return PromotionDecision(True, "first champion of this model", metric, value)
    if fit.split.method == "out-of-time":
        try:
            uri = current.evaluated_model or f"models:/{name}/{current.version}"
            bundle = load_bundle(uri, tracking_uri)
            predicted = bundle.predict(fit.test_features)
        except InvalidInputError as exc:
            return PromotionDecision(
                False,
                f"champion v{current.version} cannot score the new test rows ({exc}); "
                "promote the new version by hand if it should replace it",
                metric,
                value,
                None,
                current.version,
            )
        if metric == "auc":
            champion_value = binary_metrics(fit.test_target, predicted)["auc"]
        else:
            champion_value = regression_metrics(fit.test_target, predicted)["mae"]
        basis = "on the same out-of-time test rows"
    else:
        recorded = current.metric_value if current.metric == metric else None
        if recorded is None:
            return PromotionDecision(
                False,
                f"champion v{current.version} has no recorded {metric}; promote by hand",
                metric,
                value,
                None,
                current.version,
            )
        champion_value = recorded
        basis = "cross-validated (no out-of-time fold: the data has no dates)"
    better = value > champion_value if higher_is_better else value < champion_value
    verdict = "beats" if better else "does not beat"
    return PromotionDecision(
        bool(better and np.isfinite(value)),
        f"{metric.upper()} {value:.4f} {verdict} champion v{current.version} "
        f"{champion_value:.4f} {basis}",
        metric,
        value,
        float(champion_value),
        current.version,
    )
