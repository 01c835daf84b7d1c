"""Signal definitions: strict parameter binding (no fallback) and the signal registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from qm_research.data import MarketData
from qm_research.errors import InvalidParam
from qm_research.evaluate import EvalSettings, ThresholdKind

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Context:
    """What a signal may use besides data and params: eval settings (ML labels), cancel check."""

    ev: EvalSettings
    is_cancelled: Callable[[], bool] = lambda: False


@dataclass(frozen=True)
class SignalDef:
    """A signal: its params dataclass, the grid columns it reads, compute, and thresholds."""

    name: str
    family: Literal["stat", "ml"]
    params: type[Any]
    columns: tuple[str, ...]
    compute: Callable[[MarketData, Any, Context], F64]
    threshold_kind: ThresholdKind
    levels: tuple[float, ...]


def require(ok: bool, message: str) -> None:
    """Raise InvalidParam(message) unless ok."""
    if not ok:
        raise InvalidParam(message)


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        require(isinstance(value, bool), f"{name} must be a boolean, got {value!r}")
        return value
    if isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        require(ok, f"{name} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        require(ok and np.isfinite(value), f"{name} must be a finite number, got {value!r}")
        return float(value)
    if isinstance(default, tuple):
        require(isinstance(value, list | tuple), f"{name} must be a list, got {value!r}")
        require(len(value) == len(default), f"{name} must have {len(default)} values")
        return tuple(_coerce(name, v, d) for v, d in zip(value, default, strict=True))
    require(isinstance(value, type(default)), f"{name} must be a {type(default).__name__}")
    return value


def bind_params(cls: type[Any], given: Mapping[str, Any]) -> Any:
    """Instantiate a params dataclass from `given`; any unknown/ill-typed/out-of-range key fails."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - set(fields))
    require(not unknown, f"unknown parameter(s) {unknown}; known: {sorted(fields)}")
    defaults = cls()
    kwargs = {k: _coerce(k, v, getattr(defaults, k)) for k, v in given.items()}
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        check()
    return obj


REGISTRY: dict[str, SignalDef] = {}


def register(sig: SignalDef) -> SignalDef:
    """Add a signal to the registry (a name may be registered once)."""
    if sig.name in REGISTRY and REGISTRY[sig.name] is not sig:
        raise ValueError(f"signal '{sig.name}' is already registered")
    REGISTRY[sig.name] = sig
    return sig


def get_signal(name: str) -> SignalDef:
    """The registered signal called `name`; InvalidParam if there is none."""
    from qm_research import signals as _catalogue  # noqa: F401 - registers the catalogue

    if name not in REGISTRY:
        raise InvalidParam(f"unknown signal '{name}'; known: {sorted(REGISTRY)}")
    return REGISTRY[name]
