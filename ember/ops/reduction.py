"""Reductions: sums and means, variance, extrema with their indices, norms, cumulative ops, logical
reductions, medians, modes and quantiles.

Each op is one or a few whole-array NumPy calls. PyTorch's dtype rules are applied before NumPy sees the
array: sums and products of bool/integer tensors accumulate in int64, float16/bfloat16 accumulate in float32
and round once at the end (PyTorch's CPU opmath), and ops that need a floating input refuse integer ones.
Ops that return (values, indices) return a named tuple built by `return_type`, printed as PyTorch's
`torch.return_types.<name>`.
"""

import builtins
import math
import operator
import warnings

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ..autograd.grad_mode import state as _grad_mode
from ._common import (
    Node,
    Tensor,
    finish_out,
    from_numpy_dtype,
    method,
    needs_grad,
    promote_operands,
    record,
    wrap,
    wrap_dim,
    wrap_dims,
)
from .linalg import LinalgVectorNormBackward0

__all__ = [
    "sum", "mean", "prod", "std", "var", "std_mean", "var_mean", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "all", "any",
    "count_nonzero", "median", "nanmedian", "mode", "quantile", "nanquantile", "nanmean", "nansum", "diff",
]

_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)
_BF16 = _dtype.bfloat16._np
_HALF_TYPES = (np.dtype(np.float16), _BF16)



def _label(np_dtype):
    """The name PyTorch uses for a scalar type in its messages."""
    return from_numpy_dtype(np_dtype).scalar_type_name


def _not_implemented(kernel, np_dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_label(np_dtype)}\'')


def _is_float(np_dtype):
    return np_dtype.kind == "f" or np_dtype == _BF16


# -------------------------------------------------------------------------------------------------------
# named result tuples (torch.return_types.*)


class _ReturnType(tuple):
    """A tuple with named fields, printed as PyTorch's `torch.return_types.<name>(...)`."""

    __slots__ = ()
    _fields = ()

    def __new__(cls, values):
        return tuple.__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (return_type(type(self).__name__, self._fields), (tuple(self),))


_RETURN_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """The named-tuple class PyTorch calls `torch.return_types.<name>` (one class per name, cached).

    Build a result with `return_type("max")((values, indices))`."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        namespace = {"__slots__": (), "_fields": tuple(fields), "__module__": "ember.return_types",
                     "__qualname__": name}
        for i, field in enumerate(fields):
            namespace[field] = property(operator.itemgetter(i), doc=f"Alias for field number {i}")
        cls = _RETURN_TYPES[name] = type(name, (_ReturnType,), namespace)
    return cls


def _pair(name, values, indices, out=None, fields=("values", "indices")):
    """Wrap two arrays as a return_types result, writing into `out=(values, indices)` if given."""
    result = return_type(name, fields)((wrap(np.asarray(values)), wrap(np.asarray(indices))))
    if out is not None:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors")
        result = return_type(name, fields)((finish_out(result[0], out[0]), finish_out(result[1], out[1])))
    return result


# -------------------------------------------------------------------------------------------------------
# dims


def _axes(ndim, dim):
    """PyTorch's `dim` argument (None, an int, or a sequence; an empty sequence means all dims) as a NumPy
    axis: None for all dims, else a tuple. A 0-dim tensor accepts dim 0/-1 and reduces over nothing."""
    if dim is None:
        return None
    if isinstance(dim, int):
        d = wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if isinstance(dim, Tensor):
        dim = dim.tolist()
    dims = wrap_dims(dim, ndim)
    if not dims:
        return None
    return dims if ndim else ()


def _int_dim(dim, fn):
    if isinstance(dim, builtins.bool) or not isinstance(dim, int):
        if hasattr(dim, "__index__") and not isinstance(dim, (tuple, list)):
            return dim.__index__()
        raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    return dim


def _count(shape, axis):
    """Number of elements reduced over `axis` (None = all)."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axis)


def _check_nonempty(arr, axis, fn):
    """PyTorch refuses reductions without identity (max, argmax, ...) over an empty dimension."""
    if arr.size:
        return
    if axis is None:
        if arr.ndim == 0:
            return
        raise RuntimeError(f"{fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for a in axis:
        if arr.shape[a] == 0:
            raise IndexError(f"{fn}(): Expected reduction dim {a} to have non-zero size.")


def _keep_all(result, ndim, keepdim):
    """A reduction over every dim, reshaped to all-ones when keepdim."""
    return result.reshape((1,) * ndim) if keepdim else result


def _out(arr, out):
    r = wrap(np.asarray(arr))
    return r if out is None else finish_out(r, out)


# -------------------------------------------------------------------------------------------------------
# autograd plumbing
#
# Backward formulas are written with ember's own ops (reshape, expand, where, scatter, cumsum, ...) so that
# create_graph records them again. Shapes, dims, masks and index arrays are kept as plain attributes: they
# are not differentiable.


def _no_out_with_grad(fn, out, *tensors):
    if out is not None and needs_grad(*tensors):
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")


def _differentiable(t):
    return t.is_floating_point() or t.is_complex()


def _record(node_type, input, result, *args):
    """Record `node_type(input, result, *args)` as the grad_fn of `result` when grad mode asks for it."""
    if _differentiable(result):
        record(node_type(input, result, *args), (input,), result)
    elif _differentiable(input):  # dtype= asked for an integer result
        raise RuntimeError(f"Autograd not support dtype: {_label(result._data.dtype)}")
    return result


def _kept_shape(shape, axis):
    """`shape` with the reduced dims (axis None = all) as size 1."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _restore(grad, shape, axis, keepdim):
    """A reduction's gradient (or result) with the reduced dims back as size 1, so it broadcasts against the
    input (PyTorch unsqueezes them back when keepdim=False)."""
    if keepdim:
        return grad
    kept = _kept_shape(shape, axis)
    return grad if grad._data.shape == kept else grad.reshape(kept)


def _as_dtype(grad, np_dtype):
    """The gradient in the input's dtype (when dtype= made the op compute in another)."""
    return grad if grad._data.dtype == np_dtype else grad.to(from_numpy_dtype(np_dtype))


def _const(arr, np_dtype=None):
    """A non-differentiable tensor holding `arr` (a mask, a count)."""
    arr = np.asarray(arr)
    return wrap(arr if np_dtype is None or arr.dtype == np_dtype else arr.astype(np_dtype))


def _where(condition, x, y):
    from .indexing import where

    return where(condition, x, y)


def _reversed_cumsum(t, d):
    return t.flip(d).cumsum(d).flip(d)


def _conj(t):
    """Complex gradients use the conjugate of the local derivative, as PyTorch's formulas."""
    return t.conj() if t._data.dtype.kind == "c" else t


def _value_selecting_backward(grad, shape, d, indices, keepdim):
    """The gradient of values selected along dim d at `indices` (max(dim), median(dim), sort, topk, ...): a
    zeros tensor of the input's shape with the gradient scattered back to where the values came from."""
    if len(shape) == 0:
        return grad
    if not keepdim:
        grad, indices = grad.unsqueeze(d), np.expand_dims(indices, d)
    return grad.new_zeros(shape).scatter(d, wrap(indices), grad)


class _SelectsAlongDim(Node):
    """Base of the nodes whose output values are elements of the input picked along one dim."""

    keepdim = False

    def __init__(self, input, d, indices, keepdim=None):
        self.shape, self.d, self.indices = input._data.shape, d, indices
        if keepdim is not None:
            self.keepdim = keepdim

    def backward(self, grad, *_):
        return _value_selecting_backward(grad, self.shape, self.d, self.indices, self.keepdim)


def _record_selection(node_type, input, pair, d, keepdim=None):
    """Record a (values, indices) result; the indices output is not differentiable."""
    values, indices = pair
    if _differentiable(values):
        record(node_type(input, d, indices._data, keepdim), (input,), list(pair))
    return pair


# -------------------------------------------------------------------------------------------------------
# sums, products, means


def _cast_input(arr, dtype):
    """The input taken into `dtype=` before reducing, as PyTorch does (complex -> real keeps the real part)."""
    target = dtype._np
    if arr.dtype == target:
        return arr
    if arr.dtype.kind == "c" and target.kind != "c":
        arr = arr.real
    return arr.astype(target)


def _accumulate(ufunc, arr, axis, keepdim, dtype):
    """sum/prod with PyTorch's result dtype: dtype= first, else bool/int -> int64; half types in float32."""
    if dtype is not None:
        arr = _cast_input(arr, dtype)
        if arr.dtype.kind in "biu":  # NumPy would widen small integer types; PyTorch keeps dtype=
            return ufunc.reduce(arr, axis=axis, dtype=arr.dtype, keepdims=keepdim)
    elif arr.dtype.kind in "biu":
        return ufunc.reduce(arr, axis=axis, dtype=_I64, keepdims=keepdim)
    if ufunc is np.multiply:  # PyTorch multiplies half types in their own precision, rounding every step
        return ufunc.reduce(arr, axis=axis, keepdims=keepdim)
    if arr.dtype in _HALF_TYPES:
        return _add_reduce(arr, axis, keepdim, _F32).astype(arr.dtype)
    return _add_reduce(arr, axis, keepdim)


_BLOCK = 32


def _add_reduce(arr, axis, keepdims, dtype=None):
    """np.add.reduce, made as accurate as PyTorch's cascade sum for float32 along a non-innermost axis.

    NumPy sums pairwise only along the innermost axis; along any other it adds slice after slice, so the
    float32 error grows with the length. Summing blocks of 32 slices first, then the block sums, keeps the
    error small at the same speed."""
    if axis is None or len(axis) != 1 or (dtype or arr.dtype) != _F32:
        return np.add.reduce(arr, axis=axis, dtype=dtype, keepdims=keepdims)
    a = axis[0]
    n = arr.shape[a]
    if n < 4 * _BLOCK or a == arr.ndim - 1:
        return np.add.reduce(arr, axis=axis, dtype=dtype, keepdims=keepdims)
    whole = n - n % _BLOCK
    lead = (slice(None),) * a
    blocks = arr[lead + (slice(0, whole),)].reshape(arr.shape[:a] + (whole // _BLOCK, _BLOCK) + arr.shape[a + 1:])
    r = np.add.reduce(np.add.reduce(blocks, axis=a + 1, dtype=dtype), axis=a)
    if whole < n:
        r += np.add.reduce(arr[lead + (slice(whole, n),)], axis=a, dtype=dtype)
    return np.expand_dims(r, a) if keepdims else r


class SumBackward0(Node):  # sum() over everything; SumBackward1 is sum(dim)
    def __init__(self, input, result, axis, keepdim):
        self.shape, self.dtype, self.axis, self.keepdim = input._data.shape, input._data.dtype, axis, keepdim

    def backward(self, grad):
        grad = _as_dtype(grad, self.dtype)
        return _restore(grad, self.shape, self.axis, self.keepdim).expand(self.shape)


class SumBackward1(SumBackward0):
    pass


@method()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None):
    if axis is not None:
        dim = axis
    arr = input._data
    reduced = _axes(arr.ndim, dim)
    r = _accumulate(np.add, arr, reduced, keepdim, dtype)
    if needs_grad(input):
        _no_out_with_grad("sum", out, input)
        return _record(SumBackward0 if dim is None else SumBackward1, input, _out(r, None), reduced, keepdim)
    return _out(r, out)


def _prod_safe_zeros_backward(grad, x, d):
    """d prod / d x_i = the product of every other element along d, as the product of the elements before i
    times the product of those after it (exclusive cumulative products from both ends): right with zeros."""
    from .shape import cat

    n = x._data.shape[d]
    if n == 0:
        return grad.expand(x._data.shape)
    ones_shape = list(x._data.shape)
    ones_shape[d] = 1
    ones = x.new_ones(ones_shape)
    before = cat([ones, x.narrow(d, 0, n - 1)], d).cumprod(d)
    after = cat([ones, x.narrow(d, 1, n - 1).flip(d)], d).cumprod(d).flip(d)
    return grad * _conj(before * after)


class ProdBackward0(Node):  # prod() over everything; ProdBackward1 is prod(dim)
    def __init__(self, input, result, axis, keepdim):
        self.input, self.result = self.save(input), self.save(result, is_output=True)
        self.axis, self.keepdim = axis, keepdim

    def backward(self, grad):
        x, result = self.input.unpack(), self.result.unpack()
        shape = x._data.shape
        grad = _as_dtype(grad, x._data.dtype)
        if x._data.ndim == 0:
            return grad
        grad = _restore(grad, shape, self.axis, self.keepdim)
        if not (x._data == 0).any():
            return grad * _conj(_as_dtype(_restore(result, shape, self.axis, self.keepdim), x._data.dtype) / x)
        if self.axis is None:  # flatten, so the exclusive products run over every element
            return _prod_safe_zeros_backward(grad.reshape(-1), x.reshape(-1), 0).reshape(shape)
        return _prod_safe_zeros_backward(grad, x, self.axis[0])


class ProdBackward1(ProdBackward0):
    pass


@method()
@autocast_op("fp32")
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    arr = input._data
    if dim is not None:
        dim = _int_dim(dim, "prod")
    reduced = _axes(arr.ndim, dim)
    r = _accumulate(np.multiply, arr, reduced, keepdim, dtype)
    if needs_grad(input):
        _no_out_with_grad("prod", out, input)
        return _record(ProdBackward0 if dim is None else ProdBackward1, input, _out(r, None), reduced, keepdim)
    return _out(r, out)


class NansumBackward0(Node):
    def __init__(self, input, result, axis, keepdim):
        self.input, self.axis, self.keepdim = self.save(input), axis, keepdim

    def backward(self, grad):
        x = self.input.unpack()
        shape, dtype = x._data.shape, x._data.dtype
        grad = _restore(_as_dtype(grad, dtype), shape, self.axis, self.keepdim)
        return grad * _const(~np.isnan(x._data), dtype)


@method()
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    arr = input._data
    if arr.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if _is_float(arr.dtype):
        arr = np.where(np.isnan(arr), arr.dtype.type(0), arr)
    reduced = _axes(arr.ndim, dim)
    r = _accumulate(np.add, arr, reduced, keepdim, dtype)
    if needs_grad(input):
        _no_out_with_grad("nansum", out, input)
        return _record(NansumBackward0, input, _out(r, None), reduced, keepdim)
    return _out(r, out)


def _mean_dtype(arr, dtype, fn="mean"):
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f"{fn}(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_label(dtype._np)}")
        return _cast_input(arr, dtype)
    if not (_is_float(arr.dtype) or arr.dtype.kind == "c"):
        raise RuntimeError(f"{fn}(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_label(arr.dtype)}")
    return arr


def _mean(arr, axis, keepdim):
    """sum / count with float32 accumulation for half types; the empty mean is nan (0/0)."""
    n = _count(arr.shape, axis)
    if arr.dtype in _HALF_TYPES:
        s = _add_reduce(arr, axis, keepdim, _F32)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.true_divide(s, n)).astype(arr.dtype)
    s = _add_reduce(arr, axis, keepdim)
    if n:
        return np.true_divide(s, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(s, arr.dtype.type(0))


class MeanBackward0(Node):  # mean() over everything; MeanBackward1 is mean(dim)
    def __init__(self, input, result, axis, keepdim):
        self.shape, self.dtype, self.axis, self.keepdim = input._data.shape, input._data.dtype, axis, keepdim

    def backward(self, grad):
        grad = _restore(_as_dtype(grad, self.dtype), self.shape, self.axis, self.keepdim)
        return grad.expand(self.shape) / _count(self.shape, self.axis)


class MeanBackward1(MeanBackward0):
    pass


@method()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None):
    if axis is not None:
        dim = axis
    arr = _mean_dtype(input._data, dtype)
    reduced = _axes(arr.ndim, dim)
    r = _mean(arr, reduced, keepdim)
    if needs_grad(input):
        _no_out_with_grad("mean", out, input)
        return _record(MeanBackward0 if dim is None else MeanBackward1, input, _out(r, None), reduced, keepdim)
    return _out(r, out)


@method()
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    arr = input._data
    if not (_is_float(arr.dtype) or arr.dtype.kind == "c"):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_label(arr.dtype)}")
    if arr.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if needs_grad(input):  # PyTorch's composite: nansum / the count of non-NaN elements
        _no_out_with_grad("nanmean", out, input)
        count = np.add.reduce(~np.isnan(arr), axis=_axes(arr.ndim, dim), dtype=_I64, keepdims=keepdim)
        return nansum(input, dim, keepdim, dtype=dtype) / wrap(np.asarray(count))
    if dtype is not None:
        arr = _cast_input(arr, dtype)
    axis = _axes(arr.ndim, dim)
    isnan = np.isnan(arr)
    count = np.add.reduce(~isnan, axis=axis, dtype=_I64, keepdims=keepdim)
    work = arr.astype(_F32) if arr.dtype in _HALF_TYPES else arr
    total = np.add.reduce(np.where(isnan, work.dtype.type(0), work), axis=axis, keepdims=keepdim)
    r = np.true_divide(total, count.astype(total.real.dtype)).astype(arr.dtype)
    return _out(r, out)


# -------------------------------------------------------------------------------------------------------
# variance and standard deviation


def _var_args(dim, unbiased, correction, fn):
    """PyTorch's overloads: var(dim, unbiased, keepdim), var(unbiased) and var(dim, *, correction)."""
    if isinstance(dim, builtins.bool):
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(f"{fn}() received an invalid combination of arguments - got both 'unbiased' and "
                        "'correction'")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _var(arr, axis, correction, keepdim, fn):
    if not (_is_float(arr.dtype) or arr.dtype.kind == "c"):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    work = arr.astype(_F32) if arr.dtype in _HALF_TYPES else arr
    n = _count(arr.shape, axis)
    centred = np.asarray(work - _mean(work, axis, True))
    if work.dtype.kind == "c":
        centred = centred.real * centred.real + centred.imag * centred.imag
    else:
        centred = np.multiply(centred, centred, out=centred)
    ssd = _add_reduce(centred, axis, keepdim)
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{fn}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=3)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(ssd, ssd.dtype.type(0)), work
    var = np.true_divide(ssd, ssd.dtype.type(dof))
    return var, work


def _real_of(np_dtype):
    return np.dtype(np.float32) if np_dtype == np.complex64 else \
        np.dtype(np.float64) if np_dtype == np.complex128 else np_dtype


def _var_backward(grad, x, axis, correction, keepdim):
    """d var / d x = 2 (x - mean) / (n - correction)."""
    n = _count(x._data.shape, axis)
    grad = _restore(grad, x._data.shape, axis, keepdim)
    return (2.0 / (n - correction)) * grad * (x - x.mean(axis, keepdim=True))


def _std_backward(grad, result, x, axis, correction, keepdim):
    """d std = d var / (2 std), taken as 0 where std is 0."""
    grad_var = (grad / (result * 2)).masked_fill(result == 0, 0)
    return _var_backward(grad_var, x, axis, correction, keepdim)


def _mean_backward(grad, shape, axis, keepdim):
    return _restore(grad, shape, axis, keepdim).expand(shape) / _count(shape, axis)


class VarBackward0(Node):
    def __init__(self, input, result, axis, correction, keepdim):
        self.input, self.axis, self.correction, self.keepdim = self.save(input), axis, correction, keepdim

    def backward(self, grad):
        return _var_backward(grad, self.input.unpack(), self.axis, self.correction, self.keepdim)


class StdBackward0(Node):
    def __init__(self, input, result, axis, correction, keepdim):
        self.input, self.result = self.save(input), self.save(result, is_output=True)
        self.axis, self.correction, self.keepdim = axis, correction, keepdim

    def backward(self, grad):
        return _std_backward(grad, self.result.unpack(), self.input.unpack(), self.axis, self.correction, self.keepdim)


class VarMeanBackward0(Node):
    def __init__(self, input, results, axis, correction, keepdim):
        self.input, self.axis, self.correction, self.keepdim = self.save(input), axis, correction, keepdim

    def backward(self, grad_var, grad_mean):
        x = self.input.unpack()
        total = None
        if grad_var is not None:
            total = _var_backward(grad_var, x, self.axis, self.correction, self.keepdim)
        if grad_mean is not None:
            part = _mean_backward(grad_mean, x._data.shape, self.axis, self.keepdim)
            total = part if total is None else total + part
        return total


class StdMeanBackward0(Node):
    def __init__(self, input, results, axis, correction, keepdim):
        self.input, self.result = self.save(input), self.save(results[0], is_output=True)
        self.axis, self.correction, self.keepdim = axis, correction, keepdim

    def backward(self, grad_std, grad_mean):
        x = self.input.unpack()
        total = None
        if grad_std is not None:
            total = _std_backward(grad_std, self.result.unpack(), x, self.axis, self.correction, self.keepdim)
        if grad_mean is not None:
            part = _mean_backward(grad_mean, x._data.shape, self.axis, self.keepdim)
            total = part if total is None else total + part
        return total


@method()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dim, correction = _var_args(dim, unbiased, correction, "var")
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r, _ = _var(arr, axis, correction, keepdim, "var")
    if needs_grad(input):
        _no_out_with_grad("var", out, input)
        return _record(VarBackward0, input, _out(np.asarray(r).astype(_real_of(arr.dtype)), None), axis, correction,
                       keepdim)
    return _out(np.asarray(r).astype(_real_of(arr.dtype)), out)


@method()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dim, correction = _var_args(dim, unbiased, correction, "std")
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r, _ = _var(arr, axis, correction, keepdim, "std")
    if needs_grad(input):
        _no_out_with_grad("std", out, input)
        return _record(StdBackward0, input, _out(np.sqrt(r).astype(_real_of(arr.dtype)), None), axis, correction,
                       keepdim)
    return _out(np.sqrt(r).astype(_real_of(arr.dtype)), out)


def _record_moments(node_type, input, results, axis, correction, keepdim):
    if needs_grad(input) and _differentiable(results[1]):
        record(node_type(input, results, axis, correction, keepdim), (input,), list(results))
    return results


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dim, correction = _var_args(dim, unbiased, correction, "var_mean")
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r, work = _var(arr, axis, correction, keepdim, "var_mean")
    results = (wrap(np.asarray(r).astype(_real_of(arr.dtype))),
               wrap(np.asarray(_mean(work, axis, keepdim)).astype(arr.dtype)))
    return _record_moments(VarMeanBackward0, input, results, axis, correction, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    dim, correction = _var_args(dim, unbiased, correction, "std_mean")
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r, work = _var(arr, axis, correction, keepdim, "std_mean")
    results = (wrap(np.sqrt(r).astype(_real_of(arr.dtype))),
               wrap(np.asarray(_mean(work, axis, keepdim)).astype(arr.dtype)))
    return _record_moments(StdMeanBackward0, input, results, axis, correction, keepdim)


# -------------------------------------------------------------------------------------------------------
# extrema


def _ordered_key(arr):
    """An array NumPy can compare quickly with the same order as `arr` (bfloat16 widens exactly to float32)."""
    return arr.astype(_F32) if arr.dtype == _BF16 else arr


def _extremum_with_index(arr, dim, keepdim, find_index, name):
    """(values, indices) along one dim: one arg-reduction, then the values gathered at those indices (first
    occurrence on ties; a NaN wins, as in PyTorch)."""
    d = wrap_dim(dim, arr.ndim)
    if arr.ndim and arr.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if arr.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    if arr.ndim == 0:
        return arr.copy(), np.zeros((), _I64)
    idx = find_index(_ordered_key(arr), axis=d, keepdims=True)
    values = np.take_along_axis(arr, idx, axis=d)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values, idx.astype(_I64, copy=False)


def _binary_extremum(ufunc, name, input, other, out):
    """max(a, b) / min(a, b): the elementwise maximum/minimum (ops.pointwise's when it has one)."""
    from . import pointwise

    fn = getattr(pointwise, name, None)
    if fn is not None:
        return fn(input, other, out=out)
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    dt = promote_operands(input, other)._np
    x, y = input._data, other._data
    if dt.kind == "c":
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    r = ufunc(_ordered_key(x.astype(dt, copy=False)), _ordered_key(y.astype(dt, copy=False)))
    return _out(np.asarray(r).astype(dt, copy=False), out)


def _evenly_distribute_backward(grad, x, value):
    """The gradient of a full max/min/median: split evenly among the elements equal to the result (the NaNs
    when the result is NaN)."""
    arr, v = _ordered_key(x._data), _ordered_key(value._data)
    mask = np.isnan(arr) if _is_float(v.dtype) and np.isnan(v) else arr == v
    return _where(_const(mask), grad / int(np.count_nonzero(mask)), 0)


class _EvenlyDistributed(Node):
    def __init__(self, input, result):
        self.input, self.result = self.save(input), self.save(result, is_output=True)

    def backward(self, grad):
        return _evenly_distribute_backward(grad, self.input.unpack(), self.result.unpack())


class MaxBackward1(_EvenlyDistributed):  # max(): MaxBackward0 is max(dim)
    pass


class MinBackward1(_EvenlyDistributed):
    pass


class MaxBackward0(_SelectsAlongDim):
    pass


class MinBackward0(_SelectsAlongDim):
    pass


def _extremum(input, dim, keepdim, other, out, ufunc, find_index, name):
    if isinstance(dim, Tensor) or other is not None:
        return _binary_extremum(ufunc, "maximum" if name == "max" else "minimum", input,
                                dim if other is None else other, out)
    arr = input._data
    grad = needs_grad(input)
    if grad:
        _no_out_with_grad(name, out, input)
    if dim is None:
        _check_nonempty(arr, None, name)
        if arr.dtype.kind == "c":
            raise _not_implemented(f"{name}_all", arr.dtype)
        r = ufunc.reduce(_ordered_key(arr), axis=None)
        result = _out(np.asarray(r).astype(arr.dtype, copy=False), out)
        return _record(MaxBackward1 if name == "max" else MinBackward1, input, result) if grad else result
    d = _int_dim(dim, name)
    values, idx = _extremum_with_index(arr, d, keepdim, find_index, name)
    pair = _pair(name, values, idx, out)
    if grad:
        _record_selection(MaxBackward0 if name == "max" else MinBackward0, input, pair, wrap_dim(d, arr.ndim), keepdim)
    return pair


@method()
def max(input, dim=None, keepdim=False, *, out=None, other=None):
    return _extremum(input, dim, keepdim, other, out, np.maximum, np.argmax, "max")


@method()
def min(input, dim=None, keepdim=False, *, out=None, other=None):
    return _extremum(input, dim, keepdim, other, out, np.minimum, np.argmin, "min")


def _scale_grad_by_count(grad, x, value, axis, keepdim):
    """The gradient of amax/amin: split evenly among the elements equal to the result in each reduced slice
    (PyTorch's grad / count * mask, so an all-NaN slice gives NaN)."""
    shape, dtype = x._data.shape, x._data.dtype
    kept_value = np.reshape(value._data, _kept_shape(shape, axis)) if not keepdim else value._data
    mask = _ordered_key(x._data) == _ordered_key(kept_value)
    count = np.add.reduce(mask, axis=axis, keepdims=True, dtype=_I64)
    return _restore(grad, shape, axis, keepdim) / _const(count, dtype) * _const(mask, dtype)


class AmaxBackward0(Node):
    def __init__(self, input, result, axis, keepdim):
        self.input, self.result = self.save(input), self.save(result, is_output=True)
        self.axis, self.keepdim = axis, keepdim

    def backward(self, grad):
        return _scale_grad_by_count(grad, self.input.unpack(), self.result.unpack(), self.axis, self.keepdim)


class AminBackward0(AmaxBackward0):
    pass


def _amax_amin(input, dim, keepdim, out, ufunc, name):
    arr = input._data
    axis = _axes(arr.ndim, dim)
    _check_nonempty(arr, axis, name)
    if arr.dtype.kind == "c" and arr.size:
        raise _not_implemented(f"{name[1:]}_values_cpu", arr.dtype)
    r = ufunc.reduce(_ordered_key(arr), axis=axis, keepdims=keepdim)
    if needs_grad(input):
        _no_out_with_grad(name, out, input)
        result = _out(np.asarray(r).astype(arr.dtype, copy=False), None)
        return _record(AmaxBackward0 if name == "amax" else AminBackward0, input, result, axis, keepdim)
    return _out(np.asarray(r).astype(arr.dtype, copy=False), out)


@method()
def amax(input, dim=(), keepdim=False, *, out=None):
    return _amax_amin(input, dim, keepdim, out, np.maximum, "amax")


@method()
def amin(input, dim=(), keepdim=False, *, out=None):
    return _amax_amin(input, dim, keepdim, out, np.minimum, "amin")


class AminmaxBackward0(Node):
    def __init__(self, input, results, axis, keepdim):
        self.input = self.save(input)
        self.low, self.high = self.save(results[0], is_output=True), self.save(results[1], is_output=True)
        self.axis, self.keepdim = axis, keepdim

    def backward(self, grad_min, grad_max):
        x = self.input.unpack()
        total = None
        for grad, saved in ((grad_min, self.low), (grad_max, self.high)):
            if grad is not None:
                part = _scale_grad_by_count(grad, x, saved.unpack(), self.axis, self.keepdim)
                total = part if total is None else total + part
        return total


@method()
def aminmax(input, *, dim=None, keepdim=False, out=None):
    arr = input._data
    if dim is None:
        axis = None
        if arr.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
    else:
        axis = _axes(arr.ndim, _int_dim(dim, "aminmax"))
        if axis and arr.shape[axis[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {axis[0]} to have non-zero size.")
    if arr.dtype.kind == "c":
        raise _not_implemented("aminmax_cpu", arr.dtype)
    key = _ordered_key(arr)
    lo = np.asarray(np.minimum.reduce(key, axis=axis, keepdims=keepdim)).astype(arr.dtype, copy=False)
    hi = np.asarray(np.maximum.reduce(key, axis=axis, keepdims=keepdim)).astype(arr.dtype, copy=False)
    if axis is None:
        lo, hi = _keep_all(lo, arr.ndim, keepdim), _keep_all(hi, arr.ndim, keepdim)
    if needs_grad(input):
        _no_out_with_grad("aminmax", out, input)
        pair = _pair("aminmax", lo, hi, None, fields=("min", "max"))
        if _differentiable(pair[0]):
            record(AminmaxBackward0(input, pair, axis, keepdim), (input,), list(pair))
        return pair
    return _pair("aminmax", lo, hi, out, fields=("min", "max"))


def _arg_extremum(input, dim, keepdim, out, find_index, name):
    arr = input._data
    if arr.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if arr.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    key = _ordered_key(arr)
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = _keep_all(np.asarray(find_index(key, axis=None)), arr.ndim, keepdim)
    else:
        dim = _int_dim(dim, name)
        d = wrap_dim(dim, arr.ndim)
        if arr.ndim == 0:
            r = np.zeros((), _I64)
        else:
            if arr.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
            r = find_index(key, axis=d, keepdims=keepdim)
    return _out(np.asarray(r).astype(_I64, copy=False), out)


@method()
def argmax(input, dim=None, keepdim=False, *, out=None):
    return _arg_extremum(input, dim, keepdim, out, np.argmax, "argmax")


@method()
def argmin(input, dim=None, keepdim=False, *, out=None):
    return _arg_extremum(input, dim, keepdim, out, np.argmin, "argmin")


# -------------------------------------------------------------------------------------------------------
# logsumexp and norms


def _float_work(arr):
    """The array in the dtype floating math runs in: bool/int -> default dtype, half -> float32. Returns
    (work array, result dtype)."""
    if arr.dtype.kind in "biu":
        dt = _dtype.get_default_dtype()._np
        return arr.astype(dt), dt
    if arr.dtype in _HALF_TYPES:
        return arr.astype(_F32), arr.dtype
    return arr, arr.dtype


class LogsumexpBackward0(Node):
    def __init__(self, input, result, axis, keepdim):
        self.input, self.result = self.save(input), self.save(result, is_output=True)
        self.axis, self.keepdim = axis, keepdim

    def backward(self, grad):
        x, result = self.input.unpack(), self.result.unpack()
        shape = x._data.shape
        grad = _restore(grad, shape, self.axis, self.keepdim)
        return grad * _conj((x - _restore(result, shape, self.axis, self.keepdim)).exp())


@method()
def logsumexp(input, dim, keepdim=False, *, out=None):
    arr = input._data
    work, result_dt = _float_work(arr)
    axis = _axes(arr.ndim, dim)
    if axis is None and dim is not None and not keepdim and arr.size and arr.ndim:
        # PyTorch's kernel refuses an empty dim list without keepdim (its out= shape check trips)
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * arr.ndim}")
    real = work.real if work.dtype.kind == "c" else work
    # subtract the maximum so exp never overflows; infinite maxima are left alone, as PyTorch does
    peak = np.maximum.reduce(real, axis=axis, keepdims=True, initial=-np.inf)
    peak = np.where(np.isinf(peak), real.dtype.type(0), peak).astype(real.dtype, copy=False)
    shifted = np.asarray(work - peak)
    total = _add_reduce(np.exp(shifted, out=shifted), axis, keepdim)
    if not keepdim:
        peak = peak.reshape(()) if axis is None else np.squeeze(peak, axis)
    r = np.log(total) + peak
    if needs_grad(input):
        _no_out_with_grad("logsumexp", out, input)
        return _record(LogsumexpBackward0, input, _out(np.asarray(r).astype(result_dt, copy=False), None), axis,
                       keepdim)
    return _out(np.asarray(r).astype(result_dt, copy=False), out)


def _abs_float(arr):
    """|x| in the dtype norms compute in (float32 for half types, the real dtype for complex)."""
    if arr.dtype in _HALF_TYPES:
        arr = arr.astype(_F32)
    return np.abs(arr)


_DOT_NORM_MAX = 1 << 20


def _vector_norm(arr, p, axis, keepdim):
    if p == 2 and arr.dtype.kind == "f" and arr.dtype not in _HALF_TYPES:
        if axis is None and arr.size <= _DOT_NORM_MAX:
            # BLAS dot: several times faster, and within PyTorch's float32 tolerance up to this size
            flat = arr.reshape(-1)
            return np.sqrt(np.asarray(np.dot(flat, flat)))
        return np.sqrt(_add_reduce(arr * arr, axis, keepdim))
    a = _abs_float(arr)
    if p == 2:
        return np.sqrt(_add_reduce(a * a, axis, keepdim))
    if p == 1:
        return np.add.reduce(a, axis=axis, keepdims=keepdim)
    if p == math.inf:
        _check_nonempty_norm(a, axis, "inf")
        return np.maximum.reduce(a, axis=axis, keepdims=keepdim)
    if p == -math.inf:
        _check_nonempty_norm(a, axis, "-inf")
        return np.minimum.reduce(a, axis=axis, keepdims=keepdim)
    if p == 0:
        return np.add.reduce(a != 0, axis=axis, keepdims=keepdim, dtype=a.dtype)
    return np.power(np.add.reduce(np.power(a, p), axis=axis, keepdims=keepdim), 1.0 / p).astype(a.dtype)


def _check_nonempty_norm(a, axis, order):
    if a.size:
        return
    if axis is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on an empty tensor because the "
                           "operation does not have an identity")
    for d in axis:
        if a.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on the dimension {d}because this "
                               "dimension is empty and the operation does not have an identity")


def _nuclear_norm(arr, dims, keepdim):
    if arr.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = dims
    if arr.dtype in _HALF_TYPES:
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got {_label(arr.dtype)}")
    moved = np.moveaxis(arr, (d0, d1), (-2, -1))
    r = np.add.reduce(np.linalg.svd(moved, compute_uv=False), axis=-1)
    if keepdim:
        r = np.expand_dims(r, tuple(sorted((d0, d1))))
    return r


def _nuclear_norm_graph(input, dims, keepdim, dtype):
    """The nuclear norm as PyTorch differentiates it: the sum of the singular values of the matrices (the two
    dims moved last)."""
    from .. import linalg

    x = input if dtype is None else input.to(dtype)
    rest = [i for i in range(x.ndim) if i not in dims]
    moved = x.permute(rest + list(dims))
    singular_values = linalg.svd(moved, full_matrices=False)[1]
    if not keepdim:
        return singular_values.sum(-1)
    perm = rest + list(dims)
    inverse = [perm.index(i) for i in range(x.ndim)]
    return singular_values.sum(-1, keepdim=True).unsqueeze(-1).permute(inverse)


@method()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    arr = input._data
    if not (_is_float(arr.dtype) or arr.dtype.kind == "c"):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_label(arr.dtype)}")
    if dtype is not None:
        arr = _cast_input(arr, dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro" and (dim is None or len(dim) <= 2):
            p = 2
        elif p == "nuc":
            dims = (0, 1) if dim is None else wrap_dims(dim, arr.ndim)
            if dim is None and arr.ndim != 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
                                   if arr.ndim < 2 else "linalg.matrix_norm: dim must be a 2-tuple. Got ")
            if len(dims) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
            if needs_grad(input):
                _no_out_with_grad("norm", out, input)
                return _nuclear_norm_graph(input, dims, keepdim, dtype)
            r = _nuclear_norm(arr, dims, keepdim)
            return _out(np.asarray(r).astype(_real_of(arr.dtype)), out)
        else:
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return _p_norm(input, arr, p, dim, keepdim, out, LinalgVectorNormBackward0)


def _p_norm(input, arr, p, dim, keepdim, out, node_type):
    """The vector p-norm of `arr` (input's values, maybe cast) over `dim`, recorded as `node_type`."""
    axis = _axes(arr.ndim, dim)
    r = _vector_norm(arr, p, axis, keepdim)
    if axis is None:
        r = _keep_all(np.asarray(r), arr.ndim, keepdim)
    if needs_grad(input):
        _no_out_with_grad("norm", out, input)
        result = _out(np.asarray(r).astype(_real_of(arr.dtype), copy=False), None)
        return _record(node_type, input, result, p, tuple(range(arr.ndim)) if axis is None else axis, keepdim)
    return _out(np.asarray(r).astype(_real_of(arr.dtype), copy=False), out)


class NormBackward1(LinalgVectorNormBackward0):
    """ATen's at::norm(self, p, dim, keepdim), which ATen composites call (pairwise_distance): the same
    derivative as linalg.vector_norm under its own name. torch.norm and Tensor.norm record
    LinalgVectorNormBackward0."""


class NormBackward0(LinalgVectorNormBackward0):
    """ATen's at::norm(self, p) over every element (norm_except_dim's dim=-1): as NormBackward1."""


def at_norm(input, p, dim=None, keepdim=False):
    """at::norm(input, p, dim, keepdim) as called inside ATen composites: graph node NormBackward1, or
    NormBackward0 for the overload without dim."""
    if dim is None:
        return _p_norm(input, input._data, p, None, False, None, NormBackward0)
    return _p_norm(input, input._data, p, (dim,) if isinstance(dim, int) else dim, keepdim, None, NormBackward1)


# -------------------------------------------------------------------------------------------------------
# cumulative ops


def _cumulative(ufunc, input, dim, dtype, out):
    arr = input._data
    d = wrap_dim(_int_dim(dim, ufunc.__name__), arr.ndim)
    acc = None
    if dtype is not None:
        arr = _cast_input(arr, dtype)
        acc = arr.dtype
    elif arr.dtype.kind in "biu":
        acc = _I64
    if arr.ndim == 0:
        r = arr.astype(acc) if acc is not None else arr.copy()
    elif acc is not None and acc.kind in "biu":
        r = ufunc.accumulate(arr, axis=d, dtype=acc)
    elif arr.dtype in _HALF_TYPES:
        r = ufunc.accumulate(arr, axis=d, dtype=_F32).astype(arr.dtype)
    else:
        r = ufunc.accumulate(arr, axis=d)
    return _out(r, out)


class CumsumBackward0(Node):
    def __init__(self, input, result, d):
        self.dtype, self.ndim, self.d = input._data.dtype, input._data.ndim, d

    def backward(self, grad):
        grad = _as_dtype(grad, self.dtype)
        if self.ndim == 0 or grad._data.shape[self.d] <= 1:
            return grad
        return _reversed_cumsum(grad, self.d)


def _cumprod_backward_differentiable(grad, x, d):
    """PyTorch's O(n^2) cumprod gradient for inputs with zeros under create_graph: for each position k, the
    sum over j >= k of grad_j times the product of x_0..x_j without x_k, built from prod and cumprod of
    slices, so that its own derivative is right at the zeros too."""
    from .shape import cat, stack

    n = x._data.shape[d]
    parts = []
    for k in builtins.range(n):
        after = x.narrow(d, k + 1, n - k - 1).cumprod(d) if k < n - 1 else None
        if k == 0:
            ones_shape = list(x._data.shape)
            ones_shape[d] = 1
            omitted = x.new_ones(ones_shape) if after is None else cat([x.new_ones(ones_shape), after], d)
        else:
            until = x.narrow(d, 0, k).prod(d, keepdim=True)
            omitted = until if after is None else cat([until, until * after], d)
        parts.append((grad.narrow(d, k, n - k) * _conj(omitted)).sum(d))
    return stack(parts, d)


class CumprodBackward0(Node):
    def __init__(self, input, result, d):
        self.input, self.result, self.d = self.save(input), self.save(result, is_output=True), d

    def backward(self, grad):
        x, out, d = self.input.unpack(), self.result.unpack(), self.d
        grad = _as_dtype(grad, x._data.dtype)
        if x._data.ndim == 0 or x._data.size <= 1:
            return grad
        out = _as_dtype(out, x._data.dtype)
        zeros = x._data == 0
        if not zeros.any():
            return _reversed_cumsum(grad * _conj(out), d) / _conj(x)
        if _grad_mode.enabled:
            return _cumprod_backward_differentiable(grad, x, d)
        x, out = _conj(x), _conj(out)  # grad times the conjugate of the local derivative
        # With zeros: before a slice's first zero the formula above holds; at the first zero the gradient is
        # the reversed cumulative sum of grad times the running product that skips that zero; after it, 0.
        zeros_seen = np.cumsum(zeros, axis=d)
        before = _const(zeros_seen == 0)
        first_zero = _const(zeros & (zeros_seen == 1))
        grad_before = _where(before, _reversed_cumsum(grad * out, d) / _where(before, x, 1), 0)
        skipping = _where(first_zero, 1, x).cumprod(d)
        grad_first = _where(first_zero, _reversed_cumsum(grad * skipping, d), 0)
        return grad_before + grad_first


def _record_cumulative(node_type, input, result, dim):
    if _differentiable(result):
        record(node_type(input, result, wrap_dim(dim, input._data.ndim)), (input,), result)
    return result


@method()
def cumsum(input, dim, *, dtype=None, out=None):
    if needs_grad(input):
        _no_out_with_grad("cumsum", out, input)
        return _record_cumulative(CumsumBackward0, input, _cumulative(np.add, input, dim, dtype, None), dim)
    return _cumulative(np.add, input, dim, dtype, out)


@method()
def cumprod(input, dim, *, dtype=None, out=None):
    if needs_grad(input):
        _no_out_with_grad("cumprod", out, input)
        return _record_cumulative(CumprodBackward0, input, _cumulative(np.multiply, input, dim, dtype, None), dim)
    return _cumulative(np.multiply, input, dim, dtype, out)


def _cumulative_extremum(input, dim, ufunc, name, out):
    """cummax/cummin: running values and the index where each was last reached (PyTorch takes the latest
    position among equal values; once a NaN is met it stays, indexed by the latest NaN)."""
    arr = input._data
    d = wrap_dim(_int_dim(dim, name), arr.ndim)
    if arr.ndim == 0:
        return _pair(name, arr.copy(), np.zeros((), _I64), out)
    if arr.dtype.kind == "c" and arr.size:
        raise _not_implemented(f"{name}_cpu", arr.dtype)
    key = _ordered_key(arr)
    running = ufunc.accumulate(key, axis=d)
    reached = key == running
    if _is_float(arr.dtype):
        reached |= np.isnan(key)
    shape = [1] * arr.ndim
    shape[d] = arr.shape[d]
    positions = np.arange(arr.shape[d], dtype=_I64).reshape(shape)
    idx = np.maximum.accumulate(np.where(reached, positions, 0), axis=d)
    return _pair(name, running.astype(arr.dtype, copy=False), idx, out)


class CummaxBackward0(Node):
    def __init__(self, input, d, indices, keepdim=None):
        self.shape, self.d, self.indices = input._data.shape, d, indices

    def backward(self, grad, *_):
        if len(self.shape) == 0:
            return grad
        # an element that stays the running extremum for several positions collects all their gradients
        return grad.new_zeros(self.shape).scatter_add(self.d, wrap(self.indices), grad)


class CumminBackward0(CummaxBackward0):
    pass


def _recorded_cumulative_extremum(input, dim, ufunc, name, out, node_type):
    if needs_grad(input):
        _no_out_with_grad(name, out, input)
        pair = _cumulative_extremum(input, dim, ufunc, name, None)
        return _record_selection(node_type, input, pair, wrap_dim(dim, input._data.ndim))
    return _cumulative_extremum(input, dim, ufunc, name, out)


@method()
def cummax(input, dim, *, out=None):
    return _recorded_cumulative_extremum(input, dim, np.maximum, "cummax", out, CummaxBackward0)


@method()
def cummin(input, dim, *, out=None):
    return _recorded_cumulative_extremum(input, dim, np.minimum, "cummin", out, CumminBackward0)


class LogcumsumexpBackward0(Node):
    def __init__(self, input, result, d):
        self.input, self.result, self.d = self.save(input), self.save(result, is_output=True), d

    def backward(self, grad):
        import ml_dtypes

        x, out, d = self.input.unpack(), self.result.unpack(), self.d
        if grad._data.ndim == 0 or grad._data.size == 0:
            return grad
        if grad._data.dtype.kind == "c":  # grad_i = sum over j >= i of grad_j * conj(exp(x_i - out_j))
            return _reversed_cumsum(grad * (-out).exp().conj(), d) * x.exp().conj()
        # the gradient's positive and negative parts in log space, so nothing overflows (TensorFlow's recipe)
        lowest = float(ml_dtypes.finfo(grad._data.dtype).min)
        log_abs = grad.abs().log()
        log_positive = _where(grad > 0, log_abs, lowest)
        log_negative = _where(grad < 0, log_abs, lowest)

        def reversed_logcumsumexp(t):
            return t.flip(d).logcumsumexp(d).flip(d)

        return (reversed_logcumsumexp(log_positive - out) + x).exp() - \
            (reversed_logcumsumexp(log_negative - out) + x).exp()


@method()
def logcumsumexp(input, dim, *, out=None):
    if needs_grad(input):
        _no_out_with_grad("logcumsumexp", out, input)
        return _record_cumulative(LogcumsumexpBackward0, input, _logcumsumexp(input, dim, None), dim)
    return _logcumsumexp(input, dim, out)


def _logcumsumexp(input, dim, out):
    arr = input._data
    d = wrap_dim(_int_dim(dim, "logcumsumexp"), arr.ndim)
    if not (_is_float(arr.dtype) or arr.dtype.kind == "c"):
        raise _not_implemented("logcumsumexp_out_cpu", arr.dtype)
    work = arr.astype(_F32) if arr.dtype in _HALF_TYPES else arr
    if arr.ndim == 0 or arr.size == 0:
        return _out(arr.copy(), out)
    if work.dtype.kind == "c":
        r = _complex_logcumsumexp(work, d)
    else:
        r = np.logaddexp.accumulate(work, axis=d)
    return _out(np.asarray(r).astype(arr.dtype, copy=False), out)


def _complex_logcumsumexp(work, d):
    """PyTorch's recurrence r = max + log1p(exp(min - max)) (min/max by real part, the new element winning
    ties): NumPy has no complex logaddexp, and PyTorch's imaginary parts are not wrapped into (-pi, pi]."""
    moved = np.moveaxis(work, d, 0)
    out = np.empty_like(moved)
    acc = out[0] = moved[0]
    for i in builtins.range(1, moved.shape[0]):
        new = moved[i]
        keep = new.real < acc.real
        hi, lo = np.where(keep, acc, new), np.where(keep, new, acc)
        acc = out[i] = hi + np.log1p(np.exp(lo - hi))
    return np.moveaxis(out, 0, d)


def _diff_graph(input, n, d, prepend, append):
    """diff as PyTorch composes it (cat, then n times narrow(1:) - narrow(:-1)), so autograd records it."""
    from .shape import cat

    parts = []
    for part in (prepend, input, append):
        if part is None:
            continue
        if not isinstance(part, Tensor):
            part = wrap(np.asarray(part))
        if part._data.ndim == 0:
            shape = list(input._data.shape)
            shape[d] = 1
            part = part.expand(shape)
        parts.append(part)
    result = cat(parts, d) if len(parts) > 1 else input
    if n == 0:
        return result.clone()
    length = result._data.shape[d] - 1
    for _ in range(builtins.min(n, result._data.shape[d])):
        result = result.narrow(d, 1, length) - result.narrow(d, 0, length)
        length -= 1
    return result


@method()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    arr = input._data
    if arr.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, arr.ndim)
    if needs_grad(input, prepend, append) and arr.dtype.kind != "b":
        return _diff_graph(input, n, d, prepend, append)
    parts = [p for p in (prepend, input, append) if p is not None]
    if len(parts) > 1:
        dt = promote_operands(*[p for p in parts if isinstance(p, Tensor)])._np
        arrays = []
        for p in parts:
            a = p._data if isinstance(p, Tensor) else np.asarray(p)
            if a.ndim == 0:
                shape = list(arr.shape)
                shape[d] = 1
                a = np.broadcast_to(a, shape)
            arrays.append(a.astype(dt, copy=False))
        arr = np.concatenate(arrays, axis=d)
    if arr.dtype.kind == "b":
        r = arr
        for _ in range(builtins.min(n, arr.shape[d])):
            r = np.not_equal(np.take(r, range(1, r.shape[d]), axis=d), np.take(r, range(r.shape[d] - 1), axis=d))
        return wrap(np.asarray(r))
    if arr.dtype in _HALF_TYPES:
        return wrap(np.diff(arr.astype(_F32), n=n, axis=d).astype(arr.dtype))
    return wrap(np.diff(arr, n=n, axis=d))


# -------------------------------------------------------------------------------------------------------
# logical reductions and counting


def _logical_reduce(ufunc, input, dim, keepdim, out):
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r = ufunc.reduce(arr if arr.dtype.kind == "b" else arr != 0, axis=axis, keepdims=keepdim)
    r = np.asarray(r)
    if axis is None:
        r = _keep_all(r, arr.ndim, keepdim)
    if arr.dtype == np.uint8:  # PyTorch keeps uint8 for uint8 inputs (a legacy of masks)
        r = r.astype(np.uint8)
    return _out(r, out)


@method()
def all(input, dim=None, keepdim=False, *, out=None):
    return _logical_reduce(np.logical_and, input, dim, keepdim, out)


@method()
def any(input, dim=None, keepdim=False, *, out=None):
    return _logical_reduce(np.logical_or, input, dim, keepdim, out)


@method()
def count_nonzero(input, dim=None):
    arr = input._data
    axis = _axes(arr.ndim, dim)
    r = np.add.reduce(arr != 0, axis=axis, dtype=_I64)
    return wrap(np.asarray(r))


# -------------------------------------------------------------------------------------------------------
# medians, modes, quantiles


def _to_last(arr, d):
    return arr if d == arr.ndim - 1 else np.moveaxis(arr, d, -1)


def _median_checks(arr, name):
    if arr.dtype.kind == "b" or arr.dtype.kind == "c":
        raise _not_implemented(f"{name}_cpu" if name == "median" else "nanmedian_cpu", arr.dtype)


class MedianBackward0(_EvenlyDistributed):  # median(); MedianBackward1 is median(dim)
    pass


class NanmedianBackward0(_EvenlyDistributed):
    pass


class MedianBackward1(_SelectsAlongDim):
    pass


class NanmedianBackward1(_SelectsAlongDim):
    pass


class ModeBackward0(_SelectsAlongDim):
    pass


def _median_all(input, ignore_nan, name):
    result = _median_all_values(input, ignore_nan, name)
    if needs_grad(input):
        return _record(NanmedianBackward0 if ignore_nan else MedianBackward0, input, result)
    return result


def _median_all_values(input, ignore_nan, name):
    arr = input._data
    if arr.size == 0:  # PyTorch returns NaN converted to the dtype (True for bool, the lowest int for ints)
        if arr.dtype.kind in "biu":  # NaN through C's float->int conversion
            fill = True if arr.dtype.kind == "b" else np.iinfo(arr.dtype).min if arr.dtype.itemsize >= 4 else 0
            return wrap(np.full((), fill, arr.dtype))
        return wrap(np.full((), np.nan, arr.dtype))
    _median_checks(arr, "median")
    flat = _ordered_key(arr).reshape(-1)
    if _is_float(arr.dtype):
        nans = np.isnan(flat)
        if nans.any():
            if not ignore_nan or nans.all():
                return wrap(np.full((), np.nan, arr.dtype))
            flat = flat[~nans]
    k = (flat.size - 1) // 2
    return wrap(np.asarray(np.partition(flat, k)[k]).astype(arr.dtype))


def _median_dim(input, dim, keepdim, ignore_nan, name, out):
    if needs_grad(input):
        _no_out_with_grad(name, out, input)
        pair = _median_dim_values(input, dim, keepdim, ignore_nan, name, None)
        return _record_selection(NanmedianBackward1 if ignore_nan else MedianBackward1, input, pair,
                                 wrap_dim(dim, input._data.ndim), keepdim)
    return _median_dim_values(input, dim, keepdim, ignore_nan, name, out)


def _median_dim_values(input, dim, keepdim, ignore_nan, name, out):
    arr = input._data
    dim = _int_dim(dim, name)
    d = wrap_dim(dim, arr.ndim)
    if arr.ndim and arr.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    _median_checks(arr, name)
    if arr.ndim == 0:
        return _pair(name, arr.copy(), np.zeros((), _I64), out)
    key = _to_last(_ordered_key(arr), d)
    n = key.shape[-1]
    nan_rows = np.isnan(key).any(axis=-1, keepdims=True) if _is_float(arr.dtype) else None
    if nan_rows is None or not (ignore_nan and nan_rows.any()):
        # one linear-time selection; a row holding NaN reports its first NaN, as PyTorch does
        idx = np.argpartition(key, (n - 1) // 2, axis=-1)[..., (n - 1) // 2:(n - 1) // 2 + 1]
        if nan_rows is not None and nan_rows.any():
            idx = np.where(nan_rows, np.argmax(np.isnan(key), axis=-1, keepdims=True), idx)
        return _median_result(name, arr, d, idx, keepdim, out)
    # nanmedian with NaNs: the median position differs per row, so sort (NaNs last, in original order)
    order = np.argsort(key, axis=-1, kind="stable")
    valid = n - np.add.reduce(np.isnan(key), axis=-1, keepdims=True, dtype=_I64)
    pos = np.maximum((valid - 1) // 2, 0)
    return _median_result(name, arr, d, np.take_along_axis(order, pos, axis=-1), keepdim, out)


def _median_result(name, arr, d, idx, keepdim, out):
    """Gather the values at `idx` (indices along the last axis of the moved array) and move dim d back."""
    values = np.take_along_axis(_to_last(arr, d), idx, axis=-1)
    values, idx = np.moveaxis(values, -1, d), np.moveaxis(idx, -1, d)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _pair(name, values, idx.astype(_I64, copy=False), out)


@method()
def median(input, dim=None, keepdim=False, *, out=None):
    if dim is None:
        return _median_all(input, False, "median")
    return _median_dim(input, dim, keepdim, False, "median", out)


@method()
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    if dim is None:
        return _median_all(input, True, "nanmedian")
    return _median_dim(input, dim, keepdim, True, "nanmedian", out)


@method()
def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along dim (the smallest among equally frequent ones) and the index of its last
    occurrence, as PyTorch's CPU kernel reports."""
    if needs_grad(input):
        _no_out_with_grad("mode", out, input)
        pair = _mode(input, dim, keepdim, None)
        return _record_selection(ModeBackward0, input, pair, wrap_dim(dim, input._data.ndim), keepdim)
    return _mode(input, dim, keepdim, out)


def _mode(input, dim, keepdim, out):
    arr = input._data
    dim = _int_dim(dim, "mode")
    d = wrap_dim(dim, arr.ndim)
    if arr.dtype.kind == "c":
        raise _not_implemented("mode_cpu", arr.dtype)
    if arr.ndim == 0:
        return _pair("mode", arr.copy(), np.zeros((), _I64), out)
    n = arr.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    moved = _to_last(arr, d)
    batch_shape = moved.shape[:-1]
    key = _ordered_key(moved).reshape(-1, n)
    rows = key.shape[0]
    order = np.argsort(key, axis=-1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=-1)
    starts = np.ones(ordered.shape, bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]  # NaN != NaN: every NaN is a run of its own
    ends = np.ones(ordered.shape, bool)
    ends[:, :-1] = starts[:, 1:]
    run_id = np.cumsum(starts, axis=1) - 1
    counts = np.bincount((run_id + np.arange(rows)[:, None] * n).reshape(-1), minlength=rows * n).reshape(rows, n)
    best_run = np.argmax(counts, axis=1)  # first of the most frequent runs = the smallest value
    at = np.argmax((run_id == best_run[:, None]) & ends, axis=1)[:, None]  # last element of that run
    idx = np.take_along_axis(order, at, axis=1).reshape(batch_shape)
    values = np.take_along_axis(moved.reshape(-1, n), np.take_along_axis(order, at, axis=1), axis=1)
    values = values.reshape(batch_shape)
    if keepdim:
        values, idx = np.expand_dims(values, d), np.expand_dims(idx, d)
    return _pair("mode", values, idx.astype(_I64, copy=False), out)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, out, ignore_nan, name):
    arr = input._data
    if arr.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if arr.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != arr.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs = q._data
        if qs.size and not (np.all(qs >= 0) and np.all(qs <= 1)):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qs = np.asarray(q, arr.dtype)
    if dim is None:
        work = arr.reshape(-1)
        d = 0
    else:
        d = wrap_dim(_int_dim(dim, name), arr.ndim)
        work = _to_last(arr, d) if arr.ndim else arr.reshape(1)
    ordered = np.sort(work, axis=-1)[..., None, :]  # NaNs last; one row per quantile broadcast below
    n = ordered.shape[-1]
    qv = qs.reshape(-1)
    nan_count = np.add.reduce(np.isnan(ordered), axis=-1, dtype=_I64)
    valid = (n - nan_count) if ignore_nan else np.full(nan_count.shape, n, _I64)
    # ranks are computed in the input dtype, as PyTorch does, so rounding for lower/higher/nearest agrees
    ranks = qv * (valid - 1).astype(arr.dtype)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)
    ranks = np.maximum(ranks, 0)
    below = np.floor(ranks).astype(_I64)
    above = np.minimum(below + 1, np.maximum(valid - 1, 0))
    lo = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
    if interpolation == "midpoint":
        weight = np.where(ranks > below, arr.dtype.type(0.5), arr.dtype.type(0))
    else:
        weight = (ranks - below).astype(arr.dtype)
    # PyTorch's lerp: start + w * (end - start) for w < 0.5, else end - (end - start) * (1 - w)
    r = np.where(weight < 0.5, lo + weight * (hi - lo), hi - (hi - lo) * (1 - weight))
    r = np.where((weight == 0) | (lo == hi), lo, r)
    poisoned = (valid == 0) if ignore_nan else (nan_count > 0)
    if needs_grad(input):
        _no_out_with_grad(name, out, input)
        return _quantile_graph(input, dim, d, keepdim, qs.ndim, below, above, weight, poisoned, interpolation,
                               ignore_nan)
    r = np.where(poisoned, arr.dtype.type(np.nan), r).astype(arr.dtype)
    # r: (*batch, nq) -> (nq, *batch), with the reduced dim kept as size 1 if asked
    r = np.moveaxis(r, -1, 0)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * arr.ndim)
        elif arr.ndim:
            r = np.expand_dims(r, d + 1)
    if qs.ndim == 0:
        r = r[0]
    return _out(r, out)


def _quantile_graph(input, dim, d, keepdim, q_ndim, below, above, weight, poisoned, interpolation, ignore_nan):
    """quantile as ATen's quantile_compute composes it, so autograd records torch's graph: sort along the last dim,
    view as (*output dims, n), gather the values at the ranks below and above, lerp between them, then squeeze
    (one q) or move the quantiles to the front. A slice holding NaN (all-NaN for nanquantile) reads a NaN
    element, which then takes the gradient, as in PyTorch."""
    from .shape import SqueezeBackward4, TransposeBackward1, UnsqueezeBackward1, as_inplace_view_op

    arr = input._data
    if dim is None:
        work = input.flatten()
    elif d == arr.ndim - 1:
        work = input
    else:
        work = input.unsqueeze(-1).transpose(d, -1)
    ordered = work.sort(-1).values
    n = ordered._data.shape[-1]
    if dim is None:
        out_shape = [1] * arr.ndim if keepdim else []
    else:
        out_shape = list(arr.shape)
        if keepdim:
            out_shape[d] = 1
        elif arr.ndim:
            del out_shape[d]
    ordered = ordered.view(out_shape + [n])
    # below/above/weight: (*batch, nq) -> (*output dims, nq); a NaN-poisoned slice reads its last element (a NaN)
    # with weight 0
    if not ignore_nan and poisoned.any():
        last = np.broadcast_to(poisoned, below.shape)
        below, above = np.where(last, n - 1, below), np.where(last, n - 1, above)
        weight = np.where(last, arr.dtype.type(0), weight)
    shape = tuple(out_shape) + below.shape[-1:]
    result = ordered.gather(-1, wrap(np.ascontiguousarray(below).reshape(shape)))
    if interpolation in ("linear", "midpoint"):
        above_values = ordered.gather(-1, wrap(np.ascontiguousarray(above).reshape(shape)))
        result = result.lerp(above_values, wrap(np.asarray(weight, arr.dtype).reshape(shape)))
    if q_ndim == 0:
        return as_inplace_view_op(result.squeeze(-1), SqueezeBackward4)
    result = as_inplace_view_op(result.unsqueeze(0), UnsqueezeBackward1)
    result = as_inplace_view_op(result.transpose(0, -1), TransposeBackward1)
    return as_inplace_view_op(result.squeeze(-1), SqueezeBackward4)


@method()
@autocast_op("fp32")
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, out, False, "quantile")


@method()
@autocast_op("fp32")
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, out, True, "nanquantile")
