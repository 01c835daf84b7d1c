"""Contract roll policies (configs/rolls/<name>.yaml, `kind: roll_policy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qm_core.errors import Invalid


class RollPolicy(BaseModel):
    """How a continuous session moves to the next contract.

    `on_remap`: roll when the gateway maps the continuous symbol to another contract (the
    decision is the gateway's calendar rule, `c` = expiration); the switch is logged, audited
    and marked in the stream so consumers reset the book.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["roll_policy"]
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    trigger: Literal["on_remap"] = "on_remap"
    reset_book: bool = True
    description: str = ""


def load_policy(directory: str | Path, name: str) -> RollPolicy:
    """The named policy; Invalid (400) when missing or malformed."""
    path = Path(directory) / f"{name}.yaml"
    if not path.is_file():
        raise Invalid(f"unknown roll policy {name!r} (no {path.name} under configs/rolls)")
    try:
        policy = RollPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise Invalid(f"roll policy {name!r} is invalid: {exc}") from exc
    if policy.name != name:
        raise Invalid(f"roll policy file {path.name} names itself {policy.name!r}")
    return policy
