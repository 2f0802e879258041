"""Parameter and Buffer: the tensors a Module registers when they are assigned as its attributes.

A Parameter is a Tensor subclass sharing the memory (and the version counter) of the tensor it was made from.
A Buffer is not a class of its own in PyTorch either: `Buffer(t)` returns a plain (detached) Tensor flagged
`_is_buffer`, which `isinstance(x, Buffer)` recognises.
"""

from .._tensor import Tensor, _wrap_as

__all__ = ["Parameter", "Buffer"]


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
