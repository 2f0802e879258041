"""Tensor creation: from data, filled, ranges, the `_like` family and the legacy typed constructors.

`torch.tensor(data)` infers its dtype as PyTorch does: promote_types over the elements, where a Python
bool/int/float/complex counts as bool/int64/default float/default complex, and a NumPy scalar, NumPy array
or 0-dim tensor counts as its own dtype. Lists of plain Python numbers (the common case) are handed to NumPy
whole; only lists holding other things are walked element by element.
"""

import builtins
import math
import warnings

from .. import _device, _dtype
from .._backend import cast, np
from .._device import as_device, check_device
from .._tensor import FillBackward3, Size, _wrap
from ..autograd.grad_mode import no_grad
from ._common import Node, Tensor, finish_out, from_numpy_dtype, method, needs_grad, record, sum_to_shape
from ._fma import fma32, fma64

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye", "empty_strided", "scalar_tensor",
    "complex", "polar", "frombuffer", "fill", "fill_", "zero_",
    "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor",
    "IntTensor", "LongTensor", "BoolTensor",
]

_PY_NUMBER_TYPES = frozenset((builtins.bool, int, float, builtins.complex))
_PY_TYPE_DTYPES = {builtins.bool: _dtype.bool, int: _dtype.int64, float: _dtype.float64,
                   builtins.complex: _dtype.complex128}


def _finish(arr, requires_grad=False):
    t = _wrap(arr)
    if requires_grad:
        _require_grad(t)
    return t


def _require_grad(t):
    if t._data.dtype.kind not in "fc" and t._data.dtype != _dtype.bfloat16._np:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t.requires_grad = True
    return t


def _as_dtype(dtype):
    """An ember dtype from a `dtype=` argument (None, an ember dtype, or the Python types PyTorch accepts)."""
    if dtype is None or isinstance(dtype, _dtype.dtype):
        return dtype
    if dtype in _PY_TYPE_DTYPES:
        return _PY_TYPE_DTYPES[dtype]
    raise TypeError(f"dtype must be torch.dtype, not {type(dtype).__name__}")


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype())._np
    return _as_dtype(dtype)._np


def parse_size(args, fn="zeros"):
    """Sizes come as varargs (zeros(2, 3)) or one sequence (zeros((2, 3)), zeros(torch.Size([2, 3])))."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist() if args.ndim else [args]
        elif not isinstance(args, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(args).__name__}")
    elif len(args) == 1 and isinstance(args[0], builtins.bool):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not bool")
    size = []
    for s in args:
        if type(s) is not int:
            if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
                raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {len(size) + 1} with "
                                f"error \"type must be tuple of ints,but got {type(s).__name__}\"")
            s = s.__index__()
        size.append(s)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {size}")
    return tuple(size)


# -------------------------------------------------------------------------------------------------------
# from data


def _numpy_array(arr):
    """Checks on a NumPy array given as data: a dtype PyTorch has, native byte order, no negative strides."""
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    from_numpy_dtype(arr.dtype)
    if arr.ndim and min(arr.strides) < 0:
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return arr


def _leaf_types(seq, types):
    """Collect the types of the non-sequence elements of nested lists/tuples (one C-level pass per list)."""
    kinds = set(map(type, seq))
    if list in kinds or tuple in kinds:
        kinds.discard(list)
        kinds.discard(tuple)
        for item in seq:
            if type(item) is list or type(item) is tuple:
                _leaf_types(item, types)
    types |= kinds
    return types


def _infer_array(data, exact_floats=False):
    """(array, from_python) for `data`: the array has the dtype torch.tensor infers; `from_python` tells that
    it was built from Python numbers (whose values PyTorch range-checks against a requested dtype).

    Tensors and NumPy arrays come back as their own array (no copy)."""
    if isinstance(data, Tensor):
        return data._data, False
    if isinstance(data, np.ndarray):
        return _numpy_array(data), False
    kind = type(data)
    if kind in _PY_NUMBER_TYPES:
        return _python_numbers_array(data, exact_floats), True
    if isinstance(data, np.generic):
        from_numpy_dtype(data.dtype)
        return np.asarray(data), False
    if kind is builtins.range:
        data = list(data)
    elif kind is not list and kind is not tuple:
        if hasattr(data, "__array_interface__") or hasattr(data, "__array__"):
            return _numpy_array(np.asarray(data)), False
        if isinstance(data, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{kind.__name__}'")
        raise RuntimeError(f"Could not infer dtype of {kind.__name__}")
    if _leaf_types(data, set()) <= _PY_NUMBER_TYPES:
        return _python_numbers_array(data, exact_floats), True
    return _mixed_array(data), True


def _beyond_int64(data, arr):
    """NumPy widened an int beyond int64 to uint64, object or float64. torch makes such a list a float tensor
    only when a Python float or complex is in it; otherwise the int does not fit its int64 and it refuses."""
    leaves = {type(data)} if type(data) in _PY_NUMBER_TYPES else _leaf_types(data, set())
    if builtins.complex in leaves:
        return np.array(data, dtype=np.complex128)
    if builtins.float in leaves:
        return np.array(data, dtype=np.float64)
    raise ValueError("Overflow when unpacking long long")


def _python_numbers_array(data, exact_floats=False):
    """Nested lists of Python numbers: NumPy's kind (bool < int < float < complex) is PyTorch's promotion;
    only the float and complex widths follow the default dtype. With exact_floats, Python floats stay float64
    (complex128): a requested dtype then rounds them once, as PyTorch does."""
    try:
        arr = np.array(data)
    except ValueError:
        raise _shape_error(data) from None
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    kind = arr.dtype.kind
    if kind in "uO" or (kind == "f" and arr.size and np.abs(arr).max() >= 2.0 ** 63):
        arr = _beyond_int64(data, arr)
        kind = arr.dtype.kind
    if exact_floats and kind in "fc":
        return arr
    if kind == "f":
        default = _dtype.get_default_dtype()._np
        return arr if arr.dtype == default else arr.astype(default)
    if kind == "c":
        default = _dtype.default_complex_dtype()._np
        return arr if arr.dtype == default else arr.astype(default)
    return arr


def _mixed_array(data):
    """Nested sequences holding NumPy scalars/arrays, 0-dim tensors or invalid things, walked element by element."""
    found = []  # the dtype of every leaf (and of every NumPy array met), promoted at the end

    def convert(item, first):
        t = type(item)
        if t is list or t is tuple:
            return [convert(x, first and i == 0) for i, x in enumerate(item)]
        if t in _PY_NUMBER_TYPES:
            found.append(_dtype.scalar_dtype(item))
            return item
        if isinstance(item, Tensor):
            if item._data.size != 1:
                if item._data.dtype.kind in "iub":
                    raise TypeError("only integer tensors of a single element can be converted to an index")
                raise ValueError("only one element tensors can be converted to Python scalars")
            found.append(item.dtype)
            return item._data.reshape(())
        if isinstance(item, (np.ndarray, np.generic)):
            found.append(from_numpy_dtype(item.dtype))
            return item
        if isinstance(item, str):
            if first:
                raise ValueError("too many dimensions 'str'")
            raise TypeError("new(): invalid data type 'str'")
        raise RuntimeError(f"Could not infer dtype of {t.__name__}")

    converted = convert(data, True)
    if any(isinstance(x, np.ndarray) for x in data):
        warnings.warn("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting "
                      "the list to a single numpy.ndarray with numpy.array() before converting to a tensor.",
                      UserWarning, stacklevel=4)
    dtype = found[0] if found else _dtype.get_default_dtype()
    for d in found[1:]:
        dtype = _dtype.promote_types(dtype, d)
    try:
        return np.array(converted, dtype=dtype._np)
    except ValueError:
        raise _shape_error(data) from None


def _shape_error(data):
    """PyTorch's error for nested sequences that do not form a box: it takes the sizes from the first element
    at each depth and checks every sequence against them, depth first."""
    sizes = []
    probe = data
    while isinstance(probe, (list, tuple, np.ndarray)):
        sizes.append(len(probe))
        if not len(probe):
            break
        probe = probe[0]

    def check(seq, dim):
        if len(seq) != sizes[dim]:
            return ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(seq)})")
        for item in seq:
            is_seq = isinstance(item, (list, tuple, np.ndarray))
            if dim + 1 < len(sizes):
                if not is_seq:
                    return TypeError("not a sequence")
                err = check(item, dim + 1)
                if err:
                    return err
            elif is_seq:
                return TypeError(f"must be real number, not {type(item).__name__}")
        return None

    return check(data, 0) or ValueError("could not build a tensor from the given sequence")


def _convert(arr, dtype, from_python):
    """Cast an inferred array to a requested dtype; Python numbers are checked as PyTorch checks them."""
    target = dtype._np
    if arr.dtype == target:
        return arr
    if from_python:
        kind = arr.dtype.kind
        if kind == "c" and dtype._category in (1, 2):
            raise TypeError("must be real number, not complex")
        if dtype._category == 1 and arr.size and kind in "iuf":  # integer targets refuse out-of-range values
            info = np.iinfo(target)
            lo, hi = arr.min(), arr.max()
            if not (info.min <= lo and hi <= info.max) or (kind == "f" and not np.isfinite(arr).all()):
                raise RuntimeError(f"value cannot be converted to type {dtype._name} without overflow")
    elif arr.dtype.kind == "c" and dtype._category < 3:
        arr = arr.real
    return cast(arr, target)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested sequences, NumPy arrays and scalars, tensors)."""
    check_device(device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr, from_python = _infer_array(data, exact_floats=dtype is not None)
    if dtype is not None:
        converted = _convert(arr, _as_dtype(dtype), from_python)
        if converted is not arr:
            return _finish(converted, requires_grad)
    if not from_python or arr.base is not None:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    check_device(device)
    if isinstance(s, Tensor):
        s = s.item()
    return _finish(np.array(s, dtype=_np_dtype(dtype)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a tensor or NumPy array when no conversion is needed."""
    check_device(device)
    dtype = _as_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype._np == data._data.dtype else data.to(dtype)
    arr, from_python = _infer_array(data)
    if dtype is not None:
        arr = _convert(arr, dtype, from_python)
    return _wrap(arr)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """The Array API's asarray: shares memory with tensors, NumPy arrays and buffer objects unless `copy=True`
    or a dtype conversion forces a copy (which `copy=False` refuses)."""
    check_device(device)
    dtype = _as_dtype(dtype)
    if isinstance(obj, Tensor):
        arr = obj._data
    elif isinstance(obj, np.ndarray) or hasattr(obj, "__array_interface__") or hasattr(obj, "__array__"):
        arr = _numpy_array(np.asarray(obj))
    elif isinstance(obj, np.generic):
        arr = np.asarray(obj)
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        arr, from_python = _infer_array(obj)
        if dtype is not None:
            arr = _convert(arr, dtype, from_python)
        return _finish(arr, requires_grad)
    if dtype is not None and dtype._np != arr.dtype:
        if copy is False:
            raise ValueError(f"can't alias tensor with dtype '{_type_label(arr.dtype)}' into dtype "
                             f"'{_type_label(dtype._np)}'.")
        arr = _convert(arr, dtype, False)
    elif copy:
        arr = arr.copy(order="K")
    elif isinstance(obj, Tensor):
        out = obj if not requires_grad else obj.detach()
        if requires_grad:
            _require_grad(out)
        return out
    return _finish(arr, requires_grad)


def _type_label(np_dtype):
    return from_numpy_dtype(np_dtype).scalar_type_name


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        name = type(ndarray).__name__
        if isinstance(ndarray, np.generic):
            name = "numpy." + name
        raise TypeError(f"expected np.ndarray (got {name})")
    return _wrap(_numpy_array(ndarray))


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    arr = np.frombuffer(buffer, dtype=_np_dtype(dtype), count=count, offset=offset)
    return _finish(arr, requires_grad)


# -------------------------------------------------------------------------------------------------------
# filled


def _fill_value(fill, np_dtype, name):
    """A fill value as PyTorch stores it: out-of-range values are refused for integer dtypes."""
    if np_dtype.kind in "iu" and not isinstance(fill, builtins.bool):
        value = fill.item() if isinstance(fill, (Tensor, np.generic)) else fill
        if isinstance(value, builtins.complex):
            raise RuntimeError(f"value cannot be converted to type {name}_t without overflow")
        info = np.iinfo(np_dtype)
        if isinstance(value, int) and not -(2**63) <= value < 2**64:
            raise OverflowError("int too big to convert")
        if not (isinstance(value, float) and math.isfinite(value) or isinstance(value, int)) or \
                not info.min <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {name}_t without overflow")
        return int(value)
    return fill.item() if isinstance(fill, Tensor) else fill


def _filled(fill, size, out, dtype, device, requires_grad, fn):
    check_device(device)
    shape = parse_size(size, fn)
    if out is not None and dtype is None:
        dtype = out.dtype
    dt = _np_dtype(dtype)
    if fill is None:
        arr = np.empty(shape, dt)
    elif fill == 0:
        arr = np.zeros(shape, dt)
    else:
        arr = np.full(shape, cast(np.asarray(_fill_value(fill, dt, dt.name)), dt), dt)
    if out is not None:
        return finish_out(_wrap(arr), out)
    return _finish(arr, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kwargs):
    if kwargs:
        size = _size_keyword(size, kwargs, "zeros")
    if out is None and not requires_grad and device is None and _device.default_device is None:  # the common case
        return _wrap(np.zeros(parse_size(size, "zeros"), _np_dtype(dtype)))
    return _filled(0, size, out, dtype, device, requires_grad, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kwargs):
    if kwargs:
        size = _size_keyword(size, kwargs, "ones")
    if out is None and not requires_grad and device is None and _device.default_device is None:
        return _wrap(np.ones(parse_size(size, "ones"), _np_dtype(dtype)))
    return _filled(1, size, out, dtype, device, requires_grad, "ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kwargs):
    if kwargs:
        size = _size_keyword(size, kwargs, "empty")
    return _filled(None, size, out, dtype, device, requires_grad, "empty")


def _size_keyword(size, kwargs, fn):
    """zeros(size=(2, 3)): the size given by keyword instead of positionally."""
    if set(kwargs) != {"size"} or size:
        bad = next(k for k in kwargs if k != "size") if set(kwargs) != {"size"} else "size"
        raise TypeError(f"{fn}() got an unexpected keyword argument '{bad}'")
    return (kwargs["size"],)


def _fill_dtype(fill_value):
    """full()'s dtype from its fill value: bool, int64, the default float or complex dtype."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    elif isinstance(fill_value, np.generic):
        fill_value = fill_value.item()
    return _dtype.scalar_dtype(fill_value)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(size, int):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if dtype is None and out is None:
        dtype = _fill_dtype(fill_value)
    return _filled(fill_value, (size,), out, dtype, device, requires_grad, "full")


def fill_(input, value):
    return input.fill_(value)


def zero_(input):
    return input.zero_()


class FillBackward0(Node):
    """fill(input, number): nothing of input's values reaches the result."""

    def backward(self, grad):
        return _wrap(np.zeros(grad._data.shape, grad._data.dtype))


class FillBackward1(FillBackward3):
    """fill(input, 0-dim tensor): the value takes the sum of the gradient."""


def fill(input, value):
    """A new tensor shaped and typed as `input`, filled with `value` (a number or a 0-dim tensor)."""
    out = _wrap(np.empty(input._data.shape, input._data.dtype))
    with no_grad():
        out.fill_(value)
    value_grad = isinstance(value, Tensor) and value.requires_grad
    if needs_grad(input) or (value_grad and needs_grad(value)):
        if isinstance(value, Tensor):
            record(FillBackward1(value.dtype), (input, value), out)
        else:
            record(FillBackward0(), (input,), out)
    return out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    check_device(device)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    dt = _np_dtype(dtype)
    extent = 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    storage = np.empty(extent, dt)
    arr = np.lib.stride_tricks.as_strided(storage, size, tuple(s * dt.itemsize for s in stride))
    return _finish(arr, requires_grad)


def _like(input, fill, dtype, device, requires_grad, memory_format, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    check_device(device)
    src = input._data
    dt = src.dtype if dtype is None else _np_dtype(dtype)
    # preserve_format (the default) keeps a dense input's stride order; contiguous_format asks for C order
    order = "C" if memory_format is not None and str(memory_format) == "torch.contiguous_format" else "K"
    if fill is None:
        arr = np.empty_like(src, dt, order=order)
    else:
        if fill != 0:
            fill = _fill_value(fill, dt, dt.name)
        arr = np.full_like(src, fill, dt, order=order)
    return _finish(arr, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, device, requires_grad, memory_format, "zeros_like")


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 1, dtype, device, requires_grad, memory_format, "ones_like")


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, None, dtype, device, requires_grad, memory_format, "empty_like")


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, fill_value, dtype, device, requires_grad, memory_format, "full_like")


# Tensor.new_* take the tensor's dtype by default
@method()
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor("
                      "sourceTensor).", UserWarning, stacklevel=2)
        arr = data._data.copy()
        return _finish(arr if dtype is None else _convert(arr, _as_dtype(dtype), False), requires_grad)
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@method()
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@method()
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@method()
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@method()
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


# -------------------------------------------------------------------------------------------------------
# ranges


def _scalar(v):
    return v.item() if isinstance(v, (Tensor, np.generic)) else v


def _range_dtype(values):
    """arange's dtype when none is given: the default float dtype if any bound is floating, else int64."""
    if any(isinstance(v, float) for v in values):
        return _dtype.get_default_dtype()
    return _dtype.int64


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = out.dtype if out is not None else _range_dtype((start, end, step))
    dtype = _as_dtype(dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype._category == 3:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_type_label(dtype._np)}'")
    if dtype is _dtype.int64:  # PyTorch's kernel counts in int64 with the bounds and step truncated
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise RuntimeError("step must be nonzero")
        arr = np.arange(start, end, step, dtype=np.int64)
    elif dtype._category <= 1:  # other integer types: the length from the exact values, then int64 steps
        n = builtins.max(0, math.ceil((end - start) / step))
        arr = (int(start) + np.arange(n, dtype=np.int64) * int(step)).astype(dtype._np)
    else:
        n = builtins.max(0, math.ceil((end - start) / step))
        # values start + i * step, computed in double as PyTorch's CPU kernel does for float outputs
        arr = cast(start + np.arange(n, dtype=np.float64) * step, dtype._np)
    if out is not None:
        return finish_out(_wrap(arr), out)
    return _finish(arr, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):
    """Deprecated in PyTorch: like arange but includes `end`, and always floating point by default."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    check_device(device)
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    dtype = _as_dtype(dtype) or _dtype.get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    n = builtins.max(0, int(math.floor((end - start) / step)) + 1)
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def _check_steps(steps, fn):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, int) or isinstance(steps, builtins.bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got steps of type "
                        f"{type(steps).__name__}, expected int")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _linspace_array(start, end, steps, work):
    """PyTorch's kernel: the first half counts up from start (start + step * i), the second half down from end
    (end - step * (steps - 1 - i)), each a fused multiply-add as its compiler emits them (per component for
    complex types; in double for integer outputs); float16/bfloat16 round after every operation, as
    c10::Half's operators do."""
    if steps == 0:
        return np.empty(0, work)
    if steps == 1:
        return np.array([start], dtype=work)
    work = np.dtype(work)
    idx = np.arange(steps)
    first_half = idx < steps // 2
    up_count, down_count = idx.astype(np.float64), (steps - 1 - idx).astype(np.float64)
    if work in (_F16, _BF16):
        start_w, end_w = (np.float32(work.type(np.float32(v))) for v in (start, end))  # c10: double->float->half
        step = _round_to(_round_to(end_w - start_w, work) / _round_to(np.float32(steps - 1), work), work)
        up = _round_to(start_w + _round_to(step * _round_to(up_count, work), work), work)
        down = _round_to(end_w - _round_to(step * _round_to(down_count, work), work), work)
        return np.where(first_half, up, down)
    if work.kind == "c":
        part = np.float32 if work == np.complex64 else np.float64
        real = _linspace_array(np.real(start), np.real(end), steps, part)
        imag = _linspace_array(np.imag(start), np.imag(end), steps, part)
        return real + 1j * imag.astype(work)
    start_w, end_w = work.type(start), work.type(end)
    step = np.float64((end_w - start_w) / work.type(steps - 1))
    fma = fma32 if work == _F32 else fma64
    up = fma(np.full(steps, step), up_count, np.full(steps, np.float64(start_w)))
    down = fma(np.full(steps, -step), down_count, np.full(steps, np.float64(end_w)))
    return np.where(first_half, up, down)


_F32, _F16, _BF16 = np.dtype(np.float32), np.dtype(np.float16), np.dtype(_dtype.bfloat16._np)


def _round_to(x, dt):
    """float32 values rounded to the half type `dt` and back to float32 (one c10::Half/BFloat16 operation)."""
    return np.asarray(x, np.float32).astype(dt).astype(np.float32)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    start, end = _scalar(start), _scalar(end)
    steps = _check_steps(steps, "linspace")
    if dtype is None:
        if out is not None:
            dtype = out.dtype
        elif isinstance(start, builtins.complex) or isinstance(end, builtins.complex):
            dtype = _dtype.default_complex_dtype()
        else:
            dtype = _dtype.get_default_dtype()
    dtype = _as_dtype(dtype)
    work = np.float64 if dtype._category <= 1 else dtype._np  # integer outputs: computed in double, truncated
    if dtype._category <= 1:  # the bounds are taken into the integer dtype first (wrapping, as a C cast)
        start, end = (int(np.array(int(v)).astype(dtype._np)) for v in (start, end))
    arr = _linspace_array(start, end, steps, work)
    if dtype._category <= 1:
        arr = np.trunc(arr).astype(np.int64)
    arr = arr.astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    check_device(device)
    start, end = _scalar(start), _scalar(end)
    steps = _check_steps(steps, "logspace")
    dtype = _as_dtype(dtype) or (out.dtype if out is not None else _dtype.get_default_dtype())
    if dtype._category == 3:
        arr = np.power(np.asarray(base, np.complex128), _linspace_array(start, end, steps, np.complex128))
    elif steps == 1:  # ATen: pow(base, start) with start as given
        arr = np.array([math.pow(base, start)])
        if dtype._category <= 1:
            arr = np.trunc(arr).astype(np.int64)
    else:
        # ATen (RangeFactories.cpp, built without FMA): the bounds in the output type, their difference there
        # too, the exponents in double, glibc's pow in double (a float base for integer outputs)
        if dtype._category <= 1:
            first, last = (np.array(int(v)).astype(dtype._np) for v in (start, end))
            diff = np.float64(int(last) - int(first))
            base = float(np.float32(base))
        else:
            first, last = (np.asarray(v).astype(np.float32).astype(dtype._np) if dtype in (
                _dtype.float16, _dtype.bfloat16) else np.asarray(v).astype(dtype._np) for v in (start, end))
            diff = np.float64(np.asarray(last - first).astype(dtype._np))
        step = diff / (steps - 1) if steps > 1 else 0.0
        idx = np.arange(steps)
        exponents = np.where(idx < steps // 2, np.float64(first) + step * idx,
                             np.float64(last) - step * (steps - 1 - idx))
        # glibc's pow element by element: NumPy's vectorised pow can differ in the last bit
        arr = np.array([math.pow(base, e) for e in exponents.tolist()], np.float64).reshape(steps)
        if dtype._category <= 1:
            arr = np.trunc(arr).astype(np.int64)
        elif dtype in (_dtype.float16, _dtype.bfloat16):
            arr = arr.astype(np.float32)  # double -> float -> half, as c10's conversions round twice
    arr = arr.astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    for position, name, v in ((1, "n", n), (2, "m", m)):
        if v is not None and (not isinstance(v, int) or isinstance(v, builtins.bool)):
            raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    if dtype is None and out is not None:
        dtype = out.dtype
    arr = np.eye(n, n if m is None else m, dtype=_np_dtype(dtype))
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def _check_parts(real, imag):
    """complex() and polar() take two floating tensors of one dtype."""
    if real._data.dtype.kind != "f" or imag._data.dtype.kind != "f":
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype.scalar_type_name} and {imag.dtype.scalar_type_name}")
    if real._data.dtype != imag._data.dtype:
        raise RuntimeError(f"Expected object of scalar type {real.dtype.scalar_type_name} but got scalar type "
                           f"{imag.dtype.scalar_type_name} for second argument")


def complex(real, imag, *, out=None):  # noqa: A001 - PyTorch's name
    _check_parts(real, imag)
    cdt = np.complex128 if real._data.dtype == np.float64 else np.complex64
    arr = np.empty(np.broadcast_shapes(real._data.shape, imag._data.shape), cdt)
    arr.real, arr.imag = real._data, imag._data  # no 1j * imag: inf * 1j would make a NaN real part
    result = _wrap(arr)
    if needs_grad(real, imag):
        _check_no_out_grad("complex", out)
        record(ComplexBackward0(real._data.shape, imag._data.shape), (real, imag), result)
        return result
    return finish_out(result, out)


class ComplexBackward0(Node):
    def __init__(self, real_shape, imag_shape):
        self.real_shape, self.imag_shape = real_shape, imag_shape

    def backward(self, grad):
        from .pointwise import imag, real

        need_re, need_im = self.needs_input_grad
        return (sum_to_shape(real(grad), self.real_shape) if need_re else None,
                sum_to_shape(imag(grad), self.imag_shape) if need_im else None)


def polar(abs, angle, *, out=None):  # noqa: A002
    _check_parts(abs, angle)
    if abs._data.dtype.itemsize < 4:
        raise NotImplementedError(f"\"polar_cpu\" not implemented for '{abs.dtype.scalar_type_name}'")
    cdt = np.complex128 if abs._data.dtype == np.float64 else np.complex64
    arr = np.empty(np.broadcast_shapes(abs._data.shape, angle._data.shape), cdt)
    arr.real = abs._data * np.cos(angle._data)
    arr.imag = abs._data * np.sin(angle._data)
    result = _wrap(arr)
    if needs_grad(abs, angle):
        _check_no_out_grad("polar", out)
        node = PolarBackward0(abs._data.shape, angle._data.shape)
        node.result = node.save(result, is_output=True)
        record(node, (abs, angle), result)
        return result
    return finish_out(result, out)


class PolarBackward0(Node):
    """result = abs * e^(i angle): d/d abs is along sgn(result), d/d angle along i * result."""

    def __init__(self, abs_shape, angle_shape):
        self.abs_shape, self.angle_shape = abs_shape, angle_shape

    def backward(self, grad):
        from .pointwise import real

        result = self.result.unpack()
        need_abs, need_angle = self.needs_input_grad
        g = grad.conj()
        return (sum_to_shape(real(g * result.sgn()), self.abs_shape) if need_abs else None,
                sum_to_shape(real(g * (result * 1j)), self.angle_shape) if need_angle else None)


def _check_no_out_grad(name, out):
    if out is not None:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")


# -------------------------------------------------------------------------------------------------------
# legacy constructors: torch.Tensor(...), torch.FloatTensor(...) and friends


def legacy_new(dtype, args, kwargs, strict):
    """The legacy constructor's forms: (), (*sizes), (torch.Size), (tensor), (data).

    `strict` is for the typed classes (FloatTensor...), which refuse a tensor of another dtype; torch.Tensor
    aliases any tensor."""
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got unexpected keyword "
                        f"'{next(iter(kwargs))}'")
    if device is not None and as_device(device).type != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {as_device(device).type} "
                           "was passed")
    if not args:
        return _wrap(np.empty(0, dtype._np))
    first = args[0]
    if len(args) == 1 and not isinstance(first, int):
        if isinstance(first, Tensor):
            if strict and first._data.dtype != dtype._np:
                raise TypeError(f"expected {dtype} (got {first.dtype})")
            return first.detach()
        if isinstance(first, Size):
            return _wrap(np.empty(parse_size(first, "new"), dtype._np))
        if isinstance(first, (float, builtins.complex, builtins.bool)) or first is None:
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
        arr, from_python = _infer_array(first)
        return _wrap(np.array(_convert(arr, dtype, False), copy=True))
    return _wrap(np.empty(parse_size(args, "new"), dtype._np))


class _LegacyTensorType(type):
    """Metaclass of FloatTensor and friends: calling one builds a Tensor of its dtype, and
    isinstance(t, FloatTensor) tells whether t is a float32 tensor, as in PyTorch."""

    def __call__(cls, *args, **kwargs):
        return legacy_new(cls.dtype, args, kwargs, True)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype._np

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_class(name, dtype):
    return _LegacyTensorType(name, (), {"dtype": dtype, "__module__": "ember"})


FloatTensor = _legacy_class("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_class("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_class("HalfTensor", _dtype.float16)
BFloat16Tensor = _legacy_class("BFloat16Tensor", _dtype.bfloat16)
ByteTensor = _legacy_class("ByteTensor", _dtype.uint8)
CharTensor = _legacy_class("CharTensor", _dtype.int8)
ShortTensor = _legacy_class("ShortTensor", _dtype.int16)
IntTensor = _legacy_class("IntTensor", _dtype.int32)
LongTensor = _legacy_class("LongTensor", _dtype.int64)
BoolTensor = _legacy_class("BoolTensor", _dtype.bool)
