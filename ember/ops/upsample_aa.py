"""2-d resampling as F.interpolate computes it on (N, C, H, W) tensors: bilinear and bicubic (align_corners
either way, with or without antialias) and nearest / nearest-exact, forward and backward side by side.

Every mode is linear in the input and separable: along each spatial dim, output i is a weighted sum of a few
input taps, with ATen's index and weight rules:
- bilinear / bicubic: the source coordinate of output i is `scale * (i + 0.5) - 0.5` (clamped at 0 for
  bilinear), or `scale * i` with align_corners; bicubic is the cubic convolution with A = -0.75 over the four
  neighbours, their indices clamped to the image (upsample_bicubic2d).
- antialias (ATen's _upsample_{bilinear,bicubic}2d_aa): output i centred at `scale * (i + 0.5)` averages the
  inputs within `support = interp_size / 2 * max(scale, 1)` with the triangle (bilinear) or the A = -0.5 cubic
  (bicubic, PIL's) filter stretched by the downscale factor, weights normalised to sum 1.
- nearest: source `floor(i * scale)`, nearest-exact `floor((i + 0.5) * scale)`, in float32 as ATen computes
  them, clamped to the last index.
Weights are computed in the input's float type as ATen does, and the forward sums tap by tap along the width,
then the height (a gather for nearest, which keeps integer dtypes exact), so float32 results are PyTorch's to
a few ulps (bit-equal for antialiased bilinear in our measurements). Backward is the transposed linear map as
two matmuls, recorded as an op itself so double backward works.
"""

from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap

__all__ = ["upsample_2d", "resample_weights"]

_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


def _nearest_source(in_size, out_size, exact, scale_factor):
    """Source index of each output for nearest / nearest-exact, in float32 arithmetic as ATen's kernels."""
    if not exact and out_size == in_size:
        return np.arange(out_size)
    if not exact and out_size == 2 * in_size:  # ATen's special case (bit shift), kept for identical results
        return np.arange(out_size) >> 1
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    pos = np.arange(out_size, dtype=np.float32)
    if exact:
        pos += np.float32(0.5)
    return np.minimum(np.floor(pos * scale).astype(np.int64), in_size - 1)


def _cubic(x, a):
    """The cubic convolution kernel with parameter `a` at distances x (any sign), as the _aa kernels' filter."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _scale(in_size, out_size, align_corners, scale_factor, dt):
    """ATen's area_pixel_compute_scale in the kernel's float type: the input distance between outputs."""
    if align_corners:
        return dt.type(in_size - 1) / dt.type(out_size - 1) if out_size > 1 else dt.type(0)
    if scale_factor is not None and scale_factor > 0:
        return dt.type(1.0 / scale_factor)
    return dt.type(in_size) / dt.type(out_size)


def _interp_taps(in_size, out_size, mode, align_corners, scale_factor, dt):
    """(indices, weights) of shape (out, 2 or 4) for plain bilinear / bicubic, computed in the kernel's float type
    `dt` with ATen's expressions (so float32 results round as PyTorch's)."""
    one, half = dt.type(1), dt.type(0.5)
    scale = _scale(in_size, out_size, align_corners, scale_factor, dt)
    dst = np.arange(out_size, dtype=dt)
    if align_corners:
        src = scale * dst
    else:  # one rounding, as the fused multiply-add PyTorch's build makes of it (exact in float64 first)
        src = (scale.astype(np.float64) * (dst + half) - 0.5).astype(dt)
    if mode == "bilinear":
        if not align_corners:
            src = np.maximum(src, dt.type(0))
        i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        lam = np.clip(src - i0.astype(dt), dt.type(0), one)
        idx = np.stack([i0, i0 + (i0 < in_size - 1)], axis=1)
        return idx, np.stack([one - lam, lam], axis=1)
    # bicubic: upsample_bicubic2d's coefficients (A = -0.75), the four neighbours' indices clamped to the image
    a = dt.type(-0.75)
    i0 = np.floor(src).astype(np.int64)
    t = src - i0.astype(dt)

    def conv1(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + one

    def conv2(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = np.stack([conv2(t + one), conv1(t), conv1(one - t), conv2((one - t) + one)], axis=1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3), 0, in_size - 1)
    return idx, weights


def _aa_taps(in_size, out_size, mode, align_corners, scale_factor, dt):
    """(indices, weights) of the _aa kernels: output i averages the inputs in a window around `scale * (i + 0.5)`,
    filter arguments and values in double and weights in `dt`, as ATen mixes them; unused slots weigh 0."""
    scale = float(_scale(in_size, out_size, align_corners, scale_factor, dt))
    interp_size = 2 if mode == "bilinear" else 4
    support = interp_size / 2 * scale if scale >= 1 else interp_size / 2
    invscale = float(dt.type(1.0 / scale)) if scale >= 1 else 1.0
    centers = (scale * (np.arange(out_size) + 0.5)).astype(dt).astype(np.float64)
    # window [lo, hi) of each output; the C++ casts truncate toward zero
    lo = np.maximum((centers - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((centers + support + 0.5).astype(np.int64), in_size)
    width = max(int((hi - lo).max()), 1)
    idx = lo[:, None] + np.arange(width)
    inside = idx < hi[:, None]
    dist = ((idx - centers[:, None] + 0.5) * invscale).astype(dt).astype(np.float64)
    weights = np.where(inside, _triangle(dist) if mode == "bilinear" else _cubic(dist, -0.5), 0.0).astype(dt)
    total = np.zeros(out_size, dt)
    for k in range(width):  # the total in the kernel's order (it is rounded in dt)
        total += weights[:, k]
    weights = np.divide(weights, total[:, None], out=weights, where=total[:, None] != 0)
    return np.minimum(idx, in_size - 1), weights


def _taps(in_size, out_size, mode, align_corners, antialias, scale_factor, dt):
    if mode in ("nearest", "nearest-exact"):
        src = _nearest_source(in_size, out_size, mode == "nearest-exact", scale_factor)
        return src[:, None], np.ones((out_size, 1), dt)
    if antialias:
        return _aa_taps(in_size, out_size, mode, align_corners, scale_factor, dt)
    return _interp_taps(in_size, out_size, mode, align_corners, scale_factor, dt)


def resample_weights(in_size, out_size, mode, align_corners=False, antialias=False, scale_factor=None,
                     dtype=np.float64):
    """(out_size, in_size) matrix taking one spatial dim of the input to the output (weights as computed for
    inputs of `dtype`)."""
    idx, w = _taps(in_size, out_size, mode, align_corners, antialias, scale_factor, np.dtype(dtype))
    weights = np.zeros((out_size, in_size), w.dtype)
    np.add.at(weights, (np.broadcast_to(np.arange(out_size)[:, None], idx.shape), idx), w)
    return weights


def _apply_taps(arr, taps, axis):
    """Sum over the taps of `arr` gathered along `axis` times their weights, tap by tap in order: products and
    sums rounded one by one in the array's dtype, as ATen's loops (a matmul would fuse and reorder them)."""
    idx, w = taps
    shape = (-1, 1) if axis == -2 else (-1,)
    out = np.take(arr, idx[:, 0], axis=axis) * w[:, 0].reshape(shape)
    for k in range(1, idx.shape[1]):
        out += np.take(arr, idx[:, k], axis=axis) * w[:, k].reshape(shape)
    return out


def _apply(arr, wh, ww):
    """wh @ arr @ ww^T over the last two dims (backward: within float tolerance, rounding order free)."""
    return np.matmul(wh.astype(arr.dtype), np.matmul(arr, ww.T.astype(arr.dtype)))


class _SeparableNode(Node):
    """Backward of `x -> Wh @ x @ Ww^T`: the same product with the transposed matrices (a node of `pair`)."""

    pair = None

    def __init__(self, wh, ww):
        self.wh, self.ww = wh, ww

    def backward(self, grad):
        return _separable(grad, self.wh.T, self.ww.T, self.pair)


def _node_classes(name):
    forward = type(name + "Backward0", (_SeparableNode,), {})
    backward = type(name + "BackwardBackward0", (_SeparableNode,), {})
    forward.pair, backward.pair = backward, forward
    return forward


_NODES = {("bilinear", False): _node_classes("UpsampleBilinear2D"),
          ("bicubic", False): _node_classes("UpsampleBicubic2D"),
          ("bilinear", True): _node_classes("UpsampleBilinear2DAa"),
          ("bicubic", True): _node_classes("UpsampleBicubic2DAa"),
          ("nearest", False): _node_classes("UpsampleNearest2D"),
          ("nearest-exact", False): _node_classes("UpsampleNearestExact2D")}


def _separable(x, wh, ww, node_cls):
    out = wrap(np.ascontiguousarray(_apply(x._data, wh, ww)))
    if needs_grad(x):
        record(node_cls(wh, ww), (x,), out)
    return out


def upsample_2d(input, out_h, out_w, mode="bilinear", align_corners=False, antialias=False, scale_h=None,
                scale_w=None):
    """F.interpolate's 2-d kernels on a (N, C, H, W) tensor (also (C, H, W) or (H, W): the last two dims).

    `scale_h`/`scale_w` are interpolate's scale factors when they are used for the coordinates (given and not
    recomputed), else None. Floating inputs only for the interpolating modes; nearest keeps any dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"upsample_2d(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"upsample_2d: mode {mode!r} (supported: {', '.join(_MODES)})")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise NotImplementedError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D "
                                  "tensor as input")
    arr = input._data
    in_h, in_w = arr.shape[-2:]
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input (H: {in_h}, W: {in_w}) "
                           f"output (H: {out_h}, W: {out_w})")
    nearest = mode in ("nearest", "nearest-exact")
    if not nearest and arr.dtype.kind != "f":
        raise NotImplementedError(f"upsample_2d: {mode} on {input.dtype} (floating inputs only)")
    dt = arr.dtype if not nearest else np.dtype(np.float64)
    taps_h = _taps(in_h, out_h, mode, align_corners, antialias, scale_h, dt)
    taps_w = _taps(in_w, out_w, mode, align_corners, antialias, scale_w, dt)
    if nearest:  # a gather: any dtype, exact
        out = arr[..., taps_h[0][:, 0, None], taps_w[0][None, :, 0]]
    else:
        out = _apply_taps(_apply_taps(arr, taps_w, -1), taps_h, -2)  # width first, as ATen nests the sums
    out = wrap(np.ascontiguousarray(out))
    if needs_grad(input):
        wh = resample_weights(in_h, out_h, mode, align_corners, antialias, scale_h, dt)
        ww = resample_weights(in_w, out_w, mode, align_corners, antialias, scale_w, dt)
        record(_NODES[(mode, bool(antialias))](wh, ww), (input,), out)
    return out
