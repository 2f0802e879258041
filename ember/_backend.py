"""The one module that names the array library.

Everything else gets NumPy (and, later, CuPy) from here, so adding a device means adding an entry here,
not touching every op. Process-wide tuning that the array library needs also lives here.
"""

import ctypes
import os
import sys

import ml_dtypes
import numpy as np

np = np
bfloat16 = np.dtype(ml_dtypes.bfloat16)


def array_namespace(device_type="cpu"):
    """The array module serving a device type (NumPy for 'cpu')."""
    if device_type == "cpu":
        return np
    raise RuntimeError(
        "Torch not compiled with CUDA enabled"
        if device_type == "cuda"
        else f"ember has no backend for device type '{device_type}'"
    )


_F16 = np.dtype(np.float16)
_WIDE = frozenset("dlqiILQ")  # float64 and the integer types wider than float32's 24-bit mantissa


def cast(arr, dtype):
    """arr.astype(dtype), except that float16 is reached through float32 from float64 and wide integers: c10's
    Half is built from a float, so PyTorch rounds twice there (which differs from NumPy's direct rounding when
    the float lands on a float16 tie)."""
    dtype = np.dtype(dtype)
    if dtype == _F16 and arr.dtype.char in _WIDE:
        return arr.astype(np.float32).astype(_F16)
    return arr.astype(dtype)


def asarray(x):
    """NumPy ufuncs on 0-d arrays return NumPy scalars; tensors always hold real arrays."""
    return x if type(x) is np.ndarray else np.asarray(x)


def _keep_freed_memory():
    """Keep freed large blocks inside the process (DESIGN.md §5).

    glibc returns blocks above a few MB to the OS on free(), so every new large temporary page-faults
    again; raising the mmap and trim thresholds keeps them for reuse. Opt out with EMBER_MALLOC_TUNING=0.
    """
    if os.environ.get("EMBER_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    # glibc caps the mmap threshold at 32 MiB on 64-bit; larger requests are refused, so ask for the cap.
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        mallopt(M_MMAP_THRESHOLD, 32 << 20)
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)


_keep_freed_memory()
