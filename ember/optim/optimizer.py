"""Optimizer: the base class of every optimizer, with PyTorch's param_groups/state layout.

`param_groups` is a list of dicts (the group's options with the defaults filled in, under "params" its
tensors); `state` maps each parameter to its own dict of tensors. Both interchange with PyTorch's
`state_dict()` (parameters referred to by index).

The update itself runs on the parameters' arrays directly (the one place allowed to touch `_data`, see
DESIGN.md §1): one lean loop over the parameters of a group, each step a handful of in-place NumPy calls.
The array helpers at the bottom reproduce PyTorch's CPU kernels to the last bit where they differ from
naive NumPy: `add_(x, alpha)`, `lerp_` and `addcmul_` round once (a fused multiply-add), which we
emulate for float32 by computing in float64 and rounding back.
"""

import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

from .._backend import np
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad
from ..autograd.graph import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """A hook run before every optimizer's step: hook(optimizer, args, kwargs) -> None or (args, kwargs)."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """A hook run after every optimizer's step: hook(optimizer, args, kwargs) -> None."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _typename(obj):
    from ..nn.modules.module import _typename as typename

    return typename(obj)


def _hooked_step(step):
    """Wrap a class's step() so the step pre/post hooks (global and per optimizer) run around it.
    As in PyTorch, hooks receive the call's full positional arguments, the optimizer first."""
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.__name__ = step.__name__
    wrapper.__qualname__ = getattr(step, "__qualname__", step.__name__)
    wrapper.__doc__ = step.__doc__
    wrapper.__wrapped__ = step
    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers: holds param_groups and per-parameter state.

    Args:
        params: an iterable of Tensors (or of (name, Tensor) pairs), or of dicts defining parameter groups.
        defaults: the default values of the optimization options (used by groups that do not set them).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        self._warned_capturable_if_run_uncaptured = True

    # ------------------------------------------------------------------------------------------------
    # pickling, printing

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def _upgrade_loaded_state(self, group_defaults, step_keys=("step",)):
        """For subclasses' __setstate__: fill option keys older pickles lack, and turn their Python-number
        step counters into the 0-dim float32 tensors PyTorch keeps."""
        for group in self.param_groups:
            for key, value in group_defaults:
                group.setdefault(key, value)
            for p in group["params"]:
                p_state = self.state.get(p)
                if p_state:
                    for key in step_keys:
                        step_tensor_to_float(p_state, key)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------------------------------------------
    # hooks

    def _patch_step_function(self):
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _hooked_step(cls.step)

    @staticmethod
    def _register(hooks, hook, prepend=False):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), called before step()."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None, called after step()."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------------------------------------
    # state_dict

    def state_dict(self):
        """{'state': {param index: its state}, 'param_groups': [group options with 'params': [indices]]}."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {index_of[id(k)] if isinstance(k, Tensor) else k: v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        # 'step' keeps its own dtype (float32); other floating state takes the parameter's dtype
        if key == "step":
            return value
        if param.is_floating_point() and value.dtype != param.dtype:
            return value.to(dtype=param.dtype)
        return value

    def load_state_dict(self, state_dict):
        """Load a state_dict produced by state_dict() (ember's or PyTorch's, converted tensor by tensor)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, param_id=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, state_dict["param_groups"], key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, param_id=k)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------------------------------------
    # the training-loop API

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g.grad_fn = None
                    g.requires_grad = False
                    g._data[...] = 0
                    g._bump_version()

    def step(self, closure=None):
        """Perform a single optimization step (subclasses implement it)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Add a param group (a dict with 'params' and optional per-group options) to param_groups."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.grad_fn is None or param._retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------------------------------------
    # helpers for subclasses

    def _params_with_grad(self, group, name):
        """(param, grad array) pairs of the group's parameters that have a gradient."""
        out = []
        for p in group["params"]:
            g = p.grad
            if g is not None:
                if g.is_sparse:
                    raise RuntimeError(f"{name} does not support sparse gradients")
                out.append(p)
        return out

    def _run_closure(self, closure):
        if closure is None:
            return None
        from ..autograd.grad_mode import enable_grad

        with enable_grad():
            return closure()


# -----------------------------------------------------------------------------------------------------
# array kernels with PyTorch's CPU rounding


_F64 = np.dtype(np.float64)


def check_lr(lr):
    """torch's learning-rate checks, first in every optimizer's constructor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(**values):
    """torch's "Invalid <name> value: <value>" check for each keyword, in the order given."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value}")


def check_betas(betas):
    """Both Adam-style betas in [0, 1)."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _opmath_scalar(s, dtype):
    """A Python scalar as the kernel sees it: rounded to float32 for every dtype but float64."""
    return float(s) if dtype == _F64 else float(np.float32(s))


# Arrays up to this size get PyTorch's fused rounding exactly (emulated in float64, ~5x the cost of two
# float32 passes); larger ones round twice (at most 1 ulp away per operation) to keep the step fast.
EXACT_FMA_MAX_SIZE = 16384


def _fma(x, s, y, out):
    """out = x * s + y with one rounding (PyTorch's vectorised fmadd); `s` a Python number."""
    if out.dtype == _F64 or out.size > EXACT_FMA_MAX_SIZE:
        t = np.multiply(x, s if out.dtype == _F64 else np.float32(s).item())
        np.add(t, y, out=out)
    else:
        t = np.multiply(x, np.float64(np.float32(s)))  # exact in float64: float32 x float32
        np.add(t, y, out=t)
        np.copyto(out, t, casting="unsafe")
    return out


def add_scaled_(y, x, alpha):
    """y.add_(x, alpha=alpha)."""
    if alpha == 1:
        return np.add(y, x, out=y)
    return _fma(x, alpha, y, y)


def added(y, x, alpha):
    """y.add(x, alpha=alpha) as a new array."""
    return _fma(x, alpha, y, np.empty_like(y))


def lerp_(a, b, w):
    """a.lerp_(b, w) for a scalar weight: PyTorch's two-branch formula, fused."""
    w = _opmath_scalar(w, a.dtype)
    diff = np.subtract(b, a)
    if abs(w) < 0.5:
        return _fma(diff, w, a, a)
    return _fma(diff, w - 1.0, b, a)


def addcmul_(a, t1, t2, value):
    """a.addcmul_(t1, t2, value=value): fma(value * t1, t2, a)."""
    dtype = a.dtype
    u = np.multiply(t1, _opmath_scalar(value, dtype))
    if dtype == _F64 or a.size > EXACT_FMA_MAX_SIZE:
        np.multiply(u, t2, out=u)
        return np.add(a, u, out=a)
    t = np.multiply(u, t2, dtype=np.float64)
    np.add(t, a, out=t)
    np.copyto(a, t, casting="unsafe")
    return a


def addcdiv_(a, t1, t2, value):
    """a.addcdiv_(t1, t2, value=value): a + (value * t1) / t2, unfused."""
    u = np.multiply(t1, _opmath_scalar(value, a.dtype))
    np.divide(u, t2, out=u)
    return np.add(a, u, out=a)


def real_view(arr):
    """The array the update works on: complex arrays as their real pairs (torch.view_as_real), 0-dim arrays
    as 1-element views (NumPy turns 0-dim results into scalars, which cannot be written in place)."""
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind == "c":
        return arr.view(arr.real.dtype)
    return arr


def scalar_step():
    """The 'step' state entry: a 0-dim float32 tensor, as PyTorch keeps it."""
    return _wrap(np.zeros((), np.float32))


def zeros_state(p):
    return _wrap(np.zeros_like(p._data))


def to_float(x):
    """lr/betas given as 1-element Tensors become Python numbers for the update."""
    return float(x.item()) if isinstance(x, Tensor) else x


def step_tensor_to_float(state, key="step"):
    """Convert a Python-number state entry (old checkpoints) into the 0-dim float32 tensor PyTorch uses."""
    value = state.get(key)
    if value is not None and not isinstance(value, Tensor):
        state[key] = _wrap(np.asarray(float(value), np.float32))


def no_grad_step(fn):
    """Decorator: run an optimizer's step under no_grad (the closure still runs with grad enabled)."""
    def step(self, closure=None):
        with no_grad():
            return fn(self, closure)

    step.__name__ = fn.__name__
    step.__qualname__ = fn.__qualname__
    step.__doc__ = fn.__doc__
    return step
