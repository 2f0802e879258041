"""Sorting and searching: sort/argsort/msort, topk, kthvalue, unique/unique_consecutive, searchsorted and
bucketize.

NaN orders as the largest value, as in PyTorch (and NumPy). Descending sorts keep equal elements in their
original order when `stable=True`: the array is sorted reversed and the order flipped back, which needs no
negation (so unsigned and bool work). bfloat16 is sorted through an exact float32 copy, which NumPy's fast
sorts handle.
"""

import builtins
import math

from .._backend import np
from ._common import Node, Tensor, finish_out, method, needs_grad, promote_operands, record, wrap, wrap_dim
from .reduction import (
    _label,
    _no_out_with_grad,
    _not_implemented,
    _ordered_key,
    _pair,
    _record_selection,
    _SelectsAlongDim,
)

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive", "searchsorted",
           "bucketize"]

_I64 = np.dtype(np.int64)


def _check_sortable(arr, what="Sort"):
    if arr.dtype.kind == "c":
        raise RuntimeError(f" {what} does not support complex dtypes on CPU")


def _argsort(key, d, descending, stable):
    """Indices sorting `key` along axis d. Integer and bool keys always sort stably, matching the order
    PyTorch's CPU kernel gives for ties there; floats use NumPy's fast sort unless `stable` is asked for."""
    kind = "stable" if stable or key.dtype.kind in "biu" else None
    if not descending:
        return np.argsort(key, axis=d, kind=kind)
    # sort the reversed array ascending and flip back: descending, equal elements in original order
    order = np.flip(np.argsort(np.flip(key, d), axis=d, kind=kind), d)
    return (key.shape[d] - 1) - order


# The values of sort/topk/kthvalue are elements of the input picked along a dim: their gradient is scattered
# back to the returned indices. Indices (and argsort, unique, searchsorted, bucketize) are not differentiable.


class SortBackward0(_SelectsAlongDim):
    keepdim = True


class SortBackward1(SortBackward0):  # sort(..., stable=...)
    pass


class TopkBackward0(_SelectsAlongDim):
    keepdim = True


class KthvalueBackward0(_SelectsAlongDim):
    pass


@method()
def sort(input, dim=-1, descending=False, stable=None, *, out=None):
    if needs_grad(input):
        _no_out_with_grad("sort", out, input)
        pair = _sort(input, dim, descending, bool(stable), None)
        node_type = SortBackward0 if stable is None else SortBackward1  # PyTorch's overload with stable=
        return _record_selection(node_type, input, pair, wrap_dim(dim, input._data.ndim))
    return _sort(input, dim, descending, bool(stable), out)


def _sort(input, dim, descending, stable, out):
    arr = input._data
    _check_sortable(arr)
    d = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        return _pair("sort", arr.copy(), np.zeros((), _I64), out)
    idx = _argsort(_ordered_key(arr), d, descending, stable)
    return _pair("sort", np.take_along_axis(arr, idx, axis=d), idx.astype(_I64, copy=False), out)


@method()
def argsort(input, dim=-1, descending=False, stable=False):
    arr = input._data
    _check_sortable(arr)
    d = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        return wrap(np.zeros((), _I64))
    return wrap(_argsort(_ordered_key(arr), d, descending, stable).astype(_I64, copy=False))


@method()
def msort(input, *, out=None):
    _no_out_with_grad("msort", out, input)
    values = sort(input, 0).values
    return values if out is None else finish_out(values, out)


@method()
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    if needs_grad(input):
        _no_out_with_grad("topk", out, input)
        pair = _topk(input, k, dim, largest, None)
        return _record_selection(TopkBackward0, input, pair, wrap_dim(dim, input._data.ndim))
    return _topk(input, k, dim, largest, out)


def _topk(input, k, dim, largest, out):
    arr = input._data
    _check_sortable(arr, "topk")
    if arr.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = wrap_dim(dim, arr.ndim)
    n = arr.shape[d] if arr.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if arr.ndim == 0:
        return _pair("topk", arr.copy(), np.zeros((), _I64), out)
    key = _ordered_key(arr)
    if k == 0:
        idx = np.take(np.zeros(arr.shape, _I64), range(0), axis=d)
    elif k < n:
        # select the k candidates in linear time, then order only those
        kth = n - k if largest else k - 1
        part = np.argpartition(key, kth, axis=d)
        chosen = np.take(part, range(n - k, n) if largest else range(k), axis=d)
        order = _argsort(np.take_along_axis(key, chosen, axis=d), d, largest, False)
        idx = np.take_along_axis(chosen, order, axis=d)
    else:
        idx = _argsort(key, d, largest, False)
    return _pair("topk", np.take_along_axis(arr, idx, axis=d), idx.astype(_I64, copy=False), out)


@method()
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    if needs_grad(input):
        _no_out_with_grad("kthvalue", out, input)
        pair = _kthvalue(input, k, dim, keepdim, None)
        return _record_selection(KthvalueBackward0, input, pair, wrap_dim(dim, input._data.ndim), keepdim)
    return _kthvalue(input, k, dim, keepdim, out)


def _kthvalue(input, k, dim, keepdim, out):
    arr = input._data
    if arr.dtype.kind in "bc":
        raise _not_implemented("kthvalue_cpu", arr.dtype)
    d = wrap_dim(dim, arr.ndim)
    n = arr.shape[d] if arr.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if arr.ndim == 0:
        return _pair("kthvalue", arr.copy(), np.zeros((), _I64), out)
    idx = np.take(np.argpartition(_ordered_key(arr), k - 1, axis=d), [k - 1], axis=d)
    values = np.take_along_axis(arr, idx, axis=d)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _pair("kthvalue", values, idx.astype(_I64, copy=False), out)


# -------------------------------------------------------------------------------------------------------
# unique


class _UniqueNotDifferentiable(Node):
    """PyTorch records unique's values (they require grad) but has no derivative for them."""

    op = ""

    def backward(self, *grads):
        raise RuntimeError(f"the derivative for '{self.op}' is not implemented.")


class Unique2Backward0(_UniqueNotDifferentiable):
    op = "_unique2"


class UniqueDimBackward0(_UniqueNotDifferentiable):
    op = "unique_dim"


class UniqueConsecutiveBackward0(_UniqueNotDifferentiable):
    op = "unique_consecutive"


def _unique_result(values, inverse, counts, return_inverse, return_counts, input=None, node_type=None):
    out = [wrap(values)]
    if return_inverse:
        out.append(wrap(np.asarray(inverse).astype(_I64, copy=False)))
    if return_counts:
        out.append(wrap(np.asarray(counts).astype(_I64, copy=False)))
    if node_type is not None and needs_grad(input) and (out[0].is_floating_point() or out[0].is_complex()):
        record(node_type(), (input,), out)
    return tuple(out) if len(out) > 1 else out[0]


def _check_unique_dim(arr, dim):
    if arr.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, arr.ndim)
    if arr.size == 0 and arr.shape[d] != 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    return d


@method()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Unique elements (or slices along `dim`), always sorted as PyTorch's CPU kernel returns them; each NaN
    counts as distinct."""
    arr = input._data
    if arr.dtype.kind == "c":
        raise _not_implemented("unique", arr.dtype)
    key = _ordered_key(arr)
    if dim is None:
        values, inverse, counts = np.unique(key.reshape(-1), return_inverse=True, return_counts=True,
                                            equal_nan=False)
        inverse = inverse.reshape(arr.shape)
    else:
        d = _check_unique_dim(arr, dim)
        if arr.shape[d] == 0:
            values, inverse, counts = key, np.zeros(0, _I64), np.zeros(0, _I64)
        else:
            values, inverse, counts = np.unique(key, return_inverse=True, return_counts=True, axis=d)
            inverse = inverse.reshape(-1)
    return _unique_result(values.astype(arr.dtype, copy=False), inverse, counts, return_inverse, return_counts, input,
                          Unique2Backward0 if dim is None else UniqueDimBackward0)


@method()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    arr = input._data
    if arr.dtype.kind == "c":
        raise _not_implemented("unique_consecutive", arr.dtype)
    if dim is None:
        flat = arr.reshape(-1)
        starts = np.ones(flat.shape, bool)
        starts[1:] = flat[1:] != flat[:-1]  # NaN != NaN: consecutive NaNs stay separate, as in PyTorch
        values = flat[starts]
        inverse_shape = arr.shape
    else:
        d = _check_unique_dim(arr, dim)
        rows = np.moveaxis(arr, d, 0).reshape(arr.shape[d], -1)
        starts = np.ones(rows.shape[0], bool)
        starts[1:] = np.logical_or.reduce(rows[1:] != rows[:-1], axis=1)
        values = np.compress(starts, arr, axis=d)
        inverse_shape = (arr.shape[d],)
    inverse = (np.cumsum(starts) - 1).reshape(inverse_shape)
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, starts.shape[0]))
    return _unique_result(values, inverse, counts, return_inverse, return_counts, input, UniqueConsecutiveBackward0)


# -------------------------------------------------------------------------------------------------------
# searching


def _side(right, side):
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while "
                           "right was True")
    return side


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    side = _side(right, side)
    seq = sorted_sequence._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    dt = promote_operands(sorted_sequence, input)._np
    if dt.kind == "c":
        raise _not_implemented("searchsorted_out_cpu", dt)
    order = None
    if sorter is not None:
        order = sorter._data
        if order.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(order.shape)}")
        if order.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got "
                               f"{_label(order.dtype)}")
    key_seq = _ordered_key(seq.astype(dt, copy=False))
    key_values = _ordered_key(values.astype(dt, copy=False))
    if seq.ndim == 1:
        r = np.searchsorted(key_seq, key_values, side=side, sorter=order)
        r = _nan_values_last(r, key_values, seq.shape[-1])
    else:
        if key_values.ndim == 0 or seq.shape[:-1] != key_values.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(key_values.shape)}")
        # one row of boundaries per row of values: NumPy's searchsorted is 1-D, so go row by row
        rows = math.prod(seq.shape[:-1])
        seq_rows = key_seq.reshape(rows, seq.shape[-1])
        value_rows = key_values.reshape(rows, key_values.shape[-1])
        order_rows = None if order is None else order.reshape(rows, seq.shape[-1])
        r = np.empty(value_rows.shape, _I64)
        for i in builtins.range(seq_rows.shape[0]):
            r[i] = np.searchsorted(seq_rows[i], value_rows[i], side=side,
                                   sorter=None if order_rows is None else order_rows[i])
        r = _nan_values_last(r.reshape(key_values.shape), key_values, seq.shape[-1])
    result = wrap(np.asarray(r).astype(np.int32 if out_int32 else _I64, copy=False))
    return result if out is None else finish_out(result, out)


def _nan_values_last(positions, values, length):
    """PyTorch's binary search never finds a place for a NaN value: it lands past the end of its row."""
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        if nan.any():
            positions = np.where(nan, length, positions)
    return positions


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)
