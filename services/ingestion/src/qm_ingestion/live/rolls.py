"""Contract roll policies: configs/rolls/<name>.yaml, `kind: roll_policy` (qm_specs model).

`on_remap`: roll when the gateway maps the continuous symbol to another contract (the decision
is the gateway's calendar rule, `c` = expiration); the switch is logged, audited and marked in
the stream so consumers reset the book.
"""

from __future__ import annotations

from pathlib import Path

from qm_core.errors import Invalid
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
