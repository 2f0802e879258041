"""Small Tensor methods that belong to no larger family: softmax as a method, sum_to_size, shared memory,
pinned memory, bincount, histc."""

import math
import mmap
import numbers

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ._common import (
    AddBackward1,
    DivBackward1,
    MulBackward1,
    Node,
    method,
    needs_grad,
    promote_operands,
    record,
    sum_to_shape,
    with_number,
    wrap,
    wrap_dim,
)

__all__ = ["bincount", "histc", "block_diag", "cartesian_prod", "combinations", "renorm", "trapezoid", "trapz",
           "cumulative_trapezoid", "dist", "cdist", "pdist"]


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



# -------------------------------------------------------------------------------------------------------
# block_diag, cartesian_prod, combinations


class BlockDiagBackward0(Node):
    def __init__(self, shapes, dtypes):
        self.shapes, self.dtypes = shapes, dtypes

    def backward(self, grad):
        grads, row, col = [], 0, 0
        for shape, dt, needed in zip(self.shapes, self.dtypes, self.needs_input_grad):
            rows, cols = (1, shape[0]) if len(shape) == 1 else (shape if len(shape) == 2 else (1, 1))
            if needed:
                block = grad[row:row + rows, col:col + cols].reshape(shape)
                grads.append(block if block._data.dtype == dt else block.to(_dtype.from_numpy_dtype(dt)))
            else:
                grads.append(None)
            row, col = row + rows, col + cols
        return tuple(grads)


def block_diag(*tensors):
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
    dt = promote_operands(*tensors)._np if tensors else _dtype.get_default_dtype()._np
    blocks = [np.atleast_2d(t._data) for t in tensors]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), dt)
    if not tensors:
        out = np.zeros((1, 0), dt)
    row = col = 0
    for b in blocks:
        out[row:row + b.shape[0], col:col + b.shape[1]] = b
        row, col = row + b.shape[0], col + b.shape[1]
    result = wrap(out)
    if needs_grad(*tensors):
        record(BlockDiagBackward0([t._data.shape for t in tensors], [t._data.dtype for t in tensors]), tensors,
               result)
    return result


def _check_1d(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


def cartesian_prod(*tensors):
    from .shape import meshgrid, stack

    for t in tensors:
        _check_1d(t)
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.flatten() for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    from .shape import meshgrid, stack

    _check_1d(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(np.empty(0, input._data.dtype))
    # PyTorch's graph: every index grid of the meshgrid masked to i < j < ... (or <=), then stacked
    n = input._data.shape[0]
    index = np.indices((n,) * r, sparse=True)
    mask = np.ones((n,) * r, bool)
    for a, b in zip(index[:-1], index[1:]):
        mask &= (a <= b) if with_replacement else (a < b)
    mask_t = wrap(mask)
    return stack([g.masked_select(mask_t) for g in meshgrid(*([input] * r), indexing="ij")], 1)


# -------------------------------------------------------------------------------------------------------
# p-norm gradients shared by renorm, dist, cdist and pdist


def _pnorm_grad(diff, norm, p, tie_dims):
    """d ||diff||_p / d diff, with `norm` the p-norm broadcast against `diff`; zero where the norm is zero.
    An inf-norm's gradient goes to the entries at the maximum: shared among the ties within the reduced
    `tie_dims` (as norm() does) or, with tie_dims None, given to each (as cdist does)."""
    from ..ops.indexing import where

    zero = norm == 0
    if p == 0:
        return diff * 0
    if p == 1:
        return diff.sgn()
    safe = where(zero, 1.0, norm)
    if p == 2:
        return where(zero, 0.0, diff / safe)
    if math.isinf(p):
        at_max = (diff.abs() == norm).to(diff.dtype)
        if tie_dims is not None:
            at_max = at_max / at_max.sum(tie_dims, keepdim=True)
        return diff.sgn() * at_max
    g = diff.sgn() * diff.abs().pow(p - 1) / safe.pow(p - 1)
    drop = zero | (diff == 0) if p < 1 else zero
    return where(drop, 0.0, g)


def _pnorm(arr, p, axis, keepdim=False):
    """The p-norm over `axis` (any real p, as torch.norm takes it), computed in float32 for half inputs."""
    from .linalg import _opmath

    a = np.abs(_opmath(arr))
    if p == 0:
        r = np.sum(a != 0, axis=axis, keepdims=keepdim).astype(a.dtype)
    elif p == 1:
        r = np.sum(a, axis=axis, keepdims=keepdim)
    elif p == 2:
        r = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
    elif math.isinf(p):
        r = (np.max if p > 0 else np.min)(a, axis=axis, keepdims=keepdim, initial=0 if p > 0 else np.inf)
    else:
        with np.errstate(divide="ignore"):
            r = np.sum(a ** a.dtype.type(p), axis=axis, keepdims=keepdim) ** a.dtype.type(1.0 / p)
    return np.asarray(r).astype(a.real.dtype if a.dtype.kind == "c" else a.dtype, copy=False)


# -------------------------------------------------------------------------------------------------------
# renorm


class RenormBackward0(Node):
    def __init__(self, input, p, dim, maxnorm):
        self.input, self.p, self.dim, self.maxnorm = self.save(input), p, dim, maxnorm

    def backward(self, grad):
        from ..ops.indexing import where
        from .linalg import linalg_vector_norm

        x = self.input.unpack()
        dims = tuple(d for d in range(x.ndim) if d != self.dim)
        work = x.float() if x.dtype in (_dtype.float16, _dtype.bfloat16) else x
        norm = linalg_vector_norm(work, self.p, dims, keepdim=True)
        over = norm > self.maxnorm
        denom = norm + 1e-7
        factor = where(over, self.maxnorm / denom, 1.0)
        # the scale depends on x through the norm when it clips
        inner = (grad.to(work.dtype) * work).sum(dims, keepdim=True)
        extra = where(over, -self.maxnorm / (denom * denom) * inner, 0.0) * _pnorm_grad(work, norm, self.p, dims)
        return (grad.to(work.dtype) * factor + extra).to(x.dtype)


@method()
def renorm(input, p, dim, maxnorm, *, out=None):
    arr = input._data
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if arr.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {arr.ndim} dimensions")
    dim = wrap_dim(dim, arr.ndim)
    if arr.dtype.kind not in "fc" and arr.dtype not in (np.float16, _dtype.bfloat16._np):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_dtype.from_numpy_dtype(arr.dtype).scalar_type_name}")
    axis = tuple(d for d in range(arr.ndim) if d != dim)
    norm = _pnorm(arr, p, axis, keepdim=True)
    with np.errstate(divide="ignore"):
        factor = np.where(norm > maxnorm, norm.dtype.type(maxnorm) / (norm + norm.dtype.type(1e-7)), 1)
    result = wrap(np.asarray(arr * factor.astype(norm.dtype)).astype(arr.dtype, copy=False))
    if needs_grad(input):
        record(RenormBackward0(input, p, dim, maxnorm), (input,), result)
    if out is not None:
        from ._common import finish_out

        return finish_out(result, out)
    return result


@method()
def renorm_(self, p, dim, maxnorm):
    from ._common import commit_inplace, prepare_inplace

    return commit_inplace(self, renorm(prepare_inplace(self), p, dim, maxnorm))


# -------------------------------------------------------------------------------------------------------
# trapezoid rule: composed of ATen's ops, so the graph is PyTorch's


def _float_number_op(t, number, node_cls):
    """t (op) number as ATen's Scalar overload (MulBackward1...), promoting integer tensors as PyTorch does."""
    if t._data.dtype.kind in "fc":
        return with_number(t, number, node_cls)
    return {MulBackward1: t.__mul__, DivBackward1: t.__truediv__, AddBackward1: t.__add__}[node_cls](number)


def _trapezoid_args(name, y, x, dx, dim):
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, Tensor, dx=...), "
                        "but expected one of: (Tensor y, Tensor x, *, int dim = -1) or "
                        "(Tensor y, *, Number dx = 1, int dim = -1)")
    if y._data.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor." if name == "cumulative_trapezoid" else
                         f"Dimension specified as {dim} but tensor has no dimensions")
    dim = wrap_dim(dim, y._data.ndim)
    if y._data.dtype.kind == "b" or (x is not None and x._data.dtype.kind == "b"):
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported" if x is not None
                           else f"{name}: received a bool input for `y`, but bool is not supported")
    if dx is not None and (isinstance(dx, (bool, complex)) or not isinstance(dx, numbers.Real)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return dim


def _spacing(name, y, x, dim):
    """x's differences along dim, with x viewed to line up with y as PyTorch does."""
    ny = y._data.ndim
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * ny
        shape[dim] = x._data.shape[0]
        x = x.view(shape)
    elif x._data.ndim < ny:
        x = x.view((1,) * (ny - x._data.ndim) + tuple(x._data.shape))
    n = x._data.shape[dim]
    return x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)


def _neighbour_sum(y, dim):
    n = y._data.shape[dim]
    return y.narrow(dim, 0, n - 1) + y.narrow(dim, 1, n - 1)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    dim = _trapezoid_args("trapezoid", y, x, dx, dim)
    if y._data.shape[dim] == 0:
        return wrap(np.zeros(y._data.shape[:dim] + y._data.shape[dim + 1:], y._data.dtype))
    if x is not None:
        return _float_number_op((_neighbour_sum(y, dim) * _spacing("trapezoid", y, x, dim)).sum(dim), 2.0,
                                DivBackward1)
    ends = _float_number_op(y.select(dim, 0) + y.select(dim, -1), 0.5, MulBackward1)
    return _float_number_op(y.sum(dim) - ends, 1 if dx is None else dx, MulBackward1)


def trapz(y, x=None, *, dx=None, dim=-1):
    if dx is not None and not isinstance(dx, numbers.Real):
        raise TypeError(f"trapz() received an invalid combination of arguments - got (Tensor, dx={type(dx).__name__}), "
                        "but expected one of: (Tensor y, *, float dx = 1, int dim = -1) or "
                        "(Tensor y, Tensor x, *, int dim = -1)")
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    dim = _trapezoid_args("cumulative_trapezoid", y, x, dx, dim)
    if y._data.shape[dim] == 0:
        dt = y._data.dtype if y._data.dtype.kind in "fc" else _dtype.get_default_dtype()._np
        return wrap(np.zeros(y._data.shape, dt))
    if x is not None:
        return _float_number_op((_neighbour_sum(y, dim) * _spacing("cumulative_trapezoid", y, x, dim)).cumsum(dim),
                                2.0, DivBackward1)
    step = (1 if dx is None else dx) / 2.0
    return _float_number_op(_neighbour_sum(y, dim), step, MulBackward1).cumsum(dim)


# -------------------------------------------------------------------------------------------------------
# dist, cdist, pdist


class DistBackward0(Node):
    def __init__(self, input, other, p, result):
        self.input, self.other, self.p = self.save(input), self.save(other), p
        self.result = self.save(result, is_output=True)

    def backward(self, grad):
        a, b = self.input.unpack(), self.other.unpack()
        g = grad * _pnorm_grad(a - b, self.result.unpack(), self.p, tuple(range(max(a.ndim, b.ndim))))
        need_a, need_b = self.needs_input_grad
        return (sum_to_shape(g, a.shape).to(a.dtype) if need_a else None,
                -sum_to_shape(g, b.shape).to(b.dtype) if need_b else None)


@method()
def dist(input, other, p=2):
    dt = promote_operands(input, other)
    if dt._np.kind not in "fc" and dt._np not in (np.float16, _dtype.bfloat16._np):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{dt.scalar_type_name} instead.")
    from ._common import broadcast_shapes

    broadcast_shapes(input._data.shape, other._data.shape)
    diff = input._data.astype(dt._np, copy=False) - other._data.astype(dt._np, copy=False)
    r = _pnorm(diff, float(p), None)
    out_dt = np.dtype(np.float32) if dt._np == np.complex64 else (np.dtype(np.float64) if dt._np.kind == "c"
                                                                   else dt._np)
    result = wrap(np.asarray(r).astype(out_dt))
    if needs_grad(input, other):
        record(DistBackward0(input, other, float(p), result), (input, other), result)
    return result


def _cdist_backward(grad, x1, x2, p, result):
    """Gradients of cdist's (..., P, R) distances for x1 (..., P, M) and x2 (..., R, M), broadcast batches."""
    from ..ops.indexing import where

    if p == 2:  # without the (P, R, M) differences: ratio = grad / dist, then two matmuls each
        ratio = where(result == 0, 0.0, grad / where(result == 0, 1.0, result))
        g1 = x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2)
        g2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1)
    else:
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        d = grad.unsqueeze(-1) * _pnorm_grad(diff, result.unsqueeze(-1), p, None)
        g1, g2 = d.sum(-2), -d.sum(-3)
    return sum_to_shape(g1, x1.shape), sum_to_shape(g2, x2.shape)


class CdistBackward0(Node):
    def __init__(self, x1, x2, p, result):
        self.x1, self.x2, self.p = self.save(x1), self.save(x2), p
        self.result = self.save(result, is_output=True)

    def backward(self, grad):
        g1, g2 = _cdist_backward(grad, self.x1.unpack(), self.x2.unpack(), self.p, self.result.unpack())
        need1, need2 = self.needs_input_grad
        return g1 if need1 else None, g2 if need2 else None


class EuclideanDistBackward0(CdistBackward0):
    def __init__(self, x1, x2, result):
        super().__init__(x1, x2, 2.0, result)


_CDIST_MODES = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def _check_distance_dtype(arr, name, label):
    if arr.dtype in (np.float16, _dtype.bfloat16._np):
        label = _dtype.from_numpy_dtype(arr.dtype).scalar_type_name
        raise NotImplementedError(f"\"{name}\" not implemented for '{label}'")
    if arr.dtype.kind != "f":
        raise RuntimeError(f"{name} only supports floating-point dtypes{label}"
                           f"{_dtype.from_numpy_dtype(arr.dtype).scalar_type_name if label else ''}")


@autocast_op("fp32")
def cdist(x1, x2, p=2.0, compute_mode=None):
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = x1._data, x2._data
    if a.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    _check_distance_dtype(a, "cdist", ", X1 got: ")
    _check_distance_dtype(b, "cdist", ", X2 got: ")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dtype.from_numpy_dtype(a.dtype).scalar_type_name} but found "
                           f"{_dtype.from_numpy_dtype(b.dtype).scalar_type_name}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    from ._common import broadcast_shapes

    batch = tuple(broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    rows1, rows2 = a.shape[-2], b.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or
                         (compute_mode in (None, "use_mm_for_euclid_dist_if_necessary") and
                          (rows1 > 25 or rows2 > 25)))
    if use_mm:  # PyTorch's matmul form |a|^2 - 2 a.b + |b|^2, with its rounding
        sq = a.dtype.type(-2) * (a @ np.swapaxes(b, -1, -2))
        sq += np.sum(a * a, -1)[..., :, None]
        sq += np.sum(b * b, -1)[..., None, :]
        r = np.sqrt(np.maximum(sq, 0))
    else:
        r = _pnorm(a[..., :, None, :] - b[..., None, :, :], float(p), -1)
    r = np.ascontiguousarray(np.broadcast_to(r, batch + (rows1, rows2)))
    if not needs_grad(x1, x2):
        return wrap(r)
    if use_mm:
        inner = wrap(r)
        record(EuclideanDistBackward0(x1, x2, inner), (x1, x2), inner)
        return inner.view(inner.shape)
    result = wrap(r)
    record(CdistBackward0(x1, x2, float(p), result), (x1, x2), result)
    return result


class PdistBackward0(Node):
    def __init__(self, input, p, result):
        self.input, self.p = self.save(input), p
        self.result = self.save(result, is_output=True)

    def backward(self, grad):
        from ..ops.indexing import index_add

        x = self.input.unpack()
        i, j = (wrap(k) for k in np.triu_indices(x.shape[0], 1))
        diff = x.index_select(0, i) - x.index_select(0, j)
        d = grad.unsqueeze(-1) * _pnorm_grad(diff, self.result.unpack().unsqueeze(-1), self.p, None)
        return index_add(index_add(x * 0, 0, i, d), 0, j, -d)


def pdist(input, p=2):
    arr = input._data
    if arr.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {arr.ndim}D")
    _check_distance_dtype(arr, "pdist", "")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(arr.shape[0], 1)
    result = wrap(np.ascontiguousarray(_pnorm(arr[i] - arr[j], float(p), -1)).reshape(-1))
    if needs_grad(input):
        record(PdistBackward0(input, float(p), result), (input,), result)
    return result
