"""Convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d) and unfold/fold, forward and backward side by side.

Everything is one general `_convolution` (PyTorch's `aten::convolution`, grad_fn ConvolutionBackward0):
- forward, with 16+ input channels (groups 1, 2+ spatial dims): direct, without columns — the input once into
  a padded channels-first buffer (split by phase when strided), then one (O, C) @ (C, positions) matmul per
  kernel offset at that offset's shift, summed (see _conv_direct);
- otherwise im2col — windows of the padded input copied into a column matrix, a few images at a time into
  one reused scratch buffer (see `_Columns`: a dense layout, for stride 1 a shifted one built from contiguous
  runs, or channels-last rows) — then one (batched over groups) matmul per chunk with the weight;
- transposed forward: with stride 1 a plain convolution with the flipped weight; with 16+ input channels
  direct, one result phase at a time; otherwise one matmul to columns per chunk, then col2im (one strided add
  per kernel offset);
- backward (`_convolution_backward`, aten::convolution_backward): grad_input is the transposed (resp. plain)
  convolution of the grad, grad_weight per-offset matmuls of the grad with the direct input buffer (or with
  the columns rebuilt chunk by chunk), grad_bias a sum. Under create_graph it records one
  ConvolutionBackwardBackward0 node, whose backward is convolutions again, so double (and higher) backward
  works.
Spatial padding is kept as (low, high) pairs so that padding='same' with even kernels needs no extra copy.
"""

import functools
import math

from .._autocast import autocast_op
from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
           "fold", "convolution"]

_as_strided = np.lib.stride_tricks.as_strided
_LOW_PRECISION = (np.float16,)


def _compute_dtype(dtype):
    """float16/bfloat16 compute in float32 (PyTorch's CPU opmath); everything else in its own dtype."""
    if dtype == np.float16 or dtype.name == "bfloat16":
        return np.dtype(np.float32)
    return dtype


def _expand_param(value, n, name):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


# ------------------------------------------------------------------------------------------------ array kernels


def _pad_array(x, pads):
    """Zero-pad the spatial dims of x (N, C, *spatial) by (low, high) pairs."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    out = np.zeros(shape, x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return out


def _out_size(in_size, pads, kernel, stride, dilation):
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, (lo, hi), k, s, d in zip(in_size, pads, kernel, stride, dilation))


def _windows(xp, kernel, stride, dilation, out_size):
    """Read-only view (N, C, *out, *kernel) of the padded input xp."""
    st = xp.strides
    d = len(kernel)
    strides = st[:2] + tuple(st[2 + i] * stride[i] for i in range(d)) + tuple(st[2 + i] * dilation[i] for i in range(d))
    return _as_strided(xp, xp.shape[:2] + tuple(out_size) + tuple(kernel), strides, writeable=False)


# Column layouts. The columns of a convolution are an array (C*K, N, *run): row (c, kernel offset), then one
# "run" of positions per image. The dense layout has run == out_size (one column per output position). For
# stride-1 convolutions with 2+ spatial dims the shifted layout is used where it pays: run == (out[0],
# *padded[1:]), i.e. positions over the full padded width, so that for every (channel, offset, image) the
# window is ONE contiguous slice of the padded input, shifted by the offset. Building it is a copy of long runs
# (about twice as fast as gathering the dense windows); the price is a few wasted columns (positions past the
# output's width) whose results are dropped and whose grads are zero.
_SHIFTED_MAX_WASTE = 1.3
_SHIFTED_MAX_WASTE_COL2IM = 2.0


def _use_shifted(in_size, kernel, stride, pads, out_size, max_waste=_SHIFTED_MAX_WASTE):
    if len(kernel) < 2 or any(s != 1 for s in stride):
        return False
    padded = [n + lo + hi for n, (lo, hi) in zip(in_size, pads)]
    return _prod(padded[1:]) <= max_waste * _prod(out_size[1:])


def _shifted_windows(C, N, padded, kernel, dilation, run, dtype, writeable):
    """A zero buffer (C, N*prod(padded) + tail) holding N padded images per channel, and its (C, *kernel, N,
    *run) view in the shifted layout: the kernel offsets shift the start, each image's run is contiguous."""
    full = _prod(padded)
    pstrides = tuple(_prod(padded[i + 1:]) for i in range(len(padded)))
    # the windows of the last image run past its end by at most the largest shift: a zero tail keeps them
    # inside the buffer
    tail = sum((k - 1) * dl * ps for k, dl, ps in zip(kernel, dilation, pstrides))
    buf = np.zeros((C, N * full + tail), dtype)
    item = buf.itemsize
    win = _as_strided(buf, (C,) + tuple(kernel) + (N,) + tuple(run),
                      (buf.strides[0],) + tuple(dl * ps * item for dl, ps in zip(dilation, pstrides))
                      + (full * item,) + tuple(ps * item for ps in pstrides), writeable=writeable)
    return buf, win


# Columns are built and consumed a few images at a time, into one scratch buffer sized to stay in cache: no
# fresh multi-megabyte matrix per call (its page faults cost about as much as filling it), and the matmuls,
# which have only out_channels rows and so mostly stream the columns, read them from cache. Together about
# 1.25x faster than one big column matrix. The weight grad rebuilds them the same way rather than keeping the
# forward's (which also saves their memory: nine times the input for a 3x3 kernel).
_COLUMN_CHUNK_BYTES = 2 << 20


class _Columns:
    """The im2col columns of x, a chunk of images at a time: `chunks` lists the (lo, hi) image ranges and
    `get(lo, hi)` gives the contiguous (C*K, hi-lo, *run) columns of those images (valid until the next get:
    every chunk is written into one scratch buffer). With `last` (channels_last allowed and chosen), get gives
    them transposed instead: ((hi-lo)*prod(out), K*C), rows = positions, columns = (kernel offset, channel)."""

    def __init__(self, x, kernel, stride, pads, dilation, out_size, channels_last=False, out_channels=None):
        N, C = x.shape[:2]
        d = len(kernel)
        self.rows = C * _prod(kernel)
        self.shifted = _use_shifted(x.shape[2:], kernel, stride, pads, out_size)
        # (the channels-last windows need the last kernel offsets adjacent: no dilation along that dim)
        self.last = (not self.shifted and channels_last and dilation[-1] == 1
                     and _use_channels_last(C, kernel, stride, dilation, out_size))
        if self.shifted:
            padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
            self.run = (out_size[0],) + padded[1:]
            buf, self.win = _shifted_windows(C, N, padded, kernel, dilation, self.run, x.dtype, False)
            inner = tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))
            buf[:, :N * _prod(padded)].reshape((C, N) + padded)[(slice(None), slice(None)) + inner] = x.transpose(
                (1, 0) + tuple(range(2, x.ndim)))
        elif self.last:
            self.run = tuple(out_size)
            self.win = _windows_last(x, kernel, stride, pads, dilation, out_size)
        else:
            self.run = tuple(out_size)
            win = _windows(_pad_array(x, pads), kernel, stride, dilation, out_size)   # (N, C, *out, *kernel)
            self.win = win.transpose((1,) + tuple(range(2 + d, 2 + 2 * d)) + (0,) + tuple(range(2, 2 + d)))
        self.batch_axis = 0 if self.last else 1 + d
        per_image = self.rows * _prod(self.run)
        step = max(1, _COLUMN_CHUNK_BYTES // max(per_image * x.itemsize, 1))
        if out_channels and not self.last:
            # the forward's (O, C*K) @ (C*K, n*R) matmul: a small one (see _SMALL_MATMUL) where it can be;
            # measured 1.1-1.6x faster on the first convolutions of LeNet and the ResNet (not so channels-last)
            step = min(step, max(1, _SMALL_MATMUL // (out_channels * per_image)))
        self.chunks = [(i, min(i + step, N)) for i in range(0, N, step)]
        self.scratch_size = per_image * min(step, N)
        self.scratch = None   # allocated by the first get

    def get(self, lo, hi):
        if self.scratch is None:
            self.scratch = np.empty(self.scratch_size, self.win.dtype)
        ax = self.batch_axis
        win = self.win[(slice(None),) * ax + (slice(lo, hi),)]
        cols = self.scratch[:win.size].reshape(win.shape)
        np.copyto(cols, win)
        if self.last:
            return cols.reshape(-1, self.rows)
        return cols.reshape((self.rows, hi - lo) + self.run)


# Dense columns copy the windows' innermost runs: a row of outputs (contiguous only with stride 1). Built from
# a channels-last copy of the input instead, the innermost run is (last kernel offset, channel), contiguous
# whatever the stride: 2x faster to build for LeNet's 6-channel 5x5 convolution and the ResNet's strided one.
def _use_channels_last(C, kernel, stride, dilation, out_size):
    return C * kernel[-1] >= (out_size[-1] if stride[-1] == 1 else 2)


def _windows_last(x, kernel, stride, pads, dilation, out_size):
    """Read-only view (N, *out, *kernel[:-1], kernel[-1]*C) of a padded channels-last copy of x: the windows,
    each last-axis run of (last kernel offset, channel) contiguous."""
    N, C = x.shape[:2]
    d = len(kernel)
    xt = x.transpose((0,) + tuple(range(2, 2 + d)) + (1,))
    if any(lo or hi for lo, hi in pads):
        xl = np.zeros((N,) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)) + (C,), x.dtype)
        xl[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = xt
    else:
        xl = np.ascontiguousarray(xt)
    st = xl.strides
    return _as_strided(xl, (N,) + tuple(out_size) + tuple(kernel[:-1]) + (kernel[-1] * C,),
                       (st[0],) + tuple(st[1 + i] * stride[i] for i in range(d))
                       + tuple(st[1 + i] * dilation[i] for i in range(d - 1)) + (st[-1],), writeable=False)


def _col2im(cols, full_size, kernel, stride, dilation, out_size):
    """Sum columns (C, *kernel, N, *out) back into an (N, C, *full_size) array: one strided add per offset."""
    C, N = cols.shape[0], cols.shape[1 + len(kernel)]
    # accumulate in the columns' own (C, N, ...) order, so each add walks both arrays the same way; the
    # caller gets an (N, C, ...) view
    res = np.zeros((C, N) + tuple(full_size), cols.dtype)
    _col2im_add(res, cols, stride, dilation, out_size)
    return res.transpose((1, 0) + tuple(range(2, 2 + len(kernel))))


def _col2im_add(res, cols, stride, dilation, out_size):
    """res (C, N, *full) += the columns (C, *kernel, N, *out) at their windows."""
    kernel = cols.shape[1:cols.ndim - 1 - len(out_size)]
    for offset in np.ndindex(*kernel):
        region = tuple(slice(o * dl, o * dl + (p - 1) * s + 1, s)
                       for o, dl, p, s in zip(offset, dilation, out_size, stride))
        res[(slice(None), slice(None)) + region] += cols[(slice(None),) + offset]


def _to_group_rows(a, groups, run=None):
    """(N, C, *sp) -> (G, C/G, N*R): channels first, grouped (one copy). With a `run` wider than the spatial
    size (the shifted column layout), the extra positions are zeros."""
    N, C = a.shape[:2]
    perm = (1, 0) + tuple(range(2, a.ndim))
    if run is None or tuple(run) == a.shape[2:]:
        return np.ascontiguousarray(a.transpose(perm)).reshape(groups, C // groups, -1)
    res = np.zeros((C, N) + tuple(run), a.dtype)
    res[(slice(None), slice(None)) + tuple(slice(0, n) for n in a.shape[2:])] = a.transpose(perm)
    return res.reshape(groups, C // groups, -1)


def _to_rows_last(a, run):
    """(n, C, *sp) -> (n*R, C), R = prod(run): positions first, channels last (one copy); positions past the
    spatial size in a wider `run` are zeros."""
    n, C = a.shape[:2]
    perm = (0,) + tuple(range(2, a.ndim)) + (1,)
    if tuple(run) == a.shape[2:]:
        return np.ascontiguousarray(a.transpose(perm)).reshape(-1, C)
    res = np.zeros((n,) + tuple(run) + (C,), a.dtype)
    res[(slice(None),) + tuple(slice(0, k) for k in a.shape[2:])] = a.transpose(perm)
    return res.reshape(-1, C)


def _from_group_rows(res, N, out_size, bias, run, out):
    """(G, Og, N*R) -> `out` (N, O, *out_size) (+ bias); R is the column run (out_size unless shifted)."""
    O = res.shape[0] * res.shape[1]
    d = len(out_size)
    res = res.reshape((O, N) + tuple(run))
    if tuple(run) != tuple(out_size):
        res = res[(slice(None), slice(None)) + tuple(slice(0, n) for n in out_size)]
    res = res.transpose((1, 0) + tuple(range(2, 2 + d)))
    if bias is None:
        np.copyto(out, res)
    else:
        np.add(res, bias.reshape((O,) + (1,) * d), out=out)


def _conv_array(x, w, b, stride, pads, dilation, groups, out_size=None, keep=None):
    """Plain convolution of arrays. An `out_size` smaller than the natural one keeps only the first outputs
    (the adjoint of a transposed convolution whose output_padding added positions no input reaches). A list
    `keep` receives the direct convolution's input buffer, when one is built, for the weight grad to reuse."""
    N = x.shape[0]
    kernel = w.shape[2:]
    out_size = out_size or _out_size(x.shape[2:], pads, kernel, stride, dilation)
    y = np.empty((N, w.shape[0]) + tuple(out_size), np.result_type(x.dtype, w.dtype))
    if groups == 1 and _direct_pays(x.shape[1], _direct_grid(x.shape[2:], pads, kernel, stride, dilation, out_size),
                                    out_size):
        _conv_direct(x, w, b, stride, pads, dilation, y, keep)
        return y
    wm = w.reshape(groups, w.shape[0] // groups, -1)
    columns = _Columns(x, kernel, stride, pads, dilation, out_size, channels_last=groups == 1,
                       out_channels=w.shape[0] // groups)
    if columns.last:
        d = len(kernel)
        wl = w.transpose((0,) + tuple(range(2, 2 + d)) + (1,)).reshape(w.shape[0], -1)     # (O, K*C)
        for lo, hi in columns.chunks:
            res = (columns.get(lo, hi) @ wl.T).reshape((hi - lo,) + tuple(out_size) + (-1,))
            res = res.transpose((0, d + 1) + tuple(range(1, d + 1)))
            if b is None:
                np.copyto(y[lo:hi], res)
            else:
                np.add(res, b.reshape((-1,) + (1,) * d), out=y[lo:hi])
        return y
    for lo, hi in columns.chunks:
        cols = columns.get(lo, hi)
        rows = cols.reshape(groups, cols.shape[0] // groups, -1)
        res = wm[0] @ rows[0] if groups == 1 else np.matmul(wm, rows)
        _from_group_rows(res.reshape(groups, wm.shape[1], -1), hi - lo, out_size, b, columns.run, y[lo:hi])
    return y


# Direct convolution: with enough channels to contract over, a convolution needs no columns at all. The input
# goes once into a zero-padded, channels-first buffer (C, images * positions); then, for each kernel offset,
# the (C, n images) span of that buffer starting at the offset's shift is already a matrix BLAS can read
# (rows = channels, contiguous), and the result is a sum of one (O, C) @ (C, n*positions) matmul per offset.
# Outputs are computed at every position of the padded grid (the few past the output's edge are dropped).
# Strided convolutions first split the padded input by position parity (phase: index mod stride), so that
# each kernel offset reads one phase at a unit-stride shift; transposed ones split their result the same way
# (each result phase is a stride-1 convolution with the offsets of that phase). Measured faster than im2col +
# one matmul from 16 channels up (the ResNet blocks' 16- and 32-channel 3x3 convolutions); with fewer
# channels the matmuls get too thin. The images are taken a chunk at a time (see _SMALL_MATMUL). The weight
# grad is per-offset matmuls over the same buffer.
_DIRECT_MIN_CHANNELS = 16
_DIRECT_MAX_WASTE = 1.5
# OpenBLAS runs a matmul of M*N*K <= 1e6 with its small-matrix kernels (no packing), up to 2x faster on these
# thin shapes than the general path: chunks are sized to stay under that
_SMALL_MATMUL = 10 ** 6


def _phase_size(size, pads, stride):
    """Per spatial dim, the size of one phase of the padded input: ceil(padded / stride)."""
    return tuple(-(-(n + lo + hi) // s) for n, (lo, hi), s in zip(size, pads, stride))


def _direct_grid(size, pads, kernel, stride, dilation, out_size):
    """The per-image grid of the direct convolution's input buffer, per dim: one phase of the padded input,
    less the padding that neighbours can share. Reads past the end of a row (resp. image) land in the next
    one's low padding, so a grid g needs, per phase: the data in it (t0 + count) and every output's furthest
    read past the data (out - 1 + max q) still short of the next row's data, at g + t0. For a stride-1
    convolution padded (lo, hi) that is n + max(lo, hi) instead of n + lo + hi: 1.06x the outputs instead
    of 1.13x for the 32x32 'same' convolutions, 1.13x instead of 1.27x for 16x16."""
    grid = []
    for n, (lo, hi), k, s, dl, out in zip(size, pads, kernel, stride, dilation, out_size):
        g = out
        reach = (k - 1) * dl // s
        for p in range(s):
            (src,), (dst,) = _phase_slices((n,), ((lo, hi),), (s,), (p,))
            g = max(g, dst.stop, out + reach - dst.start)
        grid.append(g)
    return tuple(grid)


def _direct_pays(channels, grid, out_size, phases=1):
    """Whether the direct convolution is the faster route: enough channels, 2+ spatial dims, and not many
    more computed positions (`phases` grids of `grid`) than outputs."""
    return (channels >= _DIRECT_MIN_CHANNELS and len(grid) >= 2
            and phases * _prod(grid) <= _DIRECT_MAX_WASTE * _prod(out_size))


def _phase_slices(size, pads, stride, phase):
    """Where phase `phase` of the padded array (index t -> padded position t*stride + phase) meets the
    unpadded one: (slices of the unpadded array, matching slices of the phase array)."""
    src, dst = [], []
    for n, (lo, _), s, p in zip(size, pads, stride, phase):
        t0 = max(0, -((p - lo) // s))          # first t whose position is inside: ceil((lo - p) / s)
        start = t0 * s + p - lo
        count = len(range(start, n, s))
        src.append(slice(start, None, s))
        dst.append(slice(t0, t0 + count))
    return tuple(src), tuple(dst)


def _offsets_by_phase(kernel, stride, dilation):
    """Kernel offset o reaches position i*stride + o*dilation = (i + q)*stride + p: phase p, shifted by q.
    {p: [(flat offset number, q), ...]} for the phases some offset reaches (shared: not to be changed)."""
    return _offsets_by_phase_cached(tuple(kernel), tuple(stride), tuple(dilation))


@functools.lru_cache(maxsize=256)
def _offsets_by_phase_cached(kernel, stride, dilation):
    res = {}
    for j, off in enumerate(np.ndindex(*kernel)):
        p = tuple(o * dl % s for o, dl, s in zip(off, dilation, stride))
        res.setdefault(p, []).append((j, tuple(o * dl // s for o, dl, s in zip(off, dilation, stride))))
    return res


def _direct_chunk(O, C, full):
    """Images per chunk of the direct convolution, whose matmuls are (O, C) @ (C, images * full)."""
    return max(1, _SMALL_MATMUL // (O * C * full))


def _direct_sum(buf, terms, N, full, O, dtype):
    """For each chunk of images [lo, hi): (lo, hi, acc) with acc (O, (hi-lo)*full) the sum over `terms`
    (w (O, C), shift) of w @ buf[:, lo*full + shift:][:, :(hi-lo)*full]. acc is reused by the next chunk."""
    step = _direct_chunk(O, buf.shape[0], full)
    width = min(step, N) * full
    acc, tmp = np.empty((O, width), dtype), np.empty((O, width), dtype)
    for lo in range(0, N, step):
        hi = min(lo + step, N)
        m = (hi - lo) * full
        a, t = (acc, tmp) if m == width else (np.empty((O, m), dtype), np.empty((O, m), dtype))
        for i, (wk, shift) in enumerate(terms):
            start = lo * full + shift
            if i == 0:
                np.matmul(wk, buf[:, start:start + m], out=a)
            else:
                np.matmul(wk, buf[:, start:start + m], out=t)
                a += t
        yield lo, hi, a


def _direct_input(x, kernel, stride, pads, dilation, out_size):
    """The direct convolution's input buffer (C, phases * N * full + tail) holding x by phase on the grid,
    the grid, and (flat kernel offset number, shift into the buffer) for each kernel offset."""
    N, C = x.shape[:2]
    in_size = x.shape[2:]
    d = len(kernel)
    grid = _direct_grid(in_size, pads, kernel, stride, dilation, out_size)
    full = _prod(grid)
    pstrides = tuple(_prod(grid[i + 1:]) for i in range(d))
    by_phase = _offsets_by_phase(kernel, stride, dilation)
    tail = max(sum(q * ps for q, ps in zip(qs, pstrides)) for entries in by_phase.values() for _, qs in entries)
    # the last chunk of the last phase reads past its end by at most the largest shift: a zero tail
    buf = np.zeros((C, len(by_phase) * N * full + tail), x.dtype)
    xt = x.transpose((1, 0) + tuple(range(2, 2 + d)))
    every = (slice(None), slice(None))
    shifts = []
    for i, (p, entries) in enumerate(by_phase.items()):
        src, dst = _phase_slices(in_size, pads, stride, p)
        buf[:, i * N * full:(i + 1) * N * full].reshape((C, N) + grid)[every + dst] = xt[every + src]
        shifts += [(j, i * N * full + sum(q * ps for q, ps in zip(qs, pstrides))) for j, qs in entries]
    return buf, grid, shifts


def _conv_direct(x, w, b, stride, pads, dilation, y, keep=None):
    """y (N, O, *out) = the groups-1 convolution of x, computed directly (see above)."""
    N, C = x.shape[:2]
    O = w.shape[0]
    kernel, out_size = w.shape[2:], y.shape[2:]
    d = len(kernel)
    buf, grid, shifts = prepared = _direct_input(x, kernel, stride, pads, dilation, out_size)
    if keep is not None:
        keep.append(prepared)
    wk = np.ascontiguousarray(w.reshape(O, C, -1).transpose(2, 0, 1))        # (K, O, C)
    keep = (slice(None), slice(None)) + tuple(slice(0, n) for n in out_size)
    perm = (1, 0) + tuple(range(2, 2 + d))
    for lo, hi, a in _direct_sum(buf, [(wk[j], shift) for j, shift in shifts], N, _prod(grid), O, y.dtype):
        res = a.reshape((O, hi - lo) + grid)[keep].transpose(perm)
        if b is None:
            np.copyto(y[lo:hi], res)
        else:
            np.add(res, b.reshape((O,) + (1,) * d), out=y[lo:hi])


def _weight_grad_direct(x, g, w_shape, stride, pads, dilation, prepared=None):
    """The groups-1 weight grad without columns: with the grad laid out on the direct convolution's grid
    (positions, O), the grad of kernel offset k is grad^T @ (the input buffer at k's shift)^T, summed over
    chunks of images. `prepared`: the forward's _direct_input of x, if it kept it."""
    N, C = x.shape[:2]
    O = w_shape[0]
    kernel, out_size = w_shape[2:], g.shape[2:]
    buf, grid, shifts = prepared or _direct_input(x, kernel, stride, pads, dilation, out_size)
    full = _prod(grid)
    gl = _to_rows_last(g, grid)                                                  # (N*full, O)
    res = np.zeros((_prod(kernel), O, C), np.result_type(x.dtype, g.dtype))
    step = _direct_chunk(O, C, full)
    for lo in range(0, N, step):
        start, stop = lo * full, min(lo + step, N) * full
        part = gl[start:stop].T
        for j, shift in shifts:
            res[j] += part @ buf[:, start + shift:stop + shift].T
    return np.ascontiguousarray(res.transpose(1, 2, 0)).reshape(w_shape)


def _transpose_grid(kernel, stride, pads, dilation, out_size):
    """The direct transposed convolution's input buffer: x padded by `below` zeros (the largest shift q) and
    zeros to the end of `size`, one phase of the padded result plus `below`."""
    below = tuple((k - 1) * dl // s for k, dl, s in zip(kernel, dilation, stride))
    return below, tuple(q + n for q, n in zip(below, _phase_size(out_size, pads, stride)))


def _conv_transpose_direct(x, w, b, stride, pads, dilation, out_size):
    """The groups-1 transposed convolution of x (N, Cin, *in) with w (Cin, Cout, *k), computed directly, one
    result phase at a time: phase p of the padded result (position t*stride + p) is the sum over the offsets
    o with o*dilation = q*stride + p of w_o^T x[t - q], a stride-1 convolution of x padded by max(q) below."""
    N, Cin = x.shape[:2]
    Cout = w.shape[1]
    kernel, in_size = w.shape[2:], x.shape[2:]
    d = len(kernel)
    below, size = _transpose_grid(kernel, stride, pads, dilation, out_size)
    full = _prod(size)
    pstrides = tuple(_prod(size[i + 1:]) for i in range(d))
    buf = np.zeros((Cin, N * full + sum(q * ps for q, ps in zip(below, pstrides))), x.dtype)
    every = (slice(None), slice(None))
    buf[:, :N * full].reshape((Cin, N) + size)[every + tuple(slice(q, q + n) for q, n in zip(below, in_size))] = \
        x.transpose((1, 0) + tuple(range(2, 2 + d)))
    wt = np.ascontiguousarray(w.reshape(Cin, Cout, -1).transpose(2, 1, 0))   # (K, Cout, Cin)
    by_phase = _offsets_by_phase(kernel, stride, dilation)
    dtype = np.result_type(x.dtype, w.dtype)
    # positions of phases no offset reaches stay zero
    res = (np.empty if len(by_phase) == _prod(stride) else np.zeros)((N, Cout) + tuple(out_size), dtype)
    perm = (1, 0) + tuple(range(2, 2 + d))
    for p, entries in by_phase.items():
        dst, src = _phase_slices(out_size, pads, stride, p)
        if any(sl.stop == sl.start for sl in src):
            continue
        terms = [(wt[j], sum((top - q) * ps for top, q, ps in zip(below, qs, pstrides))) for j, qs in entries]
        for lo, hi, a in _direct_sum(buf, terms, N, full, Cout, dtype):
            res[lo:hi][every + dst] = a.reshape((Cout, hi - lo) + size)[every + src].transpose(perm)
    if b is not None:
        res += b.reshape((Cout,) + (1,) * d)
    return res


def _flip_transpose_weight(w, groups):
    """Weight (Cin, Cout/G, *k) of a transposed convolution -> (Cout, Cin/G, *k) of the equivalent plain one,
    spatially flipped."""
    Cin, Cout_g = w.shape[:2]
    k = w.shape[2:]
    w = w.reshape((groups, Cin // groups, Cout_g) + k).swapaxes(1, 2).reshape((groups * Cout_g, Cin // groups) + k)
    return np.ascontiguousarray(w[(slice(None), slice(None)) + (slice(None, None, -1),) * len(k)])


def _conv_transpose_array(x, w, b, stride, pads, dilation, groups, out_size):
    """Transposed convolution of arrays: the adjoint of a plain convolution whose input has `out_size`."""
    N = x.shape[0]
    kernel = w.shape[2:]
    in_size = x.shape[2:]
    if all(s == 1 for s in stride):
        # with stride 1 it is a plain convolution of x with the flipped weight, padded by (k-1)*dilation - pad
        # (the padding that brings the result to out_size): no col2im. Its columns hold x's channels, col2im's
        # the result's: the plain route is taken when it copies no more, or when it runs direct (no columns;
        # LeNet's 16 -> 6 channel input grad: 1.5x faster than col2im)
        lo = tuple((k - 1) * dl - p for k, dl, (p, _) in zip(kernel, dilation, pads))
        hi = tuple(o - n - lo_ + (k - 1) * dl for o, n, lo_, k, dl in zip(out_size, in_size, lo, kernel, dilation))
        plain_pads = tuple(zip(lo, hi))
        if min(lo + hi) >= 0 and (x.shape[1] <= w.shape[1] * groups or groups == 1 and _direct_pays(
                x.shape[1], _direct_grid(in_size, plain_pads, kernel, stride, dilation, out_size), out_size)):
            return _conv_array(x, _flip_transpose_weight(w, groups), b, stride, plain_pads, dilation, groups)
    if groups == 1 and _direct_pays(x.shape[1], _transpose_grid(kernel, stride, pads, dilation, out_size)[1],
                                    out_size, len(_offsets_by_phase(kernel, stride, dilation))):
        return _conv_transpose_direct(x, w, b, stride, pads, dilation, out_size)
    Cg_in = w.shape[0] // groups
    Cout = w.shape[1] * groups
    d = len(kernel)
    full = tuple(n + lo + hi for n, (lo, hi) in zip(out_size, pads))
    # col2im in the shifted layout (stride 1): one add of long contiguous runs per kernel offset, instead of
    # runs as short as a row of the input; worth more wasted columns than im2col (measured on LeNet's shapes)
    shifted = _use_shifted(out_size, kernel, stride, pads, in_size, _SHIFTED_MAX_WASTE_COL2IM)
    run = (in_size[0],) + full[1:] if shifted else tuple(in_size)
    wm = w.reshape(groups, Cg_in, -1)                       # (G, Cin_g, Cout_g*K)
    wt = wm[0].T if groups == 1 else wm.transpose(0, 2, 1)
    rows = _to_group_rows(x, groups, run)                   # (G, Cin_g, N*R)
    dtype = np.result_type(x.dtype, w.dtype)
    if shifted:
        buf, win = _shifted_windows(Cout, N, full, kernel, dilation, run, dtype, True)
    else:
        acc = np.zeros((Cout, N) + full, dtype)
    # the columns a chunk of images at a time, each added in while still in cache (the whole matrix, many
    # times the result, ran at a third of the speed, writing out to memory and reading back)
    R = _prod(run)
    step = max(1, _COLUMN_CHUNK_BYTES // (wt.shape[-2] * groups * R * rows.itemsize))
    for lo in range(0, N, step):
        hi = min(lo + step, N)
        part = rows[:, :, lo * R:hi * R]
        cols = wt @ part[0] if groups == 1 else np.matmul(wt, part)
        cols = cols.reshape((Cout,) + tuple(kernel) + (hi - lo,) + run)
        if shifted:
            images = (slice(lo, hi),)
            for offset in np.ndindex(*kernel):
                win[(slice(None),) + offset + images] += cols[(slice(None),) + offset]
        else:
            _col2im_add(acc[:, lo:hi], cols, stride, dilation, in_size)
    if shifted:
        res = buf[:, :N * _prod(full)].reshape((Cout, N) + full)
    else:
        res = acc
    res = res.transpose((1, 0) + tuple(range(2, 2 + d)))
    res = res[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(out_size, pads))]
    if b is not None:
        res += b.reshape((Cout,) + (1,) * len(kernel))
    return np.ascontiguousarray(res)


# A weight grad with few rows of columns (few input channels: a network's first convolution) is a matmul
# with a long inner dimension and a tiny result, which OpenBLAS runs at a third of its speed; one matmul per
# image, summed, runs 2x faster there (and slower with many rows).
_WEIGHT_GRAD_PER_IMAGE_ROWS = 64


def _weight_grad_array(x, g, w_shape, stride, pads, dilation, groups, prepared=None):
    """d(conv(x, w))/dw contracted with g: matmuls of the grad with the columns of x, a chunk of images each
    (or, where the direct convolution pays, with the input buffer at each kernel offset's shift)."""
    kernel = w_shape[2:]
    out_size = g.shape[2:]
    if groups == 1 and _direct_pays(x.shape[1], _direct_grid(x.shape[2:], pads, kernel, stride, dilation, out_size),
                                    out_size):
        return _weight_grad_direct(x, g, w_shape, stride, pads, dilation, prepared)
    res = np.zeros((groups, w_shape[1] * _prod(kernel), w_shape[0] // groups), np.result_type(x.dtype, g.dtype))
    columns = _Columns(x, kernel, stride, pads, dilation, out_size, channels_last=groups == 1)
    if columns.last:
        d = len(kernel)
        acc = np.zeros((columns.rows, w_shape[0]), res.dtype)                       # (K*C, O)
        for lo, hi in columns.chunks:
            acc += columns.get(lo, hi).T @ _to_rows_last(g[lo:hi], out_size)
        gw = acc.T.reshape((w_shape[0],) + tuple(kernel) + (w_shape[1],))
        return np.ascontiguousarray(gw.transpose((0, d + 1) + tuple(range(1, d + 1))))
    per_image = columns.rows // groups < _WEIGHT_GRAD_PER_IMAGE_ROWS
    for lo, hi in columns.chunks:
        cols = columns.get(lo, hi)
        rows = cols.reshape(groups, cols.shape[0] // groups, -1)                 # (G, Cg*K, n*R)
        if per_image:
            grows = _to_group_rows(g[lo:hi], groups, cols.shape[2:])            # (G, Og, n*R)
            n = hi - lo
            rows = rows.reshape(rows.shape[:2] + (n, -1)).transpose(2, 0, 1, 3)        # (n, G, Cg*K, R)
            grows = grows.reshape(grows.shape[:2] + (n, -1)).transpose(2, 0, 3, 1)     # (n, G, R, Og)
            res += np.matmul(rows, grows).sum(0)
        # (Cg*K, n*R) @ (n*R, Og) is the orientation OpenBLAS runs fast for a long inner dimension, 15% faster
        # still with the grad copied into that layout than as a transposed view
        elif groups == 1:
            res[0] += rows[0] @ _to_rows_last(g[lo:hi], cols.shape[2:])
        else:
            res += np.matmul(rows, _to_group_rows(g[lo:hi], groups, cols.shape[2:]).transpose(0, 2, 1))
    return np.ascontiguousarray(res.transpose(0, 2, 1)).reshape(w_shape)


def _prod(values):
    return math.prod(values)


# ------------------------------------------------------------------------------------------------ autograd ops


def _as_compute(t):
    arr = t._data
    cd = _compute_dtype(arr.dtype)
    return arr if arr.dtype == cd else arr.astype(cd)


def _finish(arr, like):
    dt = like._data.dtype
    return wrap(arr if arr.dtype == dt else arr.astype(dt))


class ConvolutionBackward0(Node):
    def __init__(self, input, weight, bias_sizes, stride, pads, dilation, transposed, output_size, groups):
        self.input, self.weight = self.save(input), self.save(weight)
        self.has_bias = bias_sizes is not None
        self.stride, self.pads, self.dilation, self.transposed = stride, pads, dilation, transposed
        self.output_size, self.groups = output_size, groups
        # the forward's direct input buffer, kept for the weight grad (which would build the same again); freed
        # with the saved tensors
        self.direct_input = None

    def backward(self, grad):
        needs = self.needs_input_grad
        mask = (needs[0], needs[1], len(needs) > 2 and needs[2])
        return _convolution_backward(grad, self.input.unpack(), self.weight.unpack(), self.stride, self.pads,
                                     self.dilation, self.transposed, self.groups, mask, self.direct_input)

    def release_saved(self):
        super().release_saved()
        self.direct_input = None


class ConvolutionBackwardBackward0(Node):
    """The convolution's backward (grad_output, input, weight) -> (grad_input, grad_weight, grad_bias) as one
    node, as PyTorch records it under create_graph: differentiating it is double backward. Its formulas are
    convolutions again (P: plain, T: transposed, WG: weight grad of a plain convolution):
    plain y = P(x, w):      gi = T(g, w), gw = WG(x, g);   transposed y = T(x, w):  gi = P(g, w), gw = WG(g, x);
    gb = sum(g) for both, and each is linear in g and in x or w, so the adjoints below are convolutions too."""

    def __init__(self, grad, input, weight, stride, pads, dilation, transposed, groups):
        self.grad, self.input, self.weight = self.save(grad), self.save(input), self.save(weight)
        self.args = (stride, pads, dilation, transposed, groups)

    def backward(self, ggi, ggw=None, ggb=None):
        needs = self.needs_input_grad
        g, x, w = self.grad.unpack(), self.input.unpack(), self.weight.unpack()
        stride, pads, dilation, transposed, groups = self.args

        def conv(a, weight, transpose, size):
            return _convolution(a, weight, None, stride, pads, dilation, transpose, groups, size)

        def weight_grad(inp, out_grad):
            return _convolution_backward(out_grad, inp, w, stride, pads, dilation, False, groups,
                                         (False, True, False))[1]

        x_size, g_size = tuple(x.shape[2:]), tuple(g.shape[2:])
        gg = gx = gw = None
        if needs[0]:
            # adjoint in g: of gi through w, of gw through ggw, of gb a broadcast
            parts = []
            if ggi is not None:
                parts.append(conv(ggi, w, transposed, g_size))
            if ggw is not None:
                parts.append(conv(x, ggw, transposed, g_size))
            if ggb is not None:
                parts.append(ggb.reshape((1, -1) + (1,) * (g.dim() - 2)).expand(g.shape))
            gg = _sum_parts(parts)
        if needs[1] and ggw is not None:
            gx = conv(g, ggw, not transposed, x_size)
        if len(needs) > 2 and needs[2] and ggi is not None:
            gw = weight_grad(g, ggi) if transposed else weight_grad(ggi, g)
        return gg, gx, gw


def _sum_parts(parts):
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _convolution_backward(grad, input, weight, stride, pads, dilation, transposed, groups, mask, prepared=None):
    """(grad_input, grad_weight, grad_bias) of a convolution, those `mask` asks for; PyTorch's
    aten::convolution_backward. Recorded as one ConvolutionBackwardBackward0 node when grad mode is on.
    `prepared`: the direct input buffer of a plain convolution's input, kept by its forward."""
    g, x, w = _as_compute(grad), _as_compute(input), _as_compute(weight)
    gi = gw = gb = None
    if mask[0]:
        if transposed:
            gi = _conv_array(g, w, None, stride, pads, dilation, groups, tuple(x.shape[2:]))
        else:
            gi = _conv_transpose_array(g, w, None, stride, pads, dilation, groups, tuple(x.shape[2:]))
        gi = _finish(gi, input)
    if mask[1]:
        gw = _finish(_weight_grad_array(g, x, w.shape, stride, pads, dilation, groups) if transposed else
                     _weight_grad_array(x, g, w.shape, stride, pads, dilation, groups, prepared), weight)
    if mask[2]:
        gb = _finish(g.sum((0,) + tuple(range(2, g.ndim))), grad)
    if needs_grad(grad, input, weight):
        record(ConvolutionBackwardBackward0(grad, input, weight, stride, pads, dilation, transposed, groups),
               (grad, input, weight), (gi, gw, gb))
    return gi, gw, gb


def _convolution(input, weight, bias, stride, pads, dilation, transposed, groups, output_size):
    """The general convolution on a batched input with checked parameters. For transposed, `output_size` is
    the spatial size of the result (the input size of the plain convolution it is the adjoint of); for plain,
    None or a size that keeps only the first outputs (see _conv_array)."""
    x, w = _as_compute(input), _as_compute(weight)
    b = None if bias is None else _as_compute(bias)
    if transposed:
        arr = _conv_transpose_array(x, w, b, stride, pads, dilation, groups, output_size)
    else:
        keep = [] if needs_grad(weight) else None
        arr = _conv_array(x, w, b, stride, pads, dilation, groups, output_size, keep)
    result = _finish(arr, input)
    if needs_grad(input, weight, bias):
        node = ConvolutionBackward0(input, weight, None if bias is None else bias.shape, stride, pads, dilation,
                                    transposed, output_size, groups)
        if not transposed and keep:
            node.direct_input = keep[0]
        record(node, (input, weight, bias) if bias is not None else (input, weight, None), result)
    return result


# ------------------------------------------------------------------------------------------------ public API


def _type_name(t):
    from .._dtype import from_numpy_dtype
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
    return f"torch.{names.get(from_numpy_dtype(t._data.dtype)._name, 'Float')}Tensor"


def _check_types(input, weight, bias):
    if not isinstance(input, Tensor):
        raise TypeError(f"conv(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"conv(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({_type_name(input)}) and weight type ({_type_name(weight)}) should be the "
                           f"same or input should be a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_type_name(input)}) and bias type ({_type_name(bias)}) should be the same "
                           f"or input should be a MKLDNN tensor and bias is a dense tensor")


def _batchify(input, d, name):
    nd = input.dim()
    if nd == d + 2:
        return input, False
    if nd == d + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to {name}, but got input of size: "
                       f"{list(input.shape)}")


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, d, name):
    _check_types(input, weight, bias)
    x, unbatched = _batchify(input, d, name)
    if weight.dim() != d + 2:
        raise RuntimeError(f"Expected {d + 2}-dimensional input for {d + 2}-dimensional weight {list(weight.shape)}, "
                           f"but got {x.dim()}-dimensional input of size {list(x.shape)} instead")
    stride = _expand_param(stride, d, "stride")
    dilation = _expand_param(dilation, d, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * d
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = tuple((dl * (k - 1) // 2, dl * (k - 1) - dl * (k - 1) // 2) for k, dl in zip(kernel, dilation))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _expand_param(padding, d, "padding"))
    _check_conv_args(x, weight, bias, stride, pads, dilation, groups, False)
    result = _convolution(x, weight, bias, stride, pads, dilation, False, groups, None)
    return result.squeeze(0) if unbatched else result


def _check_conv_args(x, weight, bias, stride, pads, dilation, groups, transposed):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise RuntimeError("negative padding is not supported")
    if any(dl <= 0 for dl in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    C = x.shape[1]
    wshape = list(weight.shape)
    if transposed:
        if C != wshape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {wshape}, expected input{list(x.shape)} to have "
                               f"{wshape[0]} channels, but got {C} channels instead")
        if wshape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size {wshape} instead")
        out_channels = wshape[1] * groups
    else:
        if wshape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size {wshape} instead")
        if C != wshape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {wshape}, expected input{list(x.shape)} to "
                               f"have {wshape[1] * groups} channels, but got {C} channels instead")
        out_channels = wshape[0]
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
        eff = tuple(dl * (k - 1) + 1 for k, dl in zip(wshape[2:], dilation))
        if any(p < k for p, k in zip(padded, eff)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                               f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual "
                               f"input size")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {wshape}, expected bias to be 1-dimensional with {out_channels} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


@autocast_op("lower")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@autocast_op("lower")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@autocast_op("lower")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, d, name):
    _check_types(input, weight, bias)
    x, unbatched = _batchify(input, d, name)
    if weight.dim() != d + 2:
        raise RuntimeError(f"Expected {d + 2}-dimensional input for {d + 2}-dimensional weight {list(weight.shape)}, "
                           f"but got {x.dim()}-dimensional input of size {list(x.shape)} instead")
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = _expand_param(stride, d, "stride")
    dilation = _expand_param(dilation, d, "dilation")
    padding = _expand_param(padding, d, "padding")
    output_padding = _expand_param(output_padding, d, "output_padding")
    pads = tuple((p, p) for p in padding)
    _check_conv_args(x, weight, bias, stride, pads, dilation, groups, True)
    if any(op >= s and op >= dl for op, s, dl in zip(output_padding, stride, dilation)):
        labels = ("depth", "height", "width")[3 - d:] if d > 1 else ("width",)
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{n}: {v}" for n, v in zip(labels, output_padding)) + " "
                           + " ".join(f"stride_{n}: {v}" for n, v in zip(labels, stride)) + " "
                           + " ".join(f"dilation_{n}: {v}" for n, v in zip(labels, dilation)))
    kernel = tuple(weight.shape[2:])
    out_size = tuple((n - 1) * s - 2 * p + dl * (k - 1) + op + 1
                     for n, s, p, dl, k, op in zip(x.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(n <= 0 for n in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, out_size))}). Output size is too small")
    result = _convolution(x, weight, bias, stride, pads, dilation, True, groups, out_size)
    return result.squeeze(0) if unbatched else result


@autocast_op("lower")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                              "conv_transpose1d")


@autocast_op("lower")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                              "conv_transpose2d")


@autocast_op("lower")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                              "conv_transpose3d")


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """torch.convolution (aten::convolution)."""
    d = weight.dim() - 2
    if transposed:
        return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, d,
                                  f"conv_transpose{d}d")
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, d, f"conv{d}d")


# ------------------------------------------------------------------------------------------------ unfold / fold


class Im2ColBackward0(Node):
    def __init__(self, size, kernel, dilation, padding, stride):
        self.args = (size, kernel, dilation, padding, stride)

    def backward(self, grad):
        return _fold(grad, *self.args)


class Col2ImBackward0(Node):
    def __init__(self, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)

    def backward(self, grad):
        return _unfold(grad, *self.args)


def _unfold(input, kernel, dilation, padding, stride):
    x = input._data
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    pads = tuple((p, p) for p in padding)
    out_size = _out_size(x.shape[2:], pads, kernel, stride, dilation)
    win = _windows(_pad_array(x, pads), kernel, stride, dilation, out_size)       # N C oh ow kh kw
    N, C = x.shape[:2]
    arr = np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(N, C * _prod(kernel), _prod(out_size))
    result = wrap(arr[0] if unbatched else arr)
    if needs_grad(input):
        record(Im2ColBackward0(tuple(x.shape[2:]), kernel, dilation, padding, stride), (input,), result)
    return result


def _fold(input, output_size, kernel, dilation, padding, stride):
    cols = input._data
    unbatched = cols.ndim == 2
    if unbatched:
        cols = cols[None]
    N = cols.shape[0]
    K = _prod(kernel)
    C = cols.shape[1] // K
    pads = tuple((p, p) for p in padding)
    blocks = _out_size(output_size, pads, kernel, stride, dilation)
    cols = cols.reshape((N, C) + tuple(kernel) + tuple(blocks)).transpose(1, 2, 3, 0, 4, 5)
    full = tuple(n + 2 * p for n, p in zip(output_size, padding))
    res = _col2im(cols, full, kernel, stride, dilation, blocks)
    res = res[(slice(None), slice(None)) + tuple(slice(p, p + n) for n, p in zip(output_size, padding))]
    res = np.ascontiguousarray(res)
    result = wrap(res[0] if unbatched else res)
    if needs_grad(input):
        record(Col2ImBackward0(kernel, dilation, padding, stride), (input,), result)
    return result


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """F.unfold: sliding local blocks of a 4D (batched) or 3D (unbatched) input as columns."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    args = [_expand_param(v, 2, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                               (padding, "padding"), (stride, "stride"))]
    return _unfold(input, *args)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """F.fold: sums sliding local blocks (columns) back into a 4D (batched) or 3D (unbatched) tensor."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got "
                           f"{input.dim()}D)")
    x = input
    output_size = _expand_param(output_size, 2, "output_size")
    kernel, dilation, padding, stride = (_expand_param(v, 2, n) for v, n in (
        (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    K = _prod(kernel)
    C_K, L = x.shape[-2:]
    if C_K % K:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size({x.dim() - 2})={C_K} and kernel_size={kernel}")
    blocks = _out_size(output_size, tuple((p, p) for p in padding), kernel, stride, dilation)
    if _prod(blocks) != L:
        raise RuntimeError(f"Given output_size={output_size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {' * '.join(map(str, blocks))} = {_prod(blocks)}, "
                           f"but got input.size({x.dim() - 1})={L}.")
    return _fold(x, output_size, kernel, dilation, padding, stride)
