"""torch.autocast and the global autocast state (torch.is_autocast_enabled, get_autocast_dtype, ...).

The state is kept per device type as PyTorch keeps it. What ember cannot do yet is act on it: PyTorch's CPU
autocast casts the inputs of matmul/linear/conv (and a few more) to the autocast dtype inside the dispatcher, and
ember's ops have no such hook. Entering an *enabled* CPU autocast therefore raises NotImplementedError rather
than silently computing in float32. CUDA autocast turns itself off with PyTorch's warning (no CUDA here)."""

import functools
import warnings

from .. import _dtype
from .._device import device as _device_cls

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available"]

# per device type: [enabled, dtype]; PyTorch's defaults (float16 on GPUs, bfloat16 on the CPU)
_state = {"cpu": [False, _dtype.bfloat16], "cuda": [False, _dtype.float16]}
_cache = {"enabled": True, "nesting": 0}

_NOT_IMPLEMENTED = ("ember: CPU autocast is not implemented: ember's matmul, linear and conv have no hook to cast "
                    "their inputs to the autocast dtype yet. Cast the model and inputs explicitly (e.g. "
                    "model.to(torch.bfloat16)) or use autocast(..., enabled=False).")


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


def get_autocast_dtype(device_type):
    return _entry(device_type)[1]


def set_autocast_dtype(device_type, dtype):
    _entry(device_type)[1] = dtype


def _deprecated(old, new):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return _state["cpu"][0]


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    _state["cpu"][0] = bool(enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return _state["cpu"][1]


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    _state["cpu"][1] = dtype


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


def clear_autocast_cache():
    """ember keeps no cast cache."""


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
        if self._enabled and _device_type(self.device) == "cpu":
            raise NotImplementedError(_NOT_IMPLEMENTED)
        entry = _entry(self.device)
        self.prev = entry[0]
        self.prev_fastdtype = entry[1]
        self.prev_cache_enabled = is_autocast_cache_enabled()
        entry[0], entry[1] = self._enabled, self.fast_dtype
        set_autocast_cache_enabled(self._cache_enabled)
        autocast_increment_nesting()

    def __exit__(self, exc_type, exc_val, exc_tb):
        autocast_decrement_nesting()
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


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom autograd Function's forward. With autocast never enabled in ember, the forward
    runs as written (PyTorch also runs it unchanged when autocast is off)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd Function's backward (see custom_fwd)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
