"""Domain errors of the model layer.

They subclass ``ValueError`` so callers that only know built-ins still catch them, while the CLI
and the API can tell "your input is wrong" from "this model cannot be built" and word each for a
finance user.
"""

from __future__ import annotations


class ModelError(ValueError):
    """Base class of every error raised by the model layer."""


class InvalidInputError(ModelError):
    """Input data that cannot be scored or fitted as given; the message names column and row."""


class InsufficientDataError(ModelError):
    """A task that cannot be trained on this data (too few defaults, no usable columns…).

    Training pipelines catch it and report the task as skipped with this message.
    """


class BundleIntegrityError(ModelError):
    """A saved model bundle that is incomplete or whose files do not match their checksums."""
