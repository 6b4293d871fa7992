"""Response bodies: one pydantic model per answer, so ``/openapi.json`` describes what each
endpoint really returns and a generated client can read it.

The models live beside the routes that return them (``serving.responses.scores`` for
``serving.routes.scores`` …); the error shape and the pieces shared by several answers are
in :mod:`serving.responses.common`.
"""
