"""CPU autocast: the state `torch.autocast("cpu")` sets, and the decorator that gives an op PyTorch's cast policy.

PyTorch casts at its dispatcher's AutocastCPU key, before an op runs: matmul, linear, conv and the other
"lower precision" ops get their floating inputs (float64 excepted) in the autocast dtype; losses, linear-algebra
decompositions, FFTs and the other "fp32" ops get them in float32. Ops called inside such an op are not cast
again (the key is excluded while it runs), and casts of leaf tensors that require grad (weights) are cached until
the outermost autocast region exits, so one weight used twice is cast once. Backward passes run without
autocast, as PyTorch's engine threads do.
"""

import functools

from . import _dtype
from ._tensor import Tensor


class _State:
    enabled = False  # CPU autocast on
    dtype = _dtype.bfloat16
    inside = False  # an autocast op is running: ops it calls are left alone
    cache_enabled = True
    cache = {}  # id(leaf) -> (leaf, its cast): keeps both alive until the region ends


state = _State()


def clear_cache():
    state.cache.clear()


def _cast(value, target):
    if not isinstance(value, Tensor):
        return value
    dt = value.dtype
    if dt is target or not dt.is_floating_point or dt is _dtype.float64:
        return value
    cacheable = state.cache_enabled and value.requires_grad and value.grad_fn is None and value._base is None
    if cacheable:
        hit = state.cache.get((id(value), target))
        if hit is not None:
            return hit[1]
    cast = value.to(target)
    if cacheable:
        state.cache[(id(value), target)] = (value, cast)
    return cast


def autocast_op(policy):
    """Give the decorated op PyTorch's CPU autocast policy: "lower" (the autocast dtype) or "fp32"."""
    def decorate(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if not state.enabled or state.inside:
                return fn(*args, **kwargs)
            target = state.dtype if policy == "lower" else _dtype.float32
            args = [_cast(a, target) for a in args]
            kwargs = {k: _cast(v, target) for k, v in kwargs.items()}
            state.inside = True
            try:
                return fn(*args, **kwargs)
            finally:
                state.inside = False
        return op
    return decorate


class suspended:
    """Autocast off for a region (the backward pass)."""

    def __enter__(self):
        self.saved = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.saved
        return False
