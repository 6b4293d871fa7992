"""MLflow logging and the registry, against a temporary SQLite tracking store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from models.pyfunc import load_bundle
from models.tasks import Task, champion_uri
from training.fit import BinaryFit, fit_binary_task
from training.fit_regression import fit_regression_task
from training.policy import LightGBMParams, TrainingPolicy
from training.registry import RegistryError, champion, list_versions, promote
from training.tabular import train_onboarding_table
from training.tracking import RegisteredModel, log_and_register

pytestmark = pytest.mark.slow  # one MLflow database and a handful of registrations

FAST = TrainingPolicy(
    lightgbm=LightGBMParams(max_boost_rounds=200, early_stopping_rounds=20, learning_rate=0.1)
)
NAME = "arscore-test-pd"


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{(home / 'mlflow.db').as_posix()}"


@pytest.fixture(scope="module")
def fits(make_sample: Callable) -> dict[str, BinaryFit]:
    """A weak model (noise only), a strong one, both tested on the same latest months."""
    sample = make_sample(seed=31, n=2500)
    weak = fit_binary_task(
        "default_pd", sample.features[["noise"]], sample.target, times=sample.times, policy=FAST
    )
    strong = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=FAST
    )
    return {"weak": weak, "strong": strong}


@pytest.fixture(scope="module")
def registered(fits: dict[str, BinaryFit], tracking_uri: str) -> RegisteredModel:
    """The strong model, registered once under its own name."""
    return log_and_register(
        fits["strong"], registered_name="arscore-load-test", tracking_uri=tracking_uri
    )


def test_champion_moves_only_when_beaten_and_promote_rolls_back(
    fits: dict[str, BinaryFit], tracking_uri: str
) -> None:
    first = log_and_register(fits["weak"], registered_name=NAME, tracking_uri=tracking_uri)
    assert first.version == 1
    assert first.decision.promoted
    assert first.decision.reason == "first champion of this model"

    better = log_and_register(fits["strong"], registered_name=NAME, tracking_uri=tracking_uri)
    assert better.decision.promoted, better.decision.reason
    assert better.decision.champion_version == 1
    # The old champion was re-scored on the new test rows, not compared on its own.
    assert better.decision.champion_value == pytest.approx(fits["weak"].metrics["auc"])
    assert "on the same out-of-time test rows" in better.decision.reason

    same = log_and_register(fits["strong"], registered_name=NAME, tracking_uri=tracking_uri)
    assert not same.decision.promoted
    assert "does not beat champion v2" in same.decision.reason
    assert same.decision.challenger_value == better.decision.challenger_value

    forced = log_and_register(
        fits["weak"], registered_name=NAME, tracking_uri=tracking_uri, promote=True
    )
    assert forced.decision.promoted
    assert champion(NAME, tracking_uri).version == 4  # type: ignore[union-attr]

    rolled_back = promote(NAME, 2, tracking_uri)
    assert rolled_back.is_champion
    versions = list_versions(NAME, tracking_uri)
    assert [v.version for v in versions] == [4, 3, 2, 1]
    assert [v.is_champion for v in versions] == [False, False, True, False]
    assert versions[0].metric == "auc"
    assert versions[0].split == "out-of-time"


def test_a_version_that_must_not_serve_is_registered_but_never_champion(
    fits: dict[str, BinaryFit], tracking_uri: str
) -> None:
    name = "arscore-test-proxy"
    why = "expert scorecard serves: the proxy model does not beat it (test)"
    served = log_and_register(fits["weak"], registered_name=name, tracking_uri=tracking_uri)
    assert served.decision.promoted

    # Better on test than the champion, but the tier below ranks better on validation.
    lost = log_and_register(
        fits["strong"],
        registered_name=name,
        tracking_uri=tracking_uri,
        extra_metrics={"valid_auc_proxy": 0.81, "valid_auc_expert_scorecard": 0.84},
        not_servable=why,
    )
    assert not lost.decision.promoted
    assert (
        lost.decision.reason
        == f"{why}; the champion alias was removed from v1, so serving falls back"
    )
    assert champion(name, tracking_uri) is None  # serving loads nothing: the scorecard serves
    assert [v.version for v in list_versions(name, tracking_uri)] == [2, 1]
    run = MlflowClient(tracking_uri=tracking_uri).get_run(lost.run_id)
    assert run.data.metrics["valid_auc_proxy"] == pytest.approx(0.81)
    assert run.data.metrics["valid_auc_expert_scorecard"] == pytest.approx(0.84)

    again = log_and_register(
        fits["strong"], registered_name=name, tracking_uri=tracking_uri, not_servable=why
    )
    assert not again.decision.promoted
    assert again.decision.reason == why
    forced = log_and_register(
        fits["strong"],
        registered_name=name,
        tracking_uri=tracking_uri,
        promote=True,
        not_servable=why,
    )
    assert forced.decision.promoted
    assert forced.decision.reason == "promotion forced"
    assert champion(name, tracking_uri).version == 4  # type: ignore[union-attr]


def test_champion_bundle_loads_from_the_registry_and_scores_the_same(
    fits: dict[str, BinaryFit], tracking_uri: str, registered: RegisteredModel
) -> None:
    assert registered.decision.promoted
    loaded = load_bundle(champion_uri("arscore-load-test"), tracking_uri)
    rows = fits["strong"].test_features.head(20)
    assert loaded.predict_pd(rows) == pytest.approx(fits["strong"].bundle.predict_pd(rows))
    # The pyfunc face serves PD, grade and score.
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        served = mlflow.pyfunc.load_model(champion_uri("arscore-load-test")).predict(rows)
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
    assert list(served.columns) == ["pd", "grade", "score"]


def test_run_records_params_fingerprint_metrics_and_plots(
    fits: dict[str, BinaryFit], tracking_uri: str, registered: RegisteredModel
) -> None:
    client = MlflowClient(tracking_uri=tracking_uri)
    run = client.get_run(registered.run_id)
    fit = fits["strong"]
    assert run.data.params["data_fingerprint"] == fit.fingerprint
    assert run.data.params["split"] == "out-of-time"
    assert run.data.params["lgbm_num_leaves"] == "7"
    assert run.data.metrics["test_auc"] == pytest.approx(fit.metrics["auc"])
    assert run.data.metrics["baseline_auc"] == pytest.approx(fit.baseline_metrics["auc"])
    for key in ("test_gini", "test_ks", "test_brier", "test_log_loss", "test_pr_auc"):
        assert key in run.data.metrics
    assert any(key.startswith("grade_") for key in run.data.metrics)
    plots = {a.path for a in client.list_artifacts(registered.run_id, "report/plots")}
    assert plots == {
        "report/plots/roc.png",
        "report/plots/calibration.png",
        "report/plots/shap_summary.png",
        "report/plots/score_distribution.png",
    }
    report = {a.path for a in client.list_artifacts(registered.run_id, "report")}
    assert "report/features.json" in report
    assert "report/calibration_by_grade.csv" in report


def test_onboarding_table_is_registered_under_its_name(
    make_sample: Callable, tracking_uri: str, tmp_path: Path
) -> None:
    sample = make_sample(seed=32, n=1200)
    table = sample.features.assign(defaulted=sample.target)
    path = tmp_path / "applications.csv"
    table.to_csv(path, index=False)
    outcome = train_onboarding_table(path, "defaulted", tracking_uri=tracking_uri, policy=FAST)
    assert outcome.registered is not None
    assert outcome.registered.name == Task.ONBOARDING_PD.registered_name
    assert outcome.registered.decision.promoted
    assert (
        list_versions(Task.ONBOARDING_PD.registered_name, tracking_uri)[0].split == "stratified-cv"
    )


def test_unknown_model_or_version_is_a_clear_error(
    tracking_uri: str, registered: RegisteredModel
) -> None:
    with pytest.raises(RegistryError, match="no model is registered as 'arscore-nothing'"):
        list_versions("arscore-nothing", tracking_uri)
    with pytest.raises(RegistryError, match="'arscore-load-test' has no version 99"):
        promote(registered.name, 99, tracking_uri)


def test_days_late_regression_is_logged_with_mae_and_compared_on_mae(
    make_sample: Callable, tracking_uri: str
) -> None:
    sample = make_sample(seed=33, n=1500)
    days = 0.5 * sample.features["days_late"] + 8 * sample.features["utilisation"]
    fit = fit_regression_task(
        "late_payment_days", sample.features, days, times=sample.times, policy=FAST
    )
    first = log_and_register(fit, registered_name="arscore-days-test", tracking_uri=tracking_uri)
    again = log_and_register(fit, registered_name="arscore-days-test", tracking_uri=tracking_uri)
    assert first.decision.promoted
    assert first.decision.metric == "mae"
    assert not again.decision.promoted
    assert "MAE" in again.decision.reason
    client = MlflowClient(tracking_uri=tracking_uri)
    assert client.get_run(first.run_id).data.metrics["test_mae"] == pytest.approx(
        fit.metrics["mae"]
    )
    plots = {a.path for a in client.list_artifacts(first.run_id, "report/plots")}
    assert plots == {"report/plots/shap_summary.png", "report/plots/predicted_vs_actual.png"}


def test_run_logs_the_evaluated_fit_beside_the_registered_deployed_refit(
    registered: RegisteredModel, fits: dict[str, BinaryFit], tracking_uri: str
) -> None:
    fit = fits["strong"]
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    run = client.get_run(registered.run_id)
    assert run.data.tags["arscore.deployed_fit"] == "refit-all-rows"
    assert run.data.params["deployed_fit"] == "refit-all-rows"
    assert run.data.params["rows_deployed"] == str(fit.bundle.info["rows_deployed"])
    assert run.data.metrics["test_auc"] == pytest.approx(fit.metrics["auc"])
    version = client.get_model_version("arscore-load-test", str(registered.version))
    assert version.tags["arscore.deployed_fit"] == "refit-all-rows"
    evaluated_uri = version.tags["arscore.evaluated_model"]
    assert evaluated_uri == run.data.tags["arscore.evaluated_model"]
    rows = fit.test_features
    evaluated = load_bundle(evaluated_uri, tracking_uri)
    assert evaluated.info["role"] == "evaluated"
    assert evaluated.predict_pd(rows) == pytest.approx(fit.test_pd)
    deployed = load_bundle(registered.model_uri, tracking_uri)
    assert deployed.info["role"] == "deployed"
    assert deployed.predict_pd(rows) == pytest.approx(fit.bundle.predict_pd(rows))
