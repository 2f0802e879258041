"""ember: PyTorch's API on NumPy. `import ember as torch`.

This module only re-exports; the logic lives in the modules it names.
"""

__version__ = "0.1.0"

import math as _math

from ._dtype import (
    bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128,
    dtype, finfo, iinfo, get_default_dtype, set_default_dtype, promote_types, can_cast,
)
from ._dtype import ALIASES as _ALIASES

half, float, double, short, int, long, cfloat, cdouble = (
    _ALIASES[n] for n in ("half", "float", "double", "short", "int", "long", "cfloat", "cdouble"))
from ._device import device
from ._tensor import Tensor, Size


class layout:
    """torch.layout: only the strided layout exists in ember."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name


strided = layout("strided")


class memory_format:
    """torch.memory_format: accepted where PyTorch takes one; ember tensors are always strided NumPy arrays."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

e = 2.718281828459045
pi = 3.141592653589793
inf = _math.inf
nan = _math.nan

from .ops.creation import *
from .ops.pointwise import *
from .ops.shape import *
from .ops.indexing import *
from .ops.reduction import *
from .ops.sorting import *
from .ops.linalg import *
from .ops.random import *
from .ops.misc import *
from .ops.extra import *
from .ops.legacy import *
from ._settings import *
from . import autograd, linalg, random, special

# Imported on first use (PEP 562), so `import ember` stays fast: the layers, optimizers, data tools and
# the nn.functional names torch also exposes at its top level.
_LAZY_MODULES = {"nn", "optim", "utils", "testing", "serialization", "cuda", "vision", "distributed", "multiprocessing",
                 "backends", "amp", "cpu", "distributions", "fft", "func"}
_LAZY_FUNCTIONAL = {
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "avg_pool1d", "batch_norm", "bilinear",
    "binary_cross_entropy_with_logits", "celu", "celu_", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss", "cosine_similarity", "dropout", "embedding",
    "feature_alpha_dropout", "group_norm", "hardshrink", "hinge_embedding_loss", "instance_norm", "kl_div",
    "layer_norm", "log_softmax", "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
    "max_pool3d", "pairwise_distance", "poisson_nll_loss", "prelu", "rms_norm", "rrelu", "rrelu_", "selu", "selu_",
    "softmax", "threshold", "threshold_", "triplet_margin_loss",
}


_LAZY_SERIALIZATION = {"save", "load", "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals"}
# name -> module it lives in (imported on first use, then cached in this module's globals)
_LAZY_NAMES = {
    "compile": "._compile",
    "ctc_loss": ".ops.ctc",
    "vmap": ".func",
    "stft": ".ops.fft",
    "istft": ".ops.fft",
    "UntypedStorage": ".storage",
    "TypedStorage": ".storage",
    **dict.fromkeys(("norm_except_dim", "_weight_norm", "_weight_norm_interface"), ".nn.utils.weight_norm"),
    **dict.fromkeys(("autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
                     "set_autocast_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
                     "get_autocast_cpu_dtype", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype",
                     "set_autocast_gpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                     "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting"),
                    ".amp.autocast_mode"),
}


def __getattr__(name):
    import importlib

    if name in _LAZY_SERIALIZATION:
        value = getattr(importlib.import_module(".serialization", __name__), name)
        globals()[name] = value
        return value
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    if name in _LAZY_MODULES:
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_FUNCTIONAL:
        value = getattr(importlib.import_module(".nn.functional", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _LAZY_MODULES | _LAZY_FUNCTIONAL | _LAZY_SERIALIZATION | set(_LAZY_NAMES))


from .autograd.grad_mode import (
    no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, is_inference_mode_enabled,
)
from ._printing import set_printoptions


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if input.numel() == 0 else
                           "Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0
