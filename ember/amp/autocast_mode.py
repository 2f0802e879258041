"""torch.autocast and the global autocast state (torch.is_autocast_enabled, get_autocast_dtype, ...).

The state is kept per device type as PyTorch keeps it. CPU autocast acts through ember/_autocast.py: the ops
on PyTorch's CPU lists cast their inputs to the autocast dtype (matmul, linear, conv, ...) or to float32 (losses,
decompositions, FFTs, ...). CUDA autocast turns itself off with PyTorch's warning (no CUDA here)."""

import functools
import warnings

from .. import _autocast, _dtype
from .._device import device as _device_cls

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available"]

# per device type: [enabled, dtype]; PyTorch's defaults (float16 on GPUs, bfloat16 on the CPU)
_state = {"cpu": [False, _dtype.bfloat16], "cuda": [False, _dtype.float16]}
_cache = {"enabled": True, "nesting": 0}



def _sync():
    """Hand the CPU entry to the ops' autocast hook."""
    _autocast.state.enabled, _autocast.state.dtype = _state["cpu"]
    _autocast.state.cache_enabled = _cache["enabled"]


def _device_type(device_type):
    # validates the string as PyTorch does (torch.device's error for an unknown type)
    return _device_cls(device_type).type


def _entry(device_type):
    return _state.setdefault(_device_type(device_type), [False, _dtype.float16])


def is_autocast_available(device_type):
    _device_type(device_type)
    return True


def is_autocast_enabled(device_type=None):
    return _entry("cuda" if device_type is None else device_type)[0]


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:  # the deprecated one-argument form set_autocast_enabled(enabled) means CUDA
        device_type, enabled = "cuda", device_type
    _entry(device_type)[0] = bool(enabled)
    _sync()


def get_autocast_dtype(device_type):
    return _entry(device_type)[1]


def set_autocast_dtype(device_type, dtype):
    _entry(device_type)[1] = dtype
    _sync()


def _deprecated(old, new):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return _state["cpu"][0]


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    _state["cpu"][0] = bool(enabled)
    _sync()


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return _state["cpu"][1]


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    _state["cpu"][1] = dtype
    _sync()


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return _state["cuda"][1]


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    _state["cuda"][1] = dtype


def is_autocast_cache_enabled():
    return _cache["enabled"]


def set_autocast_cache_enabled(enabled):
    _cache["enabled"] = bool(enabled)
    _sync()


def clear_autocast_cache():
    _autocast.clear_cache()


def autocast_increment_nesting():
    _cache["nesting"] += 1
    return _cache["nesting"]


def autocast_decrement_nesting():
    _cache["nesting"] -= 1
    return _cache["nesting"]


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): context manager and decorator."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _device_type(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        if device_type == "cuda" and enabled:
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
            enabled = False
        elif device_type == "cpu" and enabled and self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        entry = _entry(self.device)
        self.prev = entry[0]
        self.prev_fastdtype = entry[1]
        self.prev_cache_enabled = is_autocast_cache_enabled()
        entry[0], entry[1] = self._enabled, self.fast_dtype
        set_autocast_cache_enabled(self._cache_enabled)
        autocast_increment_nesting()

    def __exit__(self, exc_type, exc_val, exc_tb):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        entry = _entry(self.device)
        entry[0], entry[1] = self.prev, self.prev_fastdtype
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorated


def _cast_inputs(value, dtype):
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return value.to(dtype) if value.is_floating_point() and value.dtype is not _dtype.float64 else value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_inputs(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_inputs(v, dtype) for k, v in value.items()}
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom autograd Function's forward: records the autocast state for custom_bwd; with
    `cast_inputs`, inside an enabled autocast region the forward runs with autocast off on inputs cast to it."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast_inputs(args, cast_inputs), **_cast_inputs(kwargs, cast_inputs))
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd Function's backward: runs it under the autocast state its forward saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
