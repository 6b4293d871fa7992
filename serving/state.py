"""What the running service holds: the database, its configuration, the policy in force
(built once by the composition root) and the champion models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from models.scoring.common import ScoringPolicy
from serving.config import ServingConfig
from serving.model_store import ModelStore


@dataclass
class ServiceState:
    """Shared by every request; swapped parts (models) are replaced atomically, never mutated."""

    engine: Engine
    config: ServingConfig
    policy: ScoringPolicy
    store: ModelStore
    currency: str = "EUR"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def policy_version(self) -> str:
        """The policy version recorded with every decision and rescoring run."""
        return self.policy.version

    @property
    def texts(self) -> dict[str, Any]:
        """Reason-code wording from the feature registry, money in the ledger's currency."""
        cached = self.extras.get("texts")
        if cached is None:
            from features.registry import FEATURES, render_value
            from models.reasons import texts_from_registry

            currency = self.currency

            def render(name: str, value: object) -> str:
                return render_value(name, value, currency)

            cached = self.extras["texts"] = texts_from_registry(FEATURES, render)
        return cached
