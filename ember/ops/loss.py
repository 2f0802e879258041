"""Loss functions (torch.nn.functional's), forward and backward side by side.

The losses PyTorch implements natively (mse, smooth_l1, huber, nll, binary cross-entropy with and without
logits, soft margin) have their own nodes under PyTorch's names and NumPy forwards; the ones PyTorch composes
from other ops (l1, kl_div, the margin/embedding losses, poisson/gaussian nll, cross-entropy with probabilities
or label smoothing) are composed here from ember ops the same way, so their graphs match PyTorch's.
cross_entropy with class indices is log_softmax + nll_loss, as in PyTorch.
"""

import math
import warnings

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as _grad_state
from ._common import (
    AddBackward1,
    DivBackward1,
    MulBackward1,
    Node,
    NotImplemented,
    SubBackward1,
    Tensor,
    needs_grad,
    record,
    sum_to_shape,
    with_number,
    wrap,
)

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss",
    "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "multi_margin_loss",
    "multilabel_margin_loss", "gumbel_softmax",
]

_HALF = (np.dtype(np.float16), _dtype.bfloat16._np)
_F32 = np.dtype(np.float32)


def _fast():
    return not _grad_state.enabled


def legacy_reduction(size_average, reduce, emit_warning=True):
    """The reduction string of the deprecated size_average/reduce arguments (torch.nn._reduction)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    """Apply a reduction to an elementwise loss tensor built from ember ops."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _compute(arr):
    return arr.astype(_F32) if arr.dtype in _HALF else arr


def _finish(values, reduction, dtype):
    """Reduce an elementwise loss array (in compute precision) and round to the result dtype."""
    if reduction == "mean":
        values = np.asarray(values.mean() if values.size else np.nan, values.dtype)
    elif reduction == "sum":
        values = np.asarray(values.sum(), values.dtype)
    return wrap(np.asarray(values).astype(dtype, copy=False))


def _check_tensors(name, *tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            arg = ("input", "target")[i] if i < 2 else f"arg{i}"
            raise TypeError(f"{name}(): argument '{arg}' (position {i + 1}) must be Tensor, not {type(t).__name__}")


class _PointwiseLoss(Node):
    """Backward of reduction(f(input, target)) for a pointwise f: grad of each input is
    reduction'(grad) * df/dinput, with broadcasting undone."""

    def __init__(self, input, target, reduction, numel, **params):
        self.input, self.target = self.save(input), self.save(target)
        self.reduction, self.numel = reduction, numel
        self.__dict__.update(params)

    def _grad_scale(self, grad):
        if self.reduction == "mean":
            return grad / self.numel if self.numel else grad * math.nan
        return grad

    def backward(self, grad):
        x, t = self.input.unpack(), self.target.unpack()
        g = self._grad_scale(grad)
        dx, dt = self.derivatives(x, t)
        needs = self.needs_input_grad
        gx = sum_to_shape(g * dx, x.shape) if needs[0] else None
        gt = sum_to_shape(g * dt, t.shape) if len(needs) > 1 and needs[1] else None
        return (gx, gt) if len(needs) > 1 else gx


class MseLossBackward0(_PointwiseLoss):
    def derivatives(self, x, t):
        d = (x - t) * 2
        return d, -d


class SmoothL1LossBackward0(_PointwiseLoss):
    def derivatives(self, x, t):
        diff = x - t
        if self.beta == 0:
            d = diff.sign()
        else:
            d = (diff / self.beta).clamp(-1, 1)
        return d, -d


class HuberLossBackward0(_PointwiseLoss):
    def derivatives(self, x, t):
        d = (x - t).clamp(-self.delta, self.delta)
        return d, -d


class SoftMarginLossBackward0(_PointwiseLoss):
    def derivatives(self, x, t):
        s = (-(t * x)).sigmoid()  # d/dx log(1 + exp(-t x)) = -t * sigmoid(-t x)
        return -t * s, -x * s


def _pointwise_loss(name, input, target, reduction, kernel, node_cls, input_only=False, input_dtype=False, **params):
    x, t = input._data, target._data
    dtype = x.dtype
    if x.dtype != t.dtype and not input_dtype:  # most promote; huber and soft_margin compute in the input's dtype
        dtype = _dtype.promote_types(input.dtype, target.dtype)._np
    try:
        shape = np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        from ._common import broadcast_error

        raise broadcast_error(x.shape, t.shape) from None
    values = kernel(_compute(x.astype(dtype, copy=False)), _compute(t.astype(dtype, copy=False)))
    result = _finish(np.broadcast_to(values, shape) if values.shape != shape else values, reduction, dtype)
    if _grad_state.enabled and (input.requires_grad or target.requires_grad):
        numel = math.prod(shape)
        record(node_cls(input, target, reduction, numel, **params), (input,) if input_only else (input, target), result)
    return result


def _size_warning(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


@autocast_op("fp32")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_tensors("mse_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:  # PyTorch 2.6+: a weighted mean of squared errors, composed from ops
        loss = (input - target) ** 2 * weight
        return _reduce(loss, reduction) if reduction != "mean" else loss.sum() / weight.expand_as(loss).sum()

    def kernel(x, t):
        d = x - t
        return d * d

    return _pointwise_loss("mse_loss", input, target, reduction, kernel, MseLossBackward0)


@autocast_op("fp32")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_tensors("l1_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
        if reduction == "mean":
            return loss.sum() / weight.expand_as(loss).sum()
    return _reduce(loss, reduction)


@autocast_op("fp32")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _check_tensors("smooth_l1_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")

    def kernel(x, t):
        d = np.abs(x - t)
        if beta == 0:
            return d
        b = d.dtype.type(beta)
        return np.where(d < b, d.dtype.type(0.5) * d * d / b, d - d.dtype.type(0.5) * b)

    return _pointwise_loss("smooth_l1_loss", input, target, reduction, kernel, SmoothL1LossBackward0, beta=beta)


@autocast_op("fp32")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_tensors("huber_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def kernel(x, t):
        d = np.abs(x - t)
        dl = d.dtype.type(delta)
        return np.where(d < dl, d.dtype.type(0.5) * d * d, dl * (d - d.dtype.type(0.5) * dl))

    if weight is not None:
        loss = _pointwise_loss("huber_loss", input, target, "none", kernel, HuberLossBackward0, input_dtype=True,
                               delta=delta) * weight
        return _reduce(loss, reduction)
    return _pointwise_loss("huber_loss", input, target, reduction, kernel, HuberLossBackward0, input_dtype=True,
                           delta=delta)


@autocast_op("fp32")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_tensors("soft_margin_loss", input, target)
    _no_grad_arg("soft_margin_loss", "target", target)
    reduction = _reduction(reduction, size_average, reduce)

    def kernel(x, t):
        z = -t * x
        return np.maximum(z, z.dtype.type(0)) + np.log1p(np.exp(-np.abs(z)))

    return _pointwise_loss("soft_margin_loss", input, target, reduction, kernel, SoftMarginLossBackward0,
                           input_only=True, input_dtype=True)


# -------------------------------------------------------------------------------------------------------
# negative log likelihood and cross-entropy


class NllLossBackward0(Node):
    """grad_input[n, t[n], ...] = -w[t[n]] * grad (divided by the total weight for 'mean')."""

    def __init__(self, input_shape, target, weights_t, reduction, total_weight):
        self.input_shape, self.target, self.weights_t = input_shape, target, weights_t
        self.reduction, self.total_weight = reduction, total_weight

    def backward(self, grad):
        class_dim = 1 if len(self.input_shape) >= 2 else 0
        idx = np.expand_dims(self.target, class_dim)
        if self.reduction == "mean":
            scale = -self.weights_t / self.total_weight
        else:
            scale = -self.weights_t
        if _fast():
            g = grad._data
            vals = np.asarray(scale * g).astype(g.dtype, copy=False)
            out = np.zeros(self.input_shape, g.dtype)
            np.put_along_axis(out, idx, np.expand_dims(vals, class_dim), axis=class_dim)
            return (wrap(out),)
        from .creation import zeros

        src = grad * wrap(scale.astype(grad._data.dtype))
        out = zeros(self.input_shape, dtype=grad.dtype)
        return (out.scatter(class_dim, wrap(idx.astype(np.int64)), src.unsqueeze(class_dim)),)


class NllLoss2DBackward0(NllLossBackward0):
    pass


def _class_weights(weight, C, dtype):
    if weight is None:
        return None
    w = weight._data
    if w.ndim != 1 or w.shape[0] != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got weight "
                           f"tensor of shape: {list(w.shape)}")
    if weight.requires_grad and _grad_state.enabled:
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")
    return _compute(w.astype(dtype, copy=False))


def _check_nll_shapes(x, t):
    if x.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim >= 2 and t.ndim >= 1 and x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim != 0:
            raise RuntimeError(f"1D target tensor expects 1D input tensors, but found inputs with sizes "
                               f"[{', '.join(map(str, x.shape))}] and [{', '.join(map(str, t.shape))}].")
    else:
        expected = x.shape[:1] + x.shape[2:]
        if t.shape != expected:
            raise RuntimeError(f"Expected target size [{', '.join(map(str, expected))}], got "
                               f"[{', '.join(map(str, t.shape))}]")


@autocast_op("fp32")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    _check_tensors("nll_loss", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if t.dtype.kind not in "iu" or t.dtype not in (np.int64, np.uint8):
        label = _dtype.from_numpy_dtype(t.dtype).scalar_type_name
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {label}")
    _check_nll_shapes(x, t)
    if x.ndim == 3 or x.ndim > 4:
        return _nll_loss_nd(input, target, weight, ignore_index, reduction)
    class_dim = 1 if x.ndim >= 2 else 0
    C = x.shape[class_dim]
    xc = _compute(x)
    w = _class_weights(weight, C, x.dtype)
    ignored = t == ignore_index
    t_safe = np.where(ignored, 0, t).astype(np.int64)
    bad = (t_safe < 0) | (t_safe >= C)
    if bad.any():
        raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
    idx = np.expand_dims(t_safe, class_dim)
    picked = np.take_along_axis(xc, idx, axis=class_dim).squeeze(class_dim) if x.size else \
        np.zeros(t.shape, xc.dtype)
    wt = (w[t_safe] if w is not None else np.ones(t.shape, xc.dtype))
    wt = np.where(ignored, wt.dtype.type(0), wt)
    losses = -picked * wt
    total_weight = None
    if reduction == "none":
        out = losses
    elif reduction == "sum":
        out = np.asarray(losses.sum(), xc.dtype)
    else:
        total_weight = wt.sum(dtype=xc.dtype)
        out = np.asarray(losses.sum() / total_weight, xc.dtype)
    result = wrap(np.asarray(out).astype(x.dtype, copy=False))
    if input.requires_grad and _grad_state.enabled:
        cls = NllLoss2DBackward0 if x.ndim >= 3 else NllLossBackward0
        record(cls(x.shape, t_safe, wt, reduction, total_weight), (input,), result)
    return result


def _nll_loss_nd(input, target, weight, ignore_index, reduction):
    """3-D and 5-D+ inputs go through the 4-D kernel on (N, C, 1, -1) views, as ATen's nll_loss_nd does, so the
    graph shows torch's ViewBackward0 nodes around NllLoss2DBackward0."""
    from .shape import view

    x = input._data
    n, c = x.shape[:2]
    flat_shape = (n, c, 1, -1) if x.size else (n, c, 0, 0)
    target_shape = (n, 1, -1) if target._data.size else (n, 0, 0)
    loss = nll_loss(view(input.contiguous(), flat_shape), wrap(target._data.reshape(target_shape)), weight, None,
                    ignore_index, None, reduction)
    return view(loss, (n,) + x.shape[2:]) if reduction == "none" else loss


@autocast_op("fp32")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    _check_tensors("cross_entropy", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    from .activation import log_softmax

    x = input._data
    class_dim = 1 if x.ndim >= 2 else 0
    if target._data.dtype.kind == "f" or target.dtype._np in _HALF:
        if target.shape != input.shape:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported" if x.ndim <= 2 else
                               f"Expected target size {list(input.shape[:1] + input.shape[2:])}, got "
                               f"{list(target.shape)}")
        return _cross_entropy_probs(log_softmax(input, class_dim), target, weight, reduction, label_smoothing,
                                    class_dim)
    logp = log_softmax(input, class_dim)
    loss = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing <= 0:
        return loss
    # ATen's cross_entropy_loss_label_smoothing, op for op
    C = x.shape[class_dim]
    ignored = target._data == ignore_index
    if weight is not None:
        shape = [1] * x.ndim
        shape[class_dim] = C
        smooth = -(logp * weight.view(shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(wrap(ignored), 0.0)
    if reduction == "mean":
        kept = target._data[~ignored].reshape(-1)
        total = wrap(weight._data[kept].sum()) if weight is not None else wrap(np.asarray((~ignored).sum()))
        smooth = smooth.sum() / total
    elif reduction == "sum":
        smooth = smooth.sum()
    return with_number(loss, 1 - label_smoothing, MulBackward1) + \
        with_number(smooth, label_smoothing / C, MulBackward1)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    C = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    # ATen's cross_entropy_loss_prob_target: -(logp * target [* weight]) summed, then divided by N (* d1 ...)
    prod = logp * target
    if weight is not None:
        if logp.dim() > 1:
            shape = [1] * logp.dim()
            shape[class_dim] = C
            weight = weight.view(shape)
        prod = prod * weight
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    if logp.numel() == 0:
        return -prod.sum().fill_(float("nan"))
    return with_number(-prod.sum(), logp.numel() // C, DivBackward1)


# -------------------------------------------------------------------------------------------------------
# binary cross-entropy


class BinaryCrossEntropyBackward0(Node):
    def __init__(self, input, target, weight, reduction, numel):
        self.input, self.target = self.save(input), self.save(target)
        self.weight, self.reduction, self.numel = weight, reduction, numel

    def backward(self, grad):
        x, t = self.input.unpack(), self.target.unpack()
        g = grad / self.numel if self.reduction == "mean" else grad
        if self.weight is not None:
            g = g * self.weight
        needs = self.needs_input_grad
        gx = gt = None
        if needs[0]:
            gx = sum_to_shape(g * (x - t) / ((1 - x) * x).clamp_min(1e-12), x.shape)
        if needs[1]:
            gt = sum_to_shape(g * ((1 - x).log().clamp_min(-100) - x.log().clamp_min(-100)), t.shape)
        return gx, gt


def _no_grad_arg(fn, name, tensor):
    if tensor is not None and tensor.requires_grad and _grad_state.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input "
                           "cannot have requires_grad True.")


@autocast_op("fp32")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    _check_tensors("binary_cross_entropy", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    _no_grad_arg("binary_cross_entropy", "weight", weight)
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_type_name} but expected {input.dtype.scalar_type_name}")
    x, t = _compute(input._data), _compute(target._data.astype(input._data.dtype, copy=False))
    if ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    one = x.dtype.type(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = -(t * np.maximum(np.log(x), x.dtype.type(-100)) + (one - t) * np.maximum(np.log(one - x),
                                                                                           x.dtype.type(-100)))
    w = None
    if weight is not None:
        values = values * _compute(weight._data.astype(input._data.dtype))
        w = weight.detach()
    result = _finish(values, reduction, input._data.dtype)
    if _grad_state.enabled and (input.requires_grad or target.requires_grad):
        record(BinaryCrossEntropyBackward0(input, target, w, reduction, x.size), (input, target), result)
    return result


class BinaryCrossEntropyWithLogitsBackward0(Node):
    def __init__(self, input, target, weight, pos_weight, reduction, numel):
        self.input, self.target = self.save(input), self.save(target)
        self.weight, self.pos_weight, self.reduction, self.numel = weight, pos_weight, reduction, numel

    def backward(self, grad):
        x, t = self.input.unpack(), self.target.unpack()
        g = grad / self.numel if self.reduction == "mean" else grad
        if self.weight is not None:
            g = g * self.weight
        needs = self.needs_input_grad
        gx = gt = None
        s = x.sigmoid()
        if self.pos_weight is not None:
            pw = self.pos_weight
            if needs[0]:
                gx = sum_to_shape(g * (s * ((pw - 1) * t + 1) - pw * t), x.shape)
            if needs[1]:
                gt = sum_to_shape(g * ((pw - 1) * s.log().neg() - x), t.shape)  # (pw - 1) softplus(-x) - x
        else:
            if needs[0]:
                gx = sum_to_shape(g * (s - t), x.shape)
            if needs[1]:
                gt = sum_to_shape(g * -x, t.shape)
        return gx, gt


@autocast_op("fp32")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    _check_tensors("binary_cross_entropy_with_logits", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    _no_grad_arg("binary_cross_entropy_with_logits", "weight", weight)
    _no_grad_arg("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    dt = target._data.dtype  # PyTorch's result takes the target's dtype when the two differ
    x, t = _compute(input._data.astype(dt, copy=False)), _compute(target._data)
    one = x.dtype.type(1)
    softplus_neg = np.maximum(-x, x.dtype.type(0)) + np.log1p(np.exp(-np.abs(x)))  # log(1 + exp(-x))
    if pos_weight is not None:
        pw = _compute(pos_weight._data.astype(dt))
        values = (one - t) * x + ((pw - one) * t + one) * softplus_neg
    else:
        values = (one - t) * x + softplus_neg
    if weight is not None:
        values = values * _compute(weight._data.astype(dt))
    shape = np.broadcast_shapes(values.shape, x.shape)
    result = _finish(np.broadcast_to(values, shape), reduction, dt)
    if _grad_state.enabled and (input.requires_grad or target.requires_grad):
        node = BinaryCrossEntropyWithLogitsBackward0(input, target, None if weight is None else weight.detach(),
                                                     None if pos_weight is None else pos_weight.detach(), reduction,
                                                     math.prod(shape))
        record(node, (input, target), result)
    return result


# -------------------------------------------------------------------------------------------------------
# composite losses (PyTorch builds these from other ops; so does ember)


@autocast_op("fp32")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from .pointwise import xlogy

        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, reduction)


@autocast_op("fp32")
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: Input1 and Input2 must have the same shape, but got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    targ_dim = target.dim()
    if input1.dim() != targ_dim + 1:
        raise RuntimeError(f"{targ_dim}D target tensor expects {targ_dim + 1}D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    from .creation import zeros_like
    from .indexing import where

    eps = 1e-12
    prod_sum = (input1 * input2).sum(targ_dim)
    mag1 = with_number((input1 * input1).sum(targ_dim), eps, AddBackward1)
    mag2 = with_number((input2 * input2).sum(targ_dim), eps, AddBackward1)
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    pos = _number_minus(1, cos)
    neg = with_number(cos, margin, SubBackward1).clamp_min(0)
    out = where(target == 1, pos, zeros) + where(target == -1, neg, zeros)
    return _reduce(out, reduction)


def _number_minus(number, x):
    """number - x as ATen computes it inside a loss: the number wrapped as a 0-dim tensor (SubBackward0 with no
    edge for it), where Python's `1 - x` records RsubBackward1."""
    from .pointwise import sub

    return sub(wrap(np.asarray(number, x._data.dtype)), x)


@autocast_op("fp32")
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce(with_number(-target * (input1 - input2), margin, AddBackward1).clamp_min(0), reduction)


@autocast_op("fp32")
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    from .creation import zeros_like
    from .indexing import where

    zeros = zeros_like(input)
    margin_clamp = _number_minus(margin, input).clamp_min(0)
    out = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _reduce(out, reduction)


@autocast_op("fp32")
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    a, pdim, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pdim == n):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {pdim}D, and negative {n}D inputs")
    from .nn_misc import pairwise_distance

    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from .pointwise import minimum

        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    # ATen adds the margin as a Scalar (AddBackward1); Python's `margin + d_pos` would record AddBackward0
    return _reduce((with_number(d_pos, margin, AddBackward1) - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    from .nn_misc import pairwise_distance

    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from .pointwise import minimum

        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    from .activation import logsigmoid

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    return _reduce(loss, reduction)


@autocast_op("fp32")
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        from .creation import full_like

        var = full_like(input, var)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = ((var.log() + (input - target) ** 2 / var)) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -------------------------------------------------------------------------------------------------------
# multi-class hinge losses: PyTorch's native kernels, so NumPy forwards and their own nodes. The backward is the
# hinge's piecewise derivative computed in the forward pass, scaled by the incoming gradient (PyTorch's
# backward kernels are not differentiable again either).


class _HingeLossBackward(Node):
    aten_backward = None  # PyTorch's backward function, which has no derivative formula of its own

    def __init__(self, derivative, reduction):
        self.derivative, self.reduction = derivative, reduction  # d loss_n / d input, shaped like the input

    def backward(self, grad):
        g = grad._data
        if self.reduction == "none" and g.ndim:
            g = g[..., None]
        result = wrap((g * self.derivative).astype(self.derivative.dtype))
        if _grad_state.enabled:  # create_graph: differentiating this again raises, as in PyTorch
            record(NotImplemented(self.aten_backward), (), result)
            result.grad_fn.next_functions = self.next_functions  # PyTorch's node points at the input
        return result


class MultiMarginLossBackward0(_HingeLossBackward):
    aten_backward = "aten::multi_margin_loss_backward"


class MultilabelMarginLossBackward0(_HingeLossBackward):
    aten_backward = "aten::multilabel_margin_loss_backward"


def _hinge_input(kernel, input, target):
    x = input._data
    if x.dtype.kind != "f" and x.dtype not in _HALF:
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(x.dtype).scalar_type_name}'")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_type_name}")
    return _compute(x)


def _hinge_result(loss, derivative, reduction, input, node_cls):
    """loss: per-sample (N,) array (or 0-d for a 1-D input); derivative: d loss_n / d input."""
    n = loss.size if loss.ndim else 1
    if reduction == "mean":
        loss = np.asarray(loss.sum() / n if n else 0.0, loss.dtype)
        derivative = derivative / max(n, 1)
    elif reduction == "sum":
        loss = np.asarray(loss.sum(), loss.dtype)
    result = wrap(np.asarray(loss).astype(input._data.dtype))
    if needs_grad(input):
        record(node_cls(derivative.astype(input._data.dtype), reduction), (input,), result)
    return result


@autocast_op("fp32")
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    _check_tensors("multi_margin_loss", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _no_grad_arg("multi_margin_loss", "weight", weight)
    x = _hinge_input("multi_margin_loss_cpu_kernel", input, target)
    shape = x.shape
    if not (x.ndim == 1 and x.size) and not (x.ndim == 2 and shape[1]):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")
    x2 = x.reshape(-1, shape[-1])
    n, c = x2.shape
    t = target._data.reshape(-1)
    if t.size != n or (x.ndim == 2 and target._data.ndim != 1):
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(target._data.shape)}. "
                           f"Input has shape {list(shape)}.")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight._data.shape)}")
    rows = np.arange(n)
    z = x2.dtype.type(margin) - x2[rows, t][:, None] + x2
    hinge = np.maximum(z, 0)
    hinge[rows, t] = 0
    w = np.ones(n, x2.dtype) if weight is None else weight._data.astype(x2.dtype)[t]
    scale = (w / x2.dtype.type(c))[:, None]
    loss = ((hinge if p == 1 else hinge * hinge) * scale).sum(1)
    d = ((z > 0) if p == 1 else 2 * hinge) * scale
    d[rows, t] = 0
    d[rows, t] = -d.sum(1)
    if x.ndim == 1:
        loss, d = loss.reshape(()), d.reshape(shape)
    return _hinge_result(loss, d, reduction, input, MultiMarginLossBackward0)


@autocast_op("fp32")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_tensors("multilabel_margin_loss", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x = _hinge_input("multilabel_margin_loss_forward_out_frame", input, target)
    shape = x.shape
    if not (x.ndim == 1 and x.size) and not (x.ndim == 2 and shape[1]) and x.ndim != 0:
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")
    if target._data.shape != shape:
        raise RuntimeError(f"inconsistent target size: {list(target._data.shape)} for input of size: {list(shape)}")
    x2 = x.reshape(-1, shape[-1] if x.ndim else 1)
    t = target._data.reshape(x2.shape)
    n, c = x2.shape
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    # each row's targets are the labels before its first -1; a repeated label counts once per repetition
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    counts = np.zeros((n, c), x2.dtype)
    rows = np.broadcast_to(np.arange(n)[:, None], t.shape)
    np.add.at(counts, (rows[valid], t[valid]), 1)
    others = (counts == 0).astype(x2.dtype)
    # z[n, j, i] = 1 - x[n, j] + x[n, i] for target class j and non-target class i
    z = 1 - x2[:, :, None] + x2[:, None, :]
    active = (z > 0) * counts[:, :, None] * others[:, None, :] / x2.dtype.type(c)
    loss = (np.maximum(z, 0) * active).sum((1, 2))
    d = active.sum(1) - active.sum(2)
    if x.ndim <= 1:
        loss, d = loss.reshape(()), d.reshape(shape)
    return _hinge_result(loss, d, reduction, input, MultilabelMarginLossBackward0)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    from .activation import softmax
    from .creation import empty_like, zeros_like

    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()  # ~Gumbel(0, 1), drawn as PyTorch draws them
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    # straight-through: the one-hot forward, the soft sample's gradient
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
