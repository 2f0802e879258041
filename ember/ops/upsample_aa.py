"""Resampling as F.interpolate computes it: bilinear and bicubic on (N, C, H, W) tensors (align_corners either
way, with or without antialias), linear on (N, C, W), trilinear on (N, C, D, H, W) and nearest / nearest-exact
over 1 to 3 spatial dims, forward and backward side by side.

Every mode is linear in the input and separable: along each spatial dim, output i is a weighted sum of a few
input taps, with ATen's index and weight rules (linear and trilinear use bilinear's along each of their dims):
- bilinear / bicubic: the source coordinate of output i is `scale * (i + 0.5) - 0.5` (clamped at 0 for
  bilinear), or `scale * i` with align_corners; bicubic is the cubic convolution with A = -0.75 over the four
  neighbours, their indices clamped to the image (upsample_bicubic2d).
- antialias (ATen's _upsample_{bilinear,bicubic,lanczos}2d_aa): output i centred at `scale * (i + 0.5)` averages
  the inputs within `support = interp_size / 2 * max(scale, 1)` with the triangle (bilinear), the A = -0.5 cubic
  (bicubic, PIL's) or the a = 3 Lanczos filter stretched by the downscale factor, weights normalised to sum 1.
- nearest: source `floor(i * scale)`, nearest-exact `floor((i + 0.5) * scale)`, in float32 as ATen computes
  them, clamped to the last index.
Weights are computed in the input's float type as ATen does (float32 for half types), and the forward sums tap
by tap along the width, then the height, then the depth (a gather for nearest, which keeps integer dtypes
exact), so float32 results are PyTorch's to a few ulps (bit-equal for antialiased bilinear in our
measurements). Backward is the transposed linear map as one matmul per dim, recorded as an op itself so double
backward works.
"""

from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap

__all__ = ["upsample_nd", "upsample_2d", "resample_weights"]

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


def _lanczos3(x):
    """The Lanczos window with a = 3: sinc(x) sinc(x / 3) on |x| < 3 (np.sinc is the normalised sinc)."""
    return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)


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
    interp_size = {"bilinear": 2, "bicubic": 4, "lanczos": 6}[mode]
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
    filt = {"bilinear": _triangle, "bicubic": lambda d: _cubic(d, -0.5), "lanczos": _lanczos3}[mode]
    weights = np.where(inside, filt(dist), 0.0).astype(dt)
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
    shape = (-1,) + (1,) * (-axis - 1)
    out = np.take(arr, idx[:, 0], axis=axis) * w[:, 0].reshape(shape)
    for k in range(1, idx.shape[1]):
        out += np.take(arr, idx[:, k], axis=axis) * w[:, k].reshape(shape)
    return out


def _apply(arr, mats):
    """Each matrix of `mats` applied to its own one of the last len(mats) dims (backward: within float
    tolerance, rounding order free)."""
    k = len(mats)
    for j, w in enumerate(mats):
        w = w.astype(arr.dtype, copy=False)
        if j == k - 1:
            arr = np.matmul(arr, w.T)
        elif j == k - 2:
            arr = np.matmul(w, arr)
        else:
            axis = arr.ndim - k + j
            arr = np.moveaxis(np.tensordot(w, arr, axes=([1], [axis])), 0, axis)
    return arr


class _SeparableNode(Node):
    """Backward of `x -> x resampled by one matrix per spatial dim`: the same product with the transposed
    matrices (a node of `pair`, so double backward works)."""

    pair = None

    def __init__(self, mats):
        self.mats = mats

    def backward(self, grad):
        return _separable(grad, [w.T for w in self.mats], self.pair)


def _node_classes(name):
    forward = type(name + "Backward0", (_SeparableNode,), {})
    backward = type(name + "BackwardBackward0", (_SeparableNode,), {})
    forward.pair, backward.pair = backward, forward
    return forward


# grad_fn names as PyTorch's, keyed by (mode, number of spatial dims, antialias)
_NODES = {("linear", 1, False): _node_classes("UpsampleLinear1D"),
          ("bilinear", 2, False): _node_classes("UpsampleBilinear2D"),
          ("trilinear", 3, False): _node_classes("UpsampleTrilinear3D"),
          ("bicubic", 2, False): _node_classes("UpsampleBicubic2D"),
          ("bilinear", 2, True): _node_classes("UpsampleBilinear2DAa"),
          ("bicubic", 2, True): _node_classes("UpsampleBicubic2DAa"),
          ("lanczos", 2, True): _node_classes("UpsampleLanczos2DAa")}
for _k in (1, 2, 3):
    _NODES[("nearest", _k, False)] = _node_classes(f"UpsampleNearest{_k}D")
    _NODES[("nearest-exact", _k, False)] = _node_classes(f"UpsampleNearestExact{_k}D")
del _k

# the interpolating mode of each number of spatial dims; all three share bilinear's taps along each dim
_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_HALF_DTYPES = ("float16", "bfloat16")


def _separable(x, mats, node_cls):
    out = wrap(np.ascontiguousarray(_apply(x._data, mats)))
    if needs_grad(x):
        record(node_cls(mats), (x,), out)
    return out


def _size_error(in_sizes, out_sizes):
    names = "DHW"[3 - len(in_sizes):]
    fmt = ", ".join

    def sizes(s):
        return fmt(f"{n}: {v}" for n, v in zip(names, s))
    joint = " and " if len(in_sizes) == 1 else " "  # ATen's 1-d message has the "and"
    return RuntimeError(f"Input and output sizes should be greater than 0, but got input ({sizes(in_sizes)}){joint}"
                        f"output ({sizes(out_sizes)})")


def upsample_nd(input, out_sizes, mode="bilinear", align_corners=False, antialias=False, scales=None):
    """F.interpolate's kernels over the last len(out_sizes) dims (1 to 3) of `input`: nearest / nearest-exact
    for any of them, linear (1), bilinear / bicubic with or without antialias (2), trilinear (3).

    `scales` holds interpolate's scale factors when they are used for the coordinates (given and not recomputed),
    else None (per dim or for all). Floating inputs only for the interpolating modes; nearest keeps any dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"upsample: argument 'input' must be Tensor, not {type(input).__name__}")
    k = len(out_sizes)
    if mode not in _MODES + ("linear", "trilinear", "lanczos") or (mode, k, bool(antialias)) not in _NODES:
        if antialias:
            raise NotImplementedError("Anti-alias option is restricted to bilinear and bicubic modes and requires a "
                                      "4-D tensor as input")
        raise NotImplementedError(f"upsample: mode {mode!r} over {k} spatial dims")
    arr = input._data
    if arr.ndim < k:
        raise RuntimeError(f"upsample: expected an input with at least {k} dims, got {arr.ndim}")
    in_sizes = arr.shape[arr.ndim - k:]
    out_sizes = tuple(int(s) for s in out_sizes)
    if min(in_sizes) <= 0 or min(out_sizes) <= 0:
        raise _size_error(in_sizes, out_sizes)
    scales = [None] * k if scales is None else list(scales)
    nearest = mode in ("nearest", "nearest-exact")
    tap_mode = "bilinear" if mode in ("linear", "trilinear") else mode
    if not nearest and not input.is_floating_point():
        raise NotImplementedError(f"upsample: {mode} on {input.dtype} (floating inputs only)")
    half = not nearest and arr.dtype.name in _HALF_DTYPES
    if half:  # ATen computes reduced-precision floats in float32 and rounds once at the end
        arr = arr.astype(np.float32)
    dt = arr.dtype if not nearest else np.dtype(np.float64)
    taps = [_taps(n_in, n_out, tap_mode, align_corners, antialias, s, dt)
            for n_in, n_out, s in zip(in_sizes, out_sizes, scales)]
    if nearest:  # a gather along one dim at a time (much faster than one fancy index): any dtype, exact
        out = arr
        for j in range(k - 1, -1, -1):
            out = np.take(out, taps[j][0][:, 0], axis=j - k)
    else:  # innermost dim first, as ATen nests the sums
        out = arr
        for j in range(k - 1, -1, -1):
            out = _apply_taps(out, taps[j], j - k)
    if half:
        out = out.astype(input._data.dtype)
    out = wrap(np.ascontiguousarray(out))
    if needs_grad(input):
        mats = [resample_weights(n_in, n_out, tap_mode, align_corners, antialias, s, dt)
                for n_in, n_out, s in zip(in_sizes, out_sizes, scales)]
        record(_NODES[(mode, k, bool(antialias))](mats), (input,), out)
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
    return upsample_nd(input, (out_h, out_w), mode, align_corners, antialias, (scale_h, scale_w))
