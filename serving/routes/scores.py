"""Scores of existing customers and applicants, and stored decisions."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request

from ledger.frames import Ledger
from models.scoring.applicants import score_applicant
from models.scoring.customers import score_customers
from models.tasks import Task
from serving.audit import get_decision
from serving.auth import Caller
from serving.decide import (
    check_onboarded,
    customer_ledger,
    decide,
    ledger_date,
    scoring_date,
)
from serving.deps import OFFICERS, IdempotencyKey, IdPath, StateDep, require
from serving.errors import NotFound
from serving.responses.common import AUTHENTICATED, WITH_BODY, errors
from serving.responses.decisions import StoredDecision
from serving.responses.scoring import ApplicantScore, CustomerScore
from serving.schemas import OnboardingRequest, ScoreRequest
from serving.state import ServiceState

router = APIRouter(prefix="/v1", tags=["scores"])
Officer = Annotated[Caller, Depends(require(*OFFICERS))]


@router.post("/scores", responses=errors(*AUTHENTICATED, *WITH_BODY, 403, 404, 409))
async def score(
    body: ScoreRequest,
    request: Request,
    state: StateDep,
    caller: Officer,
    idempotency_key: IdempotencyKey = None,
) -> CustomerScore:
    """Score an existing customer: default and late-payment probability, grade, reasons,
    aging, overdue risk, early warnings, recommended limit and action; ``pd_basis`` says
    whether the default-PD model or the policy's expert scorecard gave the PD."""
    # One score at a time per worker (the app's limiter): a score is ~20 ms of Python and
    # numpy under the GIL, so several in threads only add switching; queued requests wait
    # without burning CPU.
    answer = await anyio.to_thread.run_sync(
        _score, body, state, caller, idempotency_key, limiter=request.app.state.score_limiter
    )
    return CustomerScore.model_validate(answer)


def _score(
    body: ScoreRequest,
    state: ServiceState,
    caller: Caller,
    idempotency_key: str | None,
    ledger: Ledger | None = None,
) -> dict[str, Any]:
    """``POST /v1/scores``' work; ``ledger`` is the customer's sub-ledger when the caller (the
    customer page) has just read it with :func:`customer_ledger`, so it is not read twice."""
    date = ledger_date(state, body.as_of)
    as_of = date.day
    inputs = {"customer_id": body.customer_id, "as_of": as_of.isoformat()}

    def compute() -> tuple[dict[str, Any], dict[str, Any]]:
        sub = ledger if ledger is not None else customer_ledger(state, body.customer_id)
        check_onboarded(sub, body.customer_id, as_of)
        models = state.store.current.scoring()
        result = score_customers(
            sub,
            as_of,
            models,
            state.policy,
            customer_ids=[body.customer_id],
            top_n=state.config.reason_count,
            texts=state.texts,
            currency=state.currency,
        )[0]
        return {**result.to_dict(), **date.fields()}, dict(models.versions)

    return decide(
        state, caller, "POST /v1/scores", body.customer_id, inputs, idempotency_key, compute
    )


@router.post("/onboarding/scores", responses=errors(*AUTHENTICATED, *WITH_BODY, 403, 409))
def onboarding_score(
    body: OnboardingRequest,
    state: StateDep,
    caller: Officer,
    idempotency_key: IdempotencyKey = None,
) -> ApplicantScore:
    """Score an applicant from its profile with the onboarding model, or with the policy's
    expert scorecard when none is loaded (``pd_basis`` says which)."""
    as_of = scoring_date(body.as_of)
    profile = body.model_dump(exclude={"as_of"})
    inputs = {**profile, "as_of": as_of.isoformat()}

    def compute() -> tuple[dict[str, Any], dict[str, Any]]:
        model = state.store.current.loaded.get(Task.ONBOARDING_PD)
        result = score_applicant(
            profile,
            as_of,
            None if model is None else model.bundle,
            state.policy,
            top_n=state.config.reason_count,
            texts=state.texts,
            currency=state.currency,
        )
        versions = {} if model is None else {model.name: model.version}
        outputs = {
            **result.to_dict(),
            "requested_limit": body.requested_limit,
            "payment_terms_days": body.payment_terms_days,
            "model_versions": versions,
        }
        return outputs, versions

    return ApplicantScore.model_validate(
        decide(state, caller, "POST /v1/onboarding/scores", None, inputs, idempotency_key, compute)
    )


@router.get("/decisions/{decision_id}", responses=errors(*AUTHENTICATED, 403, 404, 422))
def decision(decision_id: IdPath, state: StateDep, caller: Officer) -> StoredDecision:
    """A stored decision with who made it, when, under which models and policy."""
    if len(decision_id) > 36:  # a valid id, but longer than any decision id
        raise NotFound(f"no decision with id {decision_id!r}")
    with state.engine.connect() as connection:
        found = get_decision(connection, decision_id)
    if found is None:
        raise NotFound(f"no decision with id {decision_id!r}")
    return StoredDecision(
        decision_id=found.decision_id,
        created_at=found.created_at.isoformat(),
        caller_name=found.caller_name,
        caller_role=found.caller_role,
        endpoint=found.endpoint,
        customer_id=found.customer_id,
        model_versions=found.model_versions,
        policy_version=found.policy_version,
        input_fingerprint=found.input_fingerprint,
        inputs=found.inputs,
        outputs=found.outputs,
    )
