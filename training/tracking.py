"""Log a fitted task to MLflow and register it: parameters, data fingerprint, feature list,
metrics, report plots and tables, and the model bundle as a ``python_function`` model.

When the deployed model was refitted on every row after an out-of-time evaluation, the run holds
both: the metrics, plots and tables are the evaluated model's (``test_*``; a binary task's
registered kind of model, LightGBM or the WOE scorecard, chosen on validation data and tagged
``arscore.model`` with the reason in ``arscore.selection``; ``lightgbm_*`` and ``baseline_*``
are both kinds' test metrics), logged beside it as
``evaluated_model``; the deployed refit is ``model``, the one registered. The run's
``arscore.deployed_fit`` tag and ``deployed_fit`` parameter say which kind of fit was registered,
and the registered version's ``arscore.evaluated_model`` tag points at the evaluated model so the
champion comparison can re-score like with like.

Same data and seed give the same logged metrics; the run records the fingerprint so a reader can
tell whether two runs saw the same data.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib.metadata import version as package_version
from pathlib import Path

import mlflow
from matplotlib.figure import Figure
from mlflow.tracking import MlflowClient

from models.master_scale import score_of
from models.pyfunc import BUNDLE_ARTIFACT, ENTRY_POINT, quiet_downloads, signature_of
from models.tasks import CHAMPION_ALIAS
from training.fit import BinaryFit
from training.fit_regression import RegressionFit
from training.plots import (
    calibration_figure,
    predicted_vs_actual_figure,
    roc_figure,
    score_distribution_figure,
    shap_summary_figure,
)
from training.registry import (
    DEPLOYED_FIT_TAG,
    EVALUATED_MODEL_TAG,
    FINGERPRINT_TAG,
    METRIC_TAG,
    METRIC_VALUE_TAG,
    SPLIT_TAG,
    PromotionDecision,
    decide_promotion,
    mlflow_uri,
    primary_metric,
    withdraw_champion,
)

_SHAP_ROWS = 10_000
# Which kind of model a run registered ("lightgbm" or "woe_scorecard") and why it was chosen.
MODEL_TAG = "arscore.model"
SELECTION_TAG = "arscore.selection"
_REQUIREMENTS = ("mlflow", "lightgbm", "numpy", "pandas", "scikit-learn", "pydantic")


@dataclass(frozen=True)
class RegisteredModel:
    """Where a fitted task ended up: its run, registered version and champion decision."""

    name: str
    version: int
    run_id: str
    model_uri: str
    decision: PromotionDecision


def artifact_root_for(tracking_uri: str) -> str | None:
    """Artifacts of a local SQLite store live beside the database file (``mlartifacts``), not
    in whatever directory the command happened to run from; remote stores decide themselves."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    database = Path(tracking_uri[len(prefix) :].split("?", 1)[0])
    return (database.resolve().parent / "mlartifacts").as_uri()


def _experiment_id(client: MlflowClient, name: str, tracking_uri: str) -> str:
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    return client.create_experiment(name, artifact_location=artifact_root_for(tracking_uri))


def _params(fit: BinaryFit | RegressionFit, extra: Mapping[str, object]) -> dict[str, str]:
    info = dict(fit.bundle.info)
    lightgbm = info.pop("lightgbm", {})
    params: dict[str, object] = {
        "task": fit.bundle.task,
        "kind": fit.bundle.kind,
        "split": fit.split.method,
        "split_description": fit.split.description,
        "rows": info.get("rows"),
        "rows_fit": fit.split.n_fit,
        "rows_valid": fit.split.n_valid,
        "rows_test": fit.split.n_test,
        "folds": fit.split.folds,
        "repeats": fit.split.repeats,
        "seed": info.get("seed"),
        "best_iteration": info.get("best_iteration"),
        "features": len(fit.bundle.schema.columns),
        "calibration": info.get("calibration") if fit.bundle.kind == "binary" else "none",
        "data_fingerprint": fit.fingerprint,
        "deployed_fit": _deployed_fit(fit),
        "rows_deployed": info.get("rows_deployed", info.get("rows")),
        **_selection_params(fit),
        **{f"lgbm_{k}": v for k, v in dict(lightgbm).items()},
        **extra,
    }
    return {k: str(v) for k, v in params.items()}


def _selection_params(fit: BinaryFit | RegressionFit) -> dict[str, object]:
    """Which kind of model is registered and why (binary tasks choose on validation data)."""
    if not isinstance(fit, BinaryFit):
        return {"model": "lightgbm"}
    s = fit.selection
    return {
        "model": s.chosen,
        "selection_reason": s.reason,
        "selection_valid_auc_lightgbm": s.valid_auc_lightgbm,
        "selection_valid_auc_scorecard": s.valid_auc_scorecard,
        "selection_rows_valid": s.rows_valid,
    }


def _selection_tags(fit: BinaryFit | RegressionFit) -> dict[str, str]:
    """The run's and version's ``arscore.model`` and ``arscore.selection`` tags."""
    if not isinstance(fit, BinaryFit):
        return {MODEL_TAG: "lightgbm"}
    return {MODEL_TAG: fit.selection.chosen, SELECTION_TAG: fit.selection.reason}


def _deployed_fit(fit: BinaryFit | RegressionFit) -> str:
    """Which fit is registered: the evaluated model itself, or a refit on every row."""
    return "evaluated" if fit.bundle is fit.evaluated else "refit-all-rows"


def _log_bundle(fit: BinaryFit | RegressionFit, bundle_dir: Path, name: str) -> str:
    """Log one bundle as a ``python_function`` model of the active run; its model URI."""
    logged = mlflow.pyfunc.log_model(
        name=name,
        python_model=str(ENTRY_POINT),
        artifacts={BUNDLE_ARTIFACT: str(bundle_dir)},
        signature=signature_of(fit.bundle),
        pip_requirements=[f"{p}=={package_version(p)}" for p in _REQUIREMENTS],
    )
    return str(logged.model_uri)


def _metrics(fit: BinaryFit | RegressionFit) -> dict[str, float]:
    out = {f"test_{k}": float(v) for k, v in fit.metrics.items()}
    out |= {f"baseline_{k}": float(v) for k, v in fit.baseline_metrics.items()}
    if isinstance(fit, BinaryFit):
        # test_* are the registered kind's; LightGBM's own beside them, chosen or not.
        out |= {f"lightgbm_{k}": float(v) for k, v in fit.lightgbm_metrics.items()}
        for name, value in (
            ("valid_auc_lightgbm", fit.selection.valid_auc_lightgbm),
            ("valid_auc_scorecard", fit.selection.valid_auc_scorecard),
        ):
            if value is not None:
                out[name] = float(value)
        grades = fit.grades
        for grade, n, mean_pd, observed_rate in zip(
            grades["grade"], grades["n"], grades["mean_pd"], grades["observed_rate"], strict=True
        ):
            out[f"grade_{grade}_n"] = float(n)
            if n:
                out[f"grade_{grade}_mean_pd"] = float(mean_pd)
                out[f"grade_{grade}_observed_rate"] = float(observed_rate)
        for i, auc in enumerate(fit.fold_aucs, start=1):
            out[f"fold_{i}_auc"] = float(auc)
    else:
        for i, mae in enumerate(fit.fold_maes, start=1):
            out[f"fold_{i}_mae"] = float(mae)
    return out


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)


def _write_report(fit: BinaryFit | RegressionFit, directory: Path) -> None:
    """Tables and plots of the run, written to ``directory`` before upload."""
    plots = directory / "plots"
    plots.mkdir()
    schema = fit.bundle.schema
    (directory / "features.json").write_text(json.dumps(schema.to_dict(), indent=1))
    # SHAP importance is stable on a sample; all 150,000 rows of a large book add only time.
    rows = fit.test_features
    if len(rows) > _SHAP_ROWS:
        rows = rows.sample(_SHAP_ROWS, random_state=int(fit.bundle.info.get("seed", 0)))
    contributions = fit.bundle.contributions(rows)
    importance = contributions.drop(columns=["bias"]).abs().mean().sort_values(ascending=False)
    importance.rename("mean_abs_shap").to_csv(directory / "feature_importance.csv")
    _save(shap_summary_figure(contributions, rows), plots / "shap_summary.png")
    if isinstance(fit, BinaryFit):
        fit.calibration.to_csv(directory / "calibration_table.csv", index=False)
        fit.grades.to_csv(directory / "calibration_by_grade.csv", index=False)
        fit.scorecard.points_table().to_csv(directory / "baseline_scorecard.csv", index=False)
        _save(
            roc_figure(fit.test_target, fit.test_lightgbm_pd, fit.test_baseline_pd),
            plots / "roc.png",
        )
        _save(calibration_figure(fit.calibration), plots / "calibration.png")
        scale = fit.bundle.master_scale
        if scale is not None:
            scores = score_of(fit.test_pd, scale)
            _save(
                score_distribution_figure(scores, fit.test_target),
                plots / "score_distribution.png",
            )
    else:
        _save(
            predicted_vs_actual_figure(fit.test_target, fit.test_prediction),
            plots / "predicted_vs_actual.png",
        )


def log_and_register(
    fit: BinaryFit | RegressionFit,
    *,
    registered_name: str,
    tracking_uri: str,
    experiment: str | None = None,
    run_name: str | None = None,
    extra_params: Mapping[str, object] | None = None,
    extra_metrics: Mapping[str, float] | None = None,
    promote: bool = False,
    not_servable: str | None = None,
) -> RegisteredModel:
    """Log ``fit`` as one MLflow run, register it as a new version of ``registered_name`` and
    move the ``champion`` alias if it beats the champion (or ``promote`` is set).

    ``not_servable`` says why this model must not serve (a proxy model that does not beat the
    expert scorecard on validation): the version is registered but not promoted, and an earlier
    champion loses the alias too, since the same comparison on the latest data says the tier
    below serves better; ``promote`` still forces it."""
    with mlflow_uri(tracking_uri) as client, quiet_downloads(), warnings.catch_warnings():
        # We log no input example on purpose: it would copy customer rows into the store.
        warnings.filterwarnings("ignore", message=".*input example was not provided.*")
        experiment_id = _experiment_id(client, experiment or registered_name, tracking_uri)
        with (
            tempfile.TemporaryDirectory(prefix="arscore-run-") as scratch,
            mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run,
        ):
            metric, value, _ = primary_metric(fit)
            mlflow.log_params(_params(fit, extra_params or {}))
            mlflow.set_tags(
                {
                    "arscore.task": fit.bundle.task,
                    FINGERPRINT_TAG: fit.fingerprint,
                    SPLIT_TAG: fit.split.method,
                    DEPLOYED_FIT_TAG: _deployed_fit(fit),
                    **_selection_tags(fit),
                }
            )
            mlflow.log_metrics(_metrics(fit) | dict(extra_metrics or {}))
            report = Path(scratch) / "report"
            report.mkdir()
            _write_report(fit, report)
            mlflow.log_artifacts(str(report), artifact_path="report")
            model_uri = _log_bundle(fit, fit.bundle.save(Path(scratch) / BUNDLE_ARTIFACT), "model")
            evaluated_uri = model_uri
            if fit.evaluated is not fit.bundle:
                evaluated_dir = fit.evaluated.save(Path(scratch) / "evaluated" / BUNDLE_ARTIFACT)
                evaluated_uri = _log_bundle(fit, evaluated_dir, "evaluated_model")
            mlflow.set_tag(EVALUATED_MODEL_TAG, evaluated_uri)
            run_id = run.info.run_id
        registered = mlflow.register_model(
            model_uri,
            registered_name,
            tags={
                METRIC_TAG: metric,
                METRIC_VALUE_TAG: repr(value),
                SPLIT_TAG: fit.split.method,
                FINGERPRINT_TAG: fit.fingerprint,
                DEPLOYED_FIT_TAG: _deployed_fit(fit),
                EVALUATED_MODEL_TAG: evaluated_uri,
                **_selection_tags(fit),
            },
        )
        version = int(registered.version)
        decision = decide_promotion(
            client, registered_name, fit, tracking_uri, force=promote, not_servable=not_servable
        )
        if decision.promoted:
            client.set_registered_model_alias(registered_name, CHAMPION_ALIAS, str(version))
        elif not_servable:
            withdrawn = withdraw_champion(client, registered_name)
            if withdrawn is not None:
                decision = replace(
                    decision,
                    reason=f"{decision.reason}; the champion alias was removed from "
                    f"v{withdrawn}, so serving falls back",
                )
    return RegisteredModel(
        name=registered_name,
        version=version,
        run_id=run_id,
        model_uri=f"models:/{registered_name}/{version}",
        decision=decision,
    )
