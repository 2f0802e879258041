"""class Tensor: a backend array plus autograd fields.

The array (`_data`) is the single source of truth for shape, dtype, strides and memory; views are array
views, so memory sharing with NumPy comes from the array library itself. Most methods are attached by the
op modules in `ember/ops/` (see `ops/_registry.py`): this file holds what concerns the object itself —
construction, attributes, conversions and Python protocols.
"""

import builtins
import copy
import warnings

from . import _dtype
from ._backend import cast as _cast_array
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
    # _view_version (views only): the shared version when this view's history was last made current
    __slots__ = ("_data", "requires_grad", "_grad", "_grad_fn", "_base", "_version_counter", "_hooks",
                 "_retains_grad", "_view_version", "__dict__", "__weakref__")

    # ------------------------------------------------------------------------------------------------
    # construction

    def __new__(cls, *args, **kwargs):
        """The legacy constructor: Tensor(data) copies into the default dtype, Tensor(*sizes) and
        Tensor(torch.Size) are uninitialised, Tensor() is empty, Tensor(tensor) aliases the tensor."""
        from .ops.creation import legacy_new

        t = legacy_new(_dtype.get_default_dtype(), args, kwargs, False)
        return t if cls is Tensor else _wrap_as(cls, t._data)

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
        return self._data.shape[_attribute_dim(dim, self._data.ndim)]

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
        arr = self._data
        itemsize = arr.itemsize
        if arr.size == 0 and not any(arr.strides):
            strides = _contiguous_strides(arr.shape)  # NumPy allocates empty arrays with all-zero strides
        else:
            strides = tuple(s // itemsize for s in arr.strides)
        return strides if dim is None else strides[_attribute_dim(dim, arr.ndim)]

    def storage_offset(self):
        """Elements from the start of the storage (the root tensor's array) to this view's first element."""
        base = self._base
        if base is None:
            return 0
        return (self._data.__array_interface__["data"][0] - base._data.__array_interface__["data"][0]) \
            // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        """The bytes this tensor and its views share (torch.UntypedStorage; writes go through)."""
        from .storage import untyped_storage

        return untyped_storage(self)

    def storage(self):
        """The shared memory as elements of this tensor's dtype (torch.TypedStorage, deprecated by PyTorch)."""
        from .storage import typed_storage

        return typed_storage(self)

    def stft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
             normalized=False, onesided=None, return_complex=None):
        from .ops.fft import stft

        return stft(self, n_fft, hop_length, win_length, window, center, pad_mode, normalized, onesided,
                    return_complex)

    def istft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
              onesided=None, length=None, return_complex=False):
        from .ops.fft import istft

        return istft(self, n_fft, hop_length, win_length, window, center, normalized, onesided, length,
                     return_complex)

    def is_set_to(self, tensor):
        from .storage import is_set_to

        return is_set_to(self, tensor)

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
        # unlike detach(), `.data` has a version counter of its own (PyTorch's variable_data): writes through
        # it are invisible to autograd's checks
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {builtins.type(value).__name__}")
        old = self._data
        self._data = value._data
        if old.shape != value._data.shape or old.dtype != value._data.dtype:
            # PyTorch drops the leaf's gradient sink when the metadata changes (a new one is made on demand)
            self.__dict__.pop("_grad_accumulator", None)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{builtins.type(value).__name__}")
            arr, mine = value._data, self._data
            if arr.dtype != mine.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_TYPEMETA_NAMES[value.dtype._name]}' to a tensor "
                    f"with grad_dtype '{_SCALAR_NAMES[self.dtype._name]}'. "
                    "The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                    "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream "
                    "systems that assume they match.")
            if arr.shape != mine.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(arr.shape)}' to a tensor of size "
                                   f"'{list(mine.shape)}'. Please ensure that the gradient and the tensor are the same "
                                   "size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        # A view read after an in-place write to its base (through the base or a sibling view) gets its history
        # anew, as PyTorch regenerates a stale view's node on access; the common case costs one comparison.
        if self._base is not None and self._view_version != self._version_counter[0]:
            _refresh_view_history(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    @property
    def output_nr(self):
        """Which output of its grad_fn this tensor is (multi-output ops: unbind, split, max(dim), ...)."""
        return self.__dict__.get("_output_nr", 0)

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
        state = _user_state(self)
        return (_rebuild_tensor, (type(self), self._data, self.requires_grad, state))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        out = _wrap_as(type(self), self._data.copy(order="K"), self.requires_grad)
        memo[id(self)] = out
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        state = _user_state(self)
        if state:
            out.__dict__.update(copy.deepcopy(state, memo))
        return out

    # ------------------------------------------------------------------------------------------------
    # dtype / device conversion

    def to(self, *args, **kwargs):
        """to(dtype), to(device[, dtype]), to(tensor), each with optional non_blocking and copy (positional or
        keyword): the tensor itself when nothing changes, unless copy=True."""
        dtype, device, copy = _parse_to(args, kwargs)
        if device is not None:
            check_device(device)
        if dtype is None or dtype._np == self._data.dtype:
            if not copy:
                return self
            out = _wrap(self._data.copy(order="K"))
            if self.requires_grad and _grad_state.enabled:
                record(ToCopyBackward0(self._data.dtype), (self,), out)
            return out
        return _cast(self, dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return _TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            if dtype.startswith("torch.cuda."):
                raise RuntimeError("Torch not compiled with CUDA enabled")
            try:
                dtype = _TYPE_BY_NAME[dtype]
            except KeyError:
                raise ValueError(f"invalid type: '{dtype}'") from None
        elif isinstance(dtype, builtins.type) and isinstance(getattr(dtype, "dtype", None), _dtype.dtype):
            dtype = dtype.dtype  # ember.FloatTensor and friends
        elif not isinstance(dtype, _dtype.dtype):
            raise TypeError(f"type(): argument 'dtype' must be torch.dtype, not {builtins.type(dtype).__name__}")
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
        # preserve_format (the default) keeps a dense tensor's stride order, as NumPy's order="K" does
        contiguous = memory_format is not None and str(memory_format) == "torch.contiguous_format"
        out = _wrap(self._data.copy(order="C" if contiguous else "K"))
        if self.requires_grad and _grad_state.enabled:
            record(CloneBackward0(), (self,), out)
        return out

    def detach(self):
        out = _wrap(self._data)
        out._version_counter = self._shared_version_counter()
        return out

    def detach_(self):
        self._grad_fn = None
        self.requires_grad = False
        return self

    def _shared_version_counter(self):
        vc = self._version_counter
        if vc is None:
            vc = self._version_counter = [0]
        return vc

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        # the recorded history, not the grad_fn property: PyTorch lets a stale no_grad view drop requires_grad
        if not requires_grad and self._grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        self.requires_grad = requires_grad
        return self

    def copy_(self, src, non_blocking=False):
        """Copy `src` (broadcast to this tensor's shape, cast to its dtype) into this tensor, in place."""
        if isinstance(src, Tensor):
            src_arr = src._data
        elif isinstance(src, (int, float, complex, np.generic)):
            src_arr = np.asarray(src)
        else:
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {builtins.type(src).__name__}")
        dst = self._data
        if src_arr.shape != dst.shape:
            from .ops._common import broadcast_shapes

            shape = broadcast_shapes(dst.shape, src_arr.shape)  # PyTorch's "size of tensor a/b" error
            if shape != dst.shape:
                raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                                   f"{list(shape)}")
        if src_arr.dtype.kind == "c" and dst.dtype.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
            src_arr = src_arr.real
        if 0 in dst.strides and dst.size > 1 and any(st == 0 and n > 1 for n, st in zip(dst.shape, dst.strides)):
            raise _overlap_error()
        if _grad_state.enabled and (self.requires_grad or getattr(src, "requires_grad", False)):
            _check_inplace(self)
            result = _wrap(np.empty(dst.shape, dst.dtype))
            np.copyto(result._data, _cast_array(np.asarray(src_arr), dst.dtype), casting="unsafe")
            record(CopyBackwards(src), (self, src), result)
            return _commit_inplace(self, result)
        np.copyto(dst, _cast_array(np.asarray(src_arr), dst.dtype) if dst.dtype == np.float16 else src_arr,
                   casting="unsafe")
        self._bump_version()
        return self

    def zero_(self):
        """Fill with zeros, in place."""
        if self.requires_grad and _grad_state.enabled:
            _check_inplace(self)
            result = _wrap(np.zeros(self._data.shape, self._data.dtype))
            record(ZeroBackward0(), (self,), result)
            return _commit_inplace(self, result)
        _writeable(self._data)[...] = 0
        self._bump_version()
        return self

    def fill_(self, value):
        """Fill with one value (a number or a 0-dim tensor), in place."""
        from .ops.indexing import _fill_value

        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
        elif not isinstance(value, (builtins.bool, builtins.int, builtins.float, builtins.complex, np.generic)):
            raise TypeError(f"fill_() received an invalid combination of arguments - got "
                            f"({builtins.type(value).__name__}), but expected one of:\n * (Tensor value)\n * (Number "
                            "value)\n")
        fill = _fill_value(value, self._data.dtype, "fill_")
        value_grad = isinstance(value, Tensor) and value.requires_grad
        if _grad_state.enabled and (self.requires_grad or value_grad):
            _check_inplace(self)
            result = _wrap(np.full(self._data.shape, fill, self._data.dtype))
            if isinstance(value, Tensor):
                record(FillBackward3(value.dtype), (self, value), result)
            else:
                record(FillBackward2(), (self,), result)
            return _commit_inplace(self, result)
        _writeable(self._data)[...] = fill
        self._bump_version()
        return self

    # ------------------------------------------------------------------------------------------------
    # transposes as properties

    @property
    def T(self):
        ndim = self._data.ndim
        if ndim != 2:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
                          if ndim == 0 else
                          "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                          "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                          "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                          "tensor.", UserWarning, stacklevel=2)
        return self.permute(*range(ndim - 1, -1, -1))

    @property
    def mT(self):
        if self._data.ndim == 0:
            return self
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        ndim = self._data.ndim
        if ndim == 0:
            return self._conj_transpose("tensor.H")
        if ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {ndim}-D tensor."
                               + (" For batches of matrices, consider using tensor.mH" if ndim > 2 else ""))
        return self.mH

    @property
    def mH(self):
        return self._conj_transpose("tensor.mH")

    def adjoint(self):
        return self._conj_transpose("tensor.adjoint()")

    def _conj_transpose(self, name):
        arr = self._data
        ndim = arr.ndim
        if ndim == 1:
            raise RuntimeError(f"{name} is only supported on matrices or batches of matrices. Got 1-D tensor.")
        if arr.dtype.kind == "c":  # PyTorch returns a lazily conjugated view; ember materialises the conjugate
            if self.requires_grad and _grad_state.enabled:
                return (self.transpose(-2, -1) if ndim else self).conj()
            return _wrap(np.conj(np.swapaxes(arr, -2, -1)) if ndim else np.conj(arr))
        return self.transpose(-2, -1) if ndim else self

    @property
    def real(self):
        if not self.is_complex():
            return self
        if self.requires_grad and _grad_state.enabled:  # PyTorch's graph: view_as_real, then select
            from .ops.shape import select, view_as_real

            return select(view_as_real(self), -1, 0)
        return _view_of(self, self._data.real)

    @real.setter
    def real(self, value):
        self.real.copy_(value)

    @property
    def imag(self):
        if not self.is_complex():
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        if self.requires_grad and _grad_state.enabled:
            from .ops.shape import select, view_as_real

            return select(view_as_real(self), -1, 1)
        return _view_of(self, self._data.imag)

    @imag.setter
    def imag(self, value):
        self.imag.copy_(value)


# -------------------------------------------------------------------------------------------------------
# helpers used by ops/ on the hot path


def _wrap(arr, requires_grad=False):
    """A new Tensor over a backend array (taken as is: no copy, no checks)."""
    t = _new(Tensor)
    t._data = arr
    t.requires_grad = requires_grad
    t._grad = None
    t._grad_fn = None
    t._base = None
    t._version_counter = None
    t._hooks = None
    t._retains_grad = False
    return t


def _wrap_as(cls, arr, requires_grad=False):
    """_wrap for Tensor subclasses (Parameter, user subclasses)."""
    t = _new(cls)
    t._data = arr
    t.requires_grad = requires_grad
    t._grad = t._grad_fn = t._base = t._version_counter = t._hooks = None
    t._retains_grad = False
    return t


def _view_of(src, arr):
    """A Tensor that is a view of `src` over `arr` (an array view of src's array): it records the base
    tensor and shares the version counter, as PyTorch views do."""
    t = _wrap(arr)
    t._base = src if src._base is None else src._base
    vc = t._version_counter = src._shared_version_counter()
    t._view_version = vc[0]
    if not _grad_state.enabled:
        # PyTorch remembers a view made in no_grad mode: writing in place with grad mode on, into it or (seen
        # when its grad_fn is next read) into its base or a sibling view, is an error
        t.__dict__["_no_grad_view"] = True
        t.requires_grad = src.requires_grad  # as PyTorch: it requires grad, with no history (a use sends none)
    return t


# entries autograd keeps in a tensor's __dict__: they belong to this object's graph, never to a copy
_AUTOGRAD_STATE = frozenset({"_grad_accumulator", "_grad_accumulator_strong", "_output_nr", "_shared",
                             "_multi_output_view", "_no_grad_view"})


def _user_state(t):
    """The attributes a user (or nn) set on a tensor, without autograd's bookkeeping."""
    return {k: v for k, v in t.__dict__.items() if k not in _AUTOGRAD_STATE} or None


def _rebuild_tensor(cls, arr, requires_grad, state=None):
    t = _wrap_as(cls, arr, requires_grad)
    if state:
        t.__dict__.update(state)
    return t


def _overlap_error():
    return RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                        "memory location. Please clone() the tensor before performing the operation.")


def _contiguous_strides(shape):
    """PyTorch's strides of a contiguous tensor (a size-0 dimension counts as 1)."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * max(shape[d + 1], 1)
    return tuple(strides)


def _to_python(arr0d):
    if arr0d.dtype == _dtype.bfloat16._np:
        return float(arr0d)
    return arr0d.item()


def _cast(t, dtype):
    arr = t._data
    if arr.dtype.kind == "c" and dtype._category < 3:
        arr = arr.real  # PyTorch discards the imaginary part (with a warning) when casting complex to real
    out = _wrap(_cast_array(arr, dtype._np))
    if t.requires_grad and _grad_state.enabled and (out.is_floating_point() or out.is_complex()):
        record(ToCopyBackward0(t._data.dtype), (t,), out)
    return out


def _wrap_dim(dim, ndim):
    """Normalise a possibly negative dim, with PyTorch's IndexError for out-of-range values."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _attribute_dim(dim, ndim):
    """size(dim)/stride(dim): like _wrap_dim, but a 0-dim tensor has no dimension to ask about."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _parse_to(args, kwargs):
    """Tensor.to's forms: to(dtype), to(device[, dtype]), to(tensor), then non_blocking and copy, positional
    or keyword. Returns (dtype, device, copy)."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        got = ", ".join(f"{k}={builtins.type(v).__name__}" for k, v in kwargs.items())
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}, ), but expected one of:\n"
                        " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool "
                        "copy = False, *, torch.memory_format memory_format = None)\n"
                        " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format "
                        "memory_format = None)\n"
                        " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format "
                        "memory_format = None)\n")
    flags = []  # positional bools: non_blocking, then copy
    for a in args:
        if isinstance(a, builtins.bool):
            flags.append(a)
        elif isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif a in _PY_TYPES:
            dtype = _PY_TYPES[a]
        elif a is not None:
            device = as_device(a)
    if len(flags) > 1:
        copy = flags[1]
    if isinstance(dtype, builtins.type):
        dtype = _PY_TYPES[dtype]
    return dtype, device, copy


_PY_TYPES = {builtins.bool: _dtype.bool, builtins.int: _dtype.int64, builtins.float: _dtype.float64,
             builtins.complex: _dtype.complex128}

_TYPE_NAMES = {
    _dtype.float32: "torch.FloatTensor", _dtype.float64: "torch.DoubleTensor", _dtype.float16: "torch.HalfTensor",
    _dtype.bfloat16: "torch.BFloat16Tensor", _dtype.uint8: "torch.ByteTensor", _dtype.int8: "torch.CharTensor",
    _dtype.int16: "torch.ShortTensor", _dtype.int32: "torch.IntTensor", _dtype.int64: "torch.LongTensor",
    _dtype.bool: "torch.BoolTensor", _dtype.complex64: "torch.ComplexFloatTensor",
    _dtype.complex128: "torch.ComplexDoubleTensor",
}
_TYPE_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}


# names PyTorch's messages use for dtypes: C++ type names (caffe2::TypeMeta) and ScalarType names
_TYPEMETA_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
}
_SCALAR_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool",
}


def _writeable(arr):
    """arr itself, or for a read-only expanded view (PyTorch lets fill_/zero_ write through one) a writeable
    view of the same memory."""
    if arr.flags.writeable:
        return arr
    owner = arr
    while isinstance(owner.base, np.ndarray) and not owner.flags.writeable:
        owner = owner.base
    if not owner.flags.writeable:
        raise ValueError("assignment destination is read-only")
    from .ops.shape import _strided

    return _strided(owner, arr.shape, arr.strides, offset=_ptr(arr) - _ptr(owner))


def _ptr(arr):
    return arr.__array_interface__["data"][0]


# -------------------------------------------------------------------------------------------------------
# autograd of the methods above (imported here, after Tensor exists: the autograd package imports Tensor)

from .autograd.grad_mode import state as _grad_state  # noqa: E402
from .autograd.graph import Node, record  # noqa: E402
from .autograd.graph import refresh_view_history as _refresh_view_history  # noqa: E402


class CloneBackward0(Node):
    def backward(self, grad):
        return grad


class ToCopyBackward0(Node):
    def __init__(self, np_dtype):
        self.np_dtype = np_dtype

    def backward(self, grad):
        if grad._data.dtype.kind == "c" and self.np_dtype.kind != "c":
            grad = grad.real
        if grad._data.dtype == self.np_dtype:
            return grad
        return grad.to(from_numpy_dtype(self.np_dtype))


def _sum_to(grad, shape):
    """Undo the broadcast of a copy_/fill_ source (sum_to_shape, imported late: ops import this module)."""
    from .ops._common import sum_to_shape

    return sum_to_shape(grad, shape)


def _to_dtype(grad, dtype):
    if grad._data.dtype.kind == "c" and dtype._np.kind != "c":
        grad = grad.real
    return grad if grad._data.dtype == dtype._np else grad.to(dtype)


class CopyBackwards(Node):
    """copy_: the old values of self are overwritten (zero gradient); src takes the gradient, summed over what
    was broadcast and cast back to its dtype."""

    def __init__(self, src):
        self.src_shape = src._data.shape if isinstance(src, Tensor) else ()
        self.src_dtype = src.dtype if isinstance(src, Tensor) else None

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = _wrap(np.zeros(grad._data.shape, grad._data.dtype)) if needs[0] else None
        grad_src = _to_dtype(_sum_to(grad, self.src_shape), self.src_dtype) if needs[1] else None
        return grad_self, grad_src


class ZeroBackward0(Node):
    def backward(self, grad):
        return _wrap(np.zeros(grad._data.shape, grad._data.dtype))


class FillBackward2(Node):
    """fill_(number)."""

    def backward(self, grad):
        return _wrap(np.zeros(grad._data.shape, grad._data.dtype))


class FillBackward3(Node):
    """fill_(0-dim tensor): the value takes the sum of the gradient."""

    def __init__(self, value_dtype):
        self.value_dtype = value_dtype

    def backward(self, grad):
        needs = self.needs_input_grad
        grad_self = _wrap(np.zeros(grad._data.shape, grad._data.dtype)) if needs[0] else None
        grad_value = _to_dtype(grad.sum(), self.value_dtype) if needs[1] else None
        return grad_self, grad_value


def _check_inplace(t):
    """PyTorch's refusals of in-place writes into leaves that require grad and into views of them."""
    base = t._base
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _commit_inplace(t, result):
    """ops._common.commit_inplace, imported when first needed (ops/ imports this module)."""
    from .ops._common import commit_inplace

    return commit_inplace(t, result)
