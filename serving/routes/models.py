"""The champions being served, and reloading them from the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from models.scoring import _json_ready
from serving.auth import Caller, Role
from serving.deps import OFFICERS, StateDep, require
from serving.metrics import MODEL_VERSION

router = APIRouter(prefix="/v1", tags=["models"])


def publish_versions(state: Any) -> None:
    """Expose the served versions as the ``arscore_model_version`` gauge."""
    for model in state.store.current.loaded.values():
        MODEL_VERSION.labels(model.name).set(float(model.version))


@router.get("/models")
def list_models(
    state: StateDep, caller: Annotated[Caller, Depends(require(*OFFICERS))]
) -> dict[str, Any]:
    """Versions, alias, load time and key test metrics of each served model."""
    champions = state.store.current
    return _json_ready(
        {
            "alias": state.config.model_alias,
            "models": [
                {
                    "task": m.task,
                    "name": m.name,
                    "version": m.version,
                    "loaded_at": m.loaded_at.isoformat(),
                    "metrics": dict(m.bundle.metrics),
                }
                for m in champions.loaded.values()
            ],
            "missing": champions.missing,
            "errors": champions.errors,
            "policy_version": state.policy_version,
        }
    )


@router.post("/models/reload")
def reload_models(
    state: StateDep, caller: Annotated[Caller, Depends(require(Role.RISK_ADMIN))]
) -> dict[str, Any]:
    """Load the current champions; a model that fails keeps its previous version serving."""
    report = state.store.reload()
    publish_versions(state)
    interval = state.config.model_poll_seconds
    note = (
        f"this worker reloaded now; other workers pick the champions up within {interval:g} s"
        if interval > 0
        else "only this worker reloaded; restart the service to reload every worker"
    )
    return {"models": report, "served": state.store.current.versions(), "note": note}
