"""Shared plumbing for the op modules: wrapping arrays, attaching methods to Tensor, dims, broadcasting
errors, `out=` handling and operand promotion."""

from .. import _dtype
from .._backend import np
from .._dtype import from_numpy_dtype, result_dtype, scalar_dtype
from .._tensor import Tensor, _view_of, _wrap, _wrap_dim
from ..autograd.graph import Node, needs_grad, record

__all__ = ["Tensor", "wrap", "view_of", "method", "wrap_dim", "wrap_dims", "broadcast_error", "broadcast_shapes",
           "finish_out", "promote_operands", "operand_dtype", "np", "from_numpy_dtype", "Node", "needs_grad", "record",
           "sum_to_shape"]

wrap = _wrap
view_of = _view_of
wrap_dim = _wrap_dim


def method(*names):
    """Attach the decorated function to Tensor under each name (its own name if none given).

    Functions whose first parameter is `input` become methods with that parameter as `self`, so
    `torch.add(x, y)` and `x.add(y)` are one function."""

    def attach(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
        return fn

    return attach


def wrap_dims(dims, ndim):
    """Normalise an int or a sequence of ints to a tuple of non-negative dims, refusing repeats."""
    if isinstance(dims, int):
        return (wrap_dim(dims, ndim),)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        for i, d in enumerate(out):
            if d in out[:i]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def broadcast_error(shape_a, shape_b):
    """PyTorch's RuntimeError for shapes that do not broadcast (first mismatch from the right)."""
    na, nb = len(shape_a), len(shape_b)
    n = max(na, nb)
    for i in range(n - 1, -1, -1):
        a = shape_a[i - (n - na)] if i >= n - na else 1
        b = shape_b[i - (n - nb)] if i >= n - nb else 1
        if a != b and a != 1 and b != 1:
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(shape_a)} and {list(shape_b)} are not broadcastable")


def broadcast_shapes(*shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        a = shapes[0]
        for b in shapes[1:]:
            try:
                a = np.broadcast_shapes(a, b)
            except ValueError:
                raise broadcast_error(a, b) from None
        raise


def finish_out(result, out):
    """Write an op's result into a user's `out=` tensor, resizing it if it is the wrong size (PyTorch
    resizes empty outs silently), and return `out`."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    res = result._data
    if not _dtype.can_cast(from_numpy_dtype(res.dtype), out.dtype):
        raise RuntimeError(f"result type {from_numpy_dtype(res.dtype)._name.capitalize()} can't be cast to the "
                           f"desired output type {out.dtype._name.capitalize()}")
    if out._data.shape != res.shape:
        out._data = np.empty(res.shape, out._data.dtype)
    np.copyto(out._data, res, casting="unsafe")
    out._bump_version()
    return out


def operand_dtype(x):
    """(dtype, priority) of one operand for PyTorch's promotion."""
    if isinstance(x, Tensor):
        arr = x._data
        return from_numpy_dtype(arr.dtype), 2 if arr.ndim else 1
    return scalar_dtype(x), 0


def promote_operands(*operands):
    """The common dtype of tensors and Python numbers under PyTorch's rules."""
    return result_dtype(operand_dtype(x) for x in operands)


def sum_to_shape(grad, shape):
    """Undo broadcasting in a backward formula: sum `grad` over the dims that broadcasting added or
    stretched so that it has `shape` again. Written with Tensor ops, so it is differentiable itself."""
    shape = tuple(shape)
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    return grad.reshape(shape) if lead else grad
