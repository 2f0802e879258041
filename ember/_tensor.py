"""class Tensor: a backend array plus autograd fields.

The array (`_data`) is the single source of truth for shape, dtype, strides and memory; views are array
views, so memory sharing with NumPy comes from the array library itself. Most methods are attached by the
op modules in `ember/ops/` (see `ops/_registry.py`): this file holds what concerns the object itself —
construction, attributes, conversions and Python protocols.
"""

import builtins

from . import _dtype
from ._backend import np
from ._device import CPU, as_device, check_device
from ._dtype import from_numpy_dtype

_new = object.__new__


class Size(tuple):
    """torch.Size: a tuple of ints with PyTorch's repr."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_base", "_version_counter", "_hooks",
                 "_retains_grad", "__dict__", "__weakref__")

    # ------------------------------------------------------------------------------------------------
    # construction

    def __new__(cls, *args, device=None):
        """The legacy constructor: Tensor(data) copies into the default dtype, Tensor(*sizes) is
        uninitialised, Tensor() is empty."""
        from .ops.creation import _array_from_data

        check_device(device)
        dt = _dtype.get_default_dtype()._np
        if len(args) == 1 and not isinstance(args[0], int):
            arg = args[0]
            if isinstance(arg, Tensor):
                arr = arg._data
            elif isinstance(arg, (tuple, list)) and all(isinstance(s, int) for s in arg) and isinstance(arg, Size):
                arr = np.empty(tuple(arg), dt)
            else:
                arr = _array_from_data(arg, _dtype.get_default_dtype())
        elif all(isinstance(s, int) and not isinstance(s, builtins.bool) for s in args):
            arr = np.empty(args, dt)
        else:
            raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
        return _wrap_as(cls, arr)

    def __init__(self, *args, **kwargs):
        pass

    # ------------------------------------------------------------------------------------------------
    # attributes

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_cpu(self):
        return True

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    @property
    def layout(self):
        from . import strided

        return strided

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        itemsize = self._data.itemsize
        strides = tuple(s // itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self):
        root = self._base._data if self._base is not None else None
        if root is None:
            return 0
        return (self._data.__array_interface__["data"][0] - root.__array_interface__["data"][0]) \
            // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def is_floating_point(self):
        return self._data.dtype.kind == "f" or self._data.dtype == _dtype.bfloat16._np

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_signed(self):
        return self.dtype.is_signed

    def get_device(self):
        return -1

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        vc = self._version_counter
        return 0 if vc is None else vc[0]

    def _bump_version(self):
        """Called by every in-place op: views share the counter, so autograd sees writes through any of them."""
        vc = self._version_counter
        if vc is None:
            self._version_counter = [1]
        else:
            vc[0] += 1

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    def _is_view(self):
        return self._base is not None

    # ------------------------------------------------------------------------------------------------
    # conversion to Python and NumPy

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return _to_python(self._data.reshape(()))

    def tolist(self):
        arr = self._data
        if arr.dtype == _dtype.bfloat16._np:
            arr = arr.astype(np.float32)
        return arr.tolist()

    def numpy(self, *, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # NumPy functions applied to a Tensor give a Tensor back, as in PyTorch
        return _wrap(np.asarray(arr))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        n = self._data.size
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} "
                               "is ambiguous")
        return builtins.bool(self._data.reshape(()))

    def __index__(self):
        arr = self._data
        if arr.size != 1 or arr.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(arr.reshape(()))

    def __int__(self):
        return int(self._scalar("int"))

    def __float__(self):
        return float(self._scalar("float"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        out = _wrap_as(type(self), self._data.copy(order="K"), self.requires_grad)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        out.__dict__.update(self.__dict__)
        memo[id(self)] = out
        return out

    # ------------------------------------------------------------------------------------------------
    # dtype / device conversion

    def to(self, *args, **kwargs):
        dtype, device, copy = _parse_to(args, kwargs)
        check_device(device)
        if dtype is None or dtype._np == self._data.dtype:
            return _wrap(self._data.copy(order="K")) if copy else self
        return _cast(self, dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return _TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            try:
                dtype = _TYPE_BY_NAME[dtype]
            except KeyError:
                raise ValueError(f"invalid type: '{dtype}'") from None
        elif isinstance(dtype, type) and hasattr(dtype, "dtype"):  # ember.FloatTensor and friends
            dtype = dtype.dtype
        return self if dtype._np == self._data.dtype else _cast(self, dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self, memory_format=None):
        return self.to(_dtype.float32)

    def double(self, memory_format=None):
        return self.to(_dtype.float64)

    def half(self, memory_format=None):
        return self.to(_dtype.float16)

    def bfloat16(self, memory_format=None):
        return self.to(_dtype.bfloat16)

    def long(self, memory_format=None):
        return self.to(_dtype.int64)

    def int(self, memory_format=None):
        return self.to(_dtype.int32)

    def short(self, memory_format=None):
        return self.to(_dtype.int16)

    def char(self, memory_format=None):
        return self.to(_dtype.int8)

    def byte(self, memory_format=None):
        return self.to(_dtype.uint8)

    def bool(self, memory_format=None):
        return self.to(_dtype.bool)

    def cfloat(self, memory_format=None):
        return self.to(_dtype.complex64)

    def cdouble(self, memory_format=None):
        return self.to(_dtype.complex128)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        check_device("cuda" if device is None else device if isinstance(device, str) else "cuda")
        return self  # unreachable until a GPU backend exists: check_device raises

    # ------------------------------------------------------------------------------------------------
    # copies and autograd-free bookkeeping

    def clone(self, *, memory_format=None):
        return _wrap(self._data.copy(order="K"))

    def detach(self):
        out = _wrap(self._data)
        out._version_counter = self._shared_version_counter()
        return out

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def _shared_version_counter(self):
        vc = self._version_counter
        if vc is None:
            vc = self._version_counter = [0]
        return vc

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        self.requires_grad = requires_grad
        return self

    def copy_(self, src, non_blocking=False):
        src_arr = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.broadcast_shapes(src_arr.shape, self._data.shape)
            if np.broadcast_shapes(src_arr.shape, self._data.shape) != self._data.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(src_arr.shape, self._data.shape))}"
                               if _broadcastable(src_arr.shape, self._data.shape) else
                               f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
                               f"the size of tensor b ({src_arr.shape[-1] if src_arr.ndim else 1}) at non-singleton "
                               f"dimension {max(self._data.ndim - 1, 0)}") from None
        if src_arr.dtype.kind == "c" and self._data.dtype.kind != "c":
            src_arr = src_arr.real
        if self._data.size:
            np.copyto(self._data, src_arr, casting="unsafe")
        self._bump_version()
        return self

    # ------------------------------------------------------------------------------------------------
    # transposes as properties

    @property
    def T(self):
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D "
                               "tensor.")
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self):
        return self.mT.conj() if self.is_complex() else self.mT

    @property
    def real(self):
        if not self.is_complex():
            return self
        return _view_of(self, self._data.real)

    @property
    def imag(self):
        if not self.is_complex():
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return _view_of(self, self._data.imag)


# -------------------------------------------------------------------------------------------------------
# helpers used by ops/ on the hot path


def _wrap(arr, requires_grad=False):
    """A new Tensor over a backend array (taken as is: no copy, no checks)."""
    t = _new(Tensor)
    t._data = arr
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._base = None
    t._version_counter = None
    t._hooks = None
    t._retains_grad = False
    return t


def _wrap_as(cls, arr, requires_grad=False):
    t = _wrap(arr, requires_grad) if cls is Tensor else _new(cls)
    if cls is not Tensor:
        t._data = arr
        t.requires_grad = requires_grad
        t.grad = t.grad_fn = t._base = t._version_counter = t._hooks = None
        t._retains_grad = False
    return t


def _view_of(src, arr):
    """A Tensor that is a view of `src` over `arr` (an array view of src's array): it records the base
    tensor and shares the version counter, as PyTorch views do."""
    t = _wrap(arr)
    t._base = src if src._base is None else src._base
    t._version_counter = src._shared_version_counter()
    return t


def _rebuild_tensor(arr, requires_grad):
    return _wrap(arr, requires_grad)


def _to_python(arr0d):
    if arr0d.dtype == _dtype.bfloat16._np:
        return float(arr0d)
    return arr0d.item()


def _cast(t, dtype):
    arr = t._data
    if arr.dtype.kind == "c" and dtype._category < 3:
        arr = arr.real  # PyTorch discards the imaginary part (with a warning) when casting complex to real
    return _wrap(arr.astype(dtype._np))


def _broadcastable(src_shape, dst_shape):
    try:
        np.broadcast_shapes(src_shape, dst_shape)
        return True
    except ValueError:
        return False


def _wrap_dim(dim, ndim):
    """Normalise a possibly negative dim, with PyTorch's IndexError for out-of-range values."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _parse_to(args, kwargs):
    """Tensor.to's forms: to(dtype), to(device[, dtype]), to(tensor), plus keywords."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected keyword "
                        f"{next(iter(kwargs))}")
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, builtins.bool):
            copy = copy or a
        elif a is None:
            continue
        else:
            device = as_device(a)
    return dtype, device, copy


_TYPE_NAMES = {
    _dtype.float32: "torch.FloatTensor", _dtype.float64: "torch.DoubleTensor", _dtype.float16: "torch.HalfTensor",
    _dtype.bfloat16: "torch.BFloat16Tensor", _dtype.uint8: "torch.ByteTensor", _dtype.int8: "torch.CharTensor",
    _dtype.int16: "torch.ShortTensor", _dtype.int32: "torch.IntTensor", _dtype.int64: "torch.LongTensor",
    _dtype.bool: "torch.BoolTensor", _dtype.complex64: "torch.ComplexFloatTensor",
    _dtype.complex128: "torch.ComplexDoubleTensor",
}
_TYPE_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}
