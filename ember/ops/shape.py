"""Shape and view operations, and joining/repeating.

Views are NumPy views of the same buffer, so writes through any of them are seen by all; each records its
base tensor and shares its version counter (`view_of`). Strides follow PyTorch's own rules (which differ from
NumPy's for size-1 dimensions: unsqueeze, expand, view), so the strided views are built explicitly with
`_strided` rather than left to NumPy.
"""

import builtins
import math
import warnings

from .. import _dtype
from .._backend import np
from .._tensor import CloneBackward0, Size, _contiguous_strides
from ..autograd.grad_mode import state as _grad
from ._common import Node, Tensor, finish_out, method, record, sum_to_shape, view_of, wrap, wrap_dim, wrap_dims
from ._common import broadcast_shapes as _broadcast_shapes

__all__ = [
    "reshape", "view_as_real", "view_as_complex", "as_strided", "flatten", "unflatten", "squeeze", "unsqueeze",
    "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis", "adjoint", "broadcast_to",
    "narrow", "select", "unbind", "split", "chunk", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
    "tensor_split", "hsplit", "vsplit", "dsplit", "diagonal",
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack",
    "atleast_1d", "atleast_2d", "atleast_3d", "tile", "repeat_interleave", "meshgrid", "broadcast_tensors",
    "broadcast_shapes", "ravel", "rot90",
]

_as_strided = np.lib.stride_tricks.as_strided


# -------------------------------------------------------------------------------------------------------
# backward nodes
#
# Each view op records the node PyTorch records (same class name), only when grad mode is on and the input
# requires grad: the check `input.requires_grad and _grad.enabled` costs nothing measurable otherwise.
# Backward formulas use ember's own ops, so create_graph=True records them again.


def _zeros_like_shape(shape, grad):
    return wrap(np.zeros(shape, grad._data.dtype))


class _ReshapeBackward(Node):
    """A view or copy with another shape: the gradient takes the input's shape back."""

    def __init__(self, shape):
        self.shape = shape

    def backward(self, grad):
        return reshape(grad, self.shape)


class ViewBackward0(_ReshapeBackward):
    pass


class ReshapeAliasBackward0(_ReshapeBackward):
    pass


class UnsafeViewBackward0(_ReshapeBackward):
    pass


class SqueezeBackward0(_ReshapeBackward):  # squeeze()
    pass


class SqueezeBackward1(_ReshapeBackward):  # squeeze(dim)
    pass


class SqueezeBackward2(_ReshapeBackward):  # squeeze(dims)
    pass


class SqueezeBackward4(SqueezeBackward1):  # squeeze_(dim), the in-place form ATen composites use
    pass


class UnsqueezeBackward0(Node):
    def __init__(self, dim):
        self.dim = dim

    def backward(self, grad):
        return squeeze(grad, self.dim)


class UnsqueezeBackward1(UnsqueezeBackward0):  # unsqueeze_, the in-place form
    pass


def as_inplace_view_op(t, node_cls):
    """`t` just made by squeeze/unsqueeze/transpose, recorded under the node name of the in-place form (x.squeeze_()
    and friends) that an ATen composite applies to its own intermediate: same backward, torch's graph names."""
    if t.grad_fn is not None:
        t.grad_fn.__class__ = node_cls
    return t


class PermuteBackward0(Node):
    def __init__(self, dims):
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        self.inverse = tuple(inverse)

    def backward(self, grad):
        return permute(grad, self.inverse)


class TransposeBackward0(Node):
    def __init__(self, dim0, dim1):
        self.dim0, self.dim1 = dim0, dim1

    def backward(self, grad):
        return transpose(grad, self.dim0, self.dim1)


class TransposeBackward1(TransposeBackward0):  # transpose_, the in-place form
    pass


class TBackward0(Node):
    def backward(self, grad):
        return t(grad)


class ExpandBackward0(Node):
    def __init__(self, shape):
        self.shape = shape

    def backward(self, grad):
        return sum_to_shape(grad, self.shape)


class _EmbedBackward(Node):
    """The backward of a view's backward (zeros with the gradient written in): take the same view again."""

    def __init__(self, take):
        self.take = take

    def backward(self, grad):
        return self.take(grad)


class SelectBackwardBackward0(_EmbedBackward):
    pass


class SliceBackwardBackward0(_EmbedBackward):
    pass


class DiagonalBackwardBackward0(_EmbedBackward):
    pass


class UnfoldBackwardBackward0(_EmbedBackward):
    pass


def _embed(grad, shape, take, node_cls, accumulate_last=False):
    """zeros(shape) with `grad` written into the view `take` makes of it (added up along the last dim of the
    view when its elements overlap, as unfold's windows do). Recorded as node_cls, whose backward takes the
    view of the incoming gradient."""
    out = _zeros_like_shape(shape, grad)
    region = take(out)._data
    if accumulate_last:
        src = grad._data
        for j in builtins.range(region.shape[-1]):
            region[..., j] += src[..., j]
    else:
        region[...] = grad._data
    if grad.requires_grad and _grad.enabled:
        record(node_cls(take), (grad,), out)
    return out


class SelectBackward0(Node):
    def __init__(self, shape, dim, index):
        self.shape, self.dim, self.index = shape, dim, index

    def backward(self, grad):
        dim, index = self.dim, self.index
        return _embed(grad, self.shape, lambda g: select(g, dim, index), SelectBackwardBackward0)


class SliceBackward0(Node):
    def __init__(self, shape, dim, start, stop):
        self.shape, self.dim, self.start, self.stop = shape, dim, start, stop

    def backward(self, grad):
        dim, start, stop = self.dim, self.start, self.stop
        return _embed(grad, self.shape, lambda g: _slice(g, dim, start, stop), SliceBackwardBackward0)


class DiagonalBackward0(Node):
    def __init__(self, shape, offset, dim1, dim2):
        self.shape, self.args = shape, (offset, dim1, dim2)

    def backward(self, grad):
        args = self.args
        return _embed(grad, self.shape, lambda g: diagonal(g, *args), DiagonalBackwardBackward0)


class UnfoldBackward0(Node):
    def __init__(self, shape, dim, size, step):
        self.shape, self.args = shape, (dim, size, step)

    def backward(self, grad):
        args = self.args
        return _embed(grad, self.shape, lambda g: unfold(g, *args), UnfoldBackwardBackward0,
                      accumulate_last=args[2] < args[1])


class UnbindBackward0(Node):
    """Several outputs: the gradients present are stacked back, zeros standing in for the others."""

    def __init__(self, dim, piece_shape):
        self.dim, self.piece_shape = dim, piece_shape

    def backward(self, *grads):
        ref = next(g for g in grads if g is not None)
        return stack([_zeros_like_shape(self.piece_shape, ref) if g is None else g for g in grads], self.dim)


class _SplitBackward(Node):
    def __init__(self, dim, shape, sizes):
        self.dim, self.shape, self.sizes = dim, shape, sizes

    def backward(self, *grads):
        ref = next(g for g in grads if g is not None)
        dim, shape = self.dim, self.shape
        parts = [g if g is not None else _zeros_like_shape(shape[:dim] + (n,) + shape[dim + 1:], ref)
                 for g, n in zip(grads, self.sizes)]
        if len(parts) == 1:
            return parts[0]
        return cat(parts, dim)


class SplitBackward0(_SplitBackward):
    pass


class SplitWithSizesBackward0(_SplitBackward):
    pass


class UnsafeSplitBackward0(_SplitBackward):
    pass


class UnsafeSplitWithSizesBackward0(_SplitBackward):
    pass


class AsStridedBackward0(Node):
    """as_strided: both geometries as element positions in the storage. The gradient is added up per storage
    element, divided among the input's elements that share one (an expanded input), and read back at the
    input's positions."""

    def __init__(self, in_positions, out_positions, extent):
        counts = np.bincount(in_positions.reshape(-1), minlength=extent) if in_positions.size else None
        if counts is not None and counts.max() <= 1:
            counts = None
        self.map = (out_positions, in_positions, extent, counts)

    def backward(self, grad):
        return _storage_map(grad, *self.map)


class AsStridedScatterBackward0(Node):
    """The transpose of an as_strided backward (for create_graph)."""

    def __init__(self, storage_map):
        self.map = storage_map

    def backward(self, grad):
        return _storage_map(grad, *self.map)


def _storage_map(grad, src_positions, dst_positions, extent, counts):
    """grad (whose elements sit at src_positions) added into a storage of `extent` elements, divided by
    `counts` if given, then read at dst_positions. Recorded with the transposed map as its backward."""
    storage = np.zeros(extent, grad._data.dtype)
    np.add.at(storage, src_positions.reshape(-1), grad._data.reshape(-1))
    if counts is not None:
        storage /= np.maximum(counts, 1)
    out = wrap(storage[dst_positions])
    if grad.requires_grad and _grad.enabled:
        record(AsStridedScatterBackward0((dst_positions, src_positions, extent, counts)), (grad,), out)
    return out


def _positions(shape, strides, offset):
    """Storage positions (in elements) of every element of a strided geometry, as an int64 array of `shape`."""
    pos = np.full(shape, offset, np.int64)
    for d, (n, st) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * st).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos


class ViewAsRealBackward0(Node):
    def backward(self, grad):
        try:
            return view_as_complex(grad)
        except RuntimeError:  # a gradient with view_as_complex's forbidden strides: a contiguous copy
            return view_as_complex(grad.clone(memory_format=_CONTIGUOUS))


class ViewAsComplexBackward0(Node):
    def backward(self, grad):
        return view_as_real(grad)


class CatBackward0(Node):
    def __init__(self, dim, pieces):
        self.dim, self.pieces = dim, pieces  # per input: (start, stop) along dim or None if skipped, shape, dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        dim = self.dim
        out = []
        for need, (bounds, shape, dtype) in zip(needs, self.pieces):
            if not need:
                out.append(None)
                continue
            g = _zeros_like_shape(shape, grad) if bounds is None else _slice(grad, dim, *bounds)
            out.append(g if g._data.dtype == dtype._np else g.to(dtype))
        return tuple(out)


class StackBackward0(Node):
    def __init__(self, dim, dtypes):
        self.dim, self.dtypes = dim, dtypes

    def backward(self, grad):
        out = []
        for i, (need, dtype) in enumerate(zip(self.needs_input_grad, self.dtypes)):
            if need:
                g = select(grad, self.dim, i)
                out.append(g if g._data.dtype == dtype._np else g.to(dtype))
            else:
                out.append(None)
        return tuple(out)


class RepeatBackward0(Node):
    def __init__(self, shape, repeats):
        self.shape, self.repeats = shape, repeats

    def backward(self, grad):
        shape, repeats = self.shape, self.repeats
        lead = len(repeats) - len(shape)
        if lead:
            grad = grad.sum(tuple(builtins.range(lead)))
        split_shape, summed = [], []
        for r, n in zip(repeats[lead:], shape):
            if r != 1:  # the repeated dim r*n as (r, n), summed over r
                summed.append(len(split_shape))
                split_shape.append(r)
            split_shape.append(n)
        if summed:
            grad = reshape(grad, tuple(split_shape)).sum(tuple(summed))
        return grad


def _record_view(node, input, out):
    """record() for the view ops (one input, one output)."""
    record(node, (input,), out)
    return out


def _data_ptr(arr):
    return arr.__array_interface__["data"][0]


def _strided(arr, shape, strides, writeable=True, offset=0):
    """A view of `arr`'s memory starting `offset` bytes after its first element, with `shape` and byte
    `strides`.

    np.ndarray over a buffer is ten times faster than as_strided; it needs a contiguous array to export the
    buffer, so it goes through the first contiguous owner of the memory."""
    owner = arr
    if not arr.flags.c_contiguous:
        owner = arr.base
        while isinstance(owner, np.ndarray) and not owner.flags.c_contiguous:
            owner = owner.base
        if not isinstance(owner, np.ndarray):
            return _as_strided(arr, shape, strides, writeable=writeable and arr.flags.writeable)
        offset += _data_ptr(arr) - _data_ptr(owner)
    try:
        out = np.ndarray(shape, arr.dtype, owner, offset, strides)
    except (TypeError, ValueError):  # buffer export refused, or bounds NumPy cannot verify
        return _as_strided(arr, shape, strides, writeable=writeable and arr.flags.writeable)
    if not (writeable and arr.flags.writeable) and out.flags.writeable:
        out.flags.writeable = False
    return out


def _dim_slice(input, dim, start, stop):
    """input[..., start:stop, ...] along `dim` (bounds already within range) as a view. An empty piece still
    starts at `start`, as PyTorch's storage_offset reports (NumPy would leave it at the array's start)."""
    arr = input._data
    if stop > start:
        return view_of(input, arr[(slice(None),) * dim + (slice(start, stop),)])
    shape = arr.shape[:dim] + (0,) + arr.shape[dim + 1:]
    try:
        out = _strided(arr, shape, arr.strides, offset=start * arr.strides[dim]) if start else \
            arr[(slice(None),) * dim + (slice(0, 0),)]
    except ValueError:
        out = arr[(slice(None),) * dim + (slice(0, 0),)]
    return view_of(input, out)


def _slice(input, dim, start, stop):
    """_dim_slice recorded as PyTorch's SliceBackward0 (narrow, tensor_split, slicing in backward formulas)."""
    out = _dim_slice(input, dim, start, stop)
    if input.requires_grad and _grad.enabled:
        record(SliceBackward0(input._data.shape, dim, start, stop), (input,), out)
    return out


def _byte_strides(arr):
    """arr's strides, except that an empty array NumPy allocated (all strides 0) gets PyTorch's contiguous ones."""
    strides = arr.strides
    if arr.size or any(strides):
        return strides
    itemsize = arr.itemsize
    return tuple(s * itemsize for s in _contiguous_strides(arr.shape))


def _elem_strides(arr):
    itemsize = arr.itemsize
    return [s // itemsize for s in _byte_strides(arr)]


def _shape_args(args, fn="view"):
    """Sizes as varargs (view(2, 3)) or one sequence (view((2, 3)), view(torch.Size([2, 3])))."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist() if args.ndim else [args.item()]
        elif not isinstance(args, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                            f"{type(args).__name__} at pos 0")
    out = []
    for s in args:
        if type(s) is not int:
            if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
                raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {len(out) + 1} with "
                                f"error \"type must be tuple of ints,but got {type(s).__name__}\"")
            s = s.__index__()
        out.append(s)
    return tuple(out)


def infer_size(shape, numel):
    """Resolve one -1 in `shape` against `numel`, with PyTorch's errors."""
    infer_at = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer_at is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer_at = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer_at is not None:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                                   "unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape[:infer_at] + (numel // known,) + shape[infer_at + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_strides(old_shape, old_strides, new_shape):
    """PyTorch's computeStride: element strides viewing (old_shape, old_strides) as new_shape, or None when
    the request needs a copy. Dimensions are merged chunk by chunk, a chunk being a run of old dimensions
    that are contiguous with one another."""
    if not old_shape:
        return [1] * len(new_shape)
    numel = math.prod(old_shape)
    if numel == 0:
        if tuple(old_shape) == tuple(new_shape):
            return list(old_strides)
        strides = [1] * len(new_shape)
        for d in range(len(new_shape) - 2, -1, -1):
            strides[d] = builtins.max(new_shape[d + 1], 1) * strides[d + 1]
        return strides
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1
                             and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return None if view_d != -1 else new_strides


def _view_array(arr, shape):
    """arr viewed as `shape` (already resolved), or None when that needs a copy."""
    if arr.flags.c_contiguous:
        return arr.reshape(shape)  # contiguous: NumPy's strides are PyTorch's
    strides = _view_strides(arr.shape, _elem_strides(arr), shape)
    if strides is None:
        return None
    itemsize = arr.itemsize
    return _strided(arr, shape, tuple(s * itemsize for s in strides))


# -------------------------------------------------------------------------------------------------------
# view / reshape


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
               "across two contiguous subspaces). Use .reshape(...) instead.")


@method()
def view(self, *shape, dtype=None):
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], _dtype.dtype)):
        return _view_dtype(self, dtype if dtype is not None else shape[0])
    arr = self._data
    shape = infer_size(_shape_args(shape, "view"), arr.size)
    out = _view_array(arr, shape)
    if out is None:
        raise RuntimeError(_VIEW_ERROR)
    out = view_of(self, out)
    if self.requires_grad and _grad.enabled:
        record(ViewBackward0(arr.shape), (self,), out)
    return out


def _view_dtype(self, dtype):
    """Tensor.view(dtype): the same bytes read as another dtype (the last dimension rescales)."""
    arr = self._data
    new = dtype._np
    if new.itemsize != arr.itemsize:
        if arr.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {self.dtype} as {dtype} (different element sizes)")
        if arr.strides[-1] != arr.itemsize and arr.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {self.dtype} as {dtype} (different element "
                               f"sizes), but got {arr.strides[-1] // arr.itemsize}")
        if new.itemsize > arr.itemsize and (arr.shape[-1] * arr.itemsize) % new.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by {new.itemsize // arr.itemsize} to view "
                               f"{self.dtype} as {dtype} (different element sizes), but got {arr.shape[-1]}")
    return view_of(self, arr.view(new))


@method()
def view_as(self, other):
    return view(self, other._data.shape)


@method()
def reshape(input, *shape):
    """A view when the strides allow one, else a contiguous copy (as PyTorch decides)."""
    arr = input._data
    shape = infer_size(_shape_args(shape, "reshape"), arr.size)
    out = _view_array(arr, shape)
    if input.requires_grad and _grad.enabled:
        return _reshape_recorded(input, arr, shape, out)
    if out is None:
        return wrap(np.ascontiguousarray(arr).reshape(shape))
    return view_of(input, out)


def _reshape_recorded(input, arr, shape, out):
    """PyTorch's graph for reshape: ViewBackward0 for a contiguous input, ReshapeAliasBackward0 for a viewable
    non-contiguous one, and CloneBackward0 then UnsafeViewBackward0 when it must copy."""
    if out is not None:
        node = ViewBackward0(arr.shape) if arr.flags.c_contiguous else ReshapeAliasBackward0(arr.shape)
        return _record_view(node, input, view_of(input, out))
    copied = wrap(np.ascontiguousarray(arr))
    record(CloneBackward0(), (input,), copied)
    return _record_view(UnsafeViewBackward0(arr.shape), copied, wrap(copied._data.reshape(shape)))


@method()
def reshape_as(self, other):
    return reshape(self, other._data.shape)


@method()
def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    out = wrap(np.ascontiguousarray(self._data))
    if self.requires_grad and _grad.enabled:
        record(CloneBackward0(), (self,), out)
    return out


@method()
def flatten(input, start_dim=0, end_dim=-1):
    arr = input._data
    if arr.ndim == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, arr.ndim), wrap_dim(end_dim, arr.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, arr.shape[:s] + (math.prod(arr.shape[s:e + 1]),) + arr.shape[e + 1:])


@method()
def unflatten(input, dim, sizes):
    arr = input._data
    dim = wrap_dim(dim, arr.ndim)
    sizes = _shape_args((sizes,), "unflatten")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = arr.shape[dim]
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = tuple(n // known if s == -1 and known else s for s in sizes)
    if math.prod(sizes) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return view(input, arr.shape[:dim] + sizes + arr.shape[dim + 1:])


# -------------------------------------------------------------------------------------------------------
# dims: squeeze / unsqueeze / permute / transpose


@method()
def unsqueeze(input, dim):
    arr = input._data
    ndim = arr.ndim
    dim = wrap_dim(dim, ndim + 1)
    shape = arr.shape[:dim] + (1,) + arr.shape[dim:]
    # PyTorch gives the new dim the stride size*stride of the dim it precedes (1 at the end)
    strides = _byte_strides(arr)
    new_stride = arr.shape[dim] * strides[dim] if dim < ndim else arr.itemsize
    out = view_of(input, _strided(arr, shape, strides[:dim] + (new_stride,) + strides[dim:]))
    if input.requires_grad and _grad.enabled:
        record(UnsqueezeBackward0(dim), (input,), out)
    return out


@method()
def squeeze(input, dim=None):
    arr = input._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(arr.shape) if s == 1)
    elif arr.ndim == 0:
        wrap_dims(dim, 0)
        axes = ()
    else:
        axes = tuple(d for d in wrap_dims(dim, arr.ndim) if arr.shape[d] == 1)
    out = view_of(input, arr.squeeze(axes) if axes else arr[...])
    if input.requires_grad and _grad.enabled:
        node = SqueezeBackward0 if dim is None else SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
        record(node(arr.shape), (input,), out)
    return out


@method()
def permute(input, *dims):
    arr = input._data
    dims = _shape_args(dims, "permute")
    if len(dims) != arr.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {arr.ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    wrapped = tuple(wrap_dim(d, arr.ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = view_of(input, arr.transpose(wrapped))
    if input.requires_grad and _grad.enabled:
        record(PermuteBackward0(wrapped), (input,), out)
    return out


@method("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    arr = input._data
    dim0, dim1 = wrap_dim(dim0, arr.ndim), wrap_dim(dim1, arr.ndim)
    out = view_of(input, np.swapaxes(arr, dim0, dim1))
    if input.requires_grad and _grad.enabled:
        record(TransposeBackward0(dim0, dim1), (input,), out)
    return out


swapaxes = swapdims = transpose


@method()
def t(input):
    arr = input._data
    if arr.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {arr.ndim}D")
    out = view_of(input, arr.T)
    if input.requires_grad and _grad.enabled:
        record(TBackward0(), (input,), out)
    return out


def adjoint(input):
    return input.adjoint()


@method("movedim", "moveaxis")
def movedim(input, source, destination):
    arr = input._data
    ndim = arr.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src_w = [wrap_dim(d, ndim) for d in src]
    dst_w = [wrap_dim(d, ndim) for d in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    order = [d for d in builtins.range(ndim) if d not in src_w]
    for d, s in sorted(zip(dst_w, src_w)):
        order.insert(d, s)
    out = view_of(input, arr.transpose(order))
    if input.requires_grad and _grad.enabled:
        record(PermuteBackward0(order), (input,), out)
    return out


moveaxis = movedim


# -------------------------------------------------------------------------------------------------------
# expand / broadcast


def _expand_geometry(arr, sizes):
    """PyTorch's inferExpandGeometry: (shape, byte strides, whether elements alias) of arr expanded to `sizes`."""
    ndim = len(sizes)
    lead = ndim - arr.ndim
    old_strides = _byte_strides(arr)
    shape = [0] * ndim
    strides = [0] * ndim
    overlapping = False
    for i in range(ndim - 1, -1, -1):
        d = i - lead
        target = sizes[i]
        if d >= 0:
            size, stride = arr.shape[d], old_strides[d]
        else:
            if target == -1:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            size = 1
            stride = shape[i + 1] * strides[i + 1] if i + 1 < ndim else arr.itemsize
        if target == -1:
            target = size
        elif size != target:
            if size != 1:
                raise RuntimeError(f"The expanded size of the tensor ({target}) must match the existing size ({size}) "
                                   f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                   f"{list(arr.shape)}")
            if target < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {target}: {list(sizes)}")
            stride = 0
            overlapping = overlapping or target > 1
        shape[i], strides[i] = target, stride
    if arr.ndim == 0:
        strides = [0] * ndim
        overlapping = any(s > 1 for s in shape)
    return tuple(shape), tuple(strides), overlapping


def _expand(input, sizes):
    arr = input._data
    shape = arr.shape
    if len(sizes) == len(shape) and arr.flags.c_contiguous and arr.size:
        # fast path: same rank, a contiguous input; each dim kept or stretched from 1 (stride 0)
        strides = arr.strides
        out_strides = []
        overlapping = False
        for n, size, stride in zip(shape, sizes, strides):
            if n == size:
                out_strides.append(stride)
            elif n == 1 and size > 1:
                out_strides.append(0)
                overlapping = True
            else:
                break
        else:
            view = np.ndarray(sizes, arr.dtype, arr, 0, out_strides)
            if overlapping and view.flags.writeable:
                view.flags.writeable = False  # PyTorch refuses writes where elements alias one another
            out = view_of(input, view)
            if input.requires_grad and _grad.enabled:
                record(ExpandBackward0(shape), (input,), out)
            return out
    if len(sizes) < arr.ndim:
        raise RuntimeError(f"expand({input.type()}{{{list(arr.shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({arr.ndim})")
    if sizes == arr.shape:
        out = view_of(input, arr[...])
    else:
        shape, strides, overlapping = _expand_geometry(arr, sizes)
        # an expanded tensor is read-only where elements alias one another (PyTorch refuses such writes)
        out = view_of(input, _strided(arr, shape, strides, writeable=not overlapping))
    if input.requires_grad and _grad.enabled:
        record(ExpandBackward0(arr.shape), (input,), out)
    return out


@method()
def expand(self, *sizes):
    for s in sizes:
        if type(s) is not int:
            sizes = _shape_args(sizes, "expand")
            break
    return _expand(self, sizes)


@method()
def expand_as(self, other):
    return _expand(self, other._data.shape)


@method()
def broadcast_to(input, size):
    return _expand(input, _shape_args((size,), "broadcast_to"))


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to (ints count as 1-D shapes)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    result = [1] * builtins.max((len(s) for s in shapes), default=0)
    for index, shape in enumerate(shapes):
        for j in builtins.range(-1, -1 - len(shape), -1):
            size = shape[j]
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {list(shape)}")
            if size == 1 or size == result[j]:
                continue
            if result[j] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {j}! Mismatching "
                                   f"argument at index {index} had {shape}; but expected shape should be "
                                   f"broadcastable to {result}")
            result[j] = size
    return Size(result)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = _broadcast_shapes(*(t._data.shape for t in tensors)) if tensors else ()
    # a tensor that already has the broadcast shape comes back as itself, as in PyTorch
    return tuple(t if t._data.shape == shape else _expand(t, shape) for t in tensors)


# -------------------------------------------------------------------------------------------------------
# slicing views: narrow, select, unbind, split family, diagonal, unfold


def _index_value(value):
    return value.__index__() if isinstance(value, Tensor) else value


@method()
def narrow(input, dim, start, length):
    arr = input._data
    if arr.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, arr.ndim)
    start, length = _index_value(start), _index_value(length)
    n = arr.shape[dim]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, dim, start, start + length)


@method()
def select(input, dim, index):
    arr = input._data
    if arr.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, arr.ndim)
    index = _index_value(index)
    n = arr.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(arr.shape)} at dimension "
                         f"{dim}")
    out = view_of(input, arr[(slice(None),) * dim + (index, ...)])  # "...": a 0-d view, never a scalar
    if input.requires_grad and _grad.enabled:
        record(SelectBackward0(arr.shape, dim, index + n if index < 0 else index), (input,), out)
    return out


@method()
def unbind(input, dim=0):
    arr = input._data
    if arr.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, arr.ndim)
    lead = (slice(None),) * dim
    outs = tuple(view_of(input, arr[lead + (i, ...)]) for i in range(arr.shape[dim]))
    if input.requires_grad and _grad.enabled and outs:
        record(UnbindBackward0(dim, arr.shape[:dim] + arr.shape[dim + 1:]), (input,), outs)
    return outs


def _slices(input, dim, bounds, node_cls=SplitBackward0):
    """Views of `input` along `dim` between consecutive bounds: the outputs of one split node."""
    outs = tuple(_dim_slice(input, dim, a, b) for a, b in zip(bounds[:-1], bounds[1:]))
    if input.requires_grad and _grad.enabled and outs:
        sizes = tuple(b - a for a, b in zip(bounds[:-1], bounds[1:]))
        record(node_cls(dim, input._data.shape, sizes), (input,), outs)
    return outs


@method()
def split(tensor, split_size_or_sections, dim=0):
    arr = tensor._data
    if arr.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, arr.ndim)
    n = arr.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_index_value(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={sizes}")
        bounds = [0]
        for s in sizes:
            bounds.append(bounds[-1] + s)
        return _slices(tensor, dim, bounds, SplitWithSizesBackward0)
    size = _index_value(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        return _slices(tensor, dim, [0, 0])
    bounds = list(builtins.range(0, n, size)) + [n] if n else [0, 0]
    return _slices(tensor, dim, bounds)


@method()
def chunk(input, chunks, dim=0):
    arr = input._data
    if arr.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, arr.ndim)
    n = arr.shape[dim]
    if n == 0:  # PyTorch returns `chunks` empty tensors
        return _slices(input, dim, [0] * (chunks + 1), SplitWithSizesBackward0)
    return split(input, -(-n // chunks), dim)


def _unsafe(pieces, node_cls):
    """split/chunk's pieces as torch's unsafe_* variants give them: a node of their own, and no view tracking
    (memory is shared but the caller promises not to rely on it), so in-place ops on a piece change its own
    history only."""
    node = pieces[0].grad_fn if pieces else None
    if node is not None:
        node.__class__ = node_cls
    for p in pieces:
        p.__dict__.pop("_multi_output_view", None)
        p._base = p._version_counter = None
    return pieces


@method()
def unsafe_split(tensor, split_size, dim=0):
    return _unsafe(split(tensor, split_size, dim), UnsafeSplitBackward0)


@method()
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return _unsafe(split(input, list(split_sizes), dim), UnsafeSplitWithSizesBackward0)


@method()
def unsafe_chunk(input, chunks, dim=0):
    return _unsafe(chunk(input, chunks, dim), UnsafeSplitBackward0)


@method()
def tensor_split(input, indices_or_sections, dim=0):
    arr = input._data
    if arr.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    dim = wrap_dim(dim, arr.ndim)
    n = arr.shape[dim]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{spec.dtype.scalar_type_name}")
        if spec.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec.ndim} dims")
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    if isinstance(spec, (list, tuple)):
        # pieces between consecutive indices, each taken with Python's slicing rules (negative indices wrap,
        # out-of-range ones clamp, a decreasing pair gives an empty piece)
        bounds = [0] + [_index_value(i) for i in spec] + [None]
        pieces = [slice(a, b).indices(n)[:2] for a, b in zip(bounds[:-1], bounds[1:])]
        return tuple(_slice(input, dim, a, builtins.max(a, b)) for a, b in pieces)
    sections = _index_value(spec)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    small, extra = divmod(n, sections)
    bounds = [0]
    for k in builtins.range(sections):
        bounds.append(bounds[-1] + small + (1 if k < extra else 0))
    return tuple(_slice(input, dim, a, b) for a, b in zip(bounds[:-1], bounds[1:]))


def _split_family(input, spec, dim, fn, min_dims):
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension, but got a tensor with "
                           f"{ndim} dimensions!")
    if isinstance(spec, int):
        n = input._data.shape[dim]
        if spec == 0 or n % spec:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {spec}!")
    return tensor_split(input, spec, dim)


@method()
def hsplit(input, indices_or_sections):
    ndim = input._data.ndim
    return _split_family(input, indices_or_sections, 1 if ndim > 1 else 0, "hsplit", 1)


@method()
def vsplit(input, indices_or_sections):
    return _split_family(input, indices_or_sections, 0, "vsplit", 2)


@method()
def dsplit(input, indices_or_sections):
    return _split_family(input, indices_or_sections, 2, "dsplit", 3)


@method()
def diagonal(input, offset=0, dim1=0, dim2=1):
    arr = input._data
    d1, d2 = wrap_dim(dim1, arr.ndim), wrap_dim(dim2, arr.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = arr.shape[d1], arr.shape[d2]
    s1, s2 = arr.strides[d1], arr.strides[d2]
    length = builtins.max(builtins.min(n1, n2 - offset) if offset >= 0 else builtins.min(n1 + offset, n2), 0)
    start = arr
    if length:  # move to the diagonal's first element (PyTorch leaves an empty diagonal at the start)
        index = [slice(None)] * arr.ndim
        index[d2 if offset >= 0 else d1] = slice(abs(offset), None)
        start = arr[tuple(index)]
    keep = [d for d in builtins.range(arr.ndim) if d not in (d1, d2)]
    shape = tuple(arr.shape[d] for d in keep) + (length,)
    strides = tuple(arr.strides[d] for d in keep) + (s1 + s2,)
    out = view_of(input, _strided(start, shape, strides))
    if input.requires_grad and _grad.enabled:
        record(DiagonalBackward0(arr.shape, offset, d1, d2), (input,), out)
    return out


@method()
def unfold(self, dimension, size, step):
    arr = self._data
    ndim = arr.ndim
    dim = wrap_dim(dimension, ndim)
    n = arr.shape[dim] if ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    if ndim == 0:
        out = view_of(self, _strided(arr, (size,), (arr.itemsize,)))
    else:
        shape = arr.shape[:dim] + (count,) + arr.shape[dim + 1:] + (size,)
        strides = arr.strides[:dim] + (arr.strides[dim] * step,) + arr.strides[dim + 1:] + (arr.strides[dim],)
        out = view_of(self, _strided(arr, shape, strides))
    if self.requires_grad and _grad.enabled:
        record(UnfoldBackward0(arr.shape, dim, size, step), (self,), out)
    return out


# -------------------------------------------------------------------------------------------------------
# as_strided and complex views


def _storage(t):
    """(array whose first element starts the storage, storage length in its elements) for a tensor.

    A tensor's storage is its root tensor's array (`_base` for views, its own array otherwise)."""
    root = t._base._data if t._base is not None else t._data
    if root.size == 0:
        return root, 0
    extent = 1 + builtins.sum((n - 1) * s for n, s in zip(root.shape, root.strides)) // root.itemsize
    return root, extent


@method()
def as_strided(input, size, stride, storage_offset=None):
    size, stride = _shape_args((size,), "as_strided"), _shape_args((stride,), "as_strided")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    arr = input._data
    offset = input.storage_offset() if storage_offset is None else _index_value(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    root, extent = _storage(input)
    itemsize = arr.itemsize
    storage_elems = extent * root.itemsize // itemsize
    needed = 0 if 0 in size else offset + 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    if needed > storage_elems:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {itemsize} requiring a storage size of {needed * itemsize} are out of bounds for "
                           f"storage of size {storage_elems * itemsize}")
    # the storage as a flat run of this tensor's elements, then the requested window on it
    flat = _strided(root, (extent,), (root.itemsize,))
    if root.dtype != arr.dtype:
        flat = flat.view(arr.dtype)
    start = flat[builtins.min(offset, flat.shape[0]):]
    out = view_of(input, _strided(start, size, tuple(s * itemsize for s in stride)))
    if input.requires_grad and _grad.enabled:
        in_positions = _positions(arr.shape, _elem_strides(arr), input.storage_offset())
        out_positions = _positions(size, stride, offset)
        extent = 1 + builtins.max(int(in_positions.max()) if in_positions.size else -1,
                                  int(out_positions.max()) if out_positions.size else -1)
        record(AsStridedBackward0(in_positions, out_positions, extent), (input,), out)
    return out


def view_as_real(input):
    arr = input._data
    if arr.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    real = arr.real
    half = real.itemsize
    out = view_of(input, _strided(real, arr.shape + (2,), arr.strides + (half,)))
    if input.requires_grad and _grad.enabled:
        record(ViewAsRealBackward0(), (input,), out)
    return out


def view_as_complex(input):
    arr = input._data
    if arr.dtype not in (np.float32, np.float64):
        label = {"float16": "Half", "bfloat16": "BFloat16"}.get(input.dtype._name)
        if label == "Half":
            raise RuntimeError("ember: view_as_complex of float16 (complex32) is not supported")
        raise RuntimeError(f"view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {input.dtype.scalar_type_name}")
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if arr.strides[-1] != arr.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any((s // arr.itemsize) % 2 for s in arr.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    cdt = np.complex64 if arr.dtype == np.float32 else np.complex128
    out = view_of(input, arr.view(cdt)[..., 0])
    if input.requires_grad and _grad.enabled:
        record(ViewAsComplexBackward0(), (input,), out)
    return out


class _ContiguousFormat:
    """Stands in for ember.contiguous_format (this module cannot import the package): clone() compares names."""

    def __repr__(self):
        return "torch.contiguous_format"


_CONTIGUOUS = _ContiguousFormat()

# -------------------------------------------------------------------------------------------------------
# joining


def _tensor_list(tensors, fn):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _common_dtype(tensors):
    """The promoted dtype of a list of tensors (all count as dimensioned: cat/stack ignore 0-dim priority)."""
    first = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != first:
            dtype = tensors[0].dtype
            for t2 in tensors[1:]:
                dtype = _dtype.promote_types(dtype, t2.dtype)
            return dtype._np
    return first


def cat(tensors, dim=0, *, out=None):
    if out is None and type(tensors) in (list, tuple) and type(dim) is int:
        # fast path: same dtypes, and shapes NumPy accepts (it refuses exactly what PyTorch refuses, except for
        # the 1-D empty tensors PyTorch skips and 0-dim tensors: the full path below sorts those out)
        try:
            arrays = [t._data for t in tensors]
            dtype = arrays[0].dtype
            for a in arrays:
                if a.dtype != dtype:
                    raise ValueError
            result = np.concatenate(arrays, axis=dim)
        except (AttributeError, ValueError, IndexError):
            pass
        else:
            if not result.flags.c_contiguous:
                result = np.ascontiguousarray(result)
            result = wrap(result)
            if _grad.enabled:
                for t in tensors:
                    if t.requires_grad:
                        _record_cat(tensors, dim, result)
                        break
            return result
    return _cat(tensors, dim, out)


def _record_cat(tensors, dim, result):
    ndim = result._data.ndim
    dim = dim + ndim if dim < 0 else dim
    pieces = []
    start = 0
    for t in tensors:
        arr = t._data
        if arr.shape == (0,) and ndim != 1:  # skipped by cat
            pieces.append((None, arr.shape, t.dtype))
            continue
        stop = start + arr.shape[dim]
        pieces.append(((start, stop), arr.shape, t.dtype))
        start = stop
    record(CatBackward0(dim, pieces), tensors, result)


def _no_out_with_grad(fn, out, tensors):
    if out is not None and _grad.enabled and any(t.requires_grad for t in tensors):
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")


def _cat(tensors, dim, out):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    _no_out_with_grad("cat", out, tensors)
    dtype = _common_dtype(tensors)
    if out is not None and not _dtype.can_cast(_dtype.from_numpy_dtype(dtype), out.dtype):
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                        f"{out.dtype.scalar_type_name}")
    # PyTorch skips 1-D empty tensors (the legacy "no data" placeholder) whatever the other shapes
    kept = [(i, t._data) for i, t in enumerate(tensors) if t._data.shape != (0,)]
    if not kept:
        return finish_out(wrap(np.empty(0, dtype)), out)
    ref_index, ref = kept[0]
    dim = wrap_dim(dim, ref.ndim)
    for i, a in kept[1:]:
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}")
        for d in builtins.range(ref.ndim):
            if d != dim and a.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{ref.shape[d]} but got size {a.shape[d]} for tensor number {i} in the list.")
    result = np.concatenate([a for _, a in kept], axis=dim, dtype=dtype, casting="unsafe")
    if not result.flags.c_contiguous:  # NumPy keeps Fortran order when every input has it; PyTorch never does
        result = np.ascontiguousarray(result)
    result = wrap(result)
    if out is None and _grad.enabled and any(t.requires_grad for t in tensors) and \
            (result.is_floating_point() or result.is_complex()):
        _record_cat(tensors, dim, result)
    return finish_out(result, out)


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, out=None):
    return cat(tensors, axis, out=out)


def stack(tensors, dim=0, *, out=None):
    if out is None and type(tensors) in (list, tuple) and type(dim) is int:
        # fast path: equal shapes and dtypes (the full path below gives PyTorch's errors otherwise)
        try:
            arrays = [t._data for t in tensors]
            first = arrays[0]
            shape, dtype = first.shape, first.dtype
            for a in arrays:
                if a.shape != shape or a.dtype != dtype:
                    raise ValueError
            ndim = len(shape) + 1
            d = dim + ndim if dim < 0 else dim
            if not 0 <= d < ndim:
                raise ValueError
            index = (slice(None),) * d + (None,)
            result = np.concatenate([a[index] for a in arrays], axis=d)
        except (AttributeError, ValueError, IndexError):
            pass
        else:
            if not result.flags.c_contiguous:
                result = np.ascontiguousarray(result)
            result = wrap(result)
            if _grad.enabled:
                for t in tensors:
                    if t.requires_grad:
                        record(StackBackward0(d, [t.dtype for t in tensors]), tensors, result)
                        break
            return result
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    _no_out_with_grad("stack", out, tensors)
    dim = wrap_dim(dim, len(shape) + 1)
    dtype = _common_dtype(tensors)
    index = (slice(None),) * dim + (None,)
    result = np.concatenate([t._data[index] for t in tensors], axis=dim, dtype=dtype, casting="unsafe")
    if not result.flags.c_contiguous:
        result = np.ascontiguousarray(result)
    result = wrap(result)
    if out is None and _grad.enabled and (result.is_floating_point() or result.is_complex()):
        for t in tensors:
            if t.requires_grad:
                record(StackBackward0(dim, [t.dtype for t in tensors]), tensors, result)
                break
    return finish_out(result, out)


def _nonempty(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = _tensor_list(tensors, fn)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    tensors = atleast_1d(_nonempty(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat(atleast_2d(_nonempty(tensors, "vstack")), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat(atleast_3d(_nonempty(tensors, "dstack")), 2, out=out)


def column_stack(tensors, *, out=None):
    tensors = _nonempty(tensors, "column_stack")
    columns = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(columns, 1, out=out)


def _atleast(tensors, fn, make):
    if len(tensors) == 1:
        tensors = tensors[0]
        if isinstance(tensors, Tensor):
            return make(tensors)
    return tuple(make(t) for t in tensors)


def atleast_1d(*tensors):
    return _atleast(tensors, "atleast_1d", lambda t: reshape(t, (1,)) if t._data.ndim == 0 else t)


def atleast_2d(*tensors):
    def make(t):
        ndim = t._data.ndim
        return t if ndim >= 2 else unsqueeze(t, 0) if ndim == 1 else reshape(t, (1, 1))

    return _atleast(tensors, "atleast_2d", make)


def atleast_3d(*tensors):
    def make(t):
        ndim = t._data.ndim
        if ndim == 0:
            return reshape(t, (1, 1, 1))
        if ndim == 1:
            return unsqueeze(unsqueeze(t, 0), 2)
        return unsqueeze(t, 2) if ndim == 2 else t

    return _atleast(tensors, "atleast_3d", make)


# -------------------------------------------------------------------------------------------------------
# repeating


@method()
def repeat(self, *sizes):
    arr = self._data
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < arr.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    padded = arr.reshape((1,) * (len(sizes) - arr.ndim) + arr.shape)
    target = [n * r for n, r in zip(padded.shape, sizes)]
    for s in target:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {target}")
    out = wrap(np.tile(padded, sizes) if sizes else arr.copy())
    if self.requires_grad and _grad.enabled:
        record(RepeatBackward0(arr.shape, sizes), (self,), out)
    return out


@method()
def tile(input, dims):
    dims = _shape_args((dims,), "tile")
    arr = input._data
    dims = (1,) * (arr.ndim - len(dims)) + dims
    return repeat(input, dims)


@method()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats): each index i repeated repeats[i] times
        counts = input
        if counts._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts._data.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave only support int32 and int64, got {counts.dtype}")
        if (counts._data < 0).any():
            raise RuntimeError("repeats can not be negative")
        return wrap(np.repeat(np.arange(counts._data.size, dtype=np.int64), counts._data.reshape(-1)))
    if input.requires_grad and _grad.enabled:
        return _repeat_interleave_recorded(input, repeats, dim)
    arr = input._data
    if dim is None:
        arr = arr.reshape(-1)
        dim = 0
    else:
        dim = wrap_dim(dim, arr.ndim)
    n = arr.shape[dim] if arr.ndim else 1
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '"
                                      f"{repeats.dtype.scalar_type_name}'")
        counts = counts.reshape(-1)
        if counts.size == 1:
            counts = int(counts[0])
        elif counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({dim}) = {n}")
        elif (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
    else:
        counts = _index_value(repeats)
    if isinstance(counts, int) and counts < 0:
        raise RuntimeError("Repeats must be non-negative")
    return wrap(np.repeat(arr, counts, axis=dim))


def _repeat_interleave_recorded(input, repeats, dim):
    """repeat_interleave as PyTorch differentiates it: index_select with the repeated indices for tensor
    repeats; for an int, unsqueeze, expand, clone and flatten (so the graph has PyTorch's nodes)."""
    if dim is None:
        input = flatten(input)
        dim = 0
    dim = wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor):
        from .indexing import index_select

        n = input._data.shape[dim] if input._data.ndim else 1
        counts = repeats
        if repeats._data.ndim <= 1 and repeats._data.size == 1 and n != 1:
            counts = wrap(np.full(n, int(repeats._data.reshape(())), repeats._data.dtype))
        elif repeats._data.ndim <= 1 and repeats._data.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats._data.size} and input.size({dim}) = {n}")
        return index_select(input, dim, repeat_interleave(counts, output_size=None))
    count = _index_value(repeats)
    if count < 0:
        raise RuntimeError("Repeats must be non-negative")
    unsqueezed = unsqueeze(input, dim + 1)
    shape = list(unsqueezed._data.shape)
    shape[dim + 1] = count
    expanded = _expand(unsqueezed, tuple(shape)).clone(memory_format=_CONTIGUOUS)
    return flatten(expanded, dim, dim + 1)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    tensors = _tensor_list(tensors, "meshgrid")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:  # 'xy' is 'ij' on the first two inputs swapped, with the first two output dims swapped back
        order[0], order[1] = order[1], order[0]
    shape = tuple(t._data.size for t in order)
    n = len(order)
    grids = []
    for i, t in enumerate(order):
        column = view(t, (1,) * i + (-1,) + (1,) * (n - i - 1))  # PyTorch views (ViewBackward0)
        grids.append(_expand(column, shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@method()
def ravel(input):
    return contiguous(input).view(-1)


class Rot90Backward0(Node):
    def __init__(self, k, dims):
        self.k, self.dims = k, dims

    def backward(self, grad):
        return rot90(grad, -self.k, self.dims)


@method()
def rot90(input, k=1, dims=(0, 1)):
    arr = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if arr.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {arr.ndim}")
    d0, d1 = wrap_dim(dims[0], arr.ndim), wrap_dim(dims[1], arr.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    # PyTorch flips into a new contiguous tensor, then transposes it in place: k = 1 and 3 come out transposed
    if k == 1:
        out = np.swapaxes(np.flip(arr, d1).copy(), d0, d1)
    elif k == 2:
        out = np.flip(arr, (d0, d1)).copy()
    elif k == 3:
        out = np.swapaxes(np.flip(arr, d0).copy(), d0, d1)
    else:
        out = arr.copy()
    result = wrap(out)
    if input.requires_grad and _grad.enabled:
        record(Rot90Backward0(k, (d0, d1)), (input,), result)
    return result
