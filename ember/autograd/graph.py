"""The autograd graph: Node (a backward function), AccumulateGrad (a leaf's sink), saved tensors, hooks.

An op that records itself creates one Node subclass instance named as PyTorch's grad_fn
(`MulBackward0`), saves what its backward needs with `self.save(...)`, and calls `record(node, inputs,
outputs)`. The node's edges (`next_functions`) point at the inputs' grad_fns, or at the leaves'
AccumulateGrad nodes. `Node.backward(*grad_outputs)` returns one gradient per input (None where an input
needs none) and is written with ember's own ops, so the engine can record it again for higher-order
gradients.
"""

import itertools
import weakref

from .. import _tensor as _tensor_module  # attribute looked up per call: no import cycle at load time
from .grad_mode import state as _grad_state

_sequence = itertools.count()


class RemovableHandle:
    """Returned by every register_*hook: `handle.remove()` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)

    def remove(self):
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class HookDict(dict):
    """An ordered id -> hook mapping that RemovableHandle can refer to weakly."""

    __slots__ = ("__weakref__",)


def _add_hook(hooks, fn):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved, so a later in-place change is caught."""

    __slots__ = ("tensor", "version", "is_output", "node", "output_nr")

    def __init__(self, tensor, node, is_output):
        self.version = tensor._version
        self.is_output = is_output
        self.node = node
        self.output_nr = 0  # record() sets it for the outputs of multi-output nodes
        # An op's own output is saved without its grad_fn (which would be this node: a reference cycle);
        # unpack() puts it back.
        self.tensor = tensor.detach() if is_output else tensor

    def unpack(self):
        t = self.tensor
        if t is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward.")
        if t._version != self.version:
            from .. import _dtype
            label = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                     "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(t.dtype._name, "")
            node = self.node if self.is_output else t.grad_fn
            where = f"output 0 of {type(node).__name__}" if node is not None else "a leaf Variable"
            del _dtype
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[torch.{label}Tensor {list(t.shape)}], which is {where}, is at version {t._version}; expected "
                f"version {self.version} instead. Hint: enable anomaly detection to find the operation that failed "
                f"to compute its gradient, with torch.autograd.set_detect_anomaly(True).")
        if self.is_output and _grad_state.enabled:
            # under create_graph the saved output must lead back into the graph through this node
            out = t.detach()
            out.requires_grad = True
            out.grad_fn = self.node
            if self.output_nr:
                out.__dict__["_output_nr"] = self.output_nr
            return out
        return t


class Node:
    """A backward function. Subclasses are named as PyTorch's grad_fn classes and implement backward()."""

    num_outputs = 1

    def save(self, tensor, is_output=False):
        """Keep `tensor` for backward (None and non-tensors pass through)."""
        if not isinstance(tensor, _tensor_module.Tensor):
            return _Constant(tensor)
        saved = SavedTensor(tensor, self, is_output)
        self.__dict__.setdefault("_saved", []).append(saved)
        return saved

    def release_saved(self):
        for saved in self.__dict__.get("_saved", ()):
            saved.tensor = None

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def name(self):
        return type(self).__name__

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})

    @property
    def needs_input_grad(self):
        return tuple(node is not None for node, _ in self.next_functions)

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after the node ran; may return replacement grad_inputs."""
        return _add_hook(self.__dict__.setdefault("_post_hooks", HookDict()), fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before the node runs; may return replacement grad_outputs."""
        return _add_hook(self.__dict__.setdefault("_pre_hooks", HookDict()), fn)

    def _register_tensor_prehook(self, output_nr, fn):
        hooks = self.__dict__.setdefault("_tensor_pre_hooks", {}).setdefault(output_nr, HookDict())
        return _add_hook(hooks, fn)

    def __call__(self, *grad_outputs):
        return self.backward(*grad_outputs)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"


class _Constant:
    """What `Node.save` returns for a non-tensor, so backward code can call unpack() on anything."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def unpack(self):
        return self.value


class AccumulateGrad(Node):
    """The sink of a leaf tensor that requires grad: adds incoming gradients into `variable.grad`."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._sequence_nr = 2**62  # leaves run as soon as they are ready, as in PyTorch

    def register_post_accumulate_hook(self, fn):
        return _add_hook(self.__dict__.setdefault("_post_accumulate_hooks", HookDict()), fn)

    def accumulate(self, grad, create_graph):
        var = self.variable
        if grad._data.dtype != var._data.dtype:  # as PyTorch's engine, gradients take their input's dtype
            grad = grad.to(var.dtype)
        if var.grad is None:
            # a fresh tensor: gradients returned by backward formulas may alias each other or the caller's
            var.grad = grad if create_graph else _detached_copy(grad)
        elif create_graph or _grad_state.enabled:
            var.grad = var.grad + grad
        else:
            var.grad._data += grad._data
            var.grad._bump_version()
        for hook in list(self.__dict__.get("_post_accumulate_hooks", {}).values()):
            hook(var)


def _detached_copy(t):
    from .._tensor import _wrap

    return _wrap(t._data.copy())


def grad_accumulator(tensor):
    """The AccumulateGrad node of a leaf tensor, created once and kept while the graph holds it."""
    ref = tensor.__dict__.get("_grad_accumulator")
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor.__dict__["_grad_accumulator"] = weakref.ref(acc)
    return acc


_NO_EDGE = (None, 0)


def edge(t):
    """The edge (node, input_nr) from a consumer to tensor `t`; (None, 0) when `t` needs no gradient."""
    if not getattr(t, "requires_grad", False):
        return _NO_EDGE
    if t._base is not None and t._view_version != t._version_counter[0]:
        refresh_view_history(t)  # a stale view: what the grad_fn property does, inlined on this hot path
    fn = t._grad_fn
    if fn is None:
        if "_no_grad_view" in t.__dict__:  # a view made under no_grad: requires grad, but no gradient flows
            return _NO_EDGE
        return (grad_accumulator(t), 0)
    return (fn, t.__dict__.get("_output_nr", 0))


NO_GRAD_VIEW_ERROR = ("A view was created in no_grad mode and {} modified inplace with grad mode enabled. Given "
                      "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code "
                      "by moving both the view and the inplace either both inside the no_grad block (if you don't "
                      "want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")


def refresh_view_history(view):
    """A view whose base was written in place since the view's history was recorded gets its history anew
    from the base's current one (AsStridedBackward0), as PyTorch regenerates a stale view's grad_fn: the
    old history would send gradients to values that were overwritten. Called by the Tensor.grad_fn property
    when the view's version differs from the one its history was made at."""
    base = view._base
    if not base.requires_grad:  # nothing to take (yet): checked again at the next read
        return
    if "_no_grad_view" in view.__dict__:
        raise RuntimeError(NO_GRAD_VIEW_ERROR.format("its base or another view of its base has been"))
    view._view_version = view._version_counter[0]
    if not base._data.flags.c_contiguous:  # geometry relative to the base needs a plain layout
        return
    from ..ops._common import AsStridedBackward0, _view_geometry

    node = AsStridedBackward0(_view_geometry(view, base), base._data.shape)
    node.next_functions = (edge(base),)
    node._sequence_nr = next(_sequence)
    view._grad_fn = node
    view.requires_grad = True
    view.__dict__.pop("_output_nr", None)


def needs_grad(*tensors):
    """Whether an op on these inputs must be recorded: grad mode is on and one of them requires grad."""
    if not _grad_state.enabled:
        return False
    for t in tensors:
        if getattr(t, "requires_grad", False):
            return True
    return False


def record(node, inputs, outputs):
    """Attach `node` as the grad_fn of `outputs` (a tensor or a sequence), with edges to `inputs`."""
    node.next_functions = tuple([edge(t) for t in inputs])
    node._sequence_nr = next(_sequence)
    if _grad_state.anomaly:
        from .anomaly_mode import record_forward_stack

        record_forward_stack(node)
    if isinstance(outputs, (tuple, list)):
        node.num_outputs = len(outputs)
        for i, out in enumerate(outputs):
            if out is not None and (out.is_floating_point() or out.is_complex()):
                out._grad_fn = node
                out.requires_grad = True
                if i:
                    out.__dict__["_output_nr"] = i
                if out._base is not None:  # unbind/split/chunk: such views may not be written in place
                    out.__dict__["_multi_output_view"] = True
        for saved in node.__dict__.get("_saved", ()):  # outputs saved before they had their numbers
            if saved.is_output:
                for i, out in enumerate(outputs):
                    if out is not None and saved.tensor._data is out._data:
                        saved.output_nr = i
    else:
        outputs._grad_fn = node
        outputs.requires_grad = True
    return outputs


from .viz import DotGraph, to_dot  # noqa: E402,F401 - ember.autograd.graph.to_dot (viz needs nothing from here)
