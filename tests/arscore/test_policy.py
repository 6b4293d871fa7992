"""The credit policy file: defaults, the documented default file, validation, fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from arscore.policy import (
    DEFAULT_POLICY_FILE,
    Policy,
    PolicyError,
    load_policy,
    policy_fingerprint,
)
from features.policy import RulesPolicy


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_the_built_in_defaults() -> None:
    assert load_policy(None) == Policy()


def test_documented_default_file_loads_to_exactly_the_built_in_defaults() -> None:
    loaded = load_policy(DEFAULT_POLICY_FILE)
    assert loaded == Policy()
    assert loaded.model_dump() == Policy().model_dump()


def test_default_file_states_every_key() -> None:
    """Documented means present: every default appears in the file, not only implicitly."""
    import yaml

    stated = yaml.safe_load(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))

    def keys(data: object, prefix: str = "") -> set[str]:
        if not isinstance(data, dict):
            return set()
        out = set()
        for key, value in data.items():
            out.add(prefix + key)
            out |= keys(value, prefix + key + ".")
        return out

    assert keys(Policy().model_dump(mode="json")) <= keys(stated)


def test_empty_file_and_partial_file_keep_defaults(tmp_path: Path) -> None:
    assert load_policy(_write(tmp_path, "")) == Policy()
    partial = load_policy(
        _write(tmp_path, "version: tight-2025\naging:\n  bucket_edges: [0, 15]\n")
    )
    assert partial.version == "tight-2025"
    assert partial.aging.labels == ("current", "1-15", "over 15")
    assert partial.collection == Policy().collection


def test_policy_is_usable_where_the_features_layer_expects_its_sections() -> None:
    assert isinstance(Policy(), RulesPolicy)


def test_fingerprint_ignores_layout_and_follows_values(tmp_path: Path) -> None:
    a = load_policy(_write(tmp_path, "aging: {bucket_edges: [0, 30], bad_debt_window_days: 365}"))
    b = load_policy(
        _write(
            tmp_path, "# comment\naging:\n  bad_debt_window_days: 365\n  bucket_edges: [0, 30]\n"
        )
    )
    assert policy_fingerprint(a) == policy_fingerprint(b)
    assert len(policy_fingerprint(a)) == 64
    c = load_policy(_write(tmp_path, "aging: {bucket_edges: [0, 31]}"))
    assert policy_fingerprint(c) != policy_fingerprint(a)
    assert policy_fingerprint(Policy()) == policy_fingerprint(load_policy(DEFAULT_POLICY_FILE))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aging:\n  bucket_edges: [0, 30, 30]", "aging.bucket_edges: must increase strictly"),
        ("aging:\n  bucket_edges: [10, 30]", "aging.bucket_edges: must start at 0"),
        ("agin:\n  bucket_edges: [0, 30]", "agin: unknown key"),
        ("aging:\n  buckets: [0, 30]", "aging.buckets: unknown key"),
        ("overdue_risk:\n  overdue_share: {medium: 1.5}", "overdue_share: medium is a share"),
        ("overdue_risk:\n  days_overdue: {medium: 50, high: 40}", "below the medium threshold"),
        ("overdue_risk:\n  strategies: {low: Relax}", "must give a strategy for every grade"),
        ("features:\n  dso_period_days: 5", "features.dso_period_days: Input should be greater"),
        ("features:\n  dso_period_days: soon", "unable to parse string as an integer (got 'soon')"),
        ("early_warnings:\n  utilisation_above: 1.5", "early_warnings.utilisation_above"),
        (
            "collection:\n  steps:\n    - {code: a, from_days_overdue: 10, action: A}\n"
            "    - {code: b, from_days_overdue: 5, action: B}\n  small_amount_last_step: a",
            "from_days_overdue must increase strictly",
        ),
        ("collection:\n  small_amount_last_step: sue", "'sue' is not one of"),
        (
            "collection:\n  steps:\n    - {code: none, from_days_overdue: 1, action: A}\n"
            "  small_amount_last_step: none",
            "are reserved",
        ),
        ("version: ''", "version: String should have at least 1 character"),
        ("- aging", "must hold a mapping of sections"),
        ("aging: [", "is not valid YAML"),
    ],
)
def test_invalid_policy_is_refused_with_a_precise_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "aging: {bucket_edges: [5]}\nagin: 1\nfeatures: {dso_cap_days: 1}\n")
    with pytest.raises(PolicyError, match="has 3 problem"):
        load_policy(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"cannot read policy file .*nope\.yaml"):
        load_policy(tmp_path / "nope.yaml")
