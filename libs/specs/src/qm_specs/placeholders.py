"""Placeholder kinds whose bodies later issues fill in: GoldDslSpec (gold-dsl) and SearchTemplate.

Both are strict envelopes only: they fix the kind, name, version and references so other specs can
point at them and validation can check those references. They compute nothing.
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


class SearchTemplate(StrictModel):
    """Envelope of a search over experiments: a base experiment and the axes to explore."""

    kind: Literal["search_template"]
    spec_version: SpecVersion = 2
    name: Name
    description: str = ""
    experiment: Name
    axes: dict[str, SweepValues] = Field(default_factory=dict)
