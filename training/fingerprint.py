"""A fingerprint of the training data, logged with every model.

Two runs with the same fingerprint and seed saw the same data and must report the same
metrics; a changed fingerprint explains why metrics moved.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def data_fingerprint(
    features: pd.DataFrame, target: np.ndarray, times: pd.Series | None = None
) -> str:
    """SHA-256 over column names, dtypes, every value, the target and the dates."""
    digest = hashlib.sha256()
    for name, dtype in features.dtypes.items():
        digest.update(f"{name}\x1f{dtype}\x1e".encode())
    digest.update(pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(target, dtype="float64").tobytes())
    if times is not None:
        digest.update(pd.util.hash_pandas_object(times, index=False).to_numpy().tobytes())
    return digest.hexdigest()
