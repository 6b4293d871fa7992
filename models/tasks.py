"""The modelling tasks and the names their models are registered under in MLflow.

Training registers under these names and serving loads ``models:/<name>@champion``, so both
read them from here.
"""

from __future__ import annotations

from typing import Final

CHAMPION_ALIAS: Final = "champion"

DEFAULT_PD: Final = "arscore-default-pd"
LATE_PAYMENT: Final = "arscore-late-payment"
DAYS_LATE: Final = "arscore-days-late"
ONBOARDING_PD: Final = "arscore-onboarding-pd"

REGISTERED_MODELS: Final[dict[str, str]] = {
    "default_pd": DEFAULT_PD,
    "late_payment": LATE_PAYMENT,
    "days_late": DAYS_LATE,
    "onboarding_pd": ONBOARDING_PD,
}


def champion_uri(registered_name: str) -> str:
    """The MLflow URI of a task's current champion."""
    return f"models:/{registered_name}@{CHAMPION_ALIAS}"
