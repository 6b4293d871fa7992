"""Terminal logging for the CLI: quiet by default, everything with ``--verbose``.

A normal run shows arscore's own lines and the warnings and errors of the libraries under it;
their INFO lines (MLflow's database set-up and registry chatter, Alembic's migrations), Python
warnings from libraries, and MLflow's download progress bars only appear with ``-v``, where each
log line also carries its time and source.
"""

from __future__ import annotations

import logging
import os
import sys

_state = {"verbose": False}

# One line per record, never wrapped, so a log file reads as well as the terminal.
_FORMAT = "%(levelname)s %(name)s: %(message)s"
_VERBOSE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s [%(filename)s:%(lineno)d]"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record arrives (not when the handler was
    made), so a handler kept by a library outlives a swapped stream."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(verbose: bool) -> None:
    """Set up logging for one CLI run: WARNING and above by default, INFO with ``verbose``."""
    _state["verbose"] = verbose
    level = logging.INFO if verbose else logging.WARNING
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(_VERBOSE_FORMAT if verbose else _FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if verbose else logging.ERROR)
    # MLflow configures its loggers when it is imported, from this variable; one the user set
    # wins. Its artifact-download progress bars are for notebooks, not for a log.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(level))
    if not verbose:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _route_to_root(level)
    if "mlflow" in sys.modules:  # imported (and so configured) already in this process
        quiet_mlflow()


def _route_to_root(level: int) -> None:
    # MLflow gives these loggers handlers of its own when it is imported (its format, its
    # stream); sent through the root handler instead, every line looks and filters the same.
    for name in ("alembic", "mlflow"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
        logger.setLevel(level)


def quiet_mlflow() -> None:
    """Before a command uses MLflow (it imports MLflow, so only then): its loggers go through
    the CLI's handler at the run's level, and unless verbose its notices ("Successfully
    registered model …", printed past the logging levels) are dropped."""
    from mlflow.utils import logging_utils

    verbose = _state["verbose"]
    _route_to_root(logging.INFO if verbose else logging.WARNING)
    if verbose:
        logging_utils.enable_logging()
    else:
        logging_utils.disable_logging()  # the stream MLflow prints its notices to
