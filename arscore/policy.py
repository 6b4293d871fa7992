"""The credit policy: one YAML file of thresholds and rules, validated in full before use.

``Policy`` composes the sections the lower packages define (features, aging, overdue risk,
collection, early warnings; later labels, master scale, credit limits, expert scorecard; the
data's age) as top-level keys. Every key is optional - an absent one keeps its documented
default, so ``default_policy.yaml`` and an empty file mean the same policy - and an unknown key
is an error, because a typo that silently falls back to a default is the worst kind of policy
bug.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from features.policy import RulesPolicy
from ledger.as_of import DataPolicy
from models.policy import CreditLimitPolicy, ExpertScorecardPolicy, MasterScalePolicy
from training.policy import TrainingPolicy

DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.yaml")


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and every bad key."""


class Policy(RulesPolicy):
    """The whole credit policy. Extend it by adding a field per new section."""

    version: str = Field(
        "arscore-default-1",
        min_length=1,
        description="Your name for this version of the policy; recorded with every score",
    )
    training: TrainingPolicy = TrainingPolicy()
    master_scale: MasterScalePolicy = MasterScalePolicy()
    credit_limits: CreditLimitPolicy = CreditLimitPolicy()
    expert_scorecard: ExpertScorecardPolicy = ExpertScorecardPolicy()
    data: DataPolicy = DataPolicy()

    @model_validator(mode="after")
    def _limits_match_the_scale(self) -> Policy:
        self.credit_limits.check_matches(self.master_scale)
        return self


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the built-in defaults when ``path`` is None."""
    if path is None:
        return Policy()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {str(path)!r}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {str(path)!r} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"policy file {str(path)!r} must hold a mapping of sections (aging:, collection:…); "
            f"got a {type(data).__name__}"
        )
    return policy_from_dict(data, source=str(path))


def policy_from_dict(data: dict[str, Any], source: str = "policy") -> Policy:
    """Validate a parsed policy, listing every problem as ``section.key: what is wrong``."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        listing = "\n".join(f"  - {p}" for p in problems)
        raise PolicyError(f"{source} has {len(problems)} problem(s):\n{listing}") from exc


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against default_policy.yaml)"
    elif error["type"] != "value_error" and not isinstance(error.get("input"), dict | list):
        message = f"{message} (got {error.get('input')!r})"
    return f"{where}: {message}"


def policy_fingerprint(policy: Policy) -> str:
    """sha256 of the policy's canonical JSON: equal policies, equal fingerprints, whatever the
    file's layout, comments or key order."""
    canonical = json.dumps(
        policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
