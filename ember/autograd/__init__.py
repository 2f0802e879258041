"""ember.autograd: backward(), grad(), grad modes and the graph objects (torch.autograd's namespace)."""

import weakref

from .._tensor import Tensor
from . import functional, graph
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, InplaceFunction, NestedIOFunction, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, HookDict, Node, RemovableHandle, _add_hook, grad_accumulator

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "graph", "Node", "Function", "FunctionCtx", "once_differentiable",
           "gradcheck", "gradgradcheck", "GradcheckError", "functional", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "Variable"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, is_grads_batched=False):
    """The seed gradients: ones for scalar outputs, the given ones checked against their outputs."""
    from ..ops.creation import ones_like

    out = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if t.requires_grad and t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not (t.is_floating_point() or t.is_complex()) and t.requires_grad:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = ones_like(t)
        elif isinstance(g, Tensor):
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                                   f"has a shape of {t.shape}.")
            if g.dtype.is_complex != t.dtype.is_complex:
                raise RuntimeError(f"For complex Tensors, both grad_output and output are required to have the same "
                                   f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                                   f"output[{i}] has a dtype of {t.dtype}.")
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        out.append(g)
    return out


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate the gradients of `tensors` into the leaves' `.grad` (torch.autograd.backward)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad_tensors should have the same length as tensors ({len(grad_tensors)} vs "
                           f"{len(tensors)})")
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    grads = _make_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned instead of accumulated."""
    if is_grads_batched:
        raise NotImplementedError("ember: autograd.grad(is_grads_batched=True) is not supported")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one gradient per output: got {len(grad_outputs)} for {len(outputs)} "
                           "outputs")
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, allow_unused=allow_unused,
                          accumulate=False)
    if materialize_grads:
        from ..ops.creation import zeros_like

        result = [zeros_like(t) if g is None else g for t, g in zip(inputs, result)]
    return tuple(result)


Variable = Tensor  # torch.autograd.Variable: a Tensor since PyTorch 0.4 (torchviz still imports it)


# -------------------------------------------------------------------------------------------------------
# Tensor methods that belong to autograd


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _register_hook(self, hook):
    """hook(grad) -> None or a replacement grad, called when the gradient w.r.t. this tensor is computed."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is None:  # leaves keep their hooks; their AccumulateGrad applies them
        if self._hooks is None:
            self._hooks = HookDict()
        return _add_hook(self._hooks, hook)
    return self.grad_fn._register_tensor_prehook(self.__dict__.get("_output_nr", 0), hook)


def _retain_grad(self):
    if not self.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self._retains_grad:
        return
    ref = weakref.ref(self)  # the hook lives on the grad_fn, which the tensor holds: no cycle

    def keep(grad):
        t = ref()
        if t is not None:
            t.grad = grad.detach().clone() if t.grad is None else t.grad + grad
    self.grad_fn._register_tensor_prehook(self.__dict__.get("_output_nr", 0), keep)
    self._retains_grad = True


def _register_post_accumulate_grad_hook(self, hook):
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    acc = grad_accumulator(self)
    self.__dict__["_grad_accumulator_strong"] = acc  # keep it (and so the hook) alive with the tensor
    return acc.register_post_accumulate_hook(hook)


def _output_nr(self):
    return self.__dict__.get("_output_nr", 0)


Tensor.backward = _tensor_backward
Tensor.register_hook = _register_hook
Tensor.retain_grad = _retain_grad
Tensor.retains_grad = property(lambda self: self._retains_grad)
Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
Tensor.output_nr = property(_output_nr)

_ = (AccumulateGrad, Node, RemovableHandle, InplaceFunction, NestedIOFunction)
