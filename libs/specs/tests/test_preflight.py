"""Promotion preflight rejects every class of bad published serving spec, listing all problems."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from qm_core.errors import Invalid
from qm_specs import (
    Lineage,
    PreflightFailed,
    PublishedServingSpec,
    ServingSpec,
    SpecRegistry,
    canonical_hash,
    preflight,
    publish,
    require_preflight,
    resolve_serving,
)
from qm_specs.snapshot import snapshot_json


@pytest.fixture
def published(registry: SpecRegistry) -> dict[str, Any]:
    serving = registry.get("serving", "qmdemo_vp", ServingSpec, "serving")
    lineage = Lineage(
        serving_spec_name="qmdemo_vp",
        experiment_name="qmdemo_flow_sweep",
        run_id="run_0001",
        signal_name="flow_score",
        config_hash="ab" * 32,
        promoted_at="2026-11-26T03:00:00Z",  # type: ignore[arg-type]
    )
    spec = publish("srv_qmdemo_vp_0001", resolve_serving(serving, registry), lineage)
    return spec.model_dump(mode="json")


def _rehash(doc: dict[str, Any]) -> dict[str, Any]:
    doc["snapshot_hash"] = canonical_hash(doc["runtime_snapshot"])
    return doc


def test_a_published_canonical_spec_passes(published: dict[str, Any]) -> None:
    assert preflight(published) == []
    spec = require_preflight(published)
    assert isinstance(spec, PublishedServingSpec)
    assert preflight(spec) == []
    assert spec.snapshot_hash == canonical_hash(snapshot_json(spec.runtime_snapshot))


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _add_field(name: str, dtype: str, role: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        schema = doc["runtime_snapshot"]["serving"]["stream_schema"]
        schema.append({"name": name, "dtype": dtype, "role": role, "description": ""})

    return mutate


@pytest.mark.parametrize(
    ("mutate", "path", "needle"),
    [
        (_drop("runtime_snapshot", "instrument"), "runtime_snapshot.instrument", "missing"),
        (
            _drop("runtime_snapshot", "pipeline", "source"),
            "runtime_snapshot.pipeline.source",
            "missing",
        ),
        (
            _drop("runtime_snapshot", "pipeline", "capture"),
            "runtime_snapshot.pipeline.capture",
            "missing",
        ),
        (
            _set([], "runtime_snapshot", "serving", "stream_schema"),
            "runtime_snapshot.serving.stream_schema",
            "at least 1",
        ),
        (
            _set("feature", "runtime_snapshot", "serving", "stream_schema", 2, "role"),
            "runtime_snapshot.serving.stream_schema[2].role",
            "legacy role",
        ),
        (
            _set(1, "runtime_snapshot", "serving", "unknown"),
            "runtime_snapshot.serving.unknown",
            "unknown key 'unknown'",
        ),
        (
            _set("2026-11-26T03:00:00", "lineage", "promoted_at"),
            "lineage.promoted_at",
            "timezone",
        ),
        (
            _set("deadbeef", "snapshot_hash"),
            "snapshot_hash",
            "should match pattern",
        ),
    ],
)
def test_structural_problems_are_rejected(
    published: dict[str, Any], mutate: Callable[[dict[str, Any]], None], path: str, needle: str
) -> None:
    doc = copy.deepcopy(published)
    mutate(doc)
    problems = {p.path: p.reason for p in preflight(doc)}
    assert needle in problems[path]


@pytest.mark.parametrize(
    ("mutate", "path", "needle"),
    [
        (
            _set("silver_grid", "runtime_snapshot", "serving", "model_id"),
            "runtime_snapshot.serving.stream_schema[11].name",
            "field 'pressure_variant' is gold but the stream of model 'silver_grid'",
        ),
        (
            _add_field("ghost", "float64", "force"),
            "runtime_snapshot.serving.stream_schema[17].name",
            "field 'ghost' is not produced by the engine",
        ),
        (
            _set([150], "runtime_snapshot", "serving", "projection", "horizons_ms"),
            "runtime_snapshot.serving.projection.horizons_ms[0]",
            "not a whole multiple of the cell width 100 ms",
        ),
        (
            _set(["silver"], "runtime_snapshot", "serving", "stages"),
            "runtime_snapshot.serving.stages",
            "model 'vacuum_pressure' streams ['silver', 'gold'], not ['silver']",
        ),
        (
            _set(0.75, "runtime_snapshot", "engine", "tick_size"),
            "runtime_snapshot.engine",
            "tick_size 0.75 is not a whole multiple of the instrument tick 0.5",
        ),
        (
            _set([1, 2, 3, 4], "runtime_snapshot", "serving", "projection", "horizons_bins"),
            "runtime_snapshot.serving.projection.horizons_bins",
            "must be [1, 2, 5, 10]",
        ),
    ],
)
def test_rule_violations_are_rejected_even_with_a_matching_hash(
    published: dict[str, Any], mutate: Callable[[dict[str, Any]], None], path: str, needle: str
) -> None:
    doc = copy.deepcopy(published)
    mutate(doc)
    problems = {p.path: p.reason for p in preflight(_rehash(doc))}
    assert needle in problems[path]


def test_lineage_must_describe_the_snapshot(published: dict[str, Any]) -> None:
    doc = copy.deepcopy(published)
    doc["lineage"]["serving_spec_name"] = "other"
    doc["lineage"]["signal_name"] = "derivative"
    assert [p.render() for p in preflight(doc)] == [
        "<published>: lineage.serving_spec_name: names 'other' but the snapshot serves 'qmdemo_vp'",
        "<published>: lineage.signal_name: names 'derivative' but the snapshot's signal is "
        "'flow_score'",
    ]


def test_a_tampered_snapshot_fails_the_hash_check(published: dict[str, Any]) -> None:
    doc = copy.deepcopy(published)
    doc["runtime_snapshot"]["engine"]["tau_velocity"] = 2.5
    assert [p.render() for p in preflight(doc)] == [
        "<published>: snapshot_hash: does not match the canonical hash of runtime_snapshot"
    ]


def test_require_preflight_raises_an_invalid_with_every_problem(published: dict[str, Any]) -> None:
    doc = copy.deepcopy(published)
    doc["runtime_snapshot"]["serving"]["model_id"] = "silver_grid"
    with pytest.raises(PreflightFailed) as caught:
        require_preflight(_rehash(doc))
    assert isinstance(caught.value, Invalid)
    assert caught.value.status == 422
    gold = ["pressure_variant", "vacuum_variant", "composite", "flow_score"]
    assert len(caught.value.problems) >= len(gold)
    assert caught.value.extra["problems"] == [p.as_dict() for p in caught.value.problems]
