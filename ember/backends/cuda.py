"""torch.backends.cuda on a build without CUDA: the flags exist; `matmul.allow_tf32` mirrors
torch.get_float32_matmul_precision() as in PyTorch."""

import contextlib
import enum
import warnings

from .. import _settings


def is_built():
    return False


class _Matmul:
    """torch.backends.cuda.matmul: settable flags; other names raise as PyTorch's cuBLASModule does."""

    _FLAGS = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
              "allow_fp16_accumulation", "fp32_precision")

    def __init__(self):
        d = self.__dict__
        d["allow_fp16_reduced_precision_reduction"] = True
        d["allow_bf16_reduced_precision_reduction"] = True
        d["allow_fp16_accumulation"] = False
        d["fp32_precision"] = "none"

    @property
    def allow_tf32(self):
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        _settings.set_float32_matmul_precision("high" if value else "highest")

    def __getattr__(self, name):
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            object.__setattr__(self, name, value)
        elif name in self._FLAGS:
            self.__dict__[name] = value
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = _Matmul()


class _LinalgBackend(enum.Enum):
    Default = 0
    Cusolver = 1
    Magma = 2


class _BlasBackend(enum.Enum):
    Cublas = 0
    Cublaslt = 1
    Ck = 2


def preferred_linalg_library(backend=None):
    return _LinalgBackend.Default


def preferred_blas_library(backend=None):
    return _BlasBackend.Cublas


# scaled_dot_product_attention's backend switches: ember has one (math) implementation; the flags are kept
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled():
    return _sdp["flash"]


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def math_sdp_enabled():
    return _sdp["math"]


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


def is_flash_attention_available():
    return False


def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=2)
    return _sdp_flags(enable_flash, enable_math, enable_mem_efficient, enable_cudnn)


@contextlib.contextmanager
def _sdp_flags(enable_flash, enable_math, enable_mem_efficient, enable_cudnn):
    old = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
    try:
        yield
    finally:
        _sdp.update(old)
