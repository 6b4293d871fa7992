"""The champions being served, and reloading them from the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.exc import SQLAlchemyError

from models.jsonable import jsonable
from serving.auth import Caller, Role
from serving.deps import OFFICERS, StateDep, require
from serving.heap import freeze_long_lived
from serving.metrics import MODEL_VERSION
from serving.reload_signal import record_reload_request
from serving.responses.common import AUTHENTICATED, errors
from serving.responses.models import ModelList, ReloadReport
from serving.state import ServiceState

router = APIRouter(prefix="/v1", tags=["models"])


def reload_champions(state: ServiceState, *, freeze: bool = True) -> dict[str, Any]:
    """Reload this worker's champions from the registry and publish the served versions as the
    ``arscore_model_version`` gauge; after a new model loads, the long-lived heap is frozen
    again (:mod:`serving.heap`). Returns the store's report."""
    report = state.store.reload()
    for model in state.store.current.loaded.values():
        MODEL_VERSION.labels(model.name).set(float(model.version))
    if freeze and any(entry["status"] == "loaded" for entry in report.values()):
        freeze_long_lived()
    return report


@router.get("/models", responses=errors(*AUTHENTICATED, 403, 422))
def list_models(
    state: StateDep, caller: Annotated[Caller, Depends(require(*OFFICERS))]
) -> ModelList:
    """Versions, alias, load time and key test metrics of each served model."""
    champions = state.store.current
    return ModelList.model_validate(
        jsonable(
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
    )


@router.post(
    "/models/reload",
    responses=errors(*AUTHENTICATED, 403, 422),
    response_model_exclude_none=True,  # an outcome names a version or reason only if it has one
)
def reload_models(
    state: StateDep, caller: Annotated[Caller, Depends(require(Role.RISK_ADMIN))]
) -> ReloadReport:
    """Load the current champions; a model that fails keeps its previous version serving."""
    report = reload_champions(state)
    try:
        with state.engine.begin() as connection:
            record_reload_request(connection, caller.name, "POST /v1/models/reload")
        check = state.config.reload_check_seconds
        note = (
            f"this worker reloaded now; every other worker follows within {check:g} s"
            if check > 0
            else "only this worker reloaded (reload checks are off); restart the service to "
            "reload every worker"
        )
    except SQLAlchemyError:
        poll = state.config.model_poll_seconds
        note = (
            "this worker reloaded now; the reload request could not be recorded, so other "
            f"workers follow only at their next registry poll ({poll:g} s)"
        )
    return ReloadReport.model_validate(
        {"models": report, "served": state.store.current.versions(), "note": note}
    )
