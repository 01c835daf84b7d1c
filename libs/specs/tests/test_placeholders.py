"""GoldDslSpec and SearchTemplate are strict envelopes whose references are checked."""

from __future__ import annotations

from typing import Any

from qm_specs import GoldDslSpec, SearchTemplate, parse_document
from qm_specs.loader import Document
from qm_specs.placeholders import RollPolicySpec
from qm_specs.validate import validate_documents


def _doc(raw: dict[str, Any]) -> Document:
    return parse_document(f"{raw['name']}.yaml", raw)


def test_gold_dsl_envelope_is_strict() -> None:
    ok = _doc({"kind": "gold_dsl", "name": "g", "nodes": [{"id": "a", "op": "silver_ref"}]})
    assert isinstance(ok.spec, GoldDslSpec)
    bad = _doc({"kind": "gold_dsl", "name": "g2", "nodes": [], "dsl_version": 2, "dag": {}})
    assert {p.path for p in bad.problems} == {"nodes", "dsl_version", "dag"}


def test_roll_policy_is_a_strict_kind() -> None:
    ok = _doc({"kind": "roll_policy", "name": "es_calendar", "trigger": "on_remap"})
    assert isinstance(ok.spec, RollPolicySpec)
    bad = _doc({"kind": "roll_policy", "name": "x", "trigger": "daily", "reset": True})
    assert {p.path for p in bad.problems} == {"trigger", "reset"}


def test_search_template_must_name_an_existing_experiment(config_docs: list[Document]) -> None:
    ok = _doc({"kind": "search_template", "name": "t", "experiment": "qmdemo_flow_sweep"})
    dangling = _doc({"kind": "search_template", "name": "t2", "experiment": "nope"})
    assert isinstance(ok.spec, SearchTemplate)
    problems = validate_documents([*config_docs, ok, dangling]).problems
    assert [p.render() for p in problems] == [
        "t2.yaml: experiment: no experiment spec named 'nope' "
        "(known: derivative_baseline_sweep, qmdemo_flow_sweep)"
    ]


def test_serving_gold_dsl_reference_is_checked(config_docs: list[Document]) -> None:
    raw = dict(next(d for d in config_docs if d.name == "qmdemo_vp").raw)
    raw["name"], raw["gold_dsl"] = "with_dsl", "missing_dsl"
    problems = validate_documents([*config_docs, _doc(raw)]).problems
    assert [p.render() for p in problems] == [
        "with_dsl.yaml: gold_dsl: no gold_dsl spec named 'missing_dsl' (known: none)"
    ]
