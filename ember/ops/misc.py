"""Small Tensor methods that belong to no larger family: softmax as a method, sum_to_size, shared memory,
pinned memory, bincount, histc."""

import mmap

from .._backend import np
from ._common import Tensor, method, sum_to_shape, wrap

__all__ = ["bincount", "histc"]


@method()
def softmax(self, dim, dtype=None):
    from .activation import softmax as _softmax

    return _softmax(self, dim, dtype=dtype)


@method()
def log_softmax(self, dim, dtype=None):
    from .activation import log_softmax as _log_softmax

    return _log_softmax(self, dim, dtype=dtype)


@method()
def sum_to_size(self, *size):
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    shape = self._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != shape[i + lead] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    return sum_to_shape(self, size)


@method()
def share_memory_(self):
    """Move the data into anonymous shared memory, so processes forked afterwards see each other's writes."""
    if self.__dict__.get("_shared"):
        return self
    arr = self._data
    buffer = mmap.mmap(-1, max(arr.nbytes, 1))
    shared = np.frombuffer(buffer, dtype=arr.dtype, count=arr.size).reshape(arr.shape)
    shared[...] = arr
    self._data = shared
    self.__dict__["_shared"] = True
    return self


@method()
def is_shared(self):
    return bool(self.__dict__.get("_shared", False))


@method()
def is_pinned(self, device=None):
    return False


@method()
def pin_memory(self, device=None):
    raise RuntimeError("Cannot access accelerator device when none is available.")


@method()
def bincount(input, weights=None, minlength=0):
    x = input._data
    if x.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype.scalar_type_name}'")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    out_dtype = np.float32 if w.dtype == np.float32 else np.float64  # torch: float weights keep float32
    return wrap(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


@method()
def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002 - PyTorch's names
    x = input._data
    if x.dtype.kind not in "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.scalar_type_name}'")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    result = wrap(counts.astype(x.dtype))
    if out is not None:
        from ._common import finish_out

        return finish_out(result, out)
    return result


_ = Tensor
