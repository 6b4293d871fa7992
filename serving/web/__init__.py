"""Web pages for credit officers, collectors and sales under ``/app``: server-rendered Jinja2
templates and plain forms, calling the same functions as the API routes (no second path to a
score), with inline SVG charts drawn on the server (nothing loaded from outside the app)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from serving.web import sign_in
from serving.web.guard import CsrfRejected, PageForbidden, SignInRequired, set_session, sign_in_url
from serving.web.render import page

STATIC_DIR = Path(__file__).parent / "static"


def install_pages(app: FastAPI) -> None:
    """Add the pages, their static files and the answers to page errors to ``app``."""
    from serving.web import credit, customers, models_page, portfolio

    app.mount("/app/static", StaticFiles(directory=STATIC_DIR), name="app-static")
    for router in (
        sign_in.router,
        customers.router,
        credit.router,
        portfolio.router,
        models_page.router,
    ):
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> RedirectResponse:
        response = RedirectResponse(sign_in_url(exc.next_path, exc.expired), status_code=303)
        if exc.expired:
            set_session(request, response, None)
        return response

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        return page(
            request,
            "error.html",
            exc.session,
            status_code=403,
            title="Not for your role",
            message=exc.message,
        )

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> HTMLResponse:
        return page(
            request,
            "error.html",
            exc.session if exc.session and exc.session.user else None,
            status_code=403,
            title="Form refused",
            message="The form was not sent from this site's page, or the page is too old. "
            "Nothing was changed. Reload the page and try again.",
        )
