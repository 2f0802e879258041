"""Resampling functions of torch.nn.functional: interpolate (and the deprecated upsample*), pixel_shuffle /
pixel_unshuffle, channel_shuffle, affine_grid and grid_sample, forward and backward side by side.

interpolate validates its arguments as torch.nn.functional.interpolate does, then runs the separable kernels
of upsample_aa (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, antialias) or adaptive average
pooling (area). The shuffles are reshapes and one transpose, copied out as ATen does; each one's backward is
the inverse shuffle, recorded as an op so double backward works.
"""

import warnings

from .._backend import np
from ..autograd.grad_mode import state as _grad_state
from ._common import Node, Tensor, from_numpy_dtype, needs_grad, record, wrap
from .upsample_aa import upsample_nd

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "affine_grid", "grid_sample"]

_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_HALF = ("float16", "bfloat16")
_TYPE_LABELS = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "float16": "Half", "bfloat16": "BFloat16"}


def _is_integer(x):
    if isinstance(x, Tensor):
        return x.numel() == 1 and x._data.dtype.kind in "iub"
    return isinstance(x, (int, np.integer))


def _output_geometry(input, size, scale_factor, mode, recompute_scale_factor):
    """(output sizes, scale factors for the kernel or None) as interpolate's argument rules make them."""
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor "
                    f"in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = list(size)
        else:
            output_size = [size] * dim
        scale_factors = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. Please "
                    f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    f"format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
        output_size = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:  # area needs sizes: the recompute path makes them
        recompute_scale_factor = True
    if output_size is None:
        # floor of the product in double, as ATen's compute_output_size (and Python's int() on the recompute path)
        output_size = [int(n * s) for n, s in zip(input.shape[2:], scale_factors)]
        if recompute_scale_factor:
            scale_factors = None
    else:
        output_size = [int(s) for s in output_size]
    return output_size, scale_factors


def _check_interpolating_dtype(input, mode, antialias):
    """Raise as ATen does for dtypes its interpolating kernels lack (integers; half types with antialias)."""
    name = input._data.dtype.name
    if input.is_floating_point() and not (antialias and name in _HALF):
        return
    if name == "uint8" and mode in ("bilinear", "bicubic", "lanczos"):
        raise NotImplementedError(f"interpolate: {mode} on uint8 input (PyTorch's fixed-point kernels) is not "
                                  f"implemented in ember; convert to a floating dtype")
    kernel = ("compute_index_ranges_weights" if antialias else
              {"bilinear": "upsample_bilinear2d_channels_last", "bicubic": "compute_indices_weights_cubic"}.get(
                  mode, "compute_indices_weights_linear"))
    label = _TYPE_LABELS.get(name, name)
    raise NotImplementedError(f'"{kernel}" not implemented for \'{label}\'')


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    output_size, scale_factors = _output_geometry(input, size, scale_factor, mode, recompute_scale_factor)
    ndim = input.dim()
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    k = ndim - 2
    if mode in ("nearest", "nearest-exact") and k in (1, 2, 3):
        name = input._data.dtype.name
        if not input.is_floating_point() and name != "uint8":  # ATen's nearest kernels: floats and uint8
            kernel = "upsample_nearest2d_channels_last" if k == 2 else "compute_indices_weights_nearest"
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_TYPE_LABELS.get(name, name)}\'')
        return upsample_nd(input, output_size, mode, scales=scale_factors)
    if mode == "area" and k in (1, 2, 3):
        from . import pooling

        return getattr(pooling, f"adaptive_avg_pool{k}d")(input, output_size)
    if mode == "lanczos" and k == 2:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        _check_interpolating_dtype(input, mode, antialias)
        return upsample_nd(input, output_size, mode, align_corners, antialias, scale_factors)
    expected = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if expected == k:
        _check_interpolating_dtype(input, mode, antialias)
        return upsample_nd(input, output_size, mode, align_corners, antialias, scale_factors)
    if expected is not None and mode != "bicubic" and k in (1, 2, 3):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {expected + 2}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
                              f"{_ALL_MODES} (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -------------------------------------------------------------------------------------------------------
# pixel and channel shuffles


def _check_factor(name, arg, factor):
    if not isinstance(factor, (int, np.integer)) or isinstance(factor, bool):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be int, not {type(factor).__name__}")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {arg}, but got {factor}")


def _check_rank(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           f"dimension(s)")


class PixelShuffleBackward0(Node):
    def __init__(self, factor):
        self.factor = factor

    def backward(self, grad):
        return pixel_unshuffle(grad, self.factor)


class PixelUnshuffleBackward0(Node):
    def __init__(self, factor):
        self.factor = factor

    def backward(self, grad):
        return pixel_shuffle(grad, self.factor)


def _shuffled(input, arr, node):
    out = wrap(np.ascontiguousarray(arr))
    if needs_grad(input):
        record(node, (input,), out)
    return out


def pixel_shuffle(input, upscale_factor):
    _check_rank("pixel_shuffle", input)
    _check_factor("pixel_shuffle", "upscale_factor", upscale_factor)
    r = int(upscale_factor)
    x = input._data
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    # (*, C, r, r, H, W) -> (*, C, H, r, W, r)
    arr = x.reshape(*lead, c // (r * r), r, r, h, w).transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return _shuffled(input, arr.reshape(*lead, c // (r * r), h * r, w * r), PixelShuffleBackward0(r))


def pixel_unshuffle(input, downscale_factor):
    _check_rank("pixel_unshuffle", input)
    _check_factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    r = int(downscale_factor)
    x = input._data
    *lead, c, h, w = x.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    # (*, C, H, r, W, r) -> (*, C, r, r, H, W)
    arr = x.reshape(*lead, c, h // r, r, w // r, r).transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return _shuffled(input, arr.reshape(*lead, c * r * r, h // r, w // r), PixelUnshuffleBackward0(r))


class ChannelShuffleBackward0(Node):
    def __init__(self, groups):
        self.groups = groups

    def backward(self, grad):
        return channel_shuffle(grad, grad.shape[1] // self.groups)


def channel_shuffle(input, groups):
    if not isinstance(input, Tensor):
        raise TypeError(f"channel_shuffle(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not {type(groups).__name__}")
    x = input._data
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    g = int(groups)
    n, c = x.shape[:2]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    arr = x.reshape(n, g, c // g, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)
    return _shuffled(input, arr, ChannelShuffleBackward0(g))


# -------------------------------------------------------------------------------------------------------
# affine_grid and grid_sample


def _linspace_from_neg_one(n, align_corners, dtype):
    """The normalised pixel-centre coordinates of one dim as ATen's affine_grid_generator builds them."""
    if n <= 1:
        return np.zeros(1, dtype)
    from .creation import linspace

    r = linspace(-1, 1, n, dtype=from_numpy_dtype(dtype))._data
    if not align_corners:
        r = r * dtype.type(n - 1) / dtype.type(n)
    return r


def _base_grid(spatial, align_corners, dtype):
    """(prod(spatial), k + 1) rows (x, y[, z], 1) over the output positions in C order (the last dim is x)."""
    axes = [_linspace_from_neg_one(n, align_corners, dtype) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # (z,) y, x
    cols = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(int(np.prod(spatial)), dtype)]
    return np.stack(cols, axis=1)


class AffineGridGeneratorBackward0(Node):
    def __init__(self, base, n, k):
        self.base, self.n, self.k = base, n, k

    def backward(self, grad):
        # d theta = (base^T @ grad rows)^T, in ember ops so that double backward works
        rows = grad.reshape(self.n, -1, self.k)
        return wrap(np.ascontiguousarray(self.base.T)).matmul(rows).transpose(1, 2)


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)
    shape = tuple(theta.shape)
    if len(size) == 4:
        if theta.dim() != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. "
                             f"Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {given}. "
                             f"Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {given}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    n, k = int(size[0]), len(spatial)
    if shape[0] != n:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k + 1}] but got: "
                           f"[{shape[0]}, {k + 1}].")
    th = theta._data
    half = th.dtype.name in ("float16", "bfloat16")
    dt = np.dtype(np.float32) if half else th.dtype
    base = _base_grid(spatial, align_corners, dt)
    out = np.matmul(base, th.astype(dt).transpose(0, 2, 1))  # (n, positions, k)
    out = wrap(np.ascontiguousarray(out.astype(th.dtype).reshape(n, *spatial, k)))
    if needs_grad(theta):
        record(AffineGridGeneratorBackward0(base.astype(th.dtype), n, k), (theta,), out)
    return out


def _unnormalize(coord, size, align_corners):
    """Grid coordinate in [-1, 1] -> pixel coordinate, with d(pixel)/d(coord)."""
    if align_corners:
        scale = coord.dtype.type((size - 1) / 2)
        return (coord + 1) * scale, scale
    return ((coord + 1) * coord.dtype.type(size) - 1) / 2, coord.dtype.type(size / 2)


def _clip(x, size):
    """Clamp to [0, size - 1], with ATen's gradient mask (0 outside and on the bounds themselves)."""
    grad = ((x > 0) & (x < size - 1)).astype(x.dtype)
    return np.clip(x, 0, size - 1).astype(x.dtype), grad


def _reflect(x, twice_low, twice_high):
    """Reflect x into [twice_low / 2, twice_high / 2] as ATen's reflect_coordinates, with d(out)/d(x) = +-1."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    lo = x.dtype.type(twice_low / 2)
    span = x.dtype.type((twice_high - twice_low) / 2)
    x = x - lo
    sign = np.where(x < 0, -1, 1).astype(x.dtype)
    x = np.abs(x)
    extra = np.fmod(x, span)
    even = np.floor(x / span) % 2 == 0
    return np.where(even, extra + lo, span - extra + lo).astype(x.dtype), np.where(even, sign, -sign)


def _pad_coordinates(x, size, padding_mode, align_corners):
    """ATen's compute_coordinates (border / reflection) with the gradient of the result w.r.t. x."""
    if padding_mode == "border":
        return _clip(x, size)
    if padding_mode == "reflection":
        if align_corners:
            x, g = _reflect(x, 0, 2 * (size - 1))
        else:
            x, g = _reflect(x, -1, 2 * size - 1)
        x, g2 = _clip(x, size)
        return x, g * g2
    return x, np.ones_like(x)


def _cubic_coefficients(t):
    """upsample_bicubic2d's weights of the taps at -1, 0, 1, 2 for fractions t (A = -0.75), and their
    derivatives w.r.t. t."""
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def dnear(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def dfar(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    dw = [dfar(t + 1), dnear(t), -dnear(1 - t), -dfar(2 - t)]
    return [v.astype(t.dtype) for v in w], [v.astype(t.dtype) for v in dw]


def _axis_taps(coord, size, mode, padding_mode, align_corners):
    """Per grid axis: tap indices, validity, weights, d(weight)/d(grid coordinate), each a list over taps."""
    x, scale = _unnormalize(coord, size, align_corners)
    if mode == "bicubic":  # padding applies to each tap's index, the fraction comes from the raw coordinate
        x0 = np.floor(x)
        w, dw = _cubic_coefficients(x - x0)
        idx, valid = [], []
        for off in (-1, 0, 1, 2):
            pos, _ = _pad_coordinates(x0 + x.dtype.type(off), size, padding_mode, align_corners)
            i = np.where(np.isfinite(pos), pos, -1).astype(np.int64)
            idx.append(i)
            valid.append((i >= 0) & (i < size))
        return idx, valid, w, [d * scale for d in dw]
    x, gpad = _pad_coordinates(x, size, padding_mode, align_corners)
    if mode == "nearest":
        i = np.where(np.isfinite(x), np.rint(x), -1).astype(np.int64)
        return [i], [(i >= 0) & (i < size)], [np.ones_like(x)], [np.zeros_like(x)]
    x0 = np.floor(x)
    frac = x - x0
    i0 = np.where(np.isfinite(x0), x0, -1).astype(np.int64)
    mult = gpad * scale
    return ([i0, i0 + 1], [(i0 >= 0) & (i0 < size), (i0 + 1 >= 0) & (i0 + 1 < size)], [1 - frac, frac],
            [-mult, mult])


def _combos(taps):
    """Every combination of one tap per axis: (flat spatial index, validity, weight, d weight / d each axis)."""
    import itertools

    for choice in itertools.product(*(range(len(t[1][0])) for t in taps)):
        flat, valid, w = 0, True, 1
        for (size, (idx, ok, wt, _)), c in zip(taps, choice):
            flat = flat * size + np.where(ok[c], idx[c], 0)
            valid = valid & ok[c]
            w = w * wt[c]
        dws = []
        for a in range(len(taps)):
            d = 1
            for b, c in enumerate(choice):
                d = d * (taps[b][1][3][c] if a == b else taps[b][1][2][c])
            dws.append(d)
        yield flat, valid, w, dws


class _GridSamplerDoubleBackward(Node):
    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__}: double backward of grid_sample is not implemented in "
                                  f"ember")


class _GridSamplerNode(Node):
    """Backward of grid_sample: gradients of the input (scattered tap weights) and of the grid (the weights'
    derivatives against the sampled values), computed in NumPy; under create_graph they hang off a node that
    refuses a further backward."""

    double = None

    def __init__(self, input, grid, mode, padding_mode, align_corners):
        self.input, self.grid = self.save(input), self.save(grid)
        self.args = (mode, padding_mode, align_corners)

    def backward(self, grad):
        x, g = self.input.unpack()._data, self.grid.unpack()._data
        if x.dtype.name in _HALF:
            x, g = x.astype(np.float32), g.astype(np.float32)
        gi, gg = _grid_sample_backward(x, g, grad._data.astype(x.dtype), *self.args)
        dtype = self.input.unpack()._data.dtype
        outs = [wrap(gi.astype(dtype)), wrap(gg.astype(dtype))]
        if _grad_state.enabled:  # create_graph
            record(self.double(), (grad,), outs)
        return tuple(outs)


class GridSampler2DBackward0(_GridSamplerNode):
    double = type("GridSampler2DBackwardBackward0", (_GridSamplerDoubleBackward,), {})


class GridSampler3DBackward0(_GridSamplerNode):
    double = type("GridSampler3DBackwardBackward0", (_GridSamplerDoubleBackward,), {})


def _geometry(x, g, mode, padding_mode, align_corners):
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    k = len(spatial)
    out_spatial = g.shape[1:-1]
    q = int(np.prod(out_spatial))
    coords = g.reshape(n, q, k)
    # grid[..., 0] is x (the last input dim), grid[..., 1] is y, grid[..., 2] is z
    taps = [(spatial[d], _axis_taps(coords[..., k - 1 - d], spatial[d], mode, padding_mode, align_corners))
            for d in range(k)]
    return n, c, spatial, out_spatial, q, taps


def _rows(x):
    """(N * P, C) channels-last rows of a (N, C, *spatial) array: a tap gathers whole rows (fast takes)."""
    n, c = x.shape[:2]
    return np.ascontiguousarray(x.reshape(n, c, -1).transpose(0, 2, 1)).reshape(-1, c)


def _grid_sample_forward(x, g, mode, padding_mode, align_corners):
    n, c, spatial, out_spatial, q, taps = _geometry(x, g, mode, padding_mode, align_corners)
    rows, first = _rows(x), np.arange(n)[:, None] * int(np.prod(spatial))
    out = np.zeros((n, q, c), x.dtype)
    for flat, valid, w, _ in _combos(taps):
        w = np.where(valid, w, 0).astype(x.dtype)
        out += np.take(rows, first + flat, axis=0) * w[..., None]
    return out.transpose(0, 2, 1).reshape(n, c, *out_spatial)


def _grid_sample_backward(x, g, grad, mode, padding_mode, align_corners):
    n, c, spatial, out_spatial, q, taps = _geometry(x, g, mode, padding_mode, align_corners)
    k = len(spatial)
    p = int(np.prod(spatial))
    rows, first = _rows(x), np.arange(n)[:, None] * p
    go = grad.reshape(n, c, q).transpose(0, 2, 1)  # (n, q, c)
    grad_rows = np.zeros(n * p * c, x.dtype)
    grad_coords = np.zeros((n, q, k), x.dtype)
    channels = np.arange(c)
    for flat, valid, w, dws in _combos(taps):
        w = np.where(valid, w, 0).astype(x.dtype)
        row = first + flat
        # scatter-add of every (row, channel) contribution, one bincount per tap combination
        grad_rows += np.bincount((row[..., None] * c + channels).ravel(), (go * w[..., None]).ravel(),
                                 minlength=n * p * c).astype(x.dtype)
        if mode != "nearest":
            s = np.einsum("nqc,nqc->nq", go, np.take(rows, row, axis=0)) * valid
            for a in range(k):  # axis a is spatial dim a; its grid component is k - 1 - a
                grad_coords[..., k - 1 - a] += s * dws[a]
    grad_in = grad_rows.reshape(n, p, c).transpose(0, 2, 1).reshape(x.shape)
    return np.ascontiguousarray(grad_in), grad_coords.reshape(g.shape)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    x, g = input._data, grid._data
    sizes = f"input with sizes {list(x.shape)} and grid with sizes {list(g.shape)}"
    if x.shape[0] != g.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}")
    if g.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but got grid "
                           f"with sizes {list(g.shape)}")
    if x.ndim != g.ndim or x.ndim not in (4, 5):
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"{sizes}")
    for d in range(2, x.ndim):
        if x.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(x.shape)} with dimension {d} being empty")
    if mode == "bicubic" and x.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_NAMES.get(x.dtype.name, x.dtype.name)} but found "
                           f"{_TYPE_NAMES.get(g.dtype.name, g.dtype.name)}")
    if not input.is_floating_point():
        label = _TYPE_LABELS.get(x.dtype.name, x.dtype.name)
        raise NotImplementedError(f'"grid_sampler_{x.ndim - 2}d_cpu_kernel_impl" not implemented for \'{label}\'')
    half = x.dtype.name in _HALF
    xc, gc = (x.astype(np.float32), g.astype(np.float32)) if half else (x, g)
    out = _grid_sample_forward(xc, gc, mode, padding_mode, align_corners)
    out = wrap(np.ascontiguousarray(out.astype(x.dtype)))
    if needs_grad(input, grid):
        node_cls = GridSampler2DBackward0 if x.ndim == 4 else GridSampler3DBackward0
        record(node_cls(input, grid, mode, padding_mode, align_corners), (input, grid), out)
    return out


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}
