"""Prometheus metrics: request counts and latency by route, and the model versions served.

Under several uvicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` (``arscore serve`` does) so that
every worker's counts are aggregated into one scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from serving.deps import SeesDetail

REQUESTS = Counter(
    "arscore_http_requests_total",
    "HTTP requests by route, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "arscore_http_request_seconds",
    "HTTP request latency by route",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
MODEL_VERSION = Gauge(
    "arscore_model_version",
    "Registered model version being served",
    ["model"],
    multiprocess_mode="max",
)


class _Measure:
    """Pure ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per
    request, more than a limit check itself): time the request, read the status off the
    response start, and label both with the matched route template."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            LATENCY.labels(template, method).observe(time.perf_counter() - started)
            REQUESTS.labels(template, method, str(status)).inc()


def install_metrics(app: FastAPI) -> None:
    """Count and time every request under its route template (not the raw path, which would
    explode the label set with customer ids)."""
    app.add_middleware(_Measure)

    @app.get("/metrics", include_in_schema=False)
    def metrics(detail: SeesDetail) -> Response:
        # Per-route counts and the model versions served are the operator's: without
        # ``public_health_detail`` a scraper sends a token (Prometheus: ``authorization``).
        if not detail:
            raise HTTPException(
                status_code=401,
                detail="metrics need an API token: send 'Authorization: Bearer <token>' "
                "(or set ARSCORE_SERVING__PUBLIC_HEALTH_DETAIL=true)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
