"""User-defined differentiable operations: `class Exp(Function)` with forward/backward, used via `Exp.apply`.

The ctx a user's forward and backward see is the graph node itself (an instance of `<Name>Backward`), as
in PyTorch; built-in ops do not go through this machinery.
"""

import functools

from .._tensor import Tensor
from .grad_mode import no_grad
from .grad_mode import state as _grad_state
from .graph import Node, SavedTensor, record


class FunctionCtx:
    """What `ctx` offers inside forward/setup_context and backward."""

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument 0 is of type "
                                f"{type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        return tuple(None if s is None else s.unpack() for s in self.__dict__.get("_saved_for_user", ()))

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self._materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of a custom Function; its class is created per Function subclass as `<Name>Backward`."""

    _forward_cls = None
    needs_input_grad = ()  # set per call by Function.apply (one flag per forward argument, as PyTorch)

    def backward(self, *grad_outputs):
        if self.__dict__.get("_materialize_grads", True):
            from ..ops.creation import zeros_like

            # non-tensor outputs (no template) get None, as PyTorch passes for them
            grad_outputs = tuple(zeros_like(o) if g is None and o is not None else g
                                 for g, o in zip(grad_outputs, self._output_templates))
        result = self._forward_cls.backward(self, *grad_outputs)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        if len(result) < n_args or (len(result) > n_args and any(r is not None for r in result[n_args:])):
            raise RuntimeError(f"function {type(self).__name__} returned an incorrect number of gradients (expected "
                               f"{n_args}, got {len(result)})")
        return tuple(g for g, is_t in zip(result, self._arg_is_tensor) if is_t)

    def apply(self, *grad_outputs):
        return self.backward(*grad_outputs)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations (torch.autograd.Function)."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-"
                           "style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._arg_is_tensor = arg_is_tensor
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        outputs = output if isinstance(output, tuple) else (output,)
        tensor_inputs = [a for a in args if isinstance(a, Tensor)]
        record_graph = _grad_state.enabled and any(t.requires_grad for t in tensor_inputs)
        dirty = ctx.__dict__.get("_dirty", ())
        non_diff = ctx.__dict__.get("_non_differentiable", ())

        # an input returned unchanged (and not marked dirty) becomes a new tensor sharing its memory
        fixed = []
        for o in outputs:
            if isinstance(o, Tensor) and any(o is a for a in tensor_inputs) and not any(o is d for d in dirty):
                o = o.detach()
            fixed.append(o)
        outputs = tuple(fixed)

        if record_graph:
            for d in dirty:
                if d.requires_grad and d.grad_fn is None:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        saved = ctx.__dict__.pop("_to_save", ())
        ctx._saved_for_user = tuple(
            None if t is None else SavedTensor(t, ctx, any(t is o for o in outputs)) for t in saved)
        if record_graph:
            ctx._output_templates = tuple(o if isinstance(o, Tensor) else None for o in outputs)
            differentiable = [o if isinstance(o, Tensor) and not any(o is n for n in non_diff) else None
                              for o in outputs]
            record(ctx, tensor_inputs, differentiable)
            ctx._saved = list(ctx._saved_for_user)
            for o in outputs:
                if isinstance(o, Tensor) and any(o is n for n in non_diff):
                    o.requires_grad = False
        return outputs if isinstance(output, tuple) else outputs[0]


def once_differentiable(fn):
    """Run a Function's backward with graph recording off (it cannot be differentiated again)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
