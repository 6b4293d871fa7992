"""The champion models, loaded from the MLflow registry by alias and swapped atomically.

:meth:`ModelStore.reload` loads every champion into a new :class:`ScoringModels` and replaces
the reference in one assignment, so a request sees either the old set or the new one, never a
mix. A model that fails to load keeps its previous version serving (if there was one) and the
failure is reported; a model that was never registered is simply absent, with its reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.bundle import ModelBundle
from models.pyfunc import load_bundle
from models.scoring.common import ScoringModels
from models.tasks import Task
from serving.config import ServingConfig

Loader = Callable[[str, str | None], ModelBundle]


@dataclass(frozen=True)
class LoadedModel:
    """One champion in memory: its bundle, registered name and version."""

    task: Task
    name: str
    version: str
    bundle: ModelBundle
    loaded_at: datetime


@dataclass(frozen=True)
class Champions:
    """An immutable set of loaded champions; ``missing`` and ``errors`` say what is absent."""

    loaded: dict[str, LoadedModel] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def versions(self) -> dict[str, str]:
        return {m.name: m.version for m in self.loaded.values()}

    def bundle(self, task: str) -> ModelBundle | None:
        model = self.loaded.get(task)
        return None if model is None else model.bundle

    def scoring(self) -> ScoringModels:
        """The models :func:`models.scoring.customers.score_customers` uses."""
        unavailable = {
            **self.missing,
            **{t: f"failed to load: {e}" for t, e in self.errors.items()},
        }
        return ScoringModels(
            default_pd=self.bundle(Task.DEFAULT_PD),
            proxy_pd=self.bundle(Task.PROXY_PD),
            late_payment=self.bundle(Task.LATE_PAYMENT),
            days_late=self.bundle(Task.DAYS_LATE),
            versions=self.versions(),
            unavailable={t: r for t, r in unavailable.items() if t not in self.loaded},
        )


def registered_names(config: ServingConfig) -> dict[Task, str]:
    """The registered model each task's champion is loaded from (the configuration may
    rename them; the defaults are :data:`models.tasks.REGISTERED_MODELS`)."""
    return {
        Task.DEFAULT_PD: config.default_pd_model,
        Task.PROXY_PD: config.proxy_pd_model,
        Task.LATE_PAYMENT: config.late_payment_model,
        Task.DAYS_LATE: config.days_late_model,
        Task.ONBOARDING_PD: config.onboarding_model,
    }


class ModelStore:
    """Holds the current :class:`Champions`; reloads are serialised, reads are lock-free."""

    def __init__(
        self,
        config: ServingConfig,
        tracking_uri: str | None,
        loader: Loader = load_bundle,
    ) -> None:
        self._config = config
        self._tracking_uri = tracking_uri
        self._loader = loader
        self._lock = threading.Lock()
        self.current = Champions()

    def _version_of(self, name: str) -> str | None:
        """The version the alias points at, or None when the model or alias does not exist."""
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=self._tracking_uri, registry_uri=self._tracking_uri)
        try:
            return str(client.get_model_version_by_alias(name, self._config.model_alias).version)
        except MlflowException:
            return None

    def reload(self) -> dict[str, Any]:
        """Load every champion; keep the previous version of any model that fails.

        Returns a report per task: ``loaded`` (version), ``unchanged``, ``kept`` (failed, the
        previous version still serves), ``failed`` or ``missing``, with the reason.
        """
        with self._lock:
            previous = self.current
            loaded: dict[str, LoadedModel] = {}
            missing: dict[str, str] = {}
            errors: dict[str, str] = {}
            report: dict[str, Any] = {}
            alias = self._config.model_alias
            for task, name in registered_names(self._config).items():
                old = previous.loaded.get(task)
                try:
                    version = self._version_of(name)
                except Exception as exc:  # registry unreachable: keep what serves
                    version, error = None, f"registry lookup failed: {type(exc).__name__}: {exc}"
                    errors[task] = error
                    if old is not None:
                        loaded[task] = old
                    report[task] = {"status": "kept" if old else "failed", "reason": error}
                    continue
                if version is None:
                    missing[task] = f"no model is registered as {name}@{alias}"
                    report[task] = {"status": "missing", "reason": missing[task]}
                    continue
                if old is not None and old.version == version:
                    loaded[task] = old
                    report[task] = {"status": "unchanged", "version": version}
                    continue
                try:
                    bundle = self._loader(f"models:/{name}/{version}", self._tracking_uri)
                except Exception as exc:  # any load failure leaves the previous model serving
                    errors[task] = f"version {version}: {type(exc).__name__}: {exc}"
                    if old is not None:
                        loaded[task] = old
                    report[task] = {
                        "status": "kept" if old else "failed",
                        "version": None if old is None else old.version,
                        "reason": errors[task],
                    }
                    continue
                loaded[task] = LoadedModel(task, name, version, bundle, datetime.now(UTC))
                report[task] = {"status": "loaded", "version": version}
            self.current = Champions(loaded=loaded, missing=missing, errors=errors)
            return report
