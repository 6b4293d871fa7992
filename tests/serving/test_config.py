"""The service's configuration: its model names default to the registered names of
:mod:`models.tasks`, so training and serving cannot drift apart."""

from __future__ import annotations

from models.tasks import Task, champion_uri
from serving.config import ServingConfig


def test_serving_defaults_load_the_registered_champions() -> None:
    config = ServingConfig()
    assert config.default_pd_model == Task.DEFAULT_PD.registered_name
    assert config.late_payment_model == Task.LATE_PAYMENT.registered_name
    assert config.days_late_model == Task.DAYS_LATE.registered_name
    assert config.onboarding_model == Task.ONBOARDING_PD.registered_name
    assert champion_uri(config.default_pd_model) == "models:/arscore-default-pd@champion"
