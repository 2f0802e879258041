"""Shape and view operations. Views are NumPy views of the same buffer, so writes through any of them are
seen by all; each records its base tensor and shares its version counter (`view_of`)."""

from .._backend import np
from ._common import method, view_of, wrap, wrap_dim, wrap_dims

__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze", "flatten",
           "unbind"]


def _shape_args(args, fn="view"):
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
    try:
        return tuple(int(s.__index__()) for s in args)
    except (AttributeError, TypeError):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                        f"{type(next(s for s in args if not hasattr(s, '__index__'))).__name__}") from None


def infer_size(shape, numel):
    """Resolve one -1 in `shape` against `numel`, with PyTorch's errors."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


@method()
def view(self, *shape, dtype=None):
    if not shape and dtype is not None or (len(shape) == 1 and not isinstance(shape[0], (int, tuple, list))
                                           and hasattr(shape[0], "itemsize")):
        raise NotImplementedError("ember: Tensor.view(dtype) is not supported yet")
    arr = self._data
    shape = infer_size(_shape_args(shape), arr.size)
    try:
        out = arr.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return view_of(self, out)


@method()
def view_as(self, other):
    return view(self, other._data.shape)


@method()
def reshape(input, *shape):
    arr = input._data
    shape = infer_size(_shape_args(shape, "reshape"), arr.size)
    try:
        return view_of(input, arr.reshape(shape, copy=False))
    except ValueError:  # not expressible as a view: PyTorch copies, and so do we
        return wrap(arr.reshape(shape))


@method()
def reshape_as(self, other):
    return reshape(self, other._data.shape)


@method()
def permute(input, *dims):
    arr = input._data
    dims = _shape_args(dims, "permute")
    if len(dims) != arr.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {arr.ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    return view_of(input, arr.transpose(wrap_dims(dims, arr.ndim)))


@method("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    arr = input._data
    return view_of(input, np.swapaxes(arr, wrap_dim(dim0, arr.ndim), wrap_dim(dim1, arr.ndim)))


swapaxes = swapdims = transpose


@method()
def t(input):
    arr = input._data
    if arr.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {arr.ndim}D")
    return view_of(input, arr.T)


@method()
def unsqueeze(input, dim):
    arr = input._data
    dim = wrap_dim(dim, arr.ndim + 1)
    shape = arr.shape[:dim] + (1,) + arr.shape[dim:]
    # PyTorch gives the new dim the stride size*stride of the dim it precedes (1 at the end)
    strides = arr.strides[:dim] + ((arr.shape[dim] * arr.strides[dim]) if dim < arr.ndim else arr.itemsize,) \
        + arr.strides[dim:]
    return view_of(input, np.lib.stride_tricks.as_strided(arr, shape, strides))


@method()
def squeeze(input, dim=None):
    arr = input._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(arr.shape) if s == 1)
    else:
        axes = tuple(d for d in wrap_dims(dim, arr.ndim) if arr.shape[d] == 1) if arr.ndim else ()
    return view_of(input, arr.squeeze(axes) if axes else arr[...])


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
    return reshape(input, arr.shape[:s] + (-1,) + arr.shape[e + 1:])


@method()
def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return wrap(np.ascontiguousarray(self._data))


@method()
def unbind(input, dim=0):
    arr = input._data
    dim = wrap_dim(dim, arr.ndim)
    moved = np.moveaxis(arr, dim, 0)
    return tuple(view_of(input, moved[i]) for i in range(arr.shape[dim]))


@method()
def expand(self, *sizes):
    arr = self._data
    sizes = _shape_args(sizes, "expand")
    if len(sizes) < arr.ndim:
        raise RuntimeError(f"expand(torch.{self.dtype._name.capitalize()}Tensor{{{list(arr.shape)}}}, "
                           f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({arr.ndim})")
    lead = len(sizes) - arr.ndim
    target = []
    for i, s in enumerate(sizes):
        cur = arr.shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            s = cur
        elif cur is not None and cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(arr.shape)}")
        target.append(s)
    return view_of(self, np.broadcast_to(arr, tuple(target)))


@method()
def expand_as(self, other):
    return expand(self, other._data.shape)
