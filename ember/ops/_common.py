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
        raise RuntimeError(f"result type {from_numpy_dtype(res.dtype).scalar_type_name} can't be cast to the "
                           f"desired output type {out.dtype.scalar_type_name}")
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


# -------------------------------------------------------------------------------------------------------
# a tensor and a number inside an ATen composite: ATen calls the Scalar overloads (AddBackward1, MulBackward1,
# DivBackward1), where Python's `x * 2` records the Tensor overload's node (MulBackward0 with a None edge)


class AddBackward1(Node):
    def __init__(self, number):
        self.number = number

    def backward(self, grad):
        return grad


class SubBackward1(AddBackward1):
    pass


class MulBackward1(AddBackward1):
    def backward(self, grad):
        return grad * self.number


class DivBackward1(AddBackward1):
    def backward(self, grad):
        return grad / self.number


_SCALAR_UFUNCS = {AddBackward1: np.add, SubBackward1: np.subtract, MulBackward1: np.multiply,
                  DivBackward1: np.true_divide}


def with_number(x, number, node_cls):
    """x + number, x - number, x * number or x / number (by node_cls), recorded as ATen's Scalar overload. The
    result keeps x's dtype unless the number's kind promotes it (an integer tensor plus a float)."""
    arr = x._data
    dt = arr.dtype
    if dt.kind in "biu" or (dt.kind != "c" and isinstance(number, complex)):
        dt = promote_operands(x, number)._np
    out = wrap(np.asarray(_SCALAR_UFUNCS[node_cls](arr, number)).astype(dt, copy=False))
    if needs_grad(x):
        record(node_cls(number), (x,), out)
    return out


# -------------------------------------------------------------------------------------------------------
# in-place ops and autograd
#
# An in-place op is computed out of place from a stand-in that carries `self`'s history but its own copy of
# the values (so a backward formula that saved them still sees the originals), then written back into
# `self`, which takes over the result's history. Writing into a view of a tensor that requires grad
# rewrites the base's history with CopySlices, as PyTorch does.


def prepare_inplace(self, *others):
    """Refuse PyTorch's forbidden in-place cases and return the tensor to compute from."""
    from ..autograd.grad_mode import state

    if not state.enabled or not (self.requires_grad or any(getattr(o, "requires_grad", False) for o in others)):
        return self
    base = self._base
    if base is not None and "_no_grad_view" in self.__dict__:
        from ..autograd.graph import NO_GRAD_VIEW_ERROR

        raise RuntimeError(NO_GRAD_VIEW_ERROR.format("is being"))
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if self.requires_grad and self.__dict__.get("_multi_output_view"):
        name = type(self.grad_fn).__name__.removesuffix("Backward0") if self.grad_fn is not None else "a function"
        raise RuntimeError(f"Output {self.__dict__.get('_output_nr', 0)} of {name} is a view and is being modified "
                           "inplace. This view is the output of a function that returns multiple views. Such "
                           "functions do not allow the output views to be modified inplace. You should replace the "
                           "inplace operation by an out-of-place one.")
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    stand_in = wrap(self._data.copy())
    stand_in.grad_fn = self.grad_fn  # read first: a stale view must not hand its outdated history on
    stand_in.requires_grad = self.requires_grad
    if "_output_nr" in self.__dict__:
        stand_in.__dict__["_output_nr"] = self.__dict__["_output_nr"]
    return stand_in


def commit_inplace(self, result):
    """Write an in-place op's `result` into `self` and give `self` the result's history."""
    if result is not self:
        if self._data.shape != result._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(result._data.shape)}")
        if not self._data.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the operation.")
        np.copyto(self._data, result._data, casting="unsafe")
    self._bump_version()
    node = result.grad_fn
    if node is None or result is self:
        return self
    base = self._base
    if base is not None:  # the base's history changes too, even if it needed no grad before (x[0] = y)
        _rebase_view(self, base, node)
    else:
        self.grad_fn = node
        self.requires_grad = True
        self.__dict__.pop("_output_nr", None)
    return self


def _view_geometry(view, base):
    """(shape, strides, offset) of `view` in elements, relative to the start of `base`'s array."""
    itemsize = view._data.itemsize
    offset = (view._data.__array_interface__["data"][0] - base._data.__array_interface__["data"][0]) // itemsize
    return view._data.shape, tuple(s // itemsize for s in view._data.strides), offset


def _region(t, geometry):
    """The part of a C-contiguous base-shaped tensor `t` that a view with `geometry` covers, as a view of t."""
    shape, strides, offset = geometry
    flat = t._data.reshape(-1)[offset:]
    return view_of(t, np.lib.stride_tricks.as_strided(flat, shape, tuple(s * t._data.itemsize for s in strides)))


class NotImplemented(Node):  # noqa: A001 - PyTorch's name for a node whose derivative is missing
    """Recorded where PyTorch has no derivative formula (e.g. a backward's own backward): running it raises
    PyTorch's error instead of silently giving a wrong higher-order gradient. `op` names the ATen function."""

    def __init__(self, op):
        self.op = op

    def backward(self, *grads):
        raise RuntimeError(f"derivative for {self.op} is not implemented")


class CopySlices(Node):
    """History of a base tensor after an in-place op wrote into one of its views: the view's region takes
    the in-place op's gradient, the rest passes through."""

    def __init__(self, geometry, node):
        self.geometry, self.node = geometry, node

    def backward(self, grad):
        grad_base = grad.contiguous().clone()
        region = _region(grad_base, self.geometry)
        results = self.node.backward(region.clone())
        if not isinstance(results, tuple):
            results = (results,)
        if results[0] is None:
            region._data[...] = 0
        else:
            region.copy_(results[0])
        return (grad_base,) + tuple(results[1:])

    def release_saved(self):
        self.node.release_saved()


class AsStridedBackward0(Node):
    """A view's history regenerated from its base's (after CopySlices rewrote the base)."""

    def __init__(self, geometry, base_shape):
        self.geometry, self.base_shape = geometry, base_shape

    def backward(self, grad):
        from .creation import zeros

        out = zeros(self.base_shape, dtype=grad.dtype)
        _region(out, self.geometry)._data[...] += grad._data
        return out


def _rebase_view(view, base, node):
    from ..autograd.graph import _sequence, edge

    if not base._data.flags.c_contiguous:
        raise NotImplementedError("ember: in-place writes into a view of a non-contiguous tensor that requires grad "
                                  "are not supported yet")
    geometry = _view_geometry(view, base)
    copy_slices = CopySlices(geometry, node)
    copy_slices.next_functions = (edge(base),) + tuple(node.next_functions[1:])
    copy_slices._sequence_nr = next(_sequence)
    base.grad_fn = copy_slices
    base.requires_grad = True
    as_strided = AsStridedBackward0(geometry, base._data.shape)
    record(as_strided, (base,), view)
    view._view_version = view._version_counter[0]  # its history is current again
