"""The modelling tasks and the names their models are registered under in MLflow.

Training registers each task's model under its registered name and serving loads
``models:/<name>@champion``, so both read them from here. :class:`Task` is a ``StrEnum``: a
member equals (and formats as) its plain name, ``"default_pd"``, which is what MLflow tags,
JSON keys and the CLI carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Task(StrEnum):
    """What a model predicts: a customer's default, a customer's severe delinquency (the proxy
    of default where defaults are too few, calibrated down to the default rate), an invoice
    paid late, days late, or an applicant's default from its profile alone."""

    DEFAULT_PD = "default_pd"
    PROXY_PD = "proxy_pd"
    LATE_PAYMENT = "late_payment"
    DAYS_LATE = "days_late"
    ONBOARDING_PD = "onboarding_pd"

    @property
    def registered_name(self) -> str:
        """The MLflow registered-model name of this task's models."""
        return REGISTERED_MODELS[self]


class PdBasis(StrEnum):
    """Which tier produced a score's default probability: the trained model (``model``: the
    default-PD model for a customer, the onboarding model for an applicant), the proxy model
    (``proxy_model``: a model of severe delinquency calibrated down to the default rate, where
    defaults were too few for a default-PD model) or the policy's expert scorecard
    (``expert_scorecard``: no model is loaded, or the book is too small to train one)."""

    MODEL = "model"
    PROXY_MODEL = "proxy_model"
    EXPERT_SCORECARD = "expert_scorecard"


CHAMPION_ALIAS: Final = "champion"

REGISTERED_MODELS: Final[Mapping[Task, str]] = MappingProxyType(
    {
        Task.DEFAULT_PD: "arscore-default-pd",
        Task.PROXY_PD: "arscore-proxy-pd",
        Task.LATE_PAYMENT: "arscore-late-payment",
        Task.DAYS_LATE: "arscore-days-late",
        Task.ONBOARDING_PD: "arscore-onboarding-pd",
    }
)


def champion_uri(registered_name: str) -> str:
    """The MLflow URI of a task's current champion."""
    return f"models:/{registered_name}@{CHAMPION_ALIAS}"
