"""Labels, samples, out-of-time splits, fitting, evaluation and MLflow registration."""
