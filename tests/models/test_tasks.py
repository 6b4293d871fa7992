"""The one task enum: every task has one registered name, and a task is its plain string
wherever it leaves the process (JSON keys, MLflow tags, the CLI)."""

from __future__ import annotations

import json

from models.tasks import REGISTERED_MODELS, Task


def test_every_task_has_one_registered_name() -> None:
    assert set(REGISTERED_MODELS) == set(Task)
    assert len(set(REGISTERED_MODELS.values())) == len(Task)
    assert Task.DEFAULT_PD.registered_name == "arscore-default-pd"


def test_a_task_is_its_plain_string_in_json_and_text() -> None:
    assert Task.LATE_PAYMENT == "late_payment"
    assert f"{Task.DAYS_LATE}" == "days_late"
    assert json.dumps({Task.ONBOARDING_PD: Task.DEFAULT_PD}) == '{"onboarding_pd": "default_pd"}'
