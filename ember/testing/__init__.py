"""ember.testing: torch.testing's assert_close, with PyTorch's default tolerances and messages."""

import math

from .. import _dtype
from .._backend import np
from .._tensor import Tensor

__all__ = ["assert_close"]

# (rtol, atol) by dtype, as torch.testing; integers and bool compare exactly
_TOLERANCES = {
    _dtype.float16: (1e-3, 1e-5), _dtype.bfloat16: (1.6e-2, 1e-5), _dtype.float32: (1.3e-6, 1e-5),
    _dtype.float64: (1e-7, 1e-7), _dtype.complex64: (1.3e-6, 1e-5), _dtype.complex128: (1e-7, 1e-7),
}


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                         check_stride=check_stride, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match: {sorted(actual)} != {sorted(expected)}")
        for k in expected:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                         check_stride=check_stride, msg=msg)
        return
    if isinstance(expected, Tensor) or isinstance(actual, Tensor):
        _assert_tensors_close(actual, expected, rtol, atol, equal_nan, check_dtype, check_stride, msg)
    else:
        _assert_scalars_close(actual, expected, rtol, atol, equal_nan, msg)


def _fail(msg, default):
    raise AssertionError(msg if isinstance(msg, str) else msg(default) if callable(msg) else default)


def _assert_tensors_close(actual, expected, rtol, atol, equal_nan, check_dtype, check_stride, msg):
    if not isinstance(actual, Tensor) or not isinstance(expected, Tensor):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    if actual.shape != expected.shape:
        _fail(msg, f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.")
    if check_dtype and actual.dtype != expected.dtype:
        _fail(msg, f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.")
    if check_stride and actual.stride() != expected.stride():
        _fail(msg, f"The values for attribute 'stride()' do not match: {actual.stride()} != {expected.stride()}.")
    if rtol is None:
        rtol, atol = max((_TOLERANCES.get(d, (0.0, 0.0)) for d in (actual.dtype, expected.dtype)), key=lambda t: t[0])
    a, e = _as_compute(actual._data), _as_compute(expected._data)
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if a.dtype.kind in "fc" else (a == e)
    if close.all():
        return
    exact = rtol == 0 and atol == 0
    diff = np.abs(a.astype(np.int64) - e.astype(np.int64)) if a.dtype.kind not in "fc" else np.abs(a - e)
    diff = np.where(close, 0, diff)
    rel = diff / np.abs(e if e.dtype.kind in "fc" else e.astype(np.float64))
    rel = np.where(close, 0, rel)
    mismatched = int((~close).sum())
    total = close.size
    ia = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    ir = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    kind = "equal" if exact else "close"
    lines = [f"Tensor-likes are not {kind}!", "",
             f"Mismatched elements: {mismatched} / {total} ({100 * mismatched / total:.1f}%)",
             f"Greatest absolute difference: {_num(diff[ia])} at index {tuple(int(i) for i in ia)}"
             + ("" if exact else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {_num(rel[ir])} at index {tuple(int(i) for i in ir)}"
             + ("" if exact else f" (up to {rtol} allowed)")]
    _fail(msg, "\n".join(lines))


def _as_compute(arr):
    if arr.dtype == _dtype.bfloat16._np or arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype == np.bool_:
        return arr.astype(np.int64)
    return arr


def _num(v):
    return v.item()


def _assert_scalars_close(actual, expected, rtol, atol, equal_nan, msg):
    if rtol is None:
        rtol, atol = (1e-7, 1e-7) if isinstance(expected, (float, complex)) else (0.0, 0.0)
    if equal_nan and isinstance(actual, float) and math.isnan(actual) and math.isnan(expected):
        return
    if abs(actual - expected) <= atol + rtol * abs(expected):
        return
    exact = rtol == 0 and atol == 0
    rel = abs(actual - expected) / abs(expected) if expected else float("inf")
    _fail(msg, f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {expected} but got {actual}.\n"
               f"Absolute difference: {abs(actual - expected)}{'' if exact else f' (up to {atol} allowed)'}\n"
               f"Relative difference: {rel}{'' if exact else f' (up to {rtol} allowed)'}")
