"""The model bundle: scoring, explanations and a checksummed, pickle-free save format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shap

from models.bundle import MANIFEST_FILE, MODEL_FILE, ModelBundle
from models.errors import BundleIntegrityError, InvalidInputError
from models.master_scale import grade_of


def test_pred_contrib_matches_shap_tree_explainer(
    bundle: ModelBundle, credit_frame: Callable
) -> None:
    frame, _ = credit_frame(seed=12, n=200)
    ours = bundle.contributions(frame)
    matrix = bundle.schema.to_matrix(frame)
    explainer = shap.TreeExplainer(bundle.booster)
    reference = np.asarray(explainer.shap_values(matrix))
    assert ours.drop(columns=["bias"]).to_numpy() == pytest.approx(reference, abs=1e-6)
    assert float(np.ravel(explainer.expected_value)[0]) == pytest.approx(ours["bias"].iloc[0])


def test_contributions_add_up_to_the_raw_score(bundle: ModelBundle, credit_frame: Callable) -> None:
    frame, _ = credit_frame(seed=13, n=50)
    total = bundle.contributions(frame).sum(axis=1).to_numpy()
    assert total == pytest.approx(bundle.raw_score(frame))


def test_score_gives_pd_grade_and_points(bundle: ModelBundle, credit_frame: Callable) -> None:
    frame, _ = credit_frame(seed=14, n=20)
    scored = bundle.score(frame)
    assert list(scored.columns) == ["pd", "grade", "score"]
    assert scored["grade"].tolist() == grade_of(scored["pd"], bundle.master_scale).tolist()
    # A higher PD never has more points.
    ordered = scored.sort_values("pd")
    assert (np.diff(ordered["score"].to_numpy()) <= 0).all()


def test_explain_words_the_strongest_reasons(bundle: ModelBundle, credit_frame: Callable) -> None:
    frame, _ = credit_frame(seed=15, n=5)
    frame.loc[0, ["avg_days_late", "utilisation"]] = [80.0, 1.1]
    explanation = bundle.explain(frame, top_n=2)[0]
    assert explanation.raising[0].feature in {"avg_days_late", "utilisation"}
    assert explanation.raising[0].text.startswith(f"{explanation.raising[0].feature} is ")
    assert "portfolio median" in explanation.raising[0].text
    assert len(explanation.raising) <= 2
    assert len(explanation.lowering) <= 2


def test_save_and_load_predict_identically(
    bundle: ModelBundle, tmp_path: Path, credit_frame: Callable
) -> None:
    frame, _ = credit_frame(seed=16, n=100)
    bundle.save(tmp_path / "bundle")
    loaded = ModelBundle.load(tmp_path / "bundle")
    assert loaded.predict_pd(frame) == pytest.approx(bundle.predict_pd(frame), abs=1e-12)
    assert loaded.schema == bundle.schema
    assert loaded.monotone == {"avg_days_late": 1}
    assert loaded.master_scale == bundle.master_scale
    assert loaded.metrics == {"auc": 0.8}


def test_saved_model_is_lightgbm_text_and_json_only(
    bundle: ModelBundle, tmp_path: Path, credit_frame: Callable
) -> None:
    target = bundle.save(tmp_path / "bundle")
    names = sorted(p.name for p in target.iterdir())
    assert names == ["bundle.json", "calibrator.json", "manifest.json", "model.txt"]
    assert (target / MODEL_FILE).read_text().startswith("tree")
    for name in ("bundle.json", "calibrator.json", "manifest.json"):
        json.loads((target / name).read_text())


def test_altered_file_is_detected(
    bundle: ModelBundle, tmp_path: Path, credit_frame: Callable
) -> None:
    target = bundle.save(tmp_path / "bundle")
    model = target / MODEL_FILE
    model.write_text(model.read_text().replace("shrinkage=", "shrinkage=0", 1))
    with pytest.raises(BundleIntegrityError, match=r"model\.txt .* does not match its checksum"):
        ModelBundle.load(target)


def test_missing_file_is_detected(
    bundle: ModelBundle, tmp_path: Path, credit_frame: Callable
) -> None:
    target = bundle.save(tmp_path / "bundle")
    (target / "calibrator.json").unlink()
    with pytest.raises(BundleIntegrityError, match=r"missing calibrator\.json"):
        ModelBundle.load(target)
    (target / MANIFEST_FILE).unlink()
    with pytest.raises(BundleIntegrityError, match="not a model bundle"):
        ModelBundle.load(target)


def test_save_refuses_to_overwrite(
    bundle: ModelBundle, tmp_path: Path, credit_frame: Callable
) -> None:
    target = bundle.save(tmp_path / "bundle")
    with pytest.raises(FileExistsError):
        bundle.save(target)
    # Nothing half-written is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_scoring_without_a_feature_names_it(bundle: ModelBundle, credit_frame: Callable) -> None:
    frame, _ = credit_frame(seed=17, n=3)
    with pytest.raises(InvalidInputError, match="missing feature columns: \\['sector'\\]"):
        bundle.predict_pd(frame.drop(columns=["sector"]))
