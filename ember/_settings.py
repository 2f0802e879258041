"""Process-wide settings PyTorch keeps in its global context (torch.set_num_threads, deterministic algorithms,
matmul precision, default device, warn-always, flush-denormal).

ember computes with NumPy, so most of these change nothing about how results are computed: they are stored and
reported back exactly as a CPU-only PyTorch build stores and reports them, so scripts that set or read them run
unchanged. Where a setting would change results in PyTorch (flush-denormal), the docstring says what ember does.
"""

import os
import warnings

from . import _device as _device_module
from ._device import device as _device_cls

__all__ = [
    "set_num_threads", "get_num_threads", "init_num_threads", "set_num_interop_threads", "get_num_interop_threads",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "set_float32_matmul_precision", "get_float32_matmul_precision", "set_default_device", "get_default_device",
    "set_warn_always", "is_warn_always_enabled", "set_flush_denormal",
]


def _cores():
    """PyTorch's default thread count: OMP_NUM_THREADS when set, else the cores this process may use."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _State:
    num_threads = None  # None until set: the default is read lazily (cheap, but not at import)
    num_interop_threads = None
    interop_set = False
    deterministic = False
    deterministic_warn_only = False
    matmul_precision = "highest"
    warn_always = False
    flush_denormal = False


state = _State()


def _check_int(value, fname):
    # PyTorch's own check: ints only (bool counts as int), then positive
    if not isinstance(value, int):
        raise RuntimeError(f"{fname} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{fname} expects a positive integer")


def set_num_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Records the intra-op thread count. ember's kernels are NumPy's (its BLAS keeps its own pool), so this
    changes what get_num_threads reports, not how ember computes."""
    _check_int(int, "set_num_threads")
    state.num_threads = int


def get_num_threads():
    if state.num_threads is None:
        state.num_threads = _cores()
    return state.num_threads


def init_num_threads():
    """PyTorch initialises its thread pools per thread here; ember has none."""


def set_num_interop_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Can be called once, before any inter-op work, as in PyTorch (ember never runs inter-op work itself)."""
    _check_int(int, "set_num_interop_threads")
    if state.interop_set:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    state.num_interop_threads = int
    state.interop_set = True


def get_num_interop_threads():
    if state.num_interop_threads is None:
        state.num_interop_threads = _cores()
    return state.num_interop_threads


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's NumPy kernels are deterministic, so this only records the mode for the query functions."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    state.deterministic = mode
    state.deterministic_warn_only = warn_only


def are_deterministic_algorithms_enabled():
    return state.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    return state.deterministic_warn_only


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode):
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif isinstance(debug_mode, int):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not state.deterministic:
        return 0
    return 1 if state.deterministic_warn_only else 2


def set_float32_matmul_precision(precision):
    """Recorded only: NumPy has no TF32 or bf16-pass matmul, so float32 matmuls are always 'highest'."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    state.matmul_precision = precision


def get_float32_matmul_precision():
    return state.matmul_precision


def set_default_device(device):
    """The device factory functions use when given none. Only the CPU has a backend: a CUDA default is accepted
    (as a CPU-only PyTorch build accepts it) and fails when a tensor is created or the default is read."""
    if device is None:
        _device_module.default_device = None
        return
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    d = _device_cls(device)
    # kept where check_device reads it on every tensor creation
    _device_module.default_device = None if d.type == "cpu" and d.index is None else d


def get_default_device():
    d = _device_module.default_device
    if d is None:
        return _device_cls("cpu")
    if d.type == "cuda" and d.index is None:  # PyTorch asks the device for its current index here
        raise AssertionError("Torch not compiled with CUDA enabled")
    return d


def set_warn_always(b):
    """Recorded: ember's warnings already go through Python's `warnings`, whose filters decide repetition."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    state.warn_always = b


def is_warn_always_enabled():
    return state.warn_always


def set_flush_denormal(mode):
    """Returns whether the CPU supports flushing denormals (x86 with SSE3 does, as PyTorch reports). ember
    cannot switch NumPy's floating-point mode, so it warns when asked to flush: subnormals keep their values."""
    import platform

    supported = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
    if not supported:
        return False
    if mode and not state.flush_denormal:
        warnings.warn("ember: set_flush_denormal(True) has no effect on NumPy's arithmetic; subnormal values are "
                      "kept", UserWarning, stacklevel=2)
    state.flush_denormal = bool(mode)
    return True
