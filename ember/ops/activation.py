"""Activation functions (torch.nn.functional's), forward and backward side by side.

Each forward is one stable, vectorised NumPy expression; float16/bfloat16 compute in float32 and round back.
Each op records its own backward node under PyTorch's grad_fn name. Backward formulas are written with
ember's Tensor ops so `create_graph=True` differentiates them again; the hot ones (relu, softmax,
log_softmax) take a NumPy shortcut when no graph is being built.
"""

import math
import warnings

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ..autograd.grad_mode import state as _grad_state
from ._common import Node, Tensor, commit_inplace, prepare_inplace, record, sum_to_shape, wrap, wrap_dim

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu",
    "silu", "mish", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softplus", "softsign", "tanhshrink",
    "threshold", "threshold_", "glu", "logsigmoid", "prelu", "rrelu", "rrelu_", "hardshrink", "softshrink", "sigmoid",
    "tanh", "softmax", "log_softmax", "softmin",
]

_HALF = (np.dtype(np.float16), _dtype.bfloat16._np)
_F32 = np.dtype(np.float32)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _array(input, name):
    try:
        return input._data
    except AttributeError:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}") from None


def _float_kernel(x, kernel, name):
    """kernel(x) with PyTorch's dtype rules for a floating-only activation: half types in float32."""
    dt = x.dtype
    if dt.kind not in "f" and dt not in _HALF:
        label = _dtype.from_numpy_dtype(dt).scalar_type_name
        raise NotImplementedError(f'"{name}" not implemented for \'{label}\'')
    if dt in _HALF:
        return np.asarray(kernel(x.astype(_F32))).astype(dt)
    return np.asarray(kernel(x))


def _scalar(v, x):
    """A Python number as x's (computing) dtype, so NumPy never upcasts float32 to float64."""
    return x.dtype.type(v)


def _unary(name, input, kernel, make_node, inplace=False):
    """Run an elementwise activation: out of place, or in place through prepare/commit_inplace."""
    x = _array(input, name)
    if inplace:
        src = prepare_inplace(input)
        if src is input:  # nothing to record: write straight into the input
            input._data[...] = _float_kernel(x, kernel, name)
            input._bump_version()
            return input
        return commit_inplace(input, _unary(name, src, kernel, make_node))
    result = wrap(_float_kernel(x, kernel, name))
    if input.requires_grad and _grad_state.enabled:
        record(make_node(input, result), (input,), result)
    return result


def _fast():
    """True while a backward runs without create_graph: NumPy shortcuts are then safe."""
    return not _grad_state.enabled


# -------------------------------------------------------------------------------------------------------
# relu family


class ReluBackward0(Node):
    def __init__(self, input, result):
        self.result = self.save(result, is_output=True)

    def backward(self, grad):
        out = self.result.unpack()
        if _fast():
            g = grad._data * (out._data > 0)
            return wrap(g.astype(grad._data.dtype, copy=False))
        return grad * (out > 0)


def _relu_array(x, out=None):
    # zeros first: -0.0 stays -0.0 and NaN stays NaN, as PyTorch's relu; an array of zeros (lazily zeroed pages)
    # also runs 1.5-2x faster than NumPy's scalar-broadcast maximum
    return np.maximum(np.zeros(x.shape, x.dtype), x, out=out)


def relu(input, inplace=False):
    x = _array(input, "relu")
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return relu_(input)
    result = wrap(_relu_array(x))
    if input.requires_grad and _grad_state.enabled:
        record(ReluBackward0(input, result), (input,), result)
    return result


def relu_(input):
    x = _array(input, "relu_")
    src = prepare_inplace(input)
    if src is input:
        _relu_array(x, out=x)
        input._bump_version()
        return input
    return commit_inplace(input, relu(src))


class HardtanhBackward0(Node):
    def __init__(self, input, min_val, max_val):
        self.input, self.min_val, self.max_val = self.save(input), min_val, max_val

    def backward(self, grad):
        x = self.input.unpack()
        return grad * ((x > self.min_val) & (x < self.max_val))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    x = _array(input, "hardtanh")
    if x.dtype.kind == "b":
        raise NotImplementedError("\"hardtanh_cpu\" not implemented for 'Bool'")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")

    def kernel(v):
        return np.clip(v, v.dtype.type(min_val), v.dtype.type(max_val))

    if x.dtype.kind in "iu":  # integer inputs stay integer (PyTorch clamps them too)
        if inplace:
            np.clip(x, min_val, max_val, out=x)
            input._bump_version()
            return input
        return wrap(np.clip(x, min_val, max_val).astype(x.dtype))
    return _unary("hardtanh", input, kernel, lambda i, r: HardtanhBackward0(i, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


class LeakyReluBackward0(Node):
    def __init__(self, input, negative_slope):
        self.input, self.negative_slope = self.save(input), negative_slope

    def backward(self, grad):
        x = self.input.unpack()
        return grad * (x > 0) + grad * (x <= 0) * self.negative_slope


def leaky_relu(input, negative_slope=0.01, inplace=False):
    def kernel(v):
        return np.where(v > 0, v, v * _scalar(negative_slope, v))

    return _unary("leaky_relu", input, kernel, lambda i, r: LeakyReluBackward0(i, negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


class RreluWithNoiseBackward0(Node):
    def __init__(self, input, noise):
        self.input, self.noise = self.save(input), noise

    def backward(self, grad):
        x = self.input.unpack()
        return grad * (x > 0) + grad * (x <= 0) * self.noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    x = _array(input, "rrelu")
    if training:
        # a slope drawn per non-positive element from U(lower, upper), in PyTorch's stream order
        from .random import rrelu_noise

        noise = rrelu_noise(x, lower, upper)
    else:
        noise = (lower + upper) / 2

    def kernel(v):
        return np.where(v > 0, v, v * (noise if not isinstance(noise, float) else _scalar(noise, v)))

    node_noise = wrap(np.asarray(noise, x.dtype)) if training else noise
    return _unary("rrelu", input, kernel, lambda i, r: RreluWithNoiseBackward0(i, node_noise), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


class ThresholdBackward0(Node):
    def __init__(self, input, threshold):
        self.input, self.threshold = self.save(input), threshold

    def backward(self, grad):
        return grad * (self.input.unpack() > self.threshold)


def threshold(input, threshold, value, inplace=False):
    x = _array(input, "threshold")
    if x.dtype.kind in "iub":
        r = np.where(x > threshold, x, np.asarray(value).astype(x.dtype))
        if inplace:
            x[...] = r
            input._bump_version()
            return input
        return wrap(r)

    def kernel(v):
        return np.where(v > _scalar(threshold, v), v, _scalar(value, v))

    return _unary("threshold", input, kernel, lambda i, r: ThresholdBackward0(i, threshold), inplace)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, inplace=True)


class HardshrinkBackward0(Node):
    def __init__(self, input, lambd):
        self.input, self.lambd = self.save(input), lambd

    def backward(self, grad):
        x = self.input.unpack()
        return grad * ((x > self.lambd) | (x < -self.lambd))


class SoftshrinkBackward0(HardshrinkBackward0):
    pass


def hardshrink(input, lambd=0.5):
    def kernel(v):
        return np.where((v > lambd) | (v < -lambd), v, _scalar(0, v))

    return _unary("hardshrink", input, kernel, lambda i, r: HardshrinkBackward0(i, lambd))


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")

    def kernel(v):
        lam = _scalar(lambd, v)
        return np.where(v > lam, v - lam, np.where(v < -lam, v + lam, _scalar(0, v)))

    return _unary("softshrink", input, kernel, lambda i, r: SoftshrinkBackward0(i, lambd))


# -------------------------------------------------------------------------------------------------------
# exponential family


class EluBackward0(Node):
    """elu/selu/celu: scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))."""

    def __init__(self, input, alpha, scale, input_scale):
        self.input, self.alpha, self.scale, self.input_scale = self.save(input), alpha, scale, input_scale

    def backward(self, grad):
        x = self.input.unpack()
        neg = (x * self.input_scale).exp() * (self.alpha * self.scale * self.input_scale)
        from .indexing import where

        return grad * where(x > 0, self.scale, neg)


class CeluBackward0(EluBackward0):
    pass


def _elu_kernel(alpha, scale, input_scale):
    def kernel(v):
        neg = np.expm1(np.minimum(v, _scalar(0, v)) * _scalar(input_scale, v)) * _scalar(alpha * scale, v)
        return np.where(v > 0, v * _scalar(scale, v), neg)

    return kernel


def elu(input, alpha=1.0, inplace=False):
    return _unary("elu", input, _elu_kernel(alpha, 1.0, 1.0), lambda i, r: EluBackward0(i, alpha, 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    return _unary("selu", input, _elu_kernel(_SELU_ALPHA, _SELU_SCALE, 1.0),
                  lambda i, r: EluBackward0(i, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _unary("celu", input, _elu_kernel(alpha, 1.0, 1.0 / alpha),
                  lambda i, r: CeluBackward0(i, alpha, 1.0, 1.0 / alpha), inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


# -------------------------------------------------------------------------------------------------------
# smooth gates


def _erf(x):
    from .special import erf_kernel, erf_kernel_f32

    if x.dtype == np.float32:  # float32 (and half types, computed in float32): the fast float32 kernel
        return erf_kernel_f32(x)
    return erf_kernel(x).astype(x.dtype)


def _sigmoid_np(v):
    # 1 / (1 + e^-v) as PyTorch computes it (e^-v overflowing to inf gives exactly 0), one buffer reused
    out = np.negative(v, out=np.empty(v.shape, v.dtype))
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GeluBackward0(Node):
    def __init__(self, input, approximate):
        self.input, self.approximate = self.save(input), approximate

    def backward(self, grad):
        x = self.input.unpack()
        if self.approximate == "tanh":
            inner = (x + x * x * x * 0.044715) * _SQRT_2_OVER_PI
            t = inner.tanh()
            d_inner = (x * x * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
            return grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner)
        from .pointwise import erf

        cdf = (erf(x * (1 / _SQRT_2)) + 1) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")  # noqa: F541

    def kernel(v):
        if approximate == "tanh":
            inner = (v + _scalar(0.044715, v) * v * v * v) * _scalar(_SQRT_2_OVER_PI, v)
            return _scalar(0.5, v) * v * (1 + np.tanh(inner))
        return _scalar(0.5, v) * v * (1 + _erf(v * _scalar(1 / _SQRT_2, v)))

    return _unary("gelu", input, kernel, lambda i, r: GeluBackward0(i, approximate))


class SiluBackward0(Node):
    def __init__(self, input):
        self.input = self.save(input)

    def backward(self, grad):
        x = self.input.unpack()
        s = x.sigmoid()
        return grad * s * (x * (1 - s) + 1)


def silu(input, inplace=False):
    return _unary("silu", input, lambda v: v * _sigmoid_np(v), lambda i, r: SiluBackward0(i), inplace)


class MishBackward0(Node):
    def __init__(self, input):
        self.input = self.save(input)

    def backward(self, grad):
        x = self.input.unpack()
        s = x.sigmoid()
        t = softplus(x).tanh()
        return grad * (t + x * s * (1 - t * t))


def _softplus_np(v, beta=1.0, thresh=20.0):
    bv = v * _scalar(beta, v) if beta != 1 else v
    sp = (np.maximum(bv, _scalar(0, v)) + np.log1p(np.exp(-np.abs(bv))))
    if beta != 1:
        sp = sp / _scalar(beta, v)
    return np.where(bv > _scalar(thresh, v), v, sp)


def mish(input, inplace=False):
    return _unary("mish", input, lambda v: v * np.tanh(_softplus_np(v)), lambda i, r: MishBackward0(i), inplace)


class HardsigmoidBackward0(Node):
    def __init__(self, input):
        self.input = self.save(input)

    def backward(self, grad):
        x = self.input.unpack()
        return grad * ((x > -3) & (x < 3)) * (1 / 6)


def hardsigmoid(input, inplace=False):
    def kernel(v):
        return np.clip(v / _scalar(6, v) + _scalar(0.5, v), _scalar(0, v), _scalar(1, v))

    return _unary("hardsigmoid", input, kernel, lambda i, r: HardsigmoidBackward0(i), inplace)


class HardswishBackward0(Node):
    def __init__(self, input):
        self.input = self.save(input)

    def backward(self, grad):
        from .indexing import where

        x = self.input.unpack()
        mid = x * (1 / 3) + 0.5
        return grad * where(x < -3, 0.0, where(x <= 3, mid, 1.0))


def hardswish(input, inplace=False):
    def kernel(v):
        return v * np.clip(v + _scalar(3, v), _scalar(0, v), _scalar(6, v)) / _scalar(6, v)

    return _unary("hardswish", input, kernel, lambda i, r: HardswishBackward0(i), inplace)


class SoftplusBackward0(Node):
    def __init__(self, input, beta, threshold):
        self.input, self.beta, self.threshold = self.save(input), beta, threshold

    def backward(self, grad):
        x = self.input.unpack()
        bx = x * self.beta
        return grad * ((bx > self.threshold) + (bx <= self.threshold) * bx.sigmoid())


def softplus(input, beta=1.0, threshold=20.0):
    return _unary("softplus", input, lambda v: _softplus_np(v, beta, threshold),
                  lambda i, r: SoftplusBackward0(i, beta, threshold))


class LogSigmoidBackward0(Node):
    def __init__(self, input):
        self.input = self.save(input)

    def backward(self, grad):
        return grad * (-self.input.unpack()).sigmoid()


def logsigmoid(input):
    def kernel(v):
        return np.minimum(v, _scalar(0, v)) - np.log1p(np.exp(-np.abs(v)))

    return _unary("log_sigmoid_forward", input, kernel, lambda i, r: LogSigmoidBackward0(i))


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


class GluBackward0(Node):
    def __init__(self, input, dim):
        self.input, self.dim = self.save(input), dim

    def backward(self, grad):
        from .shape import cat

        x = self.input.unpack()
        a, b = x.chunk(2, self.dim)
        sb = b.sigmoid()
        return cat([grad * sb, grad * a * sb * (1 - sb)], self.dim)


def glu(input, dim=-1):
    x = _array(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}")

    def kernel(v):
        a, b = np.split(v, 2, axis=d)
        return a * _sigmoid_np(b)

    return _unary("glu", input, kernel, lambda i, r: GluBackward0(i, d))


class PreluKernelBackward0(Node):
    def __init__(self, input, weight):
        self.input, self.weight = self.save(input), self.save(weight)

    def backward(self, grad):
        x, w = self.input.unpack(), self.weight.unpack()
        pos = x > 0
        needs = self.needs_input_grad
        gx = grad * pos + grad * (~pos) * w if needs[0] else None
        gw = sum_to_shape(grad * x * (~pos), w.shape) if needs[1] else None
        return gx, gw


@autocast_op("lower")
def prelu(input, weight):
    x = _array(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    n = weight.numel()
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if n != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                               f"and channel size = {channels}.")
    # the weight broadcast along the channel dim (dim 1), as PyTorch views it
    shape = [1] * x.ndim
    if x.ndim >= 2:
        shape[1] = n
    elif x.ndim == 1:
        shape[0] = n
    if weight._data.dtype != x.dtype:
        names = [_dtype.from_numpy_dtype(a.dtype).scalar_type_name for a in (x, weight._data)]
        raise RuntimeError(f"prelu: Type promoting not supported. Got {names[0]} and {names[1]}")
    from .nn_misc import _reshaped

    w = _reshaped(weight, tuple(shape))
    wa = w._data

    def kernel(v):
        return np.where(v > 0, v, v * wa.astype(v.dtype))

    return _record2("prelu", input, w, kernel, PreluKernelBackward0)


def _record2(name, input, other, kernel, node_cls):
    result = wrap(_float_kernel(input._data, kernel, name))
    if (input.requires_grad or other.requires_grad) and _grad_state.enabled:
        record(node_cls(input, other), (input, other), result)
    return result


# -------------------------------------------------------------------------------------------------------
# softmax family


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=stacklevel + 1)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input, dim, dtype, name, stacklevel):
    _array(input, name)
    if dim is None:
        dim = _softmax_dim(name, input.dim(), stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    if x.dtype.kind not in "f" and x.dtype not in _HALF:
        label = _dtype.from_numpy_dtype(x.dtype).scalar_type_name
        kernel = "lastdim_kernel_impl" if x.ndim == 0 or dim in (-1, x.ndim - 1) else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{label}'")
    return input, wrap_dim(dim, x.ndim)


def _softmax_np(x, axis, log):
    dt = x.dtype
    v = x.astype(_F32) if dt in _HALF else x
    if v.ndim == 0:
        return np.zeros((), dt) if log else np.ones((), dt)
    if v.size == 0:
        return np.empty(v.shape, dt)
    out = v - v.max(axis=axis, keepdims=True)
    if log:
        out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
    else:
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
    return out.astype(dt) if dt in _HALF else out


class SoftmaxBackward0(Node):
    def __init__(self, result, dim):
        self.result, self.dim = self.save(result, is_output=True), dim

    def backward(self, grad):
        y = self.result.unpack()
        if _fast():
            g, o = grad._data, y._data
            axis = self.dim if o.ndim else None
            gy = g * o
            return wrap(gy - o * gy.sum(axis=axis, keepdims=True) if o.ndim else gy - o * gy)
        gy = grad * y
        return gy - y * gy.sum(self.dim, keepdim=True)


class LogSoftmaxBackward0(Node):
    def __init__(self, result, dim):
        self.result, self.dim = self.save(result, is_output=True), dim

    def backward(self, grad):
        y = self.result.unpack()
        if _fast():
            g, o = grad._data, y._data
            s = g.sum(axis=self.dim, keepdims=True) if o.ndim else g
            return wrap(np.asarray(g - np.exp(o) * s))
        return grad - y.exp() * grad.sum(self.dim, keepdim=True)


def _softmax_op(name, input, dim, dtype, stacklevel, log):
    input, d = _softmax_input(input, dim, dtype, name, stacklevel + 1)
    result = wrap(np.asarray(_softmax_np(input._data, d, log)))
    if input.requires_grad and _grad_state.enabled:
        node = LogSoftmaxBackward0(result, d) if log else SoftmaxBackward0(result, d)
        record(node, (input,), result)
    return result


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_op("softmax", input, dim, dtype, _stacklevel, log=False)


class SafeSoftmaxBackward0(SoftmaxBackward0):
    """ATen's _safe_softmax: softmax whose rows of all -inf give zeros; the same backward (zero rows pass
    no gradient)."""


def _safe_softmax(input, dim):
    """Softmax along `dim` with rows that are entirely -inf set to zero (scaled_dot_product_attention's math
    path, where a fully masked query row attends to nothing)."""
    x = input._data
    with np.errstate(invalid="ignore"):
        y = np.asarray(_softmax_np(x, dim, False))
    dead = np.isneginf(x).all(axis=dim, keepdims=True)
    if dead.any():
        y = np.where(dead, np.zeros((), y.dtype), y)
    result = wrap(y)
    if input.requires_grad and _grad_state.enabled:
        record(SafeSoftmaxBackward0(result, dim), (input,), result)
    return result


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_op("log_softmax", input, dim, dtype, _stacklevel, log=True)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    _array(input, "softmin")
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_op("softmax", -input, dim, None, _stacklevel, log=False)
