"""Pooling: max/avg/adaptive/lp pooling and max_unpool, forward and backward side by side.

Pooling is per channel, so the kernels see arrays of shape (B, *spatial) with batch and channels merged.
Windows are strided views of the padded input (no copy); max pooling takes one pass per kernel offset for
the max and its offset; backward scatters with one masked strided add per kernel offset (no loop over pixels).
Each backward is itself an op that records a node (gather <-> scatter, pool <-> adjoint), so double backward
works.
"""

import math

from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d"]

_as_strided = np.lib.stride_tricks.as_strided


def _expand(value, n, name="kernel_size"):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"max_pool{n}d: {name} must either be a single int, or a tuple of {n} ints")
    return value


def _compute_dtype(dtype):
    if dtype == np.float16 or dtype.name == "bfloat16":
        return np.dtype(np.float32)
    return dtype


class _Geometry:
    """Window geometry of one pooling call over spatial size `in_size`."""

    __slots__ = ("in_size", "kernel", "stride", "padding", "dilation", "out_size", "padded")

    def __init__(self, in_size, kernel, stride, padding, dilation, ceil_mode):
        self.in_size, self.kernel, self.stride, self.padding, self.dilation = in_size, kernel, stride, padding, dilation
        out = []
        for n, k, s, p, d in zip(in_size, kernel, stride, padding, dilation):
            o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
            if ceil_mode and (o - 1) * s >= n + p:
                o -= 1
            out.append(o)
        self.out_size = tuple(out)
        # padded extent the windows reach (ceil_mode may reach past the padding)
        self.padded = tuple(max(n + 2 * p, (o - 1) * s + d * (k - 1) + 1)
                            for n, p, o, s, d, k in zip(in_size, padding, out, stride, dilation, kernel))

    def pad(self, arr, fill):
        """(B, *in) -> (B, *padded) filled with `fill` outside the input."""
        if self.padded == self.in_size:
            return arr
        out = np.full((arr.shape[0],) + self.padded, fill, arr.dtype)
        out[self.interior()] = arr
        return out

    def interior(self):
        return (slice(None),) + tuple(slice(p, p + n) for p, n in zip(self.padding, self.in_size))

    def windows(self, padded):
        """Read-only view (B, *out, *kernel) of a padded array."""
        st = padded.strides
        d = len(self.kernel)
        strides = (st[0],) + tuple(st[1 + i] * self.stride[i] for i in range(d)) + \
            tuple(st[1 + i] * self.dilation[i] for i in range(d))
        return _as_strided(padded, (padded.shape[0],) + self.out_size + self.kernel, strides, writeable=False)

    def offsets(self):
        """(flat offset number, region of the padded array that offset reads) for each kernel offset."""
        for j, offset in enumerate(np.ndindex(*self.kernel)):
            yield j, (slice(None),) + tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                                            for o, d, n, s in zip(offset, self.dilation, self.out_size, self.stride))


def _batch_view(arr, d):
    """Merge the leading (batch, channel) dims: (..., *spatial) -> (B, *spatial)."""
    return arr.reshape((-1,) + arr.shape[arr.ndim - d:])


# ------------------------------------------------------------------------------------------------ gather / scatter
# Max pooling (and adaptive max pooling) forward is a gather of the input at flat spatial indices; its
# backward is the scatter-add of the grad to those indices. Each records the other as its backward.


class _GatherNode(Node):
    """Backward of a gather at flat indices (the max pooling forward): scatter the grad back."""

    def __init__(self, indices, in_shape, geometry, k_idx):
        self.indices, self.in_shape, self.geometry, self.k_idx = indices, in_shape, geometry, k_idx

    def backward(self, grad, grad_indices=None):
        return _scatter(grad, self.indices, self.in_shape, self.geometry, self.k_idx, type(self))


class MaxPool2DWithIndicesBackward0(_GatherNode):
    pass


class MaxPool3DWithIndicesBackward0(_GatherNode):
    pass


class AdaptiveMaxPool2DBackward0(_GatherNode):
    pass


class AdaptiveMaxPool3DBackward0(_GatherNode):
    pass


class _ScatterNode(Node):
    def __init__(self, indices, in_shape, geometry, k_idx, gather_cls):
        self.indices, self.in_shape, self.geometry, self.k_idx = indices, in_shape, geometry, k_idx
        self.gather_cls = gather_cls

    def backward(self, grad):
        return _gather(grad, self.indices, self.in_shape, self.geometry, self.k_idx, self.gather_cls)


class MaxPool2DWithIndicesBackwardBackward0(_ScatterNode):
    pass


class MaxPool3DWithIndicesBackwardBackward0(_ScatterNode):
    pass


class AdaptiveMaxPool2DBackwardBackward0(_ScatterNode):
    pass


class AdaptiveMaxPool3DBackwardBackward0(_ScatterNode):
    pass


_SCATTER_NODE = {MaxPool2DWithIndicesBackward0: MaxPool2DWithIndicesBackwardBackward0,
                 MaxPool3DWithIndicesBackward0: MaxPool3DWithIndicesBackwardBackward0,
                 AdaptiveMaxPool2DBackward0: AdaptiveMaxPool2DBackwardBackward0,
                 AdaptiveMaxPool3DBackward0: AdaptiveMaxPool3DBackwardBackward0}


def _scatter(grad, indices, in_shape, geometry, k_idx, gather_cls):
    """Sum grad (shape of the pooled output) into zeros of `in_shape` at the flat spatial `indices`."""
    d = indices.ndim - 1
    g = _batch_view(grad._data, d)
    spatial = in_shape[len(in_shape) - d:]
    if geometry is not None:
        # windows on a regular grid: one strided add per kernel offset, masked by the argmax offset
        res = np.zeros((g.shape[0],) + geometry.padded, g.dtype)
        # g * mask is the fast way to mask (numpy's masked ufuncs are slow) but turns inf * 0 into NaN
        finite = bool(np.isfinite(g).all())
        disjoint = all(s >= dl * (k - 1) + 1 for s, dl, k in zip(geometry.stride, geometry.dilation, geometry.kernel))
        for j, region in geometry.offsets():
            if not finite:
                res[region] += np.where(k_idx == j, g, np.zeros((), g.dtype))
            elif disjoint:      # each input position is read by at most one window offset: write, don't add
                np.multiply(g, k_idx == j, out=res[region])
            else:
                res[region] += g * (k_idx == j)
        res = np.ascontiguousarray(res[geometry.interior()])
    else:
        numel = math.prod(spatial)
        flat = (indices.reshape(g.shape[0], -1) + (np.arange(g.shape[0]) * numel)[:, None]).ravel()
        res = np.bincount(flat, weights=g.ravel(), minlength=g.shape[0] * numel).astype(g.dtype)
    result = wrap(res.reshape(in_shape))
    if needs_grad(grad):
        record(_SCATTER_NODE[gather_cls](indices, in_shape, geometry, k_idx, gather_cls), (grad,), result)
    return result


def _gather(input, indices, in_shape, geometry, k_idx, gather_cls):
    """Values of input (shape `in_shape`) at flat spatial `indices` (B, *out) -> the pooled shape."""
    d = indices.ndim - 1
    x = _batch_view(input._data, d)
    flat = np.take_along_axis(x.reshape(x.shape[0], -1), indices.reshape(x.shape[0], -1), 1)
    out_shape = tuple(in_shape[:len(in_shape) - d]) + indices.shape[1:]
    result = wrap(flat.reshape(out_shape))
    if needs_grad(input):
        record(gather_cls(indices, in_shape, geometry, k_idx), (input,), result)
    return result


# ------------------------------------------------------------------------------------------------ max pooling


def _check_dims(input, d, name):
    if input.dim() not in (d + 1, d + 2) or input.numel() == 0 and input.dim() == d + 1:
        raise RuntimeError(f"non-empty {d + 1}D or {d + 2}D (batch mode) tensor expected for input")


def _pool_params(input, kernel_size, stride, padding, dilation, ceil_mode, d, name, max_pool):
    kernel = _expand(kernel_size, d, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _expand(stride, d, "stride")
    padding = _expand(padding, d, "padding")
    dilation = _expand(dilation, d, "dilation")
    if any(s == 0 for s in stride) or any(k == 0 for k in kernel):
        raise RuntimeError("stride should not be zero" if any(s == 0 for s in stride)
                           else "kernel size should be greater than zero")
    for k, p, dl in zip(kernel, padding, dilation):
        if max_pool and p > (dl * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={dl}")
        if not max_pool and p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
    in_size = tuple(input.shape[input.dim() - d:])
    geometry = _Geometry(in_size, kernel, stride, padding, dilation, ceil_mode)
    if any(o <= 0 for o in geometry.out_size):
        C = input.shape[input.dim() - d - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + in_size))}). Calculated output size: "
                           f"({'x'.join(map(str, (C,) + geometry.out_size))}). Output size is too small")
    return geometry


def _is_float(dtype):
    return dtype.kind in "fc" or dtype.name == "bfloat16"


def _window_max(xp, geometry, check_nan=False):
    """Max over each window of the padded (B, *padded) array and the kernel offset number it sits at.

    One pass per kernel offset over a strided view (no copy of the windows): an offset wins when its value is
    greater than the best so far or NaN, so ties keep the first offset and NaN the last, as PyTorch's kernel.
    The NaN test is only paid for when a NaN shows up in the result (np.maximum propagates it there)."""
    best = k_idx = None
    for j, region in geometry.offsets():
        v = xp[region]
        if best is None:
            best = v.copy()
            k_idx = np.zeros(best.shape, np.int8 if math.prod(geometry.kernel) <= 127 else np.int64)
            continue
        take = np.greater(v, best)
        if check_nan:
            take |= np.isnan(v)
        np.maximum(best, v, out=best)
        # k_idx = where(take, j, k_idx), as a max with take * j (j exceeds every earlier offset number): masked
        # ufuncs, putmask and copyto(where=) were measured 60-100x slower than these plain passes
        np.maximum(k_idx, np.multiply(take, j, dtype=k_idx.dtype), out=k_idx)
    if not check_nan and _is_float(xp.dtype) and np.isnan(best).any():
        return _window_max(xp, geometry, check_nan=True)
    return best, k_idx


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, d, node_cls):
    _check_dims(input, d, f"max_pool{d}d")
    geometry = _pool_params(input, kernel_size, stride, padding, dilation, ceil_mode, d, f"max_pool{d}d", True)
    x = _batch_view(input._data, d)
    kind = x.dtype.kind
    fill = -np.inf if _is_float(x.dtype) else (np.iinfo(x.dtype).min if kind in "iu" else False)
    values, k_idx = _window_max(geometry.pad(x, fill), geometry)
    # flat index into the unpadded input: position = out*stride - pad + offset*dilation, per dim; split into
    # a per-output base and a per-offset table
    in_strides = [math.prod(geometry.in_size[i + 1:]) for i in range(d)]
    flat = 0
    for i in range(d):
        o_i = np.arange(geometry.out_size[i]).reshape((-1,) + (1,) * (d - 1 - i))
        flat = flat + (o_i * geometry.stride[i] - geometry.padding[i]) * in_strides[i]
    table = np.array([sum(o * dl * st for o, dl, st in zip(offset, geometry.dilation, in_strides))
                      for offset in np.ndindex(*geometry.kernel)], np.int64)
    flat = flat + table[k_idx]
    flat = np.ascontiguousarray(flat, dtype=np.int64)
    lead = tuple(input.shape[:input.dim() - d])
    out = wrap(values.reshape(lead + geometry.out_size))
    indices = wrap(flat.reshape(lead + geometry.out_size))
    if needs_grad(input):
        record(node_cls(flat, tuple(input.shape), geometry, k_idx), (input,), out)
    return out, indices


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, MaxPool2DWithIndicesBackward0)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 3, MaxPool3DWithIndicesBackward0)


def _one_to_two(value, fill):
    """A 1d pooling parameter as the (1, v) pair of the 2d op it runs on."""
    if value is None:
        return None
    if isinstance(value, int):
        return (fill, value)
    value = tuple(value)
    if len(value) == 0:
        return value
    if len(value) != 1:
        raise RuntimeError("max_pool1d() argument must be a single int or a tuple of one int")
    return (fill, value[0])


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    out, idx = _max_pool(input.unsqueeze(-2), _one_to_two(kernel_size, 1), _one_to_two(stride, 1),
                         _one_to_two(padding, 0), _one_to_two(dilation, 1), ceil_mode, 2,
                         MaxPool2DWithIndicesBackward0)
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


# ------------------------------------------------------------------------------------------------ avg pooling
# avg pooling is linear: `_avg_apply` (the pooling) and `_avg_adjoint` (its transpose) record each other.


class _AvgSpec:
    __slots__ = ("geometry", "divisor", "d", "in_shape")

    def __init__(self, geometry, divisor, d, in_shape):
        self.geometry, self.divisor, self.d, self.in_shape = geometry, divisor, d, in_shape


class _AvgNode(Node):
    def __init__(self, spec):
        self.spec = spec

    def backward(self, grad):
        return _avg_adjoint(grad, self.spec)


class AvgPool2DBackward0(_AvgNode):
    pass


class AvgPool3DBackward0(_AvgNode):
    pass


class _AvgAdjointNode(Node):
    def __init__(self, spec):
        self.spec = spec

    def backward(self, grad):
        return _avg_apply(grad, self.spec)


class AvgPool2DBackwardBackward0(_AvgAdjointNode):
    pass


class AvgPool3DBackwardBackward0(_AvgAdjointNode):
    pass


def _avg_apply(input, spec):
    geometry, d = spec.geometry, spec.d
    arr = _batch_view(input._data, d)
    dtype = arr.dtype
    x = arr.astype(_compute_dtype(dtype)) if dtype.kind == "f" else arr.astype(np.float64)
    xp = geometry.pad(x, 0)
    total = None
    for _, region in geometry.offsets():
        total = xp[region].copy() if total is None else np.add(total, xp[region], out=total)
    total /= spec.divisor
    if dtype.kind != "f":
        total = np.trunc(total)
    lead = tuple(input.shape[:input.dim() - d])
    result = wrap(total.astype(dtype, copy=False).reshape(lead + geometry.out_size))
    if needs_grad(input):
        record((AvgPool2DBackward0 if d == 2 else AvgPool3DBackward0)(spec), (input,), result)
    return result


def _avg_adjoint(grad, spec):
    geometry, d = spec.geometry, spec.d
    g = _batch_view(grad._data, d)
    dtype = g.dtype
    g = g.astype(_compute_dtype(dtype)) / spec.divisor
    res = np.zeros((g.shape[0],) + geometry.padded, g.dtype)
    for _, region in geometry.offsets():
        res[region] += g
    res = np.ascontiguousarray(res[geometry.interior()]).astype(dtype, copy=False)
    result = wrap(res.reshape(spec.in_shape))
    if needs_grad(grad):
        record((AvgPool2DBackwardBackward0 if d == 2 else AvgPool3DBackwardBackward0)(spec), (grad,), result)
    return result


def _avg_divisor(geometry, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return divisor_override
    per_dim = []
    for n, k, s, p, o in zip(geometry.in_size, geometry.kernel, geometry.stride, geometry.padding,
                             geometry.out_size):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, n) - np.maximum(start, 0))
    div = per_dim[0]
    for extra in per_dim[1:]:
        div = np.multiply.outer(div, extra)
    return div.astype(_compute_dtype(dtype) if dtype.kind == "f" else np.float64)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, d):
    if input.dim() not in (d + 1, d + 2):
        raise RuntimeError(f"non-empty {d + 1}D or {d + 2}D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geometry = _pool_params(input, kernel_size, stride, padding, 1, ceil_mode, d, f"avg_pool{d}d", False)
    divisor = _avg_divisor(geometry, count_include_pad, divisor_override, input._data.dtype)
    return _avg_apply(input, _AvgSpec(geometry, divisor, d, tuple(input.shape)))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for avg_pool1d)")
    out = _avg_pool(input.unsqueeze(-2), _one_to_two(kernel_size, 1), _one_to_two(stride, 1),
                    _one_to_two(padding, 0), ceil_mode, count_include_pad, None, 2)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


# ------------------------------------------------------------------------------------------------ adaptive pooling


def _adaptive_bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _adaptive_output_size(input, output_size, d, name):
    if input.dim() not in (d + 1, d + 2):
        got = list(input.shape)
        raise RuntimeError(f"{name}(): Expected {d + 1}D or {d + 2}D tensor, but got{':' if 'max' in name else ''} "
                           f"{got}")
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * d
    output_size = tuple(output_size)
    if len(output_size) == 1 and d > 1:
        output_size = output_size * d
    if len(output_size) != d:
        raise RuntimeError(f"{name}: output_size must be {d}")
    in_size = tuple(input.shape[input.dim() - d:])
    return tuple(n if o is None else int(o) for n, o in zip(in_size, output_size)), in_size


class _AdaptiveAvgNode(Node):
    def __init__(self, mats, in_shape, out_shape, d):
        self.mats, self.in_shape, self.out_shape, self.d = mats, in_shape, out_shape, d

    def backward(self, grad):
        return _adaptive_linear(grad, [m.T for m in self.mats], self.out_shape, self.in_shape, self.d,
                                not self.transposed)

    transposed = False


class AdaptiveAvgPool2DBackward0(_AdaptiveAvgNode):
    pass


class AdaptiveAvgPool3DBackward0(_AdaptiveAvgNode):
    pass


class AdaptiveAvgPool2DBackwardBackward0(_AdaptiveAvgNode):
    transposed = True


class AdaptiveAvgPool3DBackwardBackward0(_AdaptiveAvgNode):
    transposed = True


def _adaptive_linear(input, mats, in_shape, out_shape, d, transposed):
    """Apply one averaging matrix (out_i, in_i) along each spatial dim (adaptive avg pooling is separable)."""
    x = _batch_view(input._data, d)
    dtype = x.dtype
    res = x.astype(_compute_dtype(dtype), copy=False)
    for i, m in enumerate(mats):
        res = np.moveaxis(np.tensordot(m.astype(res.dtype, copy=False), res, axes=([1], [1 + i])), 0, 1 + i)
    result = wrap(np.ascontiguousarray(res).astype(dtype, copy=False).reshape(out_shape))
    if needs_grad(input):
        cls = [[AdaptiveAvgPool2DBackward0, AdaptiveAvgPool3DBackward0],
               [AdaptiveAvgPool2DBackwardBackward0, AdaptiveAvgPool3DBackwardBackward0]][transposed][d == 3]
        record(cls(mats, in_shape, out_shape, d), (input,), result)
    return result


def _adaptive_avg(input, output_size, d, name):
    out_size, in_size = _adaptive_output_size(input, output_size, d, name)
    if not (input.is_floating_point() or input.is_complex()):  # (bfloat16's NumPy kind is 'V')
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_label(input)}'")
    if all(o == 1 for o in out_size):
        return input.mean(tuple(range(-d, 0)), keepdim=True)
    mats = []
    for n, o in zip(in_size, out_size):
        start, end = _adaptive_bounds(n, o)
        cols = np.arange(n)
        m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        mats.append(m)
    lead = tuple(input.shape[:input.dim() - d])
    return _adaptive_linear(input, mats, tuple(input.shape), lead + out_size, d, False)


def _type_label(t):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(t._data.dtype.name, t._data.dtype.name)


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}")
    return _adaptive_avg(input.unsqueeze(-2), (1, _expand(output_size, 1)[0]), 2,
                         "adaptive_avg_pool2d").squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, d, name, node_cls):
    out_size, in_size = _adaptive_output_size(input, output_size, d, name)
    x = _batch_view(input._data, d)
    index = [slice(None)]
    positions = []
    kernel = []
    for i, (n, o) in enumerate(zip(in_size, out_size)):
        start, end = _adaptive_bounds(n, o)
        k = int((end - start).max())
        pos = np.minimum(start[:, None] + np.arange(k), (end - 1)[:, None])      # (o, k), repeats stay in-window
        shape = [1] * (2 * d)
        shape[i], shape[d + i] = o, k
        index.append(pos.reshape(shape))
        positions.append(pos)
        kernel.append(k)
    win = x[tuple(index)]                                                     # (B, *out, *kernel)
    cols = win.reshape(win.shape[:1 + d] + (-1,))
    k_idx = cols.argmax(-1)
    values = np.take_along_axis(cols, k_idx[..., None], -1)[..., 0]
    flat = 0
    rem = k_idx
    for i in range(d - 1, -1, -1):
        k_i = rem % kernel[i]
        rem = rem // kernel[i]
        o_i = np.arange(out_size[i]).reshape((-1,) + (1,) * (d - 1 - i))
        flat = flat + positions[i][o_i, k_i] * math.prod(in_size[i + 1:])
    flat = np.ascontiguousarray(flat, dtype=np.int64)
    lead = tuple(input.shape[:input.dim() - d])
    out = wrap(np.ascontiguousarray(values).reshape(lead + out_size))
    indices = wrap(flat.reshape(lead + out_size))
    if needs_grad(input):
        record(node_cls(flat, tuple(input.shape), None, None), (input,), out)
    return out, indices


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {list(input.shape)}")
    out, idx = _adaptive_max(input.unsqueeze(-2), (1, _expand(output_size, 1)[0]), 2, "adaptive_max_pool2d",
                             AdaptiveMaxPool2DBackward0)
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, 2, "adaptive_max_pool2d", AdaptiveMaxPool2DBackward0)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, 3, "adaptive_max_pool3d", AdaptiveMaxPool3DBackward0)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# ------------------------------------------------------------------------------------------------ lp pooling, unpool


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, d):
    kernel = _expand(kernel_size, d)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[d - 1]
    if stride is not None:
        out = pool(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    else:
        out = pool(input.pow(norm_type), kernel, padding=0, ceil_mode=ceil_mode)
    from .activation import relu  # torch's composite uses relu (ReluBackward0), not a clamp

    return (out.sign() * relu(out.abs())).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


class _UnpoolNode(Node):
    def __init__(self, indices):
        self.indices = indices

    def backward(self, grad):
        g = grad.flatten(-self.d)
        return g.gather(-1, self.indices.flatten(-self.d)).reshape(self.indices.shape)


class MaxUnpool2DBackward0(_UnpoolNode):
    d = 2


class MaxUnpool3DBackward0(_UnpoolNode):
    d = 3


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, d):
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    kernel = _expand(kernel_size, d)
    stride = kernel if stride is None else _expand(stride, d)
    padding = _expand(padding, d)
    in_size = tuple(input.shape[input.dim() - d:])
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(in_size, stride, padding, kernel))
    if output_size is None:
        out_size = default
    else:
        out_size = tuple(output_size)[-d:]
    lead = tuple(input.shape[:input.dim() - d])
    x = input._data.reshape(lead + (-1,))
    idx = indices._data.reshape(lead + (-1,))
    numel = math.prod(out_size)
    if idx.size and (idx.min() < 0 or idx.max() >= numel):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are of size "
                           f"{'x'.join(map(str, out_size))}")
    res = np.zeros(lead + (numel,), x.dtype)
    np.put_along_axis(res, idx, x, -1)
    result = wrap(res.reshape(lead + out_size))
    if needs_grad(input):
        record((MaxUnpool2DBackward0 if d == 2 else MaxUnpool3DBackward0)(indices), (input,), result)
    return result


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    out = _max_unpool(input.unsqueeze(-2), indices.unsqueeze(-2), _one_to_two(kernel_size, 1),
                      _one_to_two(stride, 1), _one_to_two(padding, 0),
                      None if output_size is None else (1, tuple(output_size)[-1]), 2)
    return out.squeeze(-2)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)
