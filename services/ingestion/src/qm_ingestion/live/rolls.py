"""Contract roll policies: configs/rolls/<name>.yaml, `kind: roll_policy` (qm_specs model).

`on_remap`: roll when the gateway maps the continuous symbol to another contract (the decision
is the gateway's calendar rule, `c` = expiration); the switch is logged, audited and marked in
the stream so consumers reset the book.
`days_before_expiry`: the supervisor reads the product's definitions and rolls N days before the
streamed contract's expiry (qm_ingestion.runtime.schedule); continuous symbols only.
"""

from __future__ import annotations

from pathlib import Path

from qm_core.errors import Invalid
from qm_ingestion.runtime.config import stype_of
from qm_ingestion.runtime.schedule import ScheduledRoll
from qm_specs import RollPolicySpec, load_file


def load_policy(directory: str | Path, name: str) -> RollPolicySpec:
    """The named policy; Invalid (400) when missing or malformed, naming every problem."""
    path = Path(directory) / f"{name}.yaml"
    if not path.is_file():
        raise Invalid(f"unknown roll policy {name!r} (no {path.name} under configs/rolls)")
    doc = load_file(path, display=f"configs/rolls/{path.name}")
    if doc.problems or not isinstance(doc.spec, RollPolicySpec):
        reasons = "; ".join(f"{p.path or 'kind'}: {p.reason}" for p in doc.problems)
        raise Invalid(f"roll policy {name!r} is invalid: {reasons or 'not a roll_policy'}")
    if doc.spec.name != name:
        raise Invalid(f"roll policy file {path.name} names itself {doc.spec.name!r}")
    return doc.spec


def scheduled(policy: RollPolicySpec) -> ScheduledRoll | None:
    """The supervisor's schedule of a `days_before_expiry` policy (None for `on_remap`)."""
    if policy.trigger != "days_before_expiry" or policy.days_before_expiry is None:
        return None
    return ScheduledRoll(
        name=policy.name,
        days_before_expiry=policy.days_before_expiry,
        roll_time=policy.roll_time,
        timezone=policy.timezone,
    )


def session_roll(directory: str | Path, name: str | None, symbol: str) -> ScheduledRoll | None:
    """The scheduled roll of a session (None without one); Invalid when it cannot apply."""
    if name is None:
        return None
    plan = scheduled(load_policy(directory, name))
    if plan is not None and stype_of(symbol) != "continuous":
        raise Invalid(
            f"roll policy {name!r} (days_before_expiry) needs a continuous symbol such as "
            f"ES.c.0, not {symbol!r}"
        )
    return plan
