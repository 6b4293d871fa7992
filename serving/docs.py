"""The API's documentation pages, served from the package itself: ``/docs`` (Swagger UI) and
``/redoc`` (ReDoc), with their scripts, styles and favicon vendored under ``serving/static/``
(pinned, licences beside them; see its README). FastAPI's defaults load them from a CDN, which
fails offline or behind a firewall, so the pages are built as FastAPI documents for
self-hosting, pointing at ``/static``. (``/`` leads to the web pages' sign-in.)
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
SWAGGER_UI = f"{STATIC_URL}/swagger-ui"  # swagger-ui-dist 5.36.0
REDOC = f"{STATIC_URL}/redoc"  # redoc 2.5.4
FAVICON = f"{SWAGGER_UI}/favicon-32x32.png"


def install_docs(app: FastAPI) -> None:
    """Serve the vendored files under ``/static`` and the pages at ``/docs`` and ``/redoc``.

    ``app`` must be created with ``docs_url=None, redoc_url=None``."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - API documentation",
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            # No validator badge: it would send the schema to a third-party validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False)
        def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - API reference",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
