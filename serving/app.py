"""The FastAPI application factory.

``create_app(state)`` wires the routers, the one JSON error shape, Prometheus metrics and the
body-size limit; the lifespan loads the champions at start-up. The composition root
(``arscore serve``) builds the state; ``arscore.serve_app:app``-style factories pass it in.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.docs import install_docs
from serving.errors import error_body, install_error_handlers
from serving.heap import freeze_long_lived
from serving.metrics import install_metrics
from serving.reload_signal import latest_reload_request
from serving.rounded_json import RoundedJSONResponse
from serving.routes import aging, health, ledger_upserts, limits, rescore, scores, worklist
from serving.routes import models as model_routes
from serving.state import ServiceState
from serving.strict_query import refuse_unknown_query
from serving.web import install_pages


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, by header or while reading.

    The body is read here, before the app, up to the limit: a chunked body (no
    ``content-length``) that grows past it is refused with 413 too, where a limit enforced
    inside the app's own body parsing would surface as a 400 "error parsing the body". At
    most ``max_bytes`` is held, once, which the app would hold anyway to parse the JSON."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            error_body(
                "payload_too_large",
                f"the request body is larger than the limit of {self.max_bytes:,} bytes",
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    return await self._refuse(send)
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away before sending its body
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return await self._refuse(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        return await self.app(scope, replay, send)


def _latest_request(state: ServiceState) -> int:
    try:
        with state.engine.connect() as connection:
            return latest_reload_request(connection)
    except SQLAlchemyError:
        return 0


def create_app(state: ServiceState, *, load_models: bool = True) -> FastAPI:
    """The API around ``state``; with ``load_models`` the champions load at start-up."""

    async def watch_models(check_every: float, poll_every: float) -> None:
        # Each uvicorn worker holds its own models. A reload request in the database (the
        # reload endpoint, `arscore promote`) reaches every worker within ``check_every``; the
        # registry's aliases are re-read every ``poll_every`` for changes made elsewhere.
        seen = await asyncio.to_thread(_latest_request, state)
        last_poll = time.monotonic()
        while True:
            await asyncio.sleep(min(x for x in (check_every, poll_every) if x > 0))
            try:
                latest = await asyncio.to_thread(_latest_request, state) if check_every else 0
                due = poll_every > 0 and time.monotonic() - last_poll >= poll_every
                if latest > seen or due:
                    await asyncio.to_thread(model_routes.reload_champions, state)
                    seen, last_poll = max(seen, latest), time.monotonic()
            except Exception:  # a failed check keeps the current models; the next one retries
                continue

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Jobs left queued or running by a worker that died are failed at start-up.
        await asyncio.to_thread(rescore.sweep_orphans, state)
        if load_models:
            if not state.store.current.loaded:
                model_routes.reload_champions(state, freeze=False)
            freeze_long_lived()  # imports, state and models: the worker's long-lived heap
        watcher = None
        check, poll = state.config.reload_check_seconds, state.config.model_poll_seconds
        if load_models and (check > 0 or poll > 0):
            watcher = asyncio.create_task(watch_models(check, poll))
        yield
        if watcher is not None:
            watcher.cancel()

    app = FastAPI(
        title="arscore",
        version="1",
        description="Credit-risk scores, limits and aging for B2B receivables.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs, not from a CDN
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_query)],
        default_response_class=RoundedJSONResponse,
    )
    app.state.arscore = state
    app.state.score_limiter = anyio.CapacityLimiter(1)
    install_error_handlers(app)
    install_metrics(app)
    install_docs(app)
    install_pages(app)
    for router in (
        health.router,
        scores.router,
        limits.router,
        aging.router,
        model_routes.router,
        rescore.router,
        worklist.router,
        ledger_upserts.router,
    ):
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=state.config.max_body_bytes)
    return app
