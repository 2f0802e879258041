"""Tensor creation: from data, filled, ranges, and the `_like` family."""

import builtins
import math

from .. import _dtype
from .._backend import np
from .._device import check_device
from .._tensor import Size, _wrap
from ._common import Tensor, finish_out, from_numpy_dtype, method

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye", "empty_strided", "scalar_tensor",
    "complex", "polar", "frombuffer",
]


def _finish(arr, requires_grad=False):
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def parse_size(args, fn="zeros"):
    """Sizes come as varargs (zeros(2, 3)) or one sequence (zeros((2, 3)), zeros(torch.Size([2, 3])))."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist()
    size = []
    for s in args:
        if isinstance(s, Tensor):
            s = s.__index__()
        if isinstance(s, builtins.bool) or not isinstance(s, int):
            if hasattr(s, "__index__"):
                s = s.__index__()
            else:
                raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of "
                                f"type {type(s).__name__} at pos {len(size)}")
        size.append(s)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {size}")
    return tuple(size)


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype())._np
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"dtype must be torch.dtype, not {type(dtype).__name__}")
    return dtype._np


# -------------------------------------------------------------------------------------------------------
# from data


def _infer_array(data):
    """A NumPy array of `data` with the dtype torch.tensor would infer (before any dtype= request)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)  # refuses dtypes PyTorch lacks
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    python_numbers = _only_python_numbers(data)
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(_ragged_message(data) or str(e)) from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        bad = _first_bad_element(data)
        if isinstance(bad, int):
            raise RuntimeError("Overflow when unpacking long")
        raise TypeError(f"new(): invalid data type '{type(bad).__name__}'")
    if python_numbers:  # Python floats and complexes follow the default dtype
        if arr.dtype.kind == "f":
            arr = arr.astype(_dtype.get_default_dtype()._np)
        elif arr.dtype.kind == "c":
            arr = arr.astype(_dtype.default_complex_dtype()._np)
    from_numpy_dtype(arr.dtype)
    return arr


def _only_python_numbers(data):
    if isinstance(data, (builtins.bool, int, float, builtins.complex)):
        return True
    if isinstance(data, (list, tuple)):
        return all(_only_python_numbers(d) for d in data)
    return False


def _first_bad_element(data):
    if isinstance(data, (list, tuple)):
        for d in data:
            bad = _first_bad_element(d)
            if bad is not None:
                return bad
        return None
    if isinstance(data, int) and not -(2**63) <= data < 2**64:
        return data
    if isinstance(data, (builtins.bool, int, float, builtins.complex, np.generic, np.ndarray, Tensor)):
        return None
    return data


def _ragged_message(data, dim=0):
    if not isinstance(data, (list, tuple)) or not data:
        return None
    lengths = [len(d) if isinstance(d, (list, tuple)) else None for d in data]
    first = lengths[0]
    for n in lengths[1:]:
        if n != first:
            return f"expected sequence of length {first} at dim {dim + 1} (got {n})"
    for d in data:
        msg = _ragged_message(d, dim + 1)
        if msg:
            return msg
    return None


def _array_from_data(data, dtype=None):
    arr = _infer_array(data)
    if dtype is not None:
        if arr.dtype.kind == "c" and dtype._category < 3:
            raise TypeError(f"can't convert complex to {dtype._name}" if False else
                            "value cannot be converted to type " + dtype._name + " without overflow")
        arr = arr.astype(dtype._np)
    return arr


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    check_device(device)
    arr = _infer_array(data)
    arr = np.array(arr, dtype=None if dtype is None else _np_dtype(dtype), copy=True, order="C")
    return _finish(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    check_device(device)
    return _finish(np.array(s, dtype=_np_dtype(dtype)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype._np == data._data.dtype else data.to(dtype)
    arr = _infer_array(data)
    if dtype is not None and arr.dtype != dtype._np:
        arr = arr.astype(dtype._np)
    elif not isinstance(data, np.ndarray):
        arr = np.array(arr, copy=True)
    return _wrap(arr)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    check_device(device)
    if isinstance(obj, Tensor):
        out = obj
        if dtype is not None and dtype._np != obj._data.dtype:
            if copy is False:
                raise ValueError("can't alias tensor: dtype conversion requested with copy=False")
            out = obj.to(dtype)
        elif copy:
            out = obj.clone()
    else:
        shares = isinstance(obj, np.ndarray) or hasattr(obj, "__array_interface__") or hasattr(obj, "__array__")
        arr = _infer_array(np.asarray(obj) if shares and not isinstance(obj, np.ndarray) else obj)
        if dtype is not None and arr.dtype != dtype._np:
            if copy is False:
                raise ValueError("can't alias: dtype conversion requested with copy=False")
            arr = arr.astype(dtype._np)
        elif copy or (not shares and arr is obj):
            arr = arr.copy()
        out = _wrap(arr)
    if requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return _wrap(ndarray)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    arr = np.frombuffer(buffer, dtype=dtype._np, count=count, offset=offset)
    return _finish(arr, requires_grad)


# -------------------------------------------------------------------------------------------------------
# filled


def _filled(fill, size, out, dtype, device, requires_grad, fn):
    check_device(device)
    shape = parse_size(size, fn)
    if out is not None:
        dtype = dtype or out.dtype
    arr = np.empty(shape, _np_dtype(dtype)) if fill is None else np.full(shape, fill, _np_dtype(dtype))
    if out is not None:
        return finish_out(_wrap(arr), out)
    return _finish(arr, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if out is None and not requires_grad:  # the common case, kept short
        check_device(device)
        return _wrap(np.zeros(parse_size(size), _np_dtype(dtype)))
    return _filled(0, size, out, dtype, device, requires_grad, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _filled(1, size, out, dtype, device, requires_grad, "ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _filled(None, size, out, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = _dtype.scalar_dtype(fill_value)
    return _filled(fill_value, (size,), out, dtype, device, requires_grad, "full")


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    check_device(device)
    size, stride = tuple(size), tuple(stride)
    dt = _np_dtype(dtype)
    extent = 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    base = np.empty(extent, dt)
    arr = np.lib.stride_tricks.as_strided(base, size, tuple(s * dt.itemsize for s in stride))
    return _finish(arr, requires_grad)


def _like(input, fill, dtype, device, requires_grad):
    check_device(device)
    dt = input._data.dtype if dtype is None else _np_dtype(dtype)
    shape = input._data.shape
    arr = np.empty(shape, dt) if fill is None else np.full(shape, fill, dt)
    return _finish(arr, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, None, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, fill_value, dtype, device, requires_grad)


# Tensor.new_* take the tensor's dtype by default
@method()
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
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
    return v.item() if isinstance(v, Tensor) else v


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) or isinstance(v, np.floating) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = builtins.max(0, math.ceil((end - start) / step))
    if dtype.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype._np)
    else:
        arr = np.arange(start, start + n * step, step, dtype=np.int64)[:n].astype(dtype._np)
    if out is not None:
        return finish_out(_wrap(arr), out)
    return _finish(arr, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):
    """Deprecated in PyTorch: like arange but includes `end`, and always floating point by default."""
    if end is None:
        start, end = 0, start
    dtype = dtype or _dtype.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    start, end = _scalar(start), _scalar(end)
    if not isinstance(steps, int) or steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None:
        is_complex = isinstance(start, builtins.complex) or isinstance(end, builtins.complex)
        dtype = _dtype.default_complex_dtype() if is_complex else _dtype.get_default_dtype()
    # PyTorch's kernel: the first half counts up from start, the second half down from end, in the output
    # dtype (double steps for integer outputs)
    work = np.float64 if dtype._category <= 1 else dtype._np
    if dtype in (_dtype.float16, _dtype.bfloat16):
        work = np.float32
    if steps == 1:
        arr = np.array([start], dtype=work)
    else:
        step = (np.asarray(end, work) - np.asarray(start, work)) / np.asarray(steps - 1, work)
        idx = np.arange(steps).astype(work)
        half = steps // 2
        arr = np.where(np.arange(steps) < half, np.asarray(start, work) + idx * step,
                       np.asarray(end, work) - (np.asarray(steps - 1, work) - idx) * step)
    arr = arr.astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dtype = dtype or _dtype.get_default_dtype()
    exponents = linspace(start, end, steps, dtype=_dtype.float64)._data
    arr = np.power(float(base), exponents).astype(dtype._np)
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    check_device(device)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    arr = np.eye(n, n if m is None else m, dtype=_np_dtype(dtype))
    return _finish(arr, requires_grad) if out is None else finish_out(_wrap(arr), out)


def complex(real, imag, *, out=None):  # noqa: A001 - PyTorch's name
    if real._data.dtype != imag._data.dtype or real._data.dtype.kind != "f":
        raise RuntimeError(f"Expected object of scalar type {real.dtype} but got scalar type {imag.dtype} for "
                           "second argument" if real._data.dtype != imag._data.dtype else
                           "Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype} and {imag.dtype}")
    cdt = np.complex128 if real._data.dtype == np.float64 else np.complex64
    arr = real._data.astype(cdt) + 1j * imag._data.astype(cdt)
    return finish_out(_wrap(np.asarray(arr, cdt)), out)


def polar(abs, angle, *, out=None):  # noqa: A002
    return complex(abs * angle.cos(), abs * angle.sin(), out=out)


Size = Size
