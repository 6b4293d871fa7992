"""The model bundle: everything serving needs to score one task, saved without pickle.

A bundle holds one of two estimators, chosen at training on validation data (see
``training.selection``): LightGBM, or the WOE scorecard. Serving does not care which: both score
through :meth:`ModelBundle.predict_pd` (the estimator's raw log-odds through the calibrator) and
explain through :meth:`ModelBundle.contributions` (TreeSHAP for LightGBM, coefficient × WOE
relative to the training mean for the scorecard, both in log-odds and summing to the raw score).
The scorecard reads the same model matrix as the booster (:func:`scorecard_frame`), so input
checks, category codes, filled missing values and missing flags are shared.

A bundle directory holds

- ``model.txt``: the LightGBM booster in LightGBM's own text format, or ``scorecard.json``: the
  scorecard's bins, weights of evidence, coefficients and intercept,
- ``calibrator.json``: the calibrator's parameters (binary tasks),
- ``bundle.json``: task, feature schema (order, kinds, categories, portfolio references),
  monotone constraints, test and baseline metrics, the master scale and training facts,
- ``manifest.json``: the SHA-256 of each file above; :meth:`ModelBundle.load` refuses a
  bundle whose files are missing or altered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.calibration import IsotonicCalibrator, PlattCalibrator, calibrator_from_dict
from models.errors import BundleIntegrityError, InvalidInputError
from models.feature_schema import FeatureSchema
from models.jsonable import jsonable
from models.master_scale import grade_of, score_of
from models.policy import MasterScalePolicy
from models.reasons import Explanation, FeatureText, explain_row
from models.scorecard import WoeScorecard

TaskKind = Literal["binary", "regression"]
EstimatorKind = Literal["lightgbm", "woe_scorecard"]
Estimator = lgb.Booster | WoeScorecard

BUNDLE_FORMAT = "arscore-model-bundle"
BUNDLE_VERSION = 1
MODEL_FILE = "model.txt"
SCORECARD_FILE = "scorecard.json"
CALIBRATOR_FILE = "calibrator.json"
META_FILE = "bundle.json"
MANIFEST_FILE = "manifest.json"
# Below this many rows the booster predicts on one thread: for a single API customer, waking
# OpenMP threads costs more than the prediction, and two service workers on two cores would
# fight over them.
SINGLE_THREAD_ROWS = 2_000


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scorecard_frame(schema: FeatureSchema, matrix: NDArray[np.float64]) -> pd.DataFrame:
    """The model matrix as the scorecard reads it: one column per :attr:`FeatureSchema.
    matrix_names` (missing flags included), numbers as they are, categorical codes as their
    category text (missing or unseen categories empty)."""
    frame = pd.DataFrame(matrix, columns=schema.matrix_names)
    for position in schema.categorical_positions:
        column = schema.columns[position]
        codes = matrix[:, position]
        known = ~np.isnan(codes)
        text = np.full(len(codes), None, dtype=object)
        text[known] = np.asarray(column.categories, dtype=object)[codes[known].astype("int64")]
        frame[column.name] = pd.Series(text, dtype="str")
    return frame


def estimator_kind(estimator: Estimator) -> EstimatorKind:
    """Which kind of estimator a bundle holds."""
    return "woe_scorecard" if isinstance(estimator, WoeScorecard) else "lightgbm"


@dataclass(frozen=True)
class ModelBundle:
    """A fitted model for one task, ready to score.

    ``booster`` is the estimator: a LightGBM booster or a fitted
    :class:`~models.scorecard.WoeScorecard` over :attr:`FeatureSchema.matrix_names` (binary
    tasks only). ``info`` carries facts about the training run (split method, sizes, data
    fingerprint, seed, LightGBM parameters, which model was chosen and why) for audit; scoring
    does not read it.
    """

    task: str
    kind: TaskKind
    booster: Estimator
    schema: FeatureSchema
    calibrator: PlattCalibrator | IsotonicCalibrator | None = None
    monotone: Mapping[str, int] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    baseline_metrics: Mapping[str, float] = field(default_factory=dict)
    master_scale: MasterScalePolicy | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("binary", "regression"):
            raise ValueError(f"kind must be 'binary' or 'regression'; got {self.kind!r}")
        if self.kind == "binary" and self.calibrator is None:
            raise ValueError("a binary model bundle needs a calibrator")
        if isinstance(self.booster, WoeScorecard):
            if self.kind != "binary":
                raise ValueError("a WOE scorecard predicts a probability: binary tasks only")
            if list(self.booster.columns_) != self.schema.matrix_names:
                raise ValueError("the scorecard's columns are not the schema's model matrix")
        elif self.booster.num_feature() != len(self.schema.matrix_names):
            raise ValueError(
                f"the booster uses {self.booster.num_feature()} features but the schema lists "
                f"{len(self.schema.matrix_names)}"
            )

    @property
    def estimator(self) -> EstimatorKind:
        """``lightgbm`` or ``woe_scorecard``."""
        return estimator_kind(self.booster)

    # --- scoring -------------------------------------------------------------------------

    def _matrix(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError("model input must be a table (pandas DataFrame)")
        return self.schema.to_matrix(frame)

    def _predict(self, matrix: NDArray[np.float64], **kwargs: Any) -> NDArray[np.float64]:
        if isinstance(self.booster, WoeScorecard):
            rows = scorecard_frame(self.schema, matrix)
            if kwargs.get("pred_contrib"):
                return self.booster.contributions(rows)
            return self.booster.decision_function(rows)
        if len(matrix) < SINGLE_THREAD_ROWS:
            kwargs["num_threads"] = 1
        return np.asarray(self.booster.predict(matrix, **kwargs), dtype="float64")

    def raw_score(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """The estimator's raw output: log-odds for binary tasks, the prediction for regression."""
        return self._predict(self._matrix(frame), raw_score=True)

    def _calibrator(self) -> PlattCalibrator | IsotonicCalibrator:
        if self.kind != "binary" or self.calibrator is None:
            raise InvalidInputError(f"task {self.task!r} predicts a quantity, not a probability")
        return self.calibrator

    def predict_pd(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Calibrated probability of default (or of the binary event) of each row."""
        calibrator = self._calibrator()
        return calibrator.predict(self.raw_score(frame))

    def predict(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """PD for binary tasks, the predicted value (e.g. days late) for regression tasks."""
        return self.predict_pd(frame) if self.kind == "binary" else self.raw_score(frame)

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """PD, master-scale grade and score points of each row (binary tasks)."""
        pd_values = self.predict_pd(frame)
        out = pd.DataFrame({"pd": pd_values}, index=frame.index)
        if self.master_scale is not None:
            out["grade"] = grade_of(pd_values, self.master_scale)
            out["score"] = np.round(score_of(pd_values, self.master_scale), 1)
        return out

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-row SHAP values from LightGBM's ``pred_contrib`` (exact TreeSHAP, in the raw
        output's unit: log-odds for binary tasks), or a scorecard's coefficient × WOE relative
        to its training mean, plus the base value in column ``bias``; each row sums to
        :meth:`raw_score`. A column's missing flag counts towards the column
        (:meth:`FeatureSchema.fold`)."""
        values = self.schema.fold(self._predict(self._matrix(frame), pred_contrib=True))
        return pd.DataFrame(values, columns=[*self.schema.names, "bias"], index=frame.index)

    def explain(
        self,
        frame: pd.DataFrame,
        top_n: int = 3,
        texts: Mapping[str, FeatureText] | None = None,
    ) -> list[Explanation]:
        """The top ``top_n`` reasons raising and lowering each row's prediction, in words."""
        return self._reasons(frame, self.contributions(frame).to_numpy(), top_n, texts)

    def predict_and_explain(
        self,
        frame: pd.DataFrame,
        top_n: int = 3,
        texts: Mapping[str, FeatureText] | None = None,
    ) -> tuple[NDArray[np.float64], list[Explanation]]:
        """Calibrated PD and reasons of each row from one TreeSHAP pass: the contributions sum
        to the raw score, so predicting separately would convert the features and walk the
        trees twice."""
        calibrator = self._calibrator()
        contributions = self.contributions(frame).to_numpy()
        # Column by column, not ``sum(axis=1)``: numpy's pairwise row sums can change in the
        # last bit with the number of rows, and one customer must score exactly as in a batch.
        raw = np.zeros(len(contributions))
        for j in range(contributions.shape[1]):
            raw += contributions[:, j]
        pd_values = np.asarray(calibrator.predict(raw), dtype="float64")
        return pd_values, self._reasons(frame, contributions, top_n, texts)

    def _reasons(
        self,
        frame: pd.DataFrame,
        contributions: NDArray[np.float64],
        top_n: int,
        texts: Mapping[str, FeatureText] | None,
    ) -> list[Explanation]:
        """Each row's reasons from its TreeSHAP ``contributions`` (features, then bias)."""
        names = self.schema.names
        references = [c.reference for c in self.schema.columns]
        categorical = [c.kind == "categorical" for c in self.schema.columns]
        values = frame[names].to_numpy(dtype=object)
        return [
            explain_row(contributions[i], names, values[i], references, categorical, top_n, texts)
            for i in range(len(frame))
        ]

    # --- persistence ---------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return jsonable(
            {
                "format": BUNDLE_FORMAT,
                "format_version": BUNDLE_VERSION,
                "task": self.task,
                "kind": self.kind,
                "estimator": self.estimator,
                "schema": self.schema.to_dict(),
                "monotone": dict(self.monotone),
                "metrics": dict(self.metrics),
                "baseline_metrics": dict(self.baseline_metrics),
                "master_scale": None
                if self.master_scale is None
                else self.master_scale.model_dump(mode="json"),
                "info": dict(self.info),
            }
        )

    def save(self, directory: str | Path) -> Path:
        """Write the bundle to ``directory`` (which must not exist or be empty).

        Files are written to a temporary sibling directory that is renamed into place at the
        end, so an interrupted save never leaves a half-written bundle behind.
        """
        target = Path(directory)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise FileExistsError(f"{target} already exists and is not an empty directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            if isinstance(self.booster, WoeScorecard):
                (staging / SCORECARD_FILE).write_text(
                    json.dumps(jsonable(self.booster.to_dict()), indent=1)
                )
                files = [SCORECARD_FILE, META_FILE]
            else:
                self.booster.save_model(str(staging / MODEL_FILE))
                files = [MODEL_FILE, META_FILE]
            if self.calibrator is not None:
                (staging / CALIBRATOR_FILE).write_text(
                    json.dumps(jsonable(self.calibrator.to_dict()), indent=1)
                )
                files.append(CALIBRATOR_FILE)
            (staging / META_FILE).write_text(json.dumps(self._meta(), indent=1, sort_keys=True))
            manifest = {
                "format": BUNDLE_FORMAT,
                "format_version": BUNDLE_VERSION,
                "files": {name: _sha256(staging / name) for name in sorted(files)},
            }
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            if target.exists():
                target.rmdir()
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, directory: str | Path) -> ModelBundle:
        """Read a bundle written by :meth:`save`, after checking every file's checksum."""
        source = Path(directory)
        manifest_path = source / MANIFEST_FILE
        if not manifest_path.is_file():
            raise BundleIntegrityError(f"{source} is not a model bundle: {MANIFEST_FILE} missing")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != BUNDLE_FORMAT:
            raise BundleIntegrityError(f"{source} is not an arscore model bundle")
        if manifest.get("format_version") != BUNDLE_VERSION:
            raise BundleIntegrityError(
                f"{source} has bundle format version {manifest.get('format_version')}; "
                f"this arscore reads version {BUNDLE_VERSION}"
            )
        for name, digest in manifest["files"].items():
            path = source / name
            if not path.is_file():
                raise BundleIntegrityError(f"model bundle {source} is missing {name}")
            if _sha256(path) != digest:
                raise BundleIntegrityError(
                    f"{name} in model bundle {source} does not match its checksum; "
                    "the file was changed after the model was saved"
                )
        meta = json.loads((source / META_FILE).read_text())
        calibrator = None
        if CALIBRATOR_FILE in manifest["files"]:
            calibrator = calibrator_from_dict(json.loads((source / CALIBRATOR_FILE).read_text()))
        scale = meta.get("master_scale")
        # Bundles written before scorecards could be served hold a booster and no "estimator".
        estimator: Estimator
        if meta.get("estimator", "lightgbm") == "woe_scorecard":
            estimator = WoeScorecard.from_dict(json.loads((source / SCORECARD_FILE).read_text()))
        else:
            estimator = lgb.Booster(model_file=str(source / MODEL_FILE))
        return cls(
            task=meta["task"],
            kind=meta["kind"],
            booster=estimator,
            schema=FeatureSchema.from_dict(meta["schema"]),
            calibrator=calibrator,
            monotone={k: int(v) for k, v in meta.get("monotone", {}).items()},
            metrics=_floats(meta.get("metrics", {})),
            baseline_metrics=_floats(meta.get("baseline_metrics", {})),
            master_scale=None if scale is None else MasterScalePolicy.model_validate(scale),
            info=meta.get("info", {}),
        )


def _floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: float("nan") if v is None else float(v) for k, v in values.items()}
