"""torch.compile without a compiler: ember runs every model eagerly, so "compiling" returns something that
calls the original. For an nn.Module that is an `OptimizedModule` wrapper, as in PyTorch, because programs
observe the wrapper: its state_dict keys carry the `_orig_mod.` prefix, its repr nests the model, and
attribute reads and writes go through to the wrapped module. Functions come back wrapped (functools.wraps) so
they stay distinct objects, as torch's are."""

import functools

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", "tvm", "onnxrt", "openxla", "tensorrt")


class OptimizedModule(Module):
    """Wraps `_orig_mod` (registered as a child, hence the state_dict prefix); everything else is the
    original's: unknown attribute reads and writes are forwarded to it, and `training` mirrors it."""

    _own_attributes = frozenset({"_orig_mod", "forward", "_super_module_initialized", "__dict__"})

    def __init__(self, mod):
        object.__setattr__(self, "_orig_mod", mod)  # attribute access forwards to it from the very start
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        object.__setattr__(self, "_super_module_initialized", True)
        self._orig_mod = mod  # now registered as the child module (Module.__setattr__ drops the plain one)
        self.forward = mod.__call__  # the original's hooks still run, inside the wrapper's call

    @property
    def training(self):
        return self._orig_mod.training

    @training.setter
    def training(self, value):
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __len__(self):
        try:
            return len(self._orig_mod)
        except TypeError:
            raise TypeError(f"{type(self._orig_mod).__name__} does not support len()") from None

    def __getattr__(self, name):
        if name == "_orig_mod":
            d = self.__dict__
            return d["_modules"]["_orig_mod"] if "_modules" in d else d["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        if hasattr(type(self), name) or name in self._own_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name):
        if hasattr(type(self), name) or name in self._own_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("forward", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        object.__setattr__(self, "forward", self._orig_mod.__call__)

    def __dir__(self):
        own = self._orig_mod.__dir__()
        return own + [a for a in super().__dir__() if a not in own]


def _check_options(mode, options, backend):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(f"Invalid backend: '{backend}', see `torch._dynamo.list_backends()` for available "
                           "backends.")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,  # noqa: A001
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """Returns `model` ready to run eagerly: an OptimizedModule for a Module, a wrapper for a function.
    Without a model it is a decorator factory (`@torch.compile(mode=...)`)."""
    if model is None:
        def decorate(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           name=name, disable=disable, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)

        return decorate
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    _check_options(mode, options, backend)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled
