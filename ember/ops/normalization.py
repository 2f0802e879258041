"""Normalization: batch_norm, layer_norm, group_norm, instance_norm, rms_norm, local_response_norm.

batch/layer/group norm compute their forward in NumPy (statistics in float32 at least) and record PyTorch's
Native*Backward0 node. The backward formulas are written with ember ops; under create_graph they recompute the
statistics from the saved input with ember ops, so double backward differentiates through them too.
"""

import math

from .._backend import np
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as _grad_state
from ._common import AddBackward1, Node, needs_grad, record, with_number, wrap

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]


def _compute(arr):
    if arr.dtype == np.float16 or arr.dtype.name == "bfloat16":
        return arr.astype(np.float32)
    return arr


def _param_array(t, dtype):
    return None if t is None else t._data.astype(dtype, copy=False)


# ------------------------------------------------------------------------------------------------ batch norm


class NativeBatchNormBackward0(Node):
    def __init__(self, input, weight, mean, invstd, training, eps):
        self.input, self.weight = self.save(input), self.save(weight)
        self.mean, self.invstd, self.training, self.eps = mean, invstd, training, eps

    def backward(self, grad, *unused):
        needs = self.needs_input_grad
        x, w = self.input.unpack(), self.weight.unpack()
        nd = x.dim()
        axes = (0,) + tuple(range(2, nd))
        shape = (1, -1) + (1,) * (nd - 2)
        dt = grad.dtype
        if _grad_state.enabled and self.training:
            mean, invstd = _stats(x, axes, self.eps)
        else:
            mean = wrap(self.mean.astype(dt._np, copy=False).reshape(shape))
            invstd = wrap(self.invstd.astype(dt._np, copy=False).reshape(shape))
        if not _grad_state.enabled and self.training:
            return self._fast_backward(grad, x, w, needs)
        gamma = None if w is None else w.reshape(shape)
        gx = gw = gb = None
        if needs[0]:
            if self.training:
                gx = _centered_grad(grad, x, mean, invstd, gamma, axes)
            else:
                gx = grad * (invstd if gamma is None else invstd * gamma)
        if len(needs) > 1 and needs[1]:
            gw = (grad * ((x - mean) * invstd)).sum(axes)
        if len(needs) > 2 and needs[2]:
            gb = grad.sum(axes)
        return gx, gw, gb

    def _fast_backward(self, grad, x, w, needs):
        """The training-mode backward in NumPy with few passes (no double backward needed)."""
        g = _compute(grad._data)
        dt = g.dtype
        N, C = g.shape[:2]
        g3 = g.reshape(N, C, -1)
        count = g3.shape[0] * g3.shape[2]
        mean = self.mean.astype(dt, copy=False)
        invstd = self.invstd.astype(dt, copy=False)
        centered = x._data.reshape(N, C, -1).astype(dt, copy=False) - mean[:, None]
        sum_g = _channel_sum(g3)
        sum_gx = _channel_dot(g3, centered) * invstd          # sum of g * xhat
        out_dtype = grad._data.dtype
        gx = gw = gb = None
        if needs[0]:
            # scale * (g - mean(g) - xhat * mean(g * xhat)), in place on the centered input
            scale = invstd if w is None else invstd * w._data.astype(dt, copy=False)
            centered *= (-(sum_gx / count) * invstd)[:, None]
            centered += g3
            centered -= (sum_g / count)[:, None]
            centered *= scale[:, None]
            gx = wrap(centered.reshape(g.shape).astype(out_dtype, copy=False))
        if len(needs) > 1 and needs[1]:
            gw = wrap(sum_gx.astype(out_dtype))
        if len(needs) > 2 and needs[2]:
            gb = wrap(sum_g.astype(out_dtype))
        return gx, gw, gb


def _channel_sum(a):
    """Per-channel sum of a (N, C, L) array (einsum reduces both axes in one pass)."""
    return np.einsum("ncl->c", a)


def _channel_dot(a, b):
    """Per-channel sum of a * b for (N, C, L) arrays: batched BLAS dots, no product temporary."""
    N, C, L = a.shape
    return (a.reshape(N, C, 1, L) @ b.reshape(N, C, L, 1)).reshape(N, C).sum(0)


def _stats(x, dims, eps):
    """(mean, 1/sqrt(biased var + eps)) of x over dims, keepdim, with ember ops (differentiable)."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    return mean, ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()


def _centered_grad(grad, x, mean, invstd, gamma, dims):
    xhat = (x - mean) * invstd
    gh = grad if gamma is None else grad * gamma
    return (gh - gh.mean(dims, keepdim=True) - xhat * (gh * xhat).mean(dims, keepdim=True)) * invstd


def _bn_stats_array(x, axes):
    """Per-channel mean, biased variance and the centered input (N, C, L) of x (N, C, ...); two passes."""
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    count = flat.shape[0] * flat.shape[2]
    mean = _channel_sum(flat) / count
    centered = flat - mean[:, None]
    var = _channel_dot(centered, centered) / count
    return mean, var, count, centered


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    if input.dim() < 2:
        raise RuntimeError(f"running_mean should contain {input.shape[0] if input.dim() else 1} elements not "
                           f"{running_mean.numel() if running_mean is not None else 0}")
    C = input.shape[1]
    if training:
        size = input.shape[0] * math.prod(input.shape[2:])
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(input.shape)})")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    x = _compute(input._data)
    dt = x.dtype
    nd = x.ndim
    bshape = (1, C) + (1,) * (nd - 2)
    axes = (0,) + tuple(range(2, nd))
    centered = None
    if training:
        mean, var, count, centered = _bn_stats_array(x, axes)
        invstd = 1 / np.sqrt(var + dt.type(eps))
        if running_mean is not None or running_var is not None:
            with no_grad():
                if running_mean is not None:
                    rm = running_mean._data
                    rm *= 1 - momentum
                    rm += (momentum * mean).astype(rm.dtype, copy=False)
                    running_mean._bump_version()
                if running_var is not None:
                    rv = running_var._data
                    unbiased = var * (count / max(count - 1, 1))
                    rv *= 1 - momentum
                    rv += (momentum * unbiased).astype(rv.dtype, copy=False)
                    running_var._bump_version()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._data.astype(dt, copy=False)
        invstd = 1 / np.sqrt(running_var._data.astype(dt, copy=False) + dt.type(eps))
    scale = invstd if weight is None else invstd * _param_array(weight, dt)
    if centered is not None:  # training: (x - mean) * scale + bias, in place on the centered input
        out = centered
        out *= scale[:, None]
        if bias is not None:
            out += _param_array(bias, dt)[:, None]
        out = out.reshape(x.shape)
    else:
        shift = -mean * scale
        if bias is not None:
            shift = shift + _param_array(bias, dt)
        out = x * scale.reshape(bshape)
        out += shift.reshape(bshape)
    result = wrap(out.astype(input._data.dtype, copy=False))
    if needs_grad(input, weight, bias):
        record(NativeBatchNormBackward0(input, weight, mean, invstd, training, eps), (input, weight, bias), result)
    return result


# ------------------------------------------------------------------------------------------------ layer norm


class NativeLayerNormBackward0(Node):
    def __init__(self, input, weight, mean, invstd, n_norm, eps):
        self.input, self.weight = self.save(input), self.save(weight)
        self.mean, self.invstd, self.n_norm, self.eps = mean, invstd, n_norm, eps

    def backward(self, grad, *unused):
        needs = self.needs_input_grad
        x, w = self.input.unpack(), self.weight.unpack()
        nd = x.dim()
        dims = tuple(range(nd - self.n_norm, nd))
        lead = tuple(range(nd - self.n_norm))
        if _grad_state.enabled:
            mean, invstd = _stats(x, dims, self.eps)
        else:
            mean, invstd = wrap(self.mean.astype(grad.dtype._np, copy=False)), \
                wrap(self.invstd.astype(grad.dtype._np, copy=False))
        gx = gw = gb = None
        if needs[0]:
            gx = _centered_grad(grad, x, mean, invstd, w, dims)
        if len(needs) > 1 and needs[1]:
            gw = (grad * ((x - mean) * invstd)).sum(lead) if lead else grad * ((x - mean) * invstd)
        if len(needs) > 2 and needs[2]:
            gb = grad.sum(lead) if lead else grad
        return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    shape = tuple(input.shape)
    if n == 0 or n > len(shape) or shape[len(shape) - n:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(normalized_shape)}")
    x = _compute(input._data)
    dt = x.dtype
    rows = x.reshape(-1, math.prod(normalized_shape)) if x.size else x.reshape(0, max(1, math.prod(normalized_shape)))
    mean = rows.mean(1, keepdims=True)
    centered = rows - mean
    var = np.mean(centered * centered, 1, keepdims=True)
    invstd = 1 / np.sqrt(var + dt.type(eps))
    out = centered
    out *= invstd
    out = out.reshape(shape)
    if weight is not None:
        out *= _param_array(weight, dt)
    if bias is not None:
        out += _param_array(bias, dt)
    result = wrap(out.astype(input._data.dtype, copy=False))
    if needs_grad(input, weight, bias):
        stat_shape = shape[:len(shape) - n] + (1,) * n
        record(NativeLayerNormBackward0(input, weight, mean.reshape(stat_shape), invstd.reshape(stat_shape), n, eps),
               (input, weight, bias), result)
    return result


# ------------------------------------------------------------------------------------------------ group norm


class NativeGroupNormBackward0(Node):
    def __init__(self, input, weight, mean, invstd, groups, eps):
        self.input, self.weight = self.save(input), self.save(weight)
        self.mean, self.invstd, self.groups, self.eps = mean, invstd, groups, eps

    def backward(self, grad, *unused):
        needs = self.needs_input_grad
        x, w = self.input.unpack(), self.weight.unpack()
        N, C = x.shape[:2]
        G = self.groups
        nd = x.dim()
        xg = x.reshape(N, G, -1)
        if _grad_state.enabled:
            mean, invstd = _stats(xg, (2,), self.eps)
        else:
            mean = wrap(self.mean.astype(grad.dtype._np, copy=False).reshape(N, G, 1))
            invstd = wrap(self.invstd.astype(grad.dtype._np, copy=False).reshape(N, G, 1))
        cshape = (1, C) + (1,) * (nd - 2)
        gx = gw = gb = None
        axes = (0,) + tuple(range(2, nd))
        if needs[0]:
            gh = grad if w is None else grad * w.reshape(cshape)
            gx = _centered_grad(gh.reshape(N, G, -1), xg, mean, invstd, None, (2,)).reshape(x.shape)
        if len(needs) > 1 and needs[1]:
            xhat = ((xg - mean) * invstd).reshape(x.shape)
            gw = (grad * xhat).sum(axes)
        if len(needs) > 2 and needs[2]:
            gb = grad.sum(axes)
        return gx, gw, gb


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = tuple(input.shape)
    N, C = shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(shape)}")
    x = _compute(input._data)
    dt = x.dtype
    groups = x.reshape(N, num_groups, -1)
    mean = groups.mean(2, keepdims=True)
    centered = groups - mean
    var = np.mean(centered * centered, 2, keepdims=True)
    invstd = 1 / np.sqrt(var + dt.type(eps))
    out = (centered * invstd).reshape(shape)
    cshape = (1, C) + (1,) * (len(shape) - 2)
    if weight is not None:
        out *= _param_array(weight, dt).reshape(cshape)
    if bias is not None:
        out += _param_array(bias, dt).reshape(cshape)
    result = wrap(out.astype(input._data.dtype, copy=False))
    if needs_grad(input, weight, bias):
        record(NativeGroupNormBackward0(input, weight, mean, invstd, num_groups, eps), (input, weight, bias), result)
    return result


# ------------------------------------------------------------------------------------------------ composites


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Batch norm of the (1, N*C, ...) view: statistics per instance and channel (as PyTorch computes it)."""
    if input.dim() < 2:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(input.shape)})")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(input.shape)})")
    shape = tuple(input.shape)
    N, C = shape[:2]
    rm = None if running_mean is None else wrap(np.tile(running_mean._data, N))
    rv = None if running_var is None else wrap(np.tile(running_var._data, N))
    w = None if weight is None else weight.repeat(N)
    b = None if bias is None else bias.repeat(N)
    out = batch_norm(input.reshape((1, N * C) + shape[2:]), rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        for running, updated in ((running_mean, rm), (running_var, rv)):
            if running is not None:
                running._data[...] = updated._data.reshape(N, C).mean(0)
                running._bump_version()
    return out.view(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    shape = tuple(input.shape)
    if n == 0 or n > len(shape) or shape[len(shape) - n:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(shape)}")
    if eps is None:
        eps = float(np.finfo(_compute(np.empty(0, input._data.dtype)).dtype).eps) \
            if input._data.dtype.name != "bfloat16" else 0.0078125
        if input._data.dtype == np.float16:
            eps = float(np.finfo(np.float16).eps)
    dims = tuple(range(-n, 0))
    # ATen adds eps with the Scalar overload (AddBackward1), not as a wrapped-number tensor
    out = input * with_number(input.pow(2).mean(dims, keepdim=True), eps, AddBackward1).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise over `size` neighbouring channels: x / (k + alpha * mean of squares)^beta. Built as PyTorch's
    composite (zero-pad the channel axis, average-pool over it), so it records the same graph."""
    from .nn_misc import pad
    from .pooling import avg_pool2d, avg_pool3d

    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    lo, hi = size // 2, (size - 1) // 2
    if dim == 3:
        div = avg_pool2d(pad(sq.unsqueeze(1), (0, 0, lo, hi)), (size, 1), stride=1).squeeze(1)
    else:
        shape = tuple(input.shape)
        div = sq.view(shape[0], 1, shape[1], shape[2], -1)
        div = avg_pool3d(pad(div, (0, 0, 0, 0, lo, hi)), (size, 1, 1), stride=1).squeeze(1).view(shape)
    div = (div * alpha + k).pow(beta)
    return input / div
