"""torch.backends.mkldnn: PyTorch's CPU build has oneDNN; ember's NumPy kernels stand in for it."""

from ._flags import set_flags

enabled = True
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available():
    return True


def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    import sys

    return set_flags(sys.modules[__name__], enabled=enabled, deterministic=deterministic, allow_tf32=allow_tf32,
                     fp32_precision=fp32_precision)
