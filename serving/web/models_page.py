"""Models (risk admins): the champions served (``GET /v1/models``' own function), every
registered version, the champions' test metrics and their calibration by grade (the training
run's ``calibration_by_grade.csv`` in MLflow)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from serving.auth import Role
from serving.routes.models import list_models
from serving.web.guard import Viewer, signed_in
from serving.web.render import page

router = APIRouter(prefix="/app", include_in_schema=False)
Admin = Annotated[Viewer, Depends(signed_in(Role.RISK_ADMIN))]
log = logging.getLogger(__name__)


def _registry(tracking_uri: str, names: list[str]) -> tuple[dict[str, list[dict]], dict[str, Any]]:
    """Every version of each registered model, and each champion's calibration by grade."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    versions: dict[str, list[dict]] = {}
    calibration: dict[str, Any] = {}
    for name in names:
        try:
            found = client.search_model_versions(f"name='{name}'")
        except MlflowException:
            continue
        versions[name] = sorted(
            (
                {
                    "version": int(v.version),
                    "aliases": ", ".join(v.aliases or []),
                    "created": pd.Timestamp(v.creation_timestamp, unit="ms", tz="UTC"),
                    "run_id": v.run_id,
                }
                for v in found
            ),
            key=lambda v: -v["version"],
        )
    return versions, calibration


def _calibration(tracking_uri: str, run_id: str | None) -> list[dict] | None:
    if not run_id:
        return None
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        stack = [""]
        while stack:
            for item in client.list_artifacts(run_id, stack.pop() or None):
                if item.is_dir:
                    stack.append(item.path)
                elif item.path.endswith("calibration_by_grade.csv"):
                    local = client.download_artifacts(run_id, item.path)
                    return pd.read_csv(local).to_dict("records")
    except Exception:  # a missing or unreadable artifact leaves the table out, not the page
        log.warning("calibration by grade unavailable for run %s", run_id, exc_info=True)
    return None


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, viewer: Admin) -> HTMLResponse:
    state = request.app.state.arscore
    served = list_models(state, viewer.caller).model_dump()
    tracking_uri = state.store._tracking_uri
    names = [m["name"] for m in served["models"]] + [str(m) for m in served["missing"]]
    versions, _ = _registry(tracking_uri, names)
    champions = []
    for m in served["models"]:
        run_id = next(
            (
                v["run_id"]
                for v in versions.get(m["name"], [])
                if str(v["version"]) == str(m["version"])
            ),
            None,
        )
        champions.append({**m, "calibration": _calibration(tracking_uri, run_id)})
    return page(
        request,
        "models.html",
        viewer.session,
        served=served,
        champions=champions,
        versions=versions,
    )
