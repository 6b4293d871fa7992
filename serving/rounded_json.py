"""The service's JSON answers, rounded as people read them (:mod:`models.rounding`): money to
cents, probabilities to 4 significant digits, counts as integers. Applied once, as the app's
default response class, so every route and every replayed (idempotent) answer agrees with the
CSVs and the workbook without each route remembering to round."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from models.rounding import rounded


class RoundedJSONResponse(JSONResponse):
    """A JSON response whose numbers are rounded by their keys' kinds."""

    def render(self, content: Any) -> bytes:
        return super().render(rounded(content))
