"""MLflow "models from code" entry point: MLflow executes this file to build the model."""

import mlflow

from models.pyfunc import BundleModel

mlflow.models.set_model(BundleModel())
