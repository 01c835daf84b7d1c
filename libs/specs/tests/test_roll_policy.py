"""RollPolicySpec: `days_before_expiry` needs its N (0..90), a HH:MM roll time and a real zone."""

from __future__ import annotations

from typing import Any

import pytest

from qm_specs import parse_document
from qm_specs.placeholders import RollPolicySpec


def _problems(**fields: Any) -> list[str]:
    doc = parse_document("p.yaml", {"kind": "roll_policy", "name": "p", **fields})
    return [p.render() for p in doc.problems]


def test_days_before_expiry_policy_with_defaults() -> None:
    doc = parse_document(
        "p.yaml",
        {
            "kind": "roll_policy",
            "name": "p",
            "trigger": "days_before_expiry",
            "days_before_expiry": 8,
        },
    )
    assert isinstance(doc.spec, RollPolicySpec)
    assert (doc.spec.roll_time, doc.spec.timezone) == ("17:00", "America/New_York")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trigger": "days_before_expiry"}, "days_before_expiry is required"),
        ({"trigger": "on_remap", "days_before_expiry": 3}, "only allowed with trigger"),
        ({"trigger": "days_before_expiry", "days_before_expiry": 91}, "less than or equal to 90"),
        ({"trigger": "days_before_expiry", "days_before_expiry": -1}, "greater than or equal"),
        (
            {"trigger": "days_before_expiry", "days_before_expiry": 8, "roll_time": "25:00"},
            "expected HH:MM",
        ),
        (
            {"trigger": "days_before_expiry", "days_before_expiry": 8, "timezone": "Mars/Base"},
            "unknown timezone",
        ),
    ],
)
def test_bad_days_before_expiry_policies_name_the_problem(
    fields: dict[str, Any], reason: str
) -> None:
    problems = _problems(**fields)
    assert len(problems) == 1, problems
    assert reason in problems[0]
