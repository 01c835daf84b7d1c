"""The one numba decorator of the hot kernels.

NRT (numba's array reference counting) is off: with it on, every call that passes arrays pays
atomic incref/decref pairs, which measured 5x slower on the per-record path. Kernels therefore
never allocate; all state and scratch arrays are created by the Python wrapper.

Kernels release the GIL (nogil): they touch no Python objects, and the dataset builder writes
parquet from a second thread while the engine and gold kernels run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit

_njit: Any = njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]
_njit_inline: Any = njit(cache=True, nogil=True, _nrt=False, inline="always")  # type: ignore[call-overload]


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile fn as a cached, NRT-free numba kernel."""
    return _njit(fn)


def leaf(fn: Callable[..., Any]) -> Any:
    """A small kernel inlined into its callers (a call passing arrays costs more than its body)."""
    return _njit_inline(fn)
