"""The MLflow ``python_function`` face of a model bundle.

The bundle directory travels as an MLflow model artifact; the wrapper is logged as *code*
(``pyfunc_entry.py``, MLflow's "models from code"), so nothing is pickled and
``mlflow.pyfunc.load_model("models:/arscore-default-pd@champion")`` works in serving.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models.signature import ModelSignature
from mlflow.pyfunc import PythonModel, PythonModelContext
from mlflow.types.schema import ColSpec, Schema

from models.bundle import ModelBundle

BUNDLE_ARTIFACT = "bundle"
ENTRY_POINT = Path(__file__).with_name("pyfunc_entry.py")


class BundleModel(PythonModel):
    """Scores a DataFrame with the bundle: PD, grade and score (binary) or the prediction."""

    def load_context(self, context: PythonModelContext) -> None:
        self.bundle = ModelBundle.load(context.artifacts[BUNDLE_ARTIFACT])

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        if self.bundle.kind == "binary":
            return self.bundle.score(model_input)
        predictions = self.bundle.predict(model_input)
        return pd.DataFrame({"prediction": predictions}, index=model_input.index)


def signature_of(bundle: ModelBundle) -> ModelSignature:
    """The MLflow signature of a bundle: its feature columns (all optional: missing values are
    allowed) in, PD/grade/score or the prediction out."""
    inputs = Schema(
        [
            ColSpec("string" if c.kind == "categorical" else "double", c.name, required=False)
            for c in bundle.schema.columns
        ]
    )
    if bundle.kind == "binary":
        outputs = Schema(
            [ColSpec("double", "pd"), ColSpec("long", "grade"), ColSpec("double", "score")]
        )
    else:
        outputs = Schema([ColSpec("double", "prediction")])
    return ModelSignature(inputs=inputs, outputs=outputs)


@contextmanager
def quiet_downloads() -> Iterator[None]:
    # MLflow draws a progress bar on every artifact download; finance users need no such noise.
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    previous = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def load_bundle(model_uri: str, tracking_uri: str | None = None) -> ModelBundle:
    """The bundle behind an MLflow model URI such as ``models:/arscore-default-pd@champion``.

    ``tracking_uri`` is used for the registry lookup only and the process-wide MLflow URIs are
    restored afterwards.
    """
    previous_tracking = mlflow.get_tracking_uri()
    previous_registry = mlflow.get_registry_uri()
    try:
        if tracking_uri is not None:
            mlflow.set_tracking_uri(tracking_uri)
            mlflow.set_registry_uri(tracking_uri)
        with quiet_downloads():
            loaded = mlflow.pyfunc.load_model(model_uri)
    finally:
        mlflow.set_tracking_uri(previous_tracking)
        mlflow.set_registry_uri(previous_registry)
    wrapper = loaded.unwrap_python_model()
    if not isinstance(wrapper, BundleModel):
        raise TypeError(f"{model_uri} is not an arscore model")
    return wrapper.bundle
