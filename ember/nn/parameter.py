"""Parameter and Buffer: the tensors a Module registers when they are assigned as its attributes.

A Parameter is a Tensor subclass sharing the memory (and the version counter) of the tensor it was made from.
A Buffer is not a class of its own in PyTorch either: `Buffer(t)` returns a plain (detached) Tensor flagged
`_is_buffer`, which `isinstance(x, Buffer)` recognises.
UninitializedParameter/UninitializedBuffer are the shapeless placeholders of lazy modules until `materialize`.
"""

import os
import sys

from .._tensor import Tensor, _wrap, _wrap_as

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "UninitializedTensorMixin",
           "is_lazy"]


class _ParameterMeta(type):
    # a tensor of a user subclass turned into a parameter keeps its class and carries the `_is_param` flag
    def __instancecheck__(cls, instance):
        if cls is Parameter and isinstance(instance, Tensor) and instance.__dict__.get("_is_param", False):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A Tensor that is a module parameter: assigning it as a Module attribute registers it."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        if type(data) is Tensor or type(data) is Parameter or isinstance(type(data), _ParameterMeta):
            if requires_grad and not (data.is_floating_point() or data.is_complex()):
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            param = _wrap_as(cls, data._data, requires_grad)
            param._version_counter = data._shared_version_counter()  # in-place writes to either are seen by both
            return param
        # a user Tensor subclass stays its class, flagged as a parameter
        detached = data.detach()
        param = _wrap_as(type(data), detached._data)
        param._version_counter = detached._version_counter
        param.requires_grad_(requires_grad)
        param._is_param = True
        return param

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        # as PyTorch: a fresh Parameter over a copy of the data; the gradient and attributes are not copied
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and instance.__dict__.get("_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A tensor that is module state but not a parameter (torch.nn.Buffer): `Buffer(t)` is a detached plain
    Tensor flagged as a buffer, registered as one when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        buf = data.detach().requires_grad_(data.requires_grad)
        buf.persistent = persistent
        buf._is_buffer = True
        return buf


# ------------------------------------------------------------------------------------------------ lazy placeholders

_slot = Tensor._data       # the array slot, reached past the mixin's `_data` property
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UninitializedTensorMixin:
    """A tensor without a shape yet: reading its data (any op does) raises ValueError, as PyTorch's
    placeholders do, except for the few methods that only need its dtype (to/float/double/..., used by
    Module.to) and `materialize`, which gives it a shape and turns it into `cls_to_become` in place."""

    @property
    def _data(self):
        # name the outermost ember function on the stack: the op the user called
        frame, caller = sys._getframe(1), "an operation"
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            caller, frame = frame.f_code.co_name, frame.f_back
        raise ValueError(f"Attempted to use an uninitialized parameter in {caller}. This error happens when you are "
                         f"using a `LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` "
                         f"objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
                         f"parameters before calling torch functions")

    @_data.setter
    def _data(self, arr):
        _slot.__set__(self, arr)

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor `shape` (uninitialized memory) and turn it into `cls_to_become` (in place)."""
        from ..ops.creation import empty

        arr = empty(tuple(shape), dtype=dtype if dtype is not None else self.dtype)._data
        _slot.__set__(self, arr)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def _placeholder(self):
        return _wrap(_slot.__get__(self))

    @property
    def dtype(self):
        return self._placeholder().dtype

    @property
    def data(self):
        return self._placeholder()

    @data.setter
    def data(self, value):
        _slot.__set__(self, _slot.__get__(value) if is_lazy(value) else value._data)

    def size(self, dim=None):
        return self._placeholder().size(dim) if dim is not None else self._placeholder().size()

    def is_floating_point(self):
        return self._placeholder().is_floating_point()

    def is_complex(self):
        return self._placeholder().is_complex()

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, None, self.dtype))


def _dtype_only(name):
    """A method PyTorch allows on a placeholder: it runs on the empty data and returns a plain (empty) tensor,
    which Module.to & co. then set as the placeholder's data (so the module stays lazy, in the new dtype)."""

    def method(self, *args, **kwargs):
        return getattr(_wrap(_slot.__get__(self), self.requires_grad), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in ("to", "float", "double", "half", "bfloat16", "cpu", "cuda", "type"):
    setattr(UninitializedTensorMixin, _name, _dtype_only(_name))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter without a shape yet (of a lazy module); `materialize(shape)` makes it a Parameter."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty

        return _wrap_as(cls, _slot.__get__(empty(0, device=device, dtype=dtype)), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer without a shape yet (of a lazy module); `materialize(shape)` makes it a Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..ops.creation import empty

        buf = _wrap_as(cls, _slot.__get__(empty(0, device=device, dtype=dtype)), requires_grad)
        buf.persistent = persistent
        buf._is_buffer = True
        return buf

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param):
    """Whether `param` is an uninitialized placeholder (UninitializedParameter/UninitializedBuffer)."""
    return isinstance(param, UninitializedTensorMixin)
