"""Deterministic sweep expansion: datasets x signals x parameter grid x TP x SL x cooldown."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from qm_core.hashing import canonical_hash
from qm_research.regold import GOLD_PARAM_NAMES
from qm_specs.experiment import ExperimentSpec
from qm_specs.resolve import SpecRegistry, resolved_config
from qm_specs.serving import SCORING_TO_ENGINE

SpecInput = ExperimentSpec | Mapping[str, Any]


@dataclass(frozen=True)
class RunSpec:
    """One run: a signal with fixed params on one dataset under one TP/SL/cooldown."""

    run_id: str
    index: int
    dataset_id: str
    signal: str
    params: dict[str, Any]
    tp_ticks: int
    sl_ticks: int
    cooldown_bins: int
    max_hold_bins: int = 1200
    warmup_bins: int = 300
    cost_ticks: float = 0.0
    one_position: bool = False
    oos_fraction: float = 0.3
    min_signals: int = 5
    tick_size: float | None = None
    experiment_name: str = ""
    spec_hash: str = ""
    gold_params: dict[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What the run computes (everything but its id and position)."""
        return {k: v for k, v in asdict(self).items() if k not in ("run_id", "index")}


@dataclass(frozen=True)
class Plan:
    """A normalised experiment: the validated spec, its resolved config and its hash."""

    experiment: ExperimentSpec
    resolved: dict[str, Any] | None
    spec_hash: str
    extra_signals: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


def normalise(spec: SpecInput, registry: SpecRegistry | None = None) -> Plan:
    """Accept an ExperimentSpec, its dict, or the resolver's output ({..., "experiment": ...})."""
    resolved: dict[str, Any] | None = None
    if isinstance(spec, ExperimentSpec):
        exp = spec
    elif "experiment" in spec:
        exp = ExperimentSpec.model_validate(spec["experiment"])
        resolved = dict(spec)
    else:
        exp = ExperimentSpec.model_validate(dict(spec))
    if resolved is None and registry is not None:
        resolved = resolved_config(exp, registry)
    body = resolved if resolved is not None else exp.model_dump(mode="json")
    return Plan(exp, resolved, canonical_hash(body))


def serving_signal(plan: Plan) -> tuple[str, dict[str, Any]] | None:
    """The serving spec's signal and its flattened params (params.* and weights.*)."""
    if plan.resolved is None:
        return None
    sig = (plan.resolved.get("serving") or {}).get("signal")
    if not sig:
        return None
    flat = {**sig.get("params", {}), **sig.get("weights", {})}
    return str(sig["name"]), flat


def param_grid(base: Mapping[str, Any], axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Cartesian product of the axes (sorted keys, values in the given order) over `base`."""
    keys = sorted(axes)
    combos = itertools.product(*(list(axes[k]) for k in keys))
    return [{**base, **dict(zip(keys, values, strict=True))} for values in combos]


def _strip(key: str) -> str:
    head, _, tail = key.partition(".")
    return tail if head in ("params", "weights") and tail else key


def signal_grids(
    plan: Plan, extra: Mapping[str, Mapping[str, Sequence[Any]]] | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Per signal, its parameter combinations: the serving signal first, then extras by name."""
    out = []
    served = serving_signal(plan)
    if served is not None:
        axes = {_strip(k): v for k, v in plan.experiment.sweep.signal.items()}
        out.append((served[0], param_grid(served[1], axes)))
    elif plan.experiment.sweep.signal:
        raise ValueError("sweep.signal needs the serving spec: pass the resolved config")
    for name in sorted(extra or {}):
        out.append((name, param_grid({}, (extra or {})[name])))
    if not out:
        raise ValueError("no signal to run: the serving spec has none and no extra signals given")
    return out


def cost_ticks(plan: Plan) -> float:
    """Per-trade cost in ticks: slippage plus commission over the tick value."""
    costs = plan.experiment.eval.costs
    if costs.commission_per_contract == 0:
        return float(costs.slippage_ticks)
    inst = (plan.resolved or {}).get("instrument")
    if not inst:
        raise ValueError("commission_per_contract needs the instrument's tick value (resolve it)")
    tick_value = float(inst["tick_size"]) * float(inst["multiplier"])
    return float(costs.slippage_ticks) + costs.commission_per_contract / tick_value


def expand_plan(
    plan: Plan,
    datasets: Sequence[str],
    *,
    extra_signals: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    one_position: bool = False,
    oos_fraction: float = 0.3,
) -> list[RunSpec]:
    """Every run spec, in a fixed order, each with a content-hash run_id."""
    ev = plan.experiment.eval
    tick = (plan.resolved or {}).get("instrument", {}).get("tick_size")
    common = {
        "max_hold_bins": ev.max_hold_bins,
        "warmup_bins": ev.warmup_bins,
        "cost_ticks": cost_ticks(plan),
        "one_position": one_position,
        "oos_fraction": oos_fraction,
        "min_signals": ev.min_signals,
        "tick_size": tick,
        "experiment_name": plan.experiment.name,
        "spec_hash": plan.spec_hash,
    }
    grids = signal_grids(plan, extra_signals)
    runs: list[RunSpec] = []
    for ds, gold, (sig, combos) in itertools.product(datasets, gold_grid(plan), grids):
        for params, tp, sl, cd in itertools.product(
            combos, ev.tp_ticks, ev.sl_ticks, ev.cooldown_bins
        ):
            draft = RunSpec("", len(runs), ds, sig, params, tp, sl, cd, **common, gold_params=gold)
            runs.append(replace(draft, run_id=canonical_hash(draft.content())))
    return runs


def gold_grid(plan: Plan) -> list[dict[str, Any]]:
    """Per sweep.scoring combination, the gold flow params: the resolved engine's, overridden."""
    engine = (plan.resolved or {}).get("engine") or {}
    base = {k: engine[k] for k in GOLD_PARAM_NAMES if k in engine}
    axes = {SCORING_TO_ENGINE[k]: v for k, v in plan.experiment.sweep.scoring.items()}
    if axes and not base:
        raise ValueError("sweep.scoring needs the resolved config (its engine parameters)")
    return param_grid(base, axes)
