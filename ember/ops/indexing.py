"""Indexing: `Tensor.__getitem__`/`__setitem__` and the index/gather/scatter/mask family.

`__getitem__` follows PyTorch's two stages: the basic items (ints, slices, None, Ellipsis, 0-dim integer
tensors, Python bools) build a view first, then the tensor indices (integer arrays, bool masks) index that
view in one NumPy advanced-indexing call. Doing the ints first matters: `x[0, :, [0, 1]]` has shape (3, 2)
in PyTorch but (2, 3) in NumPy, where the int would count as an advanced index.
Scatter-like ops with repeated indices use `ufunc.at`, which accumulates where `a[idx] += b` would not.
"""

import builtins
import math
import warnings

from .. import _dtype
from .._backend import cast, np
from ._common import (
    Node,
    NotImplemented,
    Tensor,
    broadcast_shapes,
    commit_inplace,
    finish_out,
    method,
    needs_grad,
    prepare_inplace,
    promote_operands,
    record,
    sum_to_shape,
    view_of,
    wrap,
    wrap_dim,
    wrap_dims,
)

__all__ = [
    "index_select", "gather", "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
    "index_put", "index_put_", "index_reduce", "masked_fill", "masked_select", "masked_scatter", "take",
    "take_along_dim", "put", "where", "nonzero", "argwhere", "tril", "triu", "tril_indices", "triu_indices",
    "flip", "fliplr", "flipud", "roll", "diag", "diag_embed", "diagflat", "narrow_copy",
]

_INT64 = np.dtype(np.int64)
_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_MASK_DTYPES = (np.dtype(np.bool_), np.dtype(np.uint8))
_ALL = slice(None)
_HALF_TYPES = (np.dtype(np.float16), _dtype.bfloat16._np)
_F32 = np.dtype(np.float32)


# -------------------------------------------------------------------------------------------------------
# scalar values, with PyTorch's overflow checks

_C_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
           "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
           "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _overflow(np_dtype):
    name = _dtype.from_numpy_dtype(np_dtype)._name
    return RuntimeError(f"value cannot be converted to type {_C_TYPE[name]} without overflow")


def _scalar_array(value, np_dtype):
    """A Python number (or NumPy scalar, or 0-dim Tensor) as a 0-d array of `np_dtype`, refusing the values
    PyTorch refuses ("value cannot be converted to type uint8_t without overflow")."""
    if isinstance(value, Tensor):
        arr = value._data
        if arr.dtype.kind == "c" and np_dtype.kind != "c":
            arr = arr.real
        return cast(arr, np_dtype)
    if isinstance(value, np.generic):
        value = value.item()
    kind = np_dtype.kind
    t = type(value)
    if t is builtins.int and not -(1 << 63) <= value < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    if kind == "b":
        return np.array(builtins.bool(value))
    if t is builtins.complex:
        if kind != "c":
            if value.imag != 0:
                raise _overflow(np_dtype)
            value = value.real
    elif t not in (builtins.int, builtins.float, builtins.bool):
        raise TypeError(f"value must be a number, not {t.__name__}")
    lo, hi = _limits(np_dtype)
    if kind in "iu":
        if t is builtins.float:
            if not (math.isfinite(value) and (0 if kind == "u" else lo) - 1 < value < hi + 1):
                raise _overflow(np_dtype)
            value = int(value)
        elif kind == "u":
            if not -hi <= value <= hi:
                raise _overflow(np_dtype)
            value %= hi + 1  # negative values wrap, as a C cast does
        elif not lo <= value <= hi:
            raise _overflow(np_dtype)
        return np.array(value, np_dtype)
    if hi is not None and -hi <= value <= hi:
        return cast(np.array(value), np_dtype)
    if hi is not None and math.isfinite(value):
        raise _overflow(np_dtype)
    return cast(np.array(value), np_dtype)


_LIMITS = {}


def _limits(np_dtype):
    """(min, max) for integer dtypes, (None, max) for float32/float64 (whose overflow PyTorch refuses), else
    (None, None): float16/bfloat16 and complex values round to inf without complaint."""
    try:
        return _LIMITS[np_dtype]
    except KeyError:
        pass
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        out = (int(info.min), int(info.max))
    elif np_dtype.kind == "f" and np_dtype not in _HALF_TYPES:
        out = (None, float(np.finfo(np_dtype).max))
    else:
        out = (None, None)
    _LIMITS[np_dtype] = out
    return out


def _type_name(t):
    from .._tensor import _TYPE_NAMES

    return _TYPE_NAMES[t.dtype]


def _value_array(value, self):
    """The right-hand side of `x[i] = value` as an array of x's dtype (tensors are cast, numbers checked)."""
    if isinstance(value, Tensor):
        arr = value._data
        dt = self._data.dtype
        if arr.dtype != dt:
            if arr.dtype.kind == "c" and dt.kind != "c":
                arr = arr.real
            arr = arr.astype(dt)
        return arr
    if isinstance(value, (builtins.int, builtins.float, builtins.complex, np.number, np.bool_)):
        return _scalar_array(value, self._data.dtype)
    raise TypeError(f"can't assign a {_py_type_name(value)} to a {_type_name(self)}")


def _py_type_name(obj):
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


# -------------------------------------------------------------------------------------------------------
# autograd plumbing shared by the family
#
# Backward formulas are written with this module's own ops (index_put, scatter_add, index_add, gather, ...), so
# that create_graph records them again. Index arrays, masks and shapes are kept as plain attributes.


def _zeros(shape, np_dtype):
    return wrap(np.zeros(shape, np_dtype))


def _no_out_with_grad(op, out, *tensors):
    if out is not None and needs_grad(*tensors):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")


def _sum_to(grad, shape):
    """sum_to_shape that also restores leading size-1 dims a value lost (x[i] = v strips them)."""
    shape = tuple(shape)
    extra = len(shape) - grad.ndim
    if extra <= 0:
        return sum_to_shape(grad, shape)
    return sum_to_shape(grad, shape[extra:]).reshape(shape)


def _as_dtype(grad, dtype):
    return grad if grad.dtype == dtype else grad.to(dtype)


def _owned(arr):
    """A result array that shares no memory with its source (basic keys give NumPy views)."""
    return arr if arr.flags.owndata else arr.copy()


class IndexBackward0(Node):
    def __init__(self, shape, key):
        self.shape, self.key = shape, key

    def backward(self, grad):
        return _index_put_key(_zeros(self.shape, grad._data.dtype), self.key, grad, True)


def _index_key(t, key):
    """t[key] for a NumPy key, as a fresh tensor recorded as IndexBackward0."""
    out = wrap(np.asarray(_owned(t._data[key])))
    if needs_grad(t):
        record(IndexBackward0(t._data.shape, key), (t,), out)
    return out


class IndexPutBackward0(Node):
    def __init__(self, key, accumulate, values):
        self.key, self.accumulate = key, accumulate
        self.values_shape, self.values_dtype = values._data.shape, values.dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = grad_values = None
        if needs[0]:
            grad_self = grad if self.accumulate else _index_put_key(grad, self.key, _zeros((), grad._data.dtype), False)
        if needs[1]:
            grad_values = _as_dtype(_sum_to(_index_key(grad, self.key), self.values_shape), self.values_dtype)
        return grad_self, grad_values


def _index_put_key(t, key, values, accumulate, values_arr=None):
    """A copy of `t` with `values` written (or added) at the NumPy `key`, recorded as IndexPutBackward0.
    `values_arr` (already cast and validated) replaces values' own array when given."""
    arr = t._data.copy()
    v = values._data if values_arr is None else values_arr
    target_ndim = _advanced_result_ndim(arr, key)
    v = _strip_leading_ones(v, target_ndim)
    if accumulate:
        if arr.dtype.kind == "b":
            np.logical_or.at(arr, key, v)
        else:
            _ufunc_at(np.add, arr, key, v)
    else:
        arr[key] = v
    out = wrap(arr)
    if needs_grad(t, values):
        record(IndexPutBackward0(key, accumulate, values), (t, values), out)
    return out


def _advanced_result_ndim(arr, key):
    return len(_advanced_result_shape(arr, key))


# -------------------------------------------------------------------------------------------------------
# __getitem__ / __setitem__


def _oob(index, dim, size):
    return IndexError(f"index {index} is out of bounds for dimension {dim} with size {size}")


def _check_slice(s):
    step = s.step
    if step is not None and step.__index__() <= 0:
        raise ValueError("slice step cannot be zero" if step.__index__() == 0 else "step must be greater than zero")


def _as_index_item(item):
    """Classify one index item: ('int', i), ('slice', s), ('none',), ('ellipsis',), ('bool', b),
    ('mask', bool array), ('array', int array)."""
    t = type(item)
    if t is builtins.int:
        return "int", item
    if t is slice:
        _check_slice(item)
        return "slice", item
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if t is builtins.bool:
        return "bool", item
    if isinstance(item, Tensor) or isinstance(item, np.ndarray):
        arr = item._data if isinstance(item, Tensor) else item
        dt = arr.dtype
        if dt.kind == "b" or dt == np.uint8:
            if dt == np.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=4)
                arr = arr.astype(np.bool_)
            if arr.ndim == 0:
                return "bool", builtins.bool(arr)
            return "mask", arr
        if dt not in _INDEX_DTYPES:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if arr.ndim == 0:
            return "int", int(arr)
        return "array", arr
    if isinstance(item, (list, tuple)):
        arr = np.array(item) if item else np.zeros(0, _INT64)
        if arr.dtype.kind != "b":
            try:
                arr = arr.astype(_INT64)
            except (TypeError, ValueError):
                raise TypeError(f"new(): invalid data type '{_py_type_name(item[0])}'") from None
        return ("mask", arr) if arr.dtype.kind == "b" else ("array", arr)
    if isinstance(item, np.integer):
        return "int", int(item)
    if hasattr(item, "__index__") and not isinstance(item, (builtins.float, np.bool_)):
        return "int", item.__index__()
    if t is str:
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {_py_type_name(item)})")


def _sequence_as_tuple(seq):
    """PyTorch's legacy rule: a short list holding slices, None, Ellipsis, tensors or sequences indexes
    several dimensions (as a tuple would); other lists are one integer or bool index."""
    if len(seq) >= 32:
        return False
    return any(it is None or it is Ellipsis or isinstance(it, (slice, Tensor, np.ndarray, list, tuple)) for it in seq)


def _parse(self, index):
    """Split an index into the basic tuple that makes a view and the advanced items applied to that view.

    Returns (basic, advanced) where `advanced` is None or a list of (view_dim, kind, array, position)."""
    arr = self._data
    ndim = arr.ndim
    single = index
    single_index_tuple = type(index) is tuple
    if not single_index_tuple:
        index = tuple(index) if isinstance(index, list) and _sequence_as_tuple(index) else (index,)
    items = [_as_index_item(it) for it in index]
    consumed = 0
    ellipsis = 0
    for kind, val in items:
        if kind in ("int", "slice", "array"):
            consumed += 1
        elif kind == "mask":
            consumed += val.ndim
        elif kind == "ellipsis":
            ellipsis += 1
    if ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        if ndim == 0 and not single_index_tuple:
            if type(single) is builtins.int:  # a Python int (not a 0-dim tensor) on a 0-dim tensor
                raise (IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                  "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
                       if single == 0 else _oob(single, 0, 0))
            if type(single) is slice:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic = []
    advanced = None
    shape = arr.shape
    src = 0  # dim of self the next item applies to
    view_shape = []  # shape of the view built so far
    for pos, (kind, val) in enumerate(items):
        if kind == "int":
            size = shape[src]
            if not -size <= val < size:
                raise _oob(val, pos, size)
            basic.append(val)
            src += 1
        elif kind == "slice":
            basic.append(val)
            view_shape.append(len(range(*val.indices(shape[src]))))
            src += 1
        elif kind == "none":
            basic.append(None)
            view_shape.append(1)
        elif kind == "ellipsis":
            n = ndim - consumed
            basic.extend([_ALL] * n)
            view_shape.extend(shape[src:src + n])
            src += n
        elif kind == "bool":  # unsqueeze, then index the new dim with [0] (True) or [] (False)
            basic.append(None)
            advanced = advanced or []
            advanced.append((len(view_shape), "array", np.zeros(1 if val else 0, _INT64), pos))
            view_shape.append(1)
        elif kind == "mask":
            k = val.ndim
            for j in range(k):
                if val.shape[j] != shape[src + j]:
                    raise IndexError(f"The shape of the mask {list(val.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {list(view_shape) + list(shape[src:])} at index "
                                     f"{len(view_shape) + j}")
            advanced = advanced or []
            advanced.append((len(view_shape), "mask", val, pos))
            basic.extend([_ALL] * k)
            view_shape.extend(shape[src:src + k])
            src += k
        else:  # integer array
            advanced = advanced or []
            advanced.append((len(view_shape), "array", val, pos))
            basic.append(_ALL)
            view_shape.append(shape[src])
            src += 1
    basic.append(Ellipsis)  # keeps NumPy from returning a scalar instead of a 0-d view
    return tuple(basic), advanced


def _advanced_tuple(view, advanced):
    """The NumPy index applying `advanced` items to the basic view, with PyTorch's errors checked first."""
    items = []
    at = 0
    shapes = []
    ordinal = 0
    for vdim, kind, val, _pos in advanced:
        items.extend([_ALL] * (vdim - at))
        items.append(val)
        if kind == "mask":
            at = vdim + val.ndim
            n = int(np.count_nonzero(val))
            shapes.extend([(n,)] * val.ndim)
            ordinal += val.ndim
        else:
            at = vdim + 1
            size = view.shape[vdim]
            if val.size:
                lo, hi = val.min(), val.max()
                if lo < -size or hi >= size:
                    if size == 0:
                        raise IndexError("index is out of bounds for dimension with size 0")
                    bad = val[(val < -size) | (val >= size)].flat[0]
                    raise _oob(int(bad), ordinal, size)
            shapes.append(val.shape)
            ordinal += 1
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes)) from None
    return tuple(items)


class _EmbedBackward(Node):
    """Backward of a view that picks `key` out of a tensor of `shape`: the grad written into zeros."""

    def __init__(self, shape, key):
        self.shape, self.key = shape, key

    def backward(self, grad):
        return _index_put_key(_zeros(self.shape, grad._data.dtype), self.key, grad, False)


class SelectBackward0(_EmbedBackward):
    pass


class SliceBackward0(_EmbedBackward):
    pass


class UnsqueezeBackward0(Node):
    def __init__(self, dim):
        self.dim = dim

    def backward(self, grad):
        return grad.squeeze(self.dim)


class AliasBackward0(Node):
    def backward(self, grad):
        return grad


def _record_view(src, arr, node):
    out = view_of(src, arr)
    if needs_grad(src):
        record(node, (src,), out)
    return out


def _full_slice(s, size):
    """PyTorch skips a slice inside a tuple index when it is written as the whole dim (start 0, step 1, stop at
    or past the end); the raw values count, so x[-5:, 0] still records a slice."""
    return (s.start in (None, 0) and s.step in (None, 1)
            and (s.stop is None or s.stop.__index__() >= size))


def _getitem_grad(self, index):
    """__getitem__ for a tensor that requires grad: the basic items are applied one by one, left to right, each
    recording PyTorch's view node (SelectBackward0, SliceBackward0, UnsqueezeBackward0, AliasBackward0 when
    nothing else applies), then the tensor indices make one IndexBackward0."""
    basic, advanced = _parse(self, index)  # validates the whole index
    single = type(index) is not tuple and not (isinstance(index, list) and _sequence_as_tuple(index))
    items = [_as_index_item(it) for it in ((index,) if single else tuple(index))]
    ndim = self._data.ndim
    consumed = sum(1 if kind in ("int", "slice", "array") else val.ndim if kind == "mask" else 0 for kind, val in items)
    cur = self
    d = 0
    for kind, val in items:
        shape = cur._data.shape
        if kind == "int":
            key = (_ALL,) * d + (val,)
            cur = _record_view(cur, cur._data[key + (Ellipsis,)], SelectBackward0(shape, key))
        elif kind == "slice":
            if single or not _full_slice(val, shape[d]):
                key = (_ALL,) * d + (val,)
                cur = _record_view(cur, cur._data[key + (Ellipsis,)], SliceBackward0(shape, key))
            d += 1
        elif kind in ("none", "bool"):
            cur = _record_view(cur, np.expand_dims(cur._data, d), UnsqueezeBackward0(d))
            d += 1
        elif kind == "ellipsis":
            d += ndim - consumed
        else:
            d += val.ndim if kind == "mask" else 1
    if advanced is not None:
        return _index_key(cur, _advanced_tuple(cur._data, advanced))
    if cur is self:
        cur = _record_view(self, self._data[...], AliasBackward0())
    return cur


def _getitem(self, index):
    if self.requires_grad and needs_grad(self):
        return _getitem_grad(self, index)
    arr = self._data
    tp = type(index)
    # fast paths: x[0], x[1:], x[mask]
    if tp is builtins.int and arr.ndim:
        size = arr.shape[0]
        if -size <= index < size:
            return view_of(self, arr[index, ...])
    elif tp is slice and arr.ndim:
        step = index.step
        if step is None or (type(step) is builtins.int and step > 0):
            return view_of(self, arr[index])
    elif tp is tuple and len(index) <= arr.ndim:
        shape = arr.shape
        for d, item in enumerate(index):
            t = type(item)
            if t is builtins.int:
                if not -shape[d] <= item < shape[d]:
                    break
            elif t is not slice or (item.step is not None and not (type(item.step) is builtins.int and item.step > 0)):
                break
        else:
            return view_of(self, arr[index + (Ellipsis,)])
    elif tp is Tensor and arr.ndim:
        idx = index._data
        if idx.dtype.kind == "b":
            if idx.shape == arr.shape[:idx.ndim] and idx.ndim:
                return wrap(arr[idx])
        elif idx.dtype == _INT64 and idx.ndim == 1 and idx.size:
            n = arr.shape[0]
            if -n <= idx.min() and idx.max() < n:
                return wrap(arr[idx])
    basic, advanced = _parse(self, index)
    view = arr[basic]
    if advanced is None:
        return view_of(self, view)
    return wrap(view[_advanced_tuple(view, advanced)])


def _check_no_partial_overlap(dst, src):
    """PyTorch refuses copies between partially overlapping dense memory (it would depend on copy order)."""
    if not np.may_share_memory(dst, src):
        return
    if (dst.__array_interface__["data"][0] == src.__array_interface__["data"][0] and dst.shape == src.shape
            and dst.strides == src.strides):
        return  # the same memory: x[:] = x is fine
    if _dense(dst) and _dense(src):
        raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                           "refer to a single memory location. Please clone() the tensor before performing the "
                           "operation.")


def _dense(a):
    """Non-overlapping and dense (a permutation of a contiguous layout)."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    dims = sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n != 1)
    expected = a.itemsize
    for stride, n in dims:
        if stride != expected:
            return False
        expected *= n
    return True


def _strip_leading_ones(arr, ndim):
    """PyTorch drops a value's leading size-1 dims before broadcasting it into the indexed result."""
    extra = arr.ndim - ndim
    if extra > 0:
        lead = arr.shape[:extra]
        if all(s == 1 for s in lead):
            return arr.reshape(arr.shape[extra:])
    return arr


def _setitem_plan(self, index, value):
    """Validate `self[index] = value` as PyTorch does. Returns (view array, key, value array): key None means a
    copy of the value into the view (basic indexing), else the value is written at view[key]."""
    arr = self._data
    tp = type(index)
    if tp is builtins.int and arr.ndim and -arr.shape[0] <= index < arr.shape[0]:
        basic, advanced = (index, Ellipsis), None
    elif tp is Tensor and index._data.dtype.kind == "b" and index._data.ndim and \
            index._data.shape == arr.shape[:index._data.ndim]:
        basic, advanced = (Ellipsis,), [(0, "mask", index._data, 0)]
    else:
        basic, advanced = _parse(self, index)
    view = arr[basic]
    if advanced is None:  # a copy into a view: the value is cast, as copy_ does
        val = _strip_leading_ones(_value_array(value, self), view.ndim)
        if val.ndim > view.ndim:
            raise RuntimeError(f"expand({_type_name(value)}{{{list(val.shape)}}}, size={list(view.shape)}): the "
                               f"number of sizes provided ({view.ndim}) must be greater or equal to the number of "
                               f"dimensions in the tensor ({val.ndim})")
        if val.shape != view.shape:
            _check_expand(val.shape, view.shape)
        elif isinstance(value, Tensor):
            _check_no_partial_overlap(view, value._data)
        return view, None, val
    single_mask = len(advanced) == 1 and advanced[0][1] == "mask"
    if isinstance(value, Tensor):
        if single_mask and value._data.size == 1:  # PyTorch turns this into masked_fill_, which casts
            value = wrap(value._data.reshape(()))
        elif value._data.dtype != arr.dtype and type(index) is not builtins.bool:  # x[True] = v is a copy_
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_label(arr.dtype)} for the destination and {_label(value._data.dtype)} for the "
                               "source.")
    val = _value_array(value, self)
    key = _advanced_tuple(view, advanced)
    if val.ndim:
        target_shape = _advanced_result_shape(view, key)
        val = _strip_leading_ones(val, len(target_shape))
        if not _broadcasts_to(val.shape, target_shape):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(val.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(target_shape)}")
        if val.shape == target_shape and isinstance(value, Tensor):
            _check_no_partial_overlap(view, val)
    return view, key, val


def _setitem(self, index, value):
    if needs_grad(self, value):
        return _setitem_grad(self, index, value)
    view, key, val = _setitem_plan(self, index, value)
    if key is None:
        np.copyto(view, val, casting="unsafe")
    else:
        view[key] = val
    self._bump_version()


class CopyBackwards(Node):
    """x[basic] = tensor: the view's old values are overwritten (zero grad), the value takes the grad."""

    def __init__(self, value):
        self.value_shape, self.value_dtype = value._data.shape, value.dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = _zeros(grad._data.shape, grad._data.dtype) if needs[0] else None
        grad_value = _as_dtype(_sum_to(grad, self.value_shape), self.value_dtype) if needs[1] else None
        return grad_self, grad_value


class FillBackward3(Node):
    """x[basic] = 0-dim value (a number or a 0-dim tensor)."""

    def __init__(self, value):
        self.value_dtype = value.dtype if isinstance(value, Tensor) else None

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = _zeros(grad._data.shape, grad._data.dtype) if needs[0] else None
        grad_value = _as_dtype(grad.sum(), self.value_dtype) if needs[1] else None
        return grad_self, grad_value


def _same_memory(a, b):
    return (a.shape == b.shape and a.strides == b.strides
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _inner_view(self, view):
    """The view a setitem writes into. When its base requires grad it carries a history (as PyTorch's views do),
    so that prepare_inplace sees a view of a leaf, and the in-place node knows the view's old values need a
    gradient; commit_inplace replaces that history right after."""
    target = view_of(self, view)
    base = target._base
    if base.requires_grad and needs_grad(base):
        from ._common import AsStridedBackward0, _view_geometry

        record(AsStridedBackward0(_view_geometry(target, base), base._data.shape), (base,), target)
    return target


def _setitem_grad(self, index, value):
    """self[index] = value when autograd records it: the write is the in-place op (copy_/fill_ for basic
    indexing, index_put_ for tensor indices) applied to the view the basic items select; a write into a real
    view gives the base a CopySlices history."""
    view, key, val = _setitem_plan(self, index, value)
    target = self if _same_memory(view, self._data) else _inner_view(self, view)
    src = prepare_inplace(target, value)
    if key is None:
        result = wrap(np.array(np.broadcast_to(val, view.shape), dtype=view.dtype))
        if not isinstance(value, Tensor) or value._data.ndim == 0:
            record(FillBackward3(value), (src, value), result)
        else:
            edge_value = value
            if value._data.shape != view.shape:  # PyTorch: value.view(without leading 1s).expand(view's shape)
                edge_value = value.view(val.shape).expand(view.shape)
            record(CopyBackwards(value), (src, edge_value), result)
    else:
        if isinstance(value, Tensor) and value._data.size == 1 and value._data.ndim and val.ndim == 0:
            value = value.view(())  # x[mask] = tensor([v])
        elif isinstance(value, Tensor) and val.shape != value._data.shape:
            value = value.view(val.shape)
        elif not isinstance(value, Tensor):
            value = wrap(val)
        result = _index_put_key(src, key, value, False, val)
    commit_inplace(target, result)
    base = self._base
    if target is not self and base is not None and base.grad_fn is not None and target.grad_fn is not None:
        # self is a view written through a view of its own: its history now comes from the rewritten base
        from ._common import AsStridedBackward0, _view_geometry

        record(AsStridedBackward0(_view_geometry(self, base), base._data.shape), (base,), self)


def _check_expand(src, dst):
    lead = len(dst) - len(src)
    for i, s in enumerate(src):
        d = dst[lead + i]
        if s != d and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({d}) must match the existing size ({s}) at "
                               f"non-singleton dimension {lead + i}.  Target sizes: {list(dst)}.  Tensor sizes: "
                               f"{list(src)}")


def _broadcasts_to(src, dst):
    if len(src) > len(dst):
        return False
    lead = len(dst) - len(src)
    return all(s == d or s == 1 for s, d in zip(src, dst[lead:]))


def _advanced_result_shape(view, key):
    """Shape of view[key] without materialising it (index a zero-strided stand-in of the same shape)."""
    stand_in = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), view.shape, (0,) * view.ndim)
    return stand_in[key].shape


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


# -------------------------------------------------------------------------------------------------------
# helpers for the index ops


def _label(np_dtype):
    from .pointwise import type_label

    return type_label(np_dtype)


def _index_array(index, op, message="{op}(): Expected dtype int32 or int64 for index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(message.format(op=op))
    return idx


def _vector_index(index, op, size):
    """A 1-D (or 0-d) index for index_select: values in [0, size), no wrapping of negatives."""
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError("index out of range in self")
    return idx


def _check_range(idx, size, dim, negative_ok=False, exc=RuntimeError):
    if idx.size:
        lo = -size if negative_ok else 0
        bad = (idx < lo) | (idx >= size)
        if bad.any():
            raise exc(f"index {int(idx[bad].flat[0])} is out of bounds for dimension {dim} with size {size}")


def _dim_key(ndim, dim, idx):
    """(slice(None),)*dim + (idx,): indexes `idx` along `dim`."""
    return (_ALL,) * dim + (idx,)


def _same_dtype(self, src, op, what="source"):
    if src._data.dtype != self._data.dtype:
        raise RuntimeError(f"{op}(): self ({_label(self._data.dtype)}) and {what} ({_label(src._data.dtype)}) must "
                           f"have the same scalar type")


def _inplace_result(self, arr):
    """Write `arr` into self (an in-place op computed out of place) and bump the version."""
    if arr is not self._data:
        np.copyto(self._data, arr, casting="unsafe")
    self._bump_version()
    return self


# -------------------------------------------------------------------------------------------------------
# index_select / gather / take


class IndexSelectBackward0(Node):
    def __init__(self, shape, dim, index):
        self.shape, self.dim, self.index = shape, dim, index

    def backward(self, grad):
        return index_add(_zeros(self.shape, grad._data.dtype), self.dim, self.index, grad)


@method()
def index_select(input, dim, index, *, out=None):
    _no_out_with_grad("index_select", out, input)
    arr = input._data
    dim = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        idx = _vector_index(index, "index_select", 1)
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        result = wrap(arr.copy())
        if needs_grad(input):
            record(IndexSelectBackward0(arr.shape, dim, index), (input,), result)
        return finish_out(result, out)
    size = arr.shape[dim]
    if dim == 1:  # PyTorch's dim-1 kernel reports out-of-range indices its own way
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        idx = idx.reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= size):
            bad = int(idx[(idx < 0) | (idx >= size)].flat[0])
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    else:
        idx = _vector_index(index, "index_select", size)
    result = wrap(np.take(arr, idx, axis=dim))
    if needs_grad(input):
        record(IndexSelectBackward0(arr.shape, dim, index), (input,), result)
    return finish_out(result, out)


def _gather_checks(arr, dim, idx, op, src=None):
    if idx.ndim != arr.ndim and not (idx.ndim <= 1 and arr.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           + ("input tensor" if op == "gather" else "self tensor"))
    if src is not None and idx.ndim != src.ndim and not (idx.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape, shape = idx.shape, arr.shape
    for d in range(min(idx.ndim, arr.ndim)):
        if d != dim and ishape[d] > shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(ishape)} to be no larger "
                               f"than self {list(shape)} apart from dimension {dim}")
        if src is not None and ishape[d] > src.shape[d]:
            raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {dim} and to be no larger size than src {list(src.shape)}")


def _full_index(idx, dim):
    """The tuple of broadcastable arrays that addresses every element of `idx`'s shape, with `idx` itself along
    `dim`: what gather reads and scatter writes."""
    nd = idx.ndim
    key = []
    for d in range(nd):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            key.append(np.arange(idx.shape[d]).reshape(shape))
    return tuple(key)


class GatherBackward0(Node):
    def __init__(self, shape, dim, index):
        self.shape, self.dim, self.index = shape, dim, index

    def backward(self, grad):
        return scatter_add(_zeros(self.shape, grad._data.dtype), self.dim, self.index, grad)


@method()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    _no_out_with_grad("gather", out, input)
    result = _gather_values(input, dim, index)
    if needs_grad(input):
        record(GatherBackward0(input._data.shape, wrap_dim(dim, input._data.ndim), index), (input,), result)
    return finish_out(result, out)


def _gather_values(input, dim, index):
    arr = input._data
    dim = wrap_dim(dim, arr.ndim)
    idx = _index_array(index, "gather", "{op}(): Expected dtype int32/int64 for index")
    _gather_checks(arr, dim, idx, "gather")
    if arr.ndim == 0 or idx.ndim == 0:
        a = arr.reshape(-1)
        i = idx.reshape(-1)
        _check_range(i, a.shape[0], dim)
        return wrap(a[i].reshape(idx.shape))
    _check_range(idx, arr.shape[dim], dim)
    if idx.size == 0:
        return wrap(np.empty(idx.shape, arr.dtype))
    return wrap(arr[_full_index(idx, dim)])


class TakeBackward0(Node):
    def __init__(self, shape, index):
        self.shape, self.index = shape, index

    def backward(self, grad):
        return put(_zeros(self.shape, grad._data.dtype), self.index, grad, accumulate=True)


@method()
def take(input, index, *, out=None):
    _no_out_with_grad("take", out, input)
    arr = input._data
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != _INT64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_label(idx.dtype)}")
    n = arr.size
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {int(idx[bad].flat[0])} on a tensor of {n} "
                             "elements.")
    result = wrap(arr.reshape(-1)[idx])
    if needs_grad(input):
        record(TakeBackward0(arr.shape, index), (input,), result)
    return finish_out(result, out)


@method()
def take_along_dim(input, indices, dim=None, *, out=None):
    _no_out_with_grad("take_along_dim", out, input)
    arr = input._data
    idx = indices._data
    if idx.dtype != _INT64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_label(idx.dtype)}")
    if dim is None:
        flat = arr.reshape(-1)
        i = idx.reshape(-1)
        _check_range(i, flat.shape[0], 0)
        if needs_grad(input):  # PyTorch: input.view(-1).gather(0, indices.view(-1))
            return gather(input.reshape(-1), 0, wrap(i))
        return finish_out(wrap(flat[i]), out)
    if arr.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {arr.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    dim = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        _check_range(idx.reshape(-1), 1, 0)
        return finish_out(wrap(arr.copy()), out)
    ishape = list(idx.shape)
    ashape = list(arr.shape)
    ishape[dim] = ashape[dim] = 1
    bshape = broadcast_shapes(tuple(ashape), tuple(ishape))
    a = np.broadcast_to(arr, bshape[:dim] + (arr.shape[dim],) + bshape[dim + 1:])
    i = np.broadcast_to(idx, bshape[:dim] + (idx.shape[dim],) + bshape[dim + 1:])
    _check_range(i, arr.shape[dim], dim, negative_ok=True)
    if needs_grad(input):  # PyTorch: input.expand(...).gather(dim, indices.expand(...))
        return gather(input.expand(a.shape), dim, wrap(i % arr.shape[dim]))
    return finish_out(wrap(np.take_along_axis(a, i, axis=dim)), out)


# -------------------------------------------------------------------------------------------------------
# scatter family


_SCATTER_IDENTITY = {"sum": 0, "prod": 1, "mean": 0}


def _identity_array(reduce, np_dtype):
    if reduce in _SCATTER_IDENTITY:
        return np.array(_SCATTER_IDENTITY[reduce], np_dtype)
    if np_dtype.kind == "b":
        return np.array(reduce == "amin")
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        return np.array(info.min if reduce == "amax" else info.max, np_dtype)
    return np.array(-np.inf if reduce == "amax" else np.inf).astype(np_dtype)


def _scatter_prepare(self, dim, index, src, op):
    """Checks shared by scatter/scatter_add/scatter_reduce; returns (dim, key, values array)."""
    arr = self._data
    dim = wrap_dim(dim, arr.ndim)
    idx = _index_array(index, op, "{op}(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor):
        s = src._data
        if s.dtype != arr.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        _gather_checks(arr, dim, idx, op, s)
    else:
        s = _scalar_array(src, arr.dtype)
        _gather_checks(arr, dim, idx, op)
    if arr.ndim == 0 or idx.ndim == 0:
        _check_range(idx.reshape(-1), arr.size, dim)
        key = (idx.reshape(-1),) if arr.ndim else ()
        if arr.ndim == 0 and idx.size == 0:
            key = None
        vals = s.reshape(-1)[:idx.size] if s.ndim else s
        if arr.ndim == 0 and key is not None:
            vals = vals.reshape(())
        return dim, key, vals
    _check_range(idx, arr.shape[dim], dim)
    if idx.size == 0:
        return dim, None, None
    if s.ndim:
        s = s[tuple(slice(0, n) for n in idx.shape)]
    return dim, _full_index(idx, dim), s


_REDUCE_UFUNC = {"sum": np.add, "add": np.add, "prod": np.multiply, "multiply": np.multiply, "mean": np.add,
                 "amax": np.maximum, "amin": np.minimum}


def _ufunc_at(ufunc, arr, key, vals):
    """ufunc.at with float16/bfloat16 accumulated in float32 and rounded once, as PyTorch's CPU kernels do."""
    if arr.dtype in _HALF_TYPES and ufunc in (np.add, np.multiply):
        acc = arr.astype(_F32)
        ufunc.at(acc, key, vals.astype(_F32) if isinstance(vals, np.ndarray) else vals)
        arr[...] = acc.astype(arr.dtype)
    else:
        ufunc.at(arr, key, vals)


def _scatter_into(out, dim, index, src, reduce, op):
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    dim, key, vals = _scatter_prepare(out, dim, index, src, op)
    arr = out._data
    if key is None:
        return out
    if reduce is None:
        arr[key] = vals
    else:
        if arr.dtype.kind == "b":
            raise RuntimeError(f'"scatter_{reduce}" not implemented for \'Bool\'')
        _ufunc_at(_REDUCE_UFUNC[reduce], arr, key, vals)
    return out


def _src_or_value(src, value, op):
    if src is None:
        src = value
    if src is None:
        raise TypeError(f"{op}() missing 1 required positional argument: 'src' or 'value'")
    return src


def _gather_grad(grad, dim, index, src_shape, node):
    """grad.gather(dim, index) as the src gradient; PyTorch refuses a src larger than the index here."""
    g = gather(grad, dim, index)
    if tuple(g._data.shape) != tuple(src_shape):
        raise RuntimeError(f"Function {node} returned an invalid gradient at index 1 - got {list(g._data.shape)} but "
                           f"expected shape compatible with {list(src_shape)}")
    return g


class ScatterBackward0(Node):
    def __init__(self, dim, index, src_shape):
        self.dim, self.index, self.src_shape = dim, index, src_shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = scatter(grad, self.dim, self.index, 0) if needs[0] else None
        grad_src = _gather_grad(grad, self.dim, self.index, self.src_shape, "ScatterBackward0") if needs[1] else None
        return grad_self, grad_src


class ScatterBackward1(Node):
    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def backward(self, grad):
        return scatter(grad, self.dim, self.index, 0)


def _record_scatter(input, dim, index, src, reduce, result):
    dim = wrap_dim(dim, input._data.ndim)
    if reduce is not None:
        node = NotImplemented("aten::scatter")
        inputs = (input, src) if isinstance(src, Tensor) else (input,)
    elif isinstance(src, Tensor):
        node, inputs = ScatterBackward0(dim, index, src._data.shape), (input, src)
    else:
        node, inputs = ScatterBackward1(dim, index), (input,)
    record(node, inputs, result)
    return result


@method()
def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    src = _src_or_value(src, value, "scatter")
    _no_out_with_grad("scatter", out, input, src)
    result = _scatter_into(wrap(input._data.copy()), dim, index, src, reduce, "scatter")
    if needs_grad(input, src):
        _record_scatter(input, dim, index, src, reduce, result)
    return finish_out(result, out)


@method()
def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    src = _src_or_value(src, value, "scatter_")
    if needs_grad(self, src):
        return commit_inplace(self, scatter(prepare_inplace(self, src), dim, index, src, reduce=reduce))
    _scatter_into(self, dim, index, src, reduce, "scatter")
    self._bump_version()
    return self


def _check_tensor_src(src, op):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")


class ScatterAddBackward0(Node):
    def __init__(self, dim, index, src_shape):
        self.dim, self.index, self.src_shape = dim, index, src_shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_src = _gather_grad(grad, self.dim, self.index, self.src_shape, "ScatterAddBackward0") if needs[1] else None
        return (grad if needs[0] else None), grad_src


@method()
def scatter_add(input, dim, index, src, *, out=None):
    _check_tensor_src(src, "scatter_add")
    _no_out_with_grad("scatter_add", out, input, src)
    result = wrap(input._data.copy())
    dim, key, vals = _scatter_prepare(result, dim, index, src, "scatter_add")
    if key is not None:
        _ufunc_at(np.add, result._data, key, vals)
    if needs_grad(input, src):
        record(ScatterAddBackward0(dim, index, src._data.shape), (input, src), result)
    return finish_out(result, out)


@method()
def scatter_add_(self, dim, index, src):
    _check_tensor_src(src, "scatter_add_")
    if needs_grad(self, src):
        return commit_inplace(self, scatter_add(prepare_inplace(self, src), dim, index, src))
    dim, key, vals = _scatter_prepare(self, dim, index, src, "scatter_add")
    if key is not None:
        _ufunc_at(np.add, self._data, key, vals)
    self._bump_version()
    return self


def _scatter_reduce_into(out, dim, index, src, reduce, include_self):
    reduce = _reduce_name(reduce)
    _check_tensor_src(src, "scatter_reduce")
    dim, key, vals = _scatter_prepare(out, dim, index, src, "scatter_reduce")
    if key is None:
        return out
    arr = out._data
    _reduce_at(arr, key, vals, reduce, include_self)
    return out


def _reduce_name(reduce):
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch takes these undocumented aliases
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    return reduce


def _reduce_at(arr, key, vals, reduce, include_self):
    """Combine `vals` into arr[key] with a reduction; repeated positions all take part."""
    dt = arr.dtype
    if not include_self:
        arr[key] = _identity_array(reduce, dt)
    work = arr.astype(_F32) if dt in _HALF_TYPES else arr
    v = vals.astype(_F32) if dt in _HALF_TYPES else vals
    _REDUCE_UFUNC[reduce].at(work, key, v)
    if reduce == "mean":
        count = np.zeros(arr.shape, _INT64 if dt.kind in "iub" else work.dtype)
        np.add.at(count, key, 1)
        if include_self:
            count += 1
        count[count == 0] = 1
        if dt.kind in "iu":
            np.floor_divide(work, count.astype(dt), out=work)
        else:
            np.true_divide(work, count, out=work, casting="unsafe")
    if work is not arr:
        arr[...] = work.astype(dt)


class _ReduceBackward(Node):
    """Shared by scatter_reduce and index_reduce: `spread(t, src)` adds src into t at the reduced positions,
    `pick(t)` reads t at them (scatter_add/gather, or index_add/index_select), `clear(t)` zeroes them."""

    def __init__(self, input, src, result, reduce, include_self):
        self.reduce, self.include_self = reduce, include_self
        self.src_shape = src._data.shape
        if reduce in ("prod", "amax", "amin"):
            self.input, self.src = self.save(input), self.save(src)
            self.result = self.save(result, is_output=True)
        elif reduce == "mean":
            self.src_dtype = src.dtype

    def backward(self, grad):
        from .creation import ones_like, zeros_like

        needs = self.needs_input_grad
        reduce = self.reduce
        if reduce == "sum":
            grad_self, grad_src = grad, self.pick(grad)
        elif reduce == "mean":
            count = ones_like(grad) if self.include_self else zeros_like(grad)
            count = self.spread(count, wrap(np.ones(self.src_shape, grad._data.dtype)))
            count = masked_fill(count, count == 0, 1)
            grad_self = grad / count
            grad_src = self.pick(grad_self)
        elif reduce == "prod":
            x, src, result = self.input.unpack(), self.src.unpack(), self.result.unpack()
            x_masked = masked_fill(x, x == 0, 1)
            grad_self = grad * self.redo(x_masked, src) / x_masked  # the product of the others where x is 0
            src_zero = src == 0
            zeros_per_slot = self.pick(self.spread(zeros_like(x), src_zero.to(x.dtype)))
            single_zero = src_zero.logical_and(zeros_per_slot == 1)
            without_zero = self.redo(x, masked_fill(src, single_zero, 1))
            grad_src = where(single_zero, self.pick(grad * without_zero),
                             self.pick(grad * result) / masked_fill(src, src_zero, 1))
        else:  # amax / amin: ties share the gradient evenly
            x, src, result = self.input.unpack(), self.src.unpack(), self.result.unpack()
            x_hits = (x == result).to(x.dtype)
            src_hits = (src == self.pick(result)).to(x.dtype)
            share = grad / self.spread(x_hits, src_hits)
            grad_self = x_hits * share
            grad_src = src_hits * self.pick(share)
        if not self.include_self and needs[0]:
            grad_self = self.clear(grad_self)
        return (grad_self if needs[0] else None), (grad_src if needs[1] else None)


class ScatterReduceBackward0(_ReduceBackward):
    def __init__(self, input, dim, index, src, result, reduce, include_self):
        super().__init__(input, src, result, reduce, include_self)
        self.dim, self.index = dim, index

    def spread(self, t, src):
        return scatter_add(t, self.dim, self.index, src)

    def pick(self, t):
        return _gather_grad(t, self.dim, self.index, self.src_shape, "ScatterReduceBackward0")

    def clear(self, t):
        return scatter(t, self.dim, self.index, 0)

    def redo(self, x, src):
        return scatter_reduce(x, self.dim, self.index, src, self.reduce, include_self=self.include_self)


@method()
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    _no_out_with_grad("scatter_reduce", out, input, src)
    result = _scatter_reduce_into(wrap(input._data.copy()), dim, index, src, reduce, include_self)
    if needs_grad(input, src):
        node = ScatterReduceBackward0(input, wrap_dim(dim, input._data.ndim), index, src, result, _reduce_name(reduce),
                                      include_self)
        record(node, (input, src), result)
    return finish_out(result, out)


@method()
def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    if needs_grad(self, src):
        return commit_inplace(self, scatter_reduce(prepare_inplace(self, src), dim, index, src, reduce,
                                            include_self=include_self))
    _scatter_reduce_into(self, dim, index, src, reduce, include_self)
    self._bump_version()
    return self


# -------------------------------------------------------------------------------------------------------
# index_add / index_copy / index_fill / index_reduce / index_put


def _index_source(self, dim, index, source, op):
    """Checks shared by index_add_/index_copy_/index_reduce_ (each with PyTorch's own messages).

    Returns (target array, key, source array): writing source at target[key] does the op. 0-dim tensors are
    handled as 1-element vectors."""
    arr = self._data
    dim = wrap_dim(dim, arr.ndim)
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    s = source._data
    if s.dtype != arr.dtype:
        if op == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                               f"{_label(arr.dtype)} and (source) {_label(s.dtype)}")
        raise RuntimeError(f"{op}(): self ({_label(arr.dtype)}) and source ({_label(s.dtype)}) must have the same "
                           "scalar type")
    idx = _index_array(index, op, "{op}(): Expected dtype int32/int64 for index but got: " + _label(index._data.dtype)
                       if isinstance(index, Tensor) else "")
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    target = arr.reshape(1) if arr.ndim == 0 else arr
    src = s.reshape(1) if s.ndim == 0 else s
    n_src = src.shape[dim] if src.ndim > dim else 1
    if n_src != idx.size:
        if op == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                             f"({n_src})")
        raise RuntimeError(f"{op}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({n_src}), "
                           f"for dim: {dim}")
    if src.ndim != target.ndim or any(src.shape[d] != target.shape[d] for d in range(target.ndim) if d != dim):
        if op == "index_copy_":
            dst_slice = ", ".join(str(n) for d, n in enumerate(target.shape) if d != dim)
            src_slice = ", ".join(str(n) for d, n in enumerate(src.shape) if d != dim)
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {dst_slice} at dimension {dim} and source slice shape: {src_slice} at "
                               f"dimension {dim}.")
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                           f"self.shape = {list(arr.shape)} source.shape = {list(s.shape)}")
    size = target.shape[dim]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx[(idx < 0) | (idx >= size)].flat[0])
        if op == "index_copy_":
            raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {dim} with size {size}")
        if op == "index_add_" and target.ndim > 1:
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
        raise IndexError("index out of range in self")
    return target, (_ALL,) * dim + (idx,), src


def _index_add_into(self, dim, index, source, alpha):
    target, key, s = _index_source(self, dim, index, source, "index_add_")
    if alpha != 1:
        if self._data.dtype.kind == "b" and type(alpha) is not builtins.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        s = s * _scalar_array(alpha, s.dtype) if s.dtype not in _HALF_TYPES else \
            (s.astype(_F32) * float(alpha)).astype(s.dtype)
    if target.dtype.kind == "b":
        np.logical_or.at(target, key, s)
    else:
        _ufunc_at(np.add, target, key, s)
    return self


def _long_index(index):
    """The index as an int64 tensor (index_fill, used in backward formulas, takes only int64)."""
    idx = index._data
    return index if idx.dtype == _INT64 else wrap(idx.astype(_INT64))


def _selected(grad, dim, index, shape):
    """grad.index_select(dim, index) shaped as the source (a 0-dim source is a 1-element slice)."""
    g = index_select(grad, dim, index)
    return g if g._data.shape == tuple(shape) else g.reshape(shape)


class IndexAddBackward0(Node):
    def __init__(self, dim, index, source, alpha):
        self.dim, self.index, self.alpha = dim, index, alpha
        self.source_shape = source._data.shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_source = None
        if needs[1]:
            grad_source = _selected(grad, self.dim, self.index, self.source_shape)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return (grad if needs[0] else None), grad_source


@method()
def index_add(input, dim, index, source, *, alpha=1, out=None):
    _no_out_with_grad("index_add", out, input, source)
    result = _index_add_into(wrap(input._data.copy()), dim, index, source, alpha)
    if needs_grad(input, source):
        record(IndexAddBackward0(wrap_dim(dim, input._data.ndim), index, source, alpha), (input, source), result)
    return finish_out(result, out)


@method()
def index_add_(self, dim, index, source, *, alpha=1):
    if needs_grad(self, source):
        return commit_inplace(self, index_add(prepare_inplace(self, source), dim, index, source, alpha=alpha))
    _index_add_into(self, dim, index, source, alpha)
    self._bump_version()
    return self


def _index_copy_into(self, dim, index, source):
    target, key, s = _index_source(self, dim, index, source, "index_copy_")
    target[key] = s
    return self


class IndexCopyBackward0(Node):
    def __init__(self, dim, index, source):
        self.dim, self.index = dim, index
        self.source_shape = source._data.shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = index_fill(grad, self.dim, _long_index(self.index), 0) if needs[0] else None
        grad_source = _selected(grad, self.dim, self.index, self.source_shape) if needs[1] else None
        return grad_self, grad_source


@method()
def index_copy(input, dim, index, source, *, out=None):
    _no_out_with_grad("index_copy", out, input, source)
    result = _index_copy_into(wrap(input._data.copy()), dim, index, source)
    if needs_grad(input, source):
        record(IndexCopyBackward0(wrap_dim(dim, input._data.ndim), index, source), (input, source), result)
    return finish_out(result, out)


@method()
def index_copy_(self, dim, index, source):
    if needs_grad(self, source):
        return commit_inplace(self, index_copy(prepare_inplace(self, source), dim, index, source))
    _index_copy_into(self, dim, index, source)
    self._bump_version()
    return self


def _index_fill_into(self, dim, index, value):
    arr = self._data
    dim = wrap_dim(dim, arr.ndim)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_fill(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != _INT64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = idx.reshape(-1)
    v = _scalar_array(value, arr.dtype)
    size = arr.shape[dim] if arr.ndim else 1
    _check_range(idx, size, dim, negative_ok=True, exc=IndexError)
    if idx.size:
        if arr.ndim:
            arr[(_ALL,) * dim + (idx,)] = v
        else:
            arr[...] = v
    return self


class IndexFillBackward0(Node):
    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def backward(self, grad):
        return index_fill(grad, self.dim, self.index, 0)


class IndexFillBackward1(Node):
    def __init__(self, dim, index, value):
        self.dim, self.index = dim, index
        self.value_dtype = value.dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = index_fill(grad, self.dim, self.index, 0) if needs[0] else None
        grad_value = None
        if needs[1]:  # the value lands once on every distinct filled position
            idx = self.index._data.reshape(-1)
            if grad._data.ndim == 0:
                picked = grad if idx.size else _zeros((), grad._data.dtype)
            else:
                unique = np.unique(idx % grad._data.shape[self.dim])
                picked = _index_key(grad, (_ALL,) * self.dim + (unique,)).sum()
            grad_value = _as_dtype(picked, self.value_dtype)
        return grad_self, grad_value


@method()
def index_fill(input, dim, index, value):
    result = _index_fill_into(wrap(input._data.copy()), dim, index, value)
    if needs_grad(input, value):
        dim = wrap_dim(dim, input._data.ndim)
        if isinstance(value, Tensor):
            record(IndexFillBackward1(dim, index, value), (input, value), result)
        else:
            record(IndexFillBackward0(dim, index), (input,), result)
    return result


@method()
def index_fill_(self, dim, index, value):
    if needs_grad(self, value):
        return commit_inplace(self, index_fill(prepare_inplace(self, value), dim, index, value))
    _index_fill_into(self, dim, index, value)
    self._bump_version()
    return self


def _index_reduce_into(self, dim, index, source, reduce, include_self):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    target, key, s = _index_source(self, dim, index, source, "index_reduce_")
    _reduce_at(target, key, s, reduce, include_self)
    return self


class IndexReduceBackward0(_ReduceBackward):
    def __init__(self, input, dim, index, src, result, reduce, include_self):
        super().__init__(input, src, result, reduce, include_self)
        self.dim, self.index = dim, index

    def spread(self, t, src):
        return index_add(t, self.dim, self.index, src)

    def pick(self, t):
        return _selected(t, self.dim, self.index, self.src_shape)

    def clear(self, t):
        return index_fill(t, self.dim, _long_index(self.index), 0)

    def redo(self, x, src):
        return index_reduce(x, self.dim, self.index, src, self.reduce, include_self=self.include_self)


@method()
def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    _no_out_with_grad("index_reduce", out, input, source)
    result = _index_reduce_into(wrap(input._data.copy()), dim, index, source, reduce, include_self)
    if needs_grad(input, source):
        node = IndexReduceBackward0(input, wrap_dim(dim, input._data.ndim), index, source, result, reduce, include_self)
        record(node, (input, source), result)
    return finish_out(result, out)


@method()
def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    if needs_grad(self, source):
        return commit_inplace(self, index_reduce(prepare_inplace(self, source), dim, index, source, reduce,
                                          include_self=include_self))
    _index_reduce_into(self, dim, index, source, reduce, include_self)
    self._bump_version()
    return self


def _index_put_into(self, indices, values, accumulate):
    key, v, target_shape = _index_put_plan(self, indices, values)
    arr = self._data
    if accumulate:
        if arr.dtype.kind == "b":
            np.logical_or.at(arr, key, v)
        else:
            _ufunc_at(np.add, arr, key, np.broadcast_to(v, target_shape))
    else:
        arr[key] = v
    return self


def _index_put_plan(self, indices, values):
    """Validate index_put's arguments; returns (NumPy key, values array, shape of self[key])."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
    arr = self._data
    if values._data.dtype != arr.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {_label(arr.dtype)} for "
                           f"the destination and {_label(values._data.dtype)} for the source.")
    if len(indices) > arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {arr.ndim} (got {len(indices)})")
    advanced = []
    vdim = 0
    for pos, item in enumerate(indices):
        if not isinstance(item, Tensor):
            raise TypeError(f"expected Tensor as element {pos} in argument 0, but got {_py_type_name(item)}")
        kind, val = _as_index_item(item)
        if kind == "int":  # a 0-dim index tensor still indexes (it is not a select here)
            kind, val = "array", np.array(val, _INT64)
        if kind == "bool":
            kind, val = "mask", np.array(val)
        if kind == "mask":
            for j in range(val.ndim):
                if val.shape[j] != arr.shape[vdim + j]:
                    raise IndexError(f"The shape of the mask {list(val.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {list(arr.shape)} at index {vdim + j}")
        advanced.append((vdim, kind, val, pos))
        vdim += val.ndim if kind == "mask" else 1
    if not advanced:
        key = (Ellipsis,)
    else:
        key = _advanced_tuple(arr, advanced)
    v = values._data
    target_shape = _advanced_result_shape(arr, key)
    v = _strip_leading_ones(v, len(target_shape))
    if not _broadcasts_to(v.shape, target_shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to indexing "
                           f"result of shape {list(target_shape)}")
    return key, v, target_shape


@method()
def index_put(input, indices, values, accumulate=False):
    if needs_grad(input, values):
        key, v, _ = _index_put_plan(input, indices, values)
        return _index_put_key(input, key, values, accumulate, v)
    return _index_put_into(wrap(input._data.copy()), indices, values, accumulate)


@method()
def index_put_(input, indices, values, accumulate=False):
    if needs_grad(input, values):
        return commit_inplace(input, index_put(prepare_inplace(input, values), indices, values, accumulate))
    _index_put_into(input, indices, values, accumulate)
    input._bump_version()
    return input


# -------------------------------------------------------------------------------------------------------
# masks


def _bool_mask(mask, op):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' (position 1) must be Tensor, not {type(mask).__name__}")
    m = mask._data
    if m.dtype.kind != "b":
        if op == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        name = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
                "int64": "long int", "float32": "float", "float64": "double", "float16": "c10::Half",
                "bfloat16": "c10::BFloat16"}.get(_dtype.from_numpy_dtype(m.dtype)._name, str(m.dtype))
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {name}")
    return m


def _fill_value(value, np_dtype, op):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        v = value._data
        if v.dtype.kind == "c" and np_dtype.kind != "c":
            raise RuntimeError("value cannot be converted to type "
                               f"{_C_TYPE[_dtype.from_numpy_dtype(np_dtype)._name]} without overflow")
        return cast(v, np_dtype)
    return _scalar_array(value, np_dtype)


class MaskedFillBackward0(Node):
    def __init__(self, mask, shape):
        self.mask, self.shape = mask, shape

    def backward(self, grad):
        return sum_to_shape(masked_fill(grad, self.mask, 0), self.shape)


class MaskedFillBackward1(Node):
    def __init__(self, mask, shape, value):
        self.mask, self.shape, self.value_dtype = mask, shape, value.dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = sum_to_shape(masked_fill(grad, self.mask, 0), self.shape) if needs[0] else None
        grad_value = _as_dtype(where(self.mask, grad, 0).sum(), self.value_dtype) if needs[1] else None
        return grad_self, grad_value


@method()
def masked_fill(input, mask, value):
    arr = input._data
    m = _bool_mask(mask, "masked_fill_")
    v = _fill_value(value, arr.dtype, "masked_fill_")
    broadcast_shapes(arr.shape, m.shape)
    result = wrap(np.asarray(np.where(m, v, arr)))
    if needs_grad(input, value):
        if isinstance(value, Tensor):
            record(MaskedFillBackward1(mask, arr.shape, value), (input, value), result)
        else:
            record(MaskedFillBackward0(mask, arr.shape), (input,), result)
    return result


def _check_inplace_broadcast(self_shape, other_shape):
    shape = broadcast_shapes(self_shape, other_shape)
    if shape != self_shape:
        raise RuntimeError(f"output with shape {list(self_shape)} doesn't match the broadcast shape {list(shape)}")


@method()
def masked_fill_(self, mask, value):
    arr = self._data
    m = _bool_mask(mask, "masked_fill_")
    v = _fill_value(value, arr.dtype, "masked_fill_")
    _check_inplace_broadcast(arr.shape, m.shape)
    if needs_grad(self, value):
        return commit_inplace(self, masked_fill(prepare_inplace(self, value), mask, value))
    np.copyto(arr, v, where=m)
    self._bump_version()
    return self


class MaskedSelectBackward0(Node):
    def __init__(self, mask, shape):
        self.mask, self.shape = mask, shape

    def backward(self, grad):
        full = broadcast_shapes(self.shape, self.mask._data.shape)
        return sum_to_shape(masked_scatter(_zeros(full, grad._data.dtype), self.mask, grad), self.shape)


@method()
def masked_select(input, mask, *, out=None):
    _no_out_with_grad("masked_select", out, input)
    arr = input._data
    m = _bool_mask(mask, "masked_select")
    if m.shape != arr.shape:
        shape = broadcast_shapes(arr.shape, m.shape)
        arr, m = np.broadcast_to(arr, shape), np.broadcast_to(m, shape)
    result = wrap(arr[m])
    if needs_grad(input):
        record(MaskedSelectBackward0(mask, input._data.shape), (input,), result)
    return finish_out(result, out)


def _masked_scatter_into(arr, m, source):
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter_(): argument 'source' must be Tensor, not {type(source).__name__}")
    s = source._data
    if s.dtype != arr.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_label(arr.dtype)} and {_label(s.dtype)}")
    n = int(np.count_nonzero(m))
    if n > s.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    arr[m] = s.reshape(-1)[:n]


class MaskedScatterBackward0(Node):
    def __init__(self, mask, shape, source):
        self.mask, self.shape, self.source_shape = mask, shape, source._data.shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = sum_to_shape(masked_fill(grad, self.mask, 0), self.shape) if needs[0] else None
        grad_source = None
        if needs[1]:  # the selected grads fill the source's first elements; the unused rest gets zeros
            picked = masked_select(grad, self.mask)
            numel = int(np.prod(self.source_shape))
            if picked._data.shape[0] != numel:
                picked = _index_put_key(_zeros((numel,), grad._data.dtype), (slice(0, picked._data.shape[0]),),
                                        picked, False)
            grad_source = picked.reshape(self.source_shape)
        return grad_self, grad_source


@method()
def masked_scatter(input, mask, source):
    arr = input._data
    m = _bool_mask(mask, "masked_scatter_")
    shape = broadcast_shapes(arr.shape, m.shape)
    out = np.array(np.broadcast_to(arr, shape))
    _masked_scatter_into(out, np.broadcast_to(m, shape), source)
    result = wrap(out)
    if needs_grad(input, source):
        record(MaskedScatterBackward0(mask, arr.shape, source), (input, source), result)
    return result


@method()
def masked_scatter_(self, mask, source):
    arr = self._data
    m = _bool_mask(mask, "masked_scatter_")
    _check_inplace_broadcast(arr.shape, m.shape)
    if needs_grad(self, source):
        return commit_inplace(self, masked_scatter(prepare_inplace(self, source), mask, source))
    _masked_scatter_into(arr, np.broadcast_to(m, arr.shape), source)
    self._bump_version()
    return self


def _put_into(self, index, source, accumulate):
    arr = self._data
    idx = index._data
    if idx.dtype != _INT64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_label(idx.dtype)}")
    s = source._data
    if s.dtype != arr.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_label(arr.dtype)} and source.dtype = {_label(s.dtype)}")
    if idx.size != s.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {s.size}, index.numel() = {idx.size}")
    n = arr.size
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {int(idx[bad].flat[0])} on a tensor of {n} "
                             "elements.")
    flat = arr.reshape(-1) if arr.flags.c_contiguous else arr.copy().reshape(-1)
    i, v = idx.reshape(-1), s.reshape(-1)
    if accumulate:
        _ufunc_at(np.add, flat, i, v)
    else:
        flat[i] = v
    if flat.base is None or not np.shares_memory(flat, arr):
        arr[...] = flat.reshape(arr.shape)
    return self


class PutBackward0(Node):
    def __init__(self, index, source, accumulate):
        self.index, self.accumulate = index, accumulate
        self.source_shape = source._data.shape

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = grad_source = None
        if needs[0]:
            grad_self = grad if self.accumulate else \
                put(grad, self.index, _zeros(self.source_shape, grad._data.dtype))
        if needs[1]:
            grad_source = take(grad, self.index)
            if grad_source._data.shape != self.source_shape:
                grad_source = grad_source.reshape(self.source_shape)
        return grad_self, grad_source


@method()
def put(input, index, source, accumulate=False):
    result = _put_into(wrap(input._data.copy()), index, source, accumulate)
    if needs_grad(input, source):
        record(PutBackward0(index, source, accumulate), (input, source), result)
    return result


@method()
def put_(self, index, source, accumulate=False):
    if needs_grad(self, source):
        return commit_inplace(self, put(prepare_inplace(self, source), index, source, accumulate))
    _put_into(self, index, source, accumulate)
    self._bump_version()
    return self


# -------------------------------------------------------------------------------------------------------
# where / nonzero


def _where_operand(x, dt):
    if isinstance(x, Tensor):
        a = x._data
        return a if a.dtype == dt else a.astype(dt)
    return _scalar_array(x, dt)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    c = condition._data
    if c.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_label(c.dtype)}")
    dt = promote_operands(input, other)._np
    x, y = _where_operand(input, dt), _where_operand(other, dt)
    broadcast_shapes(c.shape, np.shape(x), np.shape(y))
    _no_out_with_grad("where", out, input, other)
    result = wrap(np.asarray(np.where(c, x, y)))
    if needs_grad(input, other):
        record(WhereBackward0(condition, input, other), (input, other), result)
    return finish_out(result, out)


class WhereBackward0(Node):
    def __init__(self, condition, input, other):
        self.condition = condition
        self.input_meta = (input._data.shape, input.dtype) if isinstance(input, Tensor) else None
        self.other_meta = (other._data.shape, other.dtype) if isinstance(other, Tensor) else None

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_input = grad_other = None
        if needs[0]:
            shape, dtype = self.input_meta
            grad_input = _as_dtype(sum_to_shape(where(self.condition, grad, 0), shape), dtype)
        if needs[1]:
            shape, dtype = self.other_meta
            grad_other = _as_dtype(sum_to_shape(where(self.condition, 0, grad), shape), dtype)
        return grad_input, grad_other


def _tensor_where(self, condition, other):
    return where(condition, self, other)


Tensor.where = _tensor_where


@method()
def nonzero(input, *, out=None, as_tuple=False):
    arr = input._data
    if arr.ndim == 0:
        hit = builtins.bool(arr)
        if as_tuple:
            return (wrap(np.zeros(1 if hit else 0, _INT64)),)
        return finish_out(wrap(np.zeros((1 if hit else 0, 0), _INT64)), out)
    if as_tuple:
        return tuple(wrap(i.astype(_INT64, copy=False)) for i in np.nonzero(arr))
    return finish_out(wrap(np.argwhere(arr).astype(_INT64, copy=False)), out)


@method()
def argwhere(input):
    return nonzero(input)


# -------------------------------------------------------------------------------------------------------
# triangles


def _triangle(arr, diagonal, lower, name):
    if arr.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    n, m = arr.shape[-2:]
    rows = np.arange(n).reshape(-1, 1)
    cols = np.arange(m)
    keep = (cols - rows <= diagonal) if lower else (cols - rows >= diagonal)
    return keep


class TrilBackward0(Node):
    def __init__(self, diagonal):
        self.diagonal = diagonal

    def backward(self, grad):
        return tril(grad, self.diagonal)


class TriuBackward0(Node):
    def __init__(self, diagonal):
        self.diagonal = diagonal

    def backward(self, grad):
        return triu(grad, self.diagonal)


@method()
def tril(input, diagonal=0, *, out=None):
    _no_out_with_grad("tril", out, input)
    arr = input._data
    keep = _triangle(arr, diagonal, True, "tril")
    result = wrap(np.where(keep, arr, np.zeros((), arr.dtype)))
    if needs_grad(input):
        record(TrilBackward0(diagonal), (input,), result)
    return finish_out(result, out)


@method()
def triu(input, diagonal=0, *, out=None):
    _no_out_with_grad("triu", out, input)
    arr = input._data
    keep = _triangle(arr, diagonal, False, "triu")
    result = wrap(np.where(keep, arr, np.zeros((), arr.dtype)))
    if needs_grad(input):
        record(TriuBackward0(diagonal), (input,), result)
    return finish_out(result, out)


@method()
def tril_(self, diagonal=0):
    if needs_grad(self):
        return commit_inplace(self, tril(prepare_inplace(self), diagonal))
    arr = self._data
    np.copyto(arr, np.zeros((), arr.dtype), where=~_triangle(arr, diagonal, True, "tril"))
    self._bump_version()
    return self


@method()
def triu_(self, diagonal=0):
    if needs_grad(self):
        return commit_inplace(self, triu(prepare_inplace(self), diagonal))
    arr = self._data
    np.copyto(arr, np.zeros((), arr.dtype), where=~_triangle(arr, diagonal, False, "triu"))
    self._bump_version()
    return self


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    if dtype is not None and dtype._category > 1:
        raise RuntimeError(f"\"tril_indices\" not implemented for '{_label(dtype._np)}'")
    return _indices(row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    if dtype is not None and dtype._category > 1:
        raise RuntimeError(f"\"triu_indices\" not implemented for '{_label(dtype._np)}'")
    return _indices(row, col, offset, dtype, False)


def _indices(row, col, offset, dtype, lower):
    np_dt = _INT64 if dtype is None else dtype._np
    rows, cols = np.indices((row, col))
    keep = (cols - rows <= offset) if lower else (cols - rows >= offset)
    return wrap(np.stack([rows[keep], cols[keep]]).astype(np_dt).reshape(2, -1))


# -------------------------------------------------------------------------------------------------------
# flips, rolls, diagonals


def _int_tuple(dims, fn, arg):
    if isinstance(dims, (list, tuple)):
        return tuple(dims)
    if isinstance(dims, Tensor) or not hasattr(dims, "__index__"):
        raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, not {type(dims).__name__}")
    return (dims.__index__(),)


def flip(input, dims):
    """A reversed copy along `dims` (PyTorch copies; NumPy's flip would be a view)."""
    if not isinstance(dims, (list, tuple)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    arr = input._data
    axes = wrap_dims(tuple(dims), arr.ndim)
    result = wrap(np.flip(arr, axes).copy() if axes and arr.ndim else arr.copy())
    if needs_grad(input):
        record(FlipBackward0(axes), (input,), result)
    return result


class FlipBackward0(Node):
    def __init__(self, dims):
        self.dims = dims

    def backward(self, grad):
        return flip(grad, self.dims)


def _flip_method(self, *dims):
    """Tensor.flip accepts flip(0, 1) as well as flip((0, 1))."""
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    return flip(self, tuple(dims))


Tensor.flip = _flip_method


@method()
def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@method()
def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def backward(self, grad):
        return roll(grad, tuple(-s for s in self.shifts), self.dims)


@method()
def roll(input, shifts, dims=None):
    result = _roll_values(input, shifts, dims)
    if needs_grad(input):
        shifts = _int_tuple(shifts, "roll", "shifts")
        record(RollBackward0(shifts, None if dims is None else _int_tuple(dims, "roll", "dims")), (input,), result)
    return result


def _roll_values(input, shifts, dims):
    arr = input._data
    shifts = _int_tuple(shifts, "roll", "shifts")
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return wrap(np.roll(arr.reshape(-1), shifts[0]).reshape(arr.shape))
    dims = _int_tuple(dims, "roll", "dims")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    axes = tuple(wrap_dim(d, arr.ndim) for d in dims)
    if arr.ndim == 0:
        return wrap(arr.copy())
    return wrap(np.roll(arr, shifts, axes))


class DiagonalBackward0_copy(Node):  # noqa: N801 - PyTorch's name for diag()'s 2-D case
    def __init__(self, shape, offset):
        self.shape, self.offset = shape, offset

    def backward(self, grad):
        n = grad._data.shape[0]
        i = np.arange(n)
        key = (i + builtins.max(-self.offset, 0), i + builtins.max(self.offset, 0))
        return _index_put_key(_zeros(self.shape, grad._data.dtype), key, grad, False)


@method()
def diag(input, diagonal=0, *, out=None):
    _no_out_with_grad("diag", out, input)
    arr = input._data
    if arr.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {arr.ndim}D")
    if arr.ndim == 1:
        result = wrap(np.diag(arr, diagonal))
        if needs_grad(input):
            record(DiagEmbedBackward0(diagonal, 0, 1), (input,), result)
        return finish_out(result, out)
    result = wrap(np.diagonal(arr, diagonal).copy())
    if needs_grad(input):
        record(DiagonalBackward0_copy(arr.shape, diagonal), (input,), result)
    return finish_out(result, out)


class DiagEmbedBackward0(Node):
    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def backward(self, grad):
        return grad.diagonal(self.offset, self.dim1, self.dim2)


@method()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    arr = input._data
    nd = arr.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = arr.shape[-1] if arr.ndim else 1
    n = m + builtins.abs(offset)
    out = np.zeros(arr.shape[:-1] + (n, n), arr.dtype)
    i = np.arange(m)
    out[..., i + builtins.max(-offset, 0), i + builtins.max(offset, 0)] = arr
    # the two new dims sit last; move them to dim1 and dim2
    result = wrap(np.moveaxis(out, (-2, -1), (d1, d2)))
    if needs_grad(input):
        record(DiagEmbedBackward0(offset, d1, d2), (input,), result)
    return result


@method()
def diagflat(input, offset=0):
    if needs_grad(input):  # PyTorch: diag_embed of input.view(-1)
        return diag_embed(input.reshape(-1), offset, 0, 1)
    return wrap(np.diagflat(input._data.reshape(-1), offset))


@method()
def narrow_copy(input, dim, start, length):
    arr = input._data
    dim = wrap_dim(dim, arr.ndim)
    size = arr.shape[dim]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    key = (_ALL,) * dim + (slice(start, start + length),)
    result = wrap(arr[key].copy())
    if needs_grad(input):
        record(NarrowCopyBackward0(arr.shape, key), (input,), result)
    return result


class NarrowCopyBackward0(_EmbedBackward):
    pass
