"""Kinds owned by other parts of the platform: GoldDslSpec and SearchTemplate (placeholders that
later issues fill in) and RollPolicySpec (live ingestion's contract-roll policy).

GoldDslSpec and SearchTemplate are strict envelopes only: they fix the kind, name, version and
references so other specs can point at them and validation can check those references. They
compute nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from qm_specs.base import Name, StrictModel
from qm_specs.common import SpecVersion
from qm_specs.experiment import SweepValues


class GoldDslSpec(StrictModel):
    """Envelope of a declarative gold feature DAG; the gold-dsl issue validates the nodes."""

    kind: Literal["gold_dsl"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    dsl_version: Literal[1] = 1
    nodes: list[dict[str, Any]] = Field(min_length=1)


class RollPolicySpec(StrictModel):
    """How a continuous live session moves to the next contract (configs/rolls/, ingestion).

    Mirrors the ingestion service's policy so `make validate-configs` checks those files too.
    """

    kind: Literal["roll_policy"]
    spec_version: SpecVersion = 2
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    trigger: Literal["on_remap"] = "on_remap"
    reset_book: bool = True
    description: str = ""


class SearchTemplate(StrictModel):
    """Envelope of a search over experiments: a base experiment and the axes to explore."""

    kind: Literal["search_template"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    experiment: Name
    axes: dict[str, SweepValues] = Field(default_factory=dict)
