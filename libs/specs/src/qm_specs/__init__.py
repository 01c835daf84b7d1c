"""qMachina specs: strict spec models, canonical hashing, validation, legacy shim and preflight."""

from qm_specs.base import Problem, StrictModel
from qm_specs.experiment import ExperimentSpec
from qm_specs.hashing import canonical_hash, canonical_json, spec_hash
from qm_specs.instrument import InstrumentSpec
from qm_specs.legacy import LegacySpecWarning
from qm_specs.loader import SPEC_KINDS, Document, load_file, parse_document
from qm_specs.pipeline import PipelineSpec
from qm_specs.placeholders import GoldDslSpec, RollPolicySpec, SearchTemplate
from qm_specs.preflight import PreflightFailed, preflight, require_preflight
from qm_specs.resolve import (
    DanglingReference,
    SpecRegistry,
    effective_hash,
    resolve_serving,
    resolved_config,
)
from qm_specs.serving import ServingSpec
from qm_specs.snapshot import Lineage, PublishedServingSpec, RuntimeSnapshot, publish

__all__ = [
    "SPEC_KINDS",
    "DanglingReference",
    "Document",
    "ExperimentSpec",
    "GoldDslSpec",
    "InstrumentSpec",
    "LegacySpecWarning",
    "Lineage",
    "PipelineSpec",
    "PreflightFailed",
    "Problem",
    "PublishedServingSpec",
    "RollPolicySpec",
    "RuntimeSnapshot",
    "SearchTemplate",
    "ServingSpec",
    "SpecRegistry",
    "StrictModel",
    "canonical_hash",
    "canonical_json",
    "effective_hash",
    "load_file",
    "parse_document",
    "preflight",
    "publish",
    "require_preflight",
    "resolve_serving",
    "resolved_config",
    "spec_hash",
]
