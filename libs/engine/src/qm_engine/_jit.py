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

from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_njit: Any = njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]
_njit_inline: Any = njit(cache=True, nogil=True, _nrt=False, inline="always")  # type: ignore[call-overload]


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile fn as a cached, NRT-free numba kernel."""
    return _njit(fn)


def leaf(fn: Callable[..., Any]) -> Any:
    """A small kernel inlined into its callers (a call passing arrays costs more than its body)."""
    return _njit_inline(fn)


def _move(typingctx: Any, arr: Any, dst: Any, src: Any, count: Any) -> Any:
    """In kernels, move(arr, dst, src, count) is a memmove of arr[src:src+count] to
    arr[dst:dst+count] (arr C-contiguous, 1-d). A plain element loop over overlapping ranges
    does not vectorise (measured about 4x slower).
    """
    if not isinstance(arr, types.Array) or arr.layout != "C" or arr.ndim != 1:
        return None
    sig = types.void(arr, types.intp, types.intp, types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        size = context.get_abi_sizeof(context.get_data_type(aryty.dtype))
        to, frm = builder.gep(ary.data, [args[1]]), builder.gep(ary.data, [args[2]])
        cgutils.raw_memmove(builder, to, frm, args[3], size)  # type: ignore[no-untyped-call]
        return context.get_dummy_value()

    return sig, codegen


move: Any = intrinsic(_move)
