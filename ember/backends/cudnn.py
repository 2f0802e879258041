"""torch.backends.cudnn on a build without cuDNN: the flags exist and can be set; cuDNN itself is absent."""

from ._flags import set_flags

enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    return False


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    import sys

    return set_flags(sys.modules[__name__], enabled=enabled, benchmark=benchmark, deterministic=deterministic,
                     allow_tf32=allow_tf32, fp32_precision=fp32_precision)
