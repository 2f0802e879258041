"""torch functions outside ember's op families: the ones PyTorch removed (which now raise, naming their
replacements), Python-callable elementwise maps, DLPack interchange, the anomaly-mode switches, and thin
public entries for samplers and special functions that live with ember.distributions."""

import warnings

from .._backend import np
from ..autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401 - torch.X too
from ._common import Tensor, method, prepare_inplace, wrap

__all__ = ["solve", "lstsq", "eig", "symeig", "matrix_rank", "from_dlpack", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "split_with_sizes", "binomial", "igamma",
           "igammac", "set_default_tensor_type"]

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "
_REMOVED_ADVICE = {
    "solve": "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments "
             "reversed and does not return the LU factorization.\n\nX = torch.linalg.solve(A, B) replaces "
             "X, LU = torch.solve(B, A); torch.lu gives the LU factorization.",
    "lstsq": "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed "
             "arguments and does not return the QR decomposition in the returned tuple.\n\n"
             "X = torch.linalg.lstsq(A, B).solution replaces X, _ = torch.lstsq(B, A).",
    "eig": "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real tensors "
           "mimicking complex tensors.\n\nL_complex = torch.linalg.eigvals(A) replaces L, _ = torch.eig(A); "
           "L_complex, V_complex = torch.linalg.eig(A) replaces L, V = torch.eig(A, eigenvectors=True).",
    "symeig": "The default behavior has changed from using the upper triangular portion of the matrix by default "
              "to using the lower triangular portion.\n\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L') "
              "and L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L') replace torch.symeig.",
    "matrix_rank": "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
                   "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
}


def _removed(name):
    def removed(*args, **kwargs):
        raise RuntimeError(_REMOVED + _REMOVED_ADVICE[name])
    removed.__name__ = removed.__qualname__ = name
    removed.__doc__ = "Removed from PyTorch (since 1.9): raises, naming the torch.linalg replacement."
    return method(name)(removed)


solve, lstsq, eig, symeig, matrix_rank = (_removed(n) for n in ("solve", "lstsq", "eig", "symeig", "matrix_rank"))


# -------------------------------------------------------------------------------------------------------
# Python callables applied element by element (CPU tensors only, as in PyTorch)


def _elementwise_in_place(self, name, fn, *others):
    if self.requires_grad:
        raise RuntimeError(f"{name} is not allowed on a Tensor that requires grad")
    target = prepare_inplace(self)
    arrays = [self._data] + [np.broadcast_to(o._data, self._data.shape) for o in others]
    flat = [a.reshape(-1).tolist() for a in arrays]
    values = [fn(*args) for args in zip(*flat)]
    target._data[...] = np.asarray(values, dtype=object).reshape(self._data.shape).astype(self._data.dtype)
    target._bump_version()
    return self


@method("apply_")
def apply_(self, callable):
    """Replace every element x by callable(x) (a Python function; slow, CPU only, as PyTorch's)."""
    return _elementwise_in_place(self, "apply_", callable)


@method("map_")
def map_(self, tensor, callable):
    """Replace every element x by callable(x, y), y the matching element of `tensor` (broadcast to self)."""
    return _elementwise_in_place(self, "map_", callable, tensor)


@method("map2_")
def map2_(self, x, y, callable):
    return _elementwise_in_place(self, "map2_", callable, x, y)


# -------------------------------------------------------------------------------------------------------
# DLPack: tensors shared with NumPy, PyTorch, JAX, CuPy ... without a copy


class _Capsule:
    """A bare DLPack capsule (torch.utils.dlpack.to_dlpack's result) made consumable by NumPy."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, *args, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with `ext_tensor` (any object with __dlpack__, or a DLPack capsule)."""
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    arr = np.from_dlpack(ext_tensor)
    return wrap(arr)


def to_dlpack(tensor):
    """A DLPack capsule of `tensor` (it shares the memory)."""
    return tensor._data.__dlpack__()


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    if self.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {} if max_version is None else {"max_version": max_version}
    return self._data.__dlpack__(**kwargs)


def _dlpack_device(self):
    return (1, 0)  # kDLCPU, device 0


Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = _dlpack_device


# -------------------------------------------------------------------------------------------------------
# small entries


def set_anomaly_enabled(enabled, check_nan=True):
    from ..autograd.grad_mode import state

    state.anomaly, state.anomaly_check_nan = bool(enabled), bool(check_nan)


@method("split_with_sizes")
def split_with_sizes(self, split_sizes, dim=0):
    return self.split(list(split_sizes), dim)


def binomial(count, prob, generator=None):
    """Binomial(count, prob) samples, drawn from PyTorch's stream (BTRS / inversion, as ATen)."""
    from ..distributions._samplers import binomial as sample

    return sample(count, prob, generator)


@method("igamma")
def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other) (torch.special.gammainc)."""
    from ..distributions._special import gammainc

    return gammainc(input, other)


@method("igammac")
def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) (torch.special.gammaincc)."""
    from ..distributions._special import gammaincc

    return gammaincc(input, other)


def set_default_tensor_type(t):
    """Deprecated in PyTorch 2.1: sets the default floating dtype (CUDA tensor types raise as on a CPU-only
    build)."""
    from .. import _dtype
    from .._tensor import _TYPE_BY_NAME

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    name = t if isinstance(t, str) else f"torch.{getattr(t, '__name__', t)}"
    if name.startswith("torch.cuda."):
        raise TypeError(f"type {name} not available. Torch not compiled with CUDA enabled.")
    dtype = _TYPE_BY_NAME.get(name)
    if dtype is None or not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dtype)
