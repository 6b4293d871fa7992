"""What the running service holds: the database, its configuration, the policy in force
(built once by the composition root) and the champion models."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from ledger.as_of import DataPolicy
from models.reasons import FeatureText
from models.scoring.common import ScoringPolicy
from serving.config import ServingConfig
from serving.ledger_clock import LedgerClock
from serving.model_store import ModelStore
from serving.portfolio_cache import PortfolioCache
from serving.rate_limit import RateLimiter


@dataclass
class ServiceState:
    """Shared by every request; swapped parts (models) are replaced atomically, never mutated."""

    engine: Engine
    config: ServingConfig
    policy: ScoringPolicy
    store: ModelStore
    currency: str = "EUR"
    data_policy: DataPolicy = field(default_factory=DataPolicy)

    @cached_property
    def ledger_clock(self) -> LedgerClock:
        """The ledger's dates, kept per worker and re-read every reload-check interval."""
        return LedgerClock(self.engine, self.config.reload_check_seconds)

    @cached_property
    def portfolio_cache(self) -> PortfolioCache:
        """Portfolio answers of the current ledger version, kept per worker."""
        return PortfolioCache(self.engine, self.config.portfolio_cache_entries)

    @cached_property
    def heavy_limiter(self) -> RateLimiter:
        """Per-caller limit on the calls that read the whole ledger, per worker."""
        return RateLimiter(self.config.heavy_calls_per_minute, self.config.heavy_call_burst)

    @property
    def policy_version(self) -> str:
        """The policy version recorded with every decision and rescoring run."""
        return self.policy.version

    @cached_property
    def texts(self) -> dict[str, FeatureText]:
        """Reason-code wording from the feature registry, money in the ledger's currency
        (built on first use, then kept)."""
        from features.registry import FEATURES, render_value
        from models.reasons import texts_from_registry

        currency = self.currency

        def render(name: str, value: object) -> str:
            return render_value(name, value, currency)

        return texts_from_registry(FEATURES, render)
