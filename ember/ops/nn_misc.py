"""Layer functions of torch.nn.functional: linear, bilinear, embedding, dropout, padding, attention and the
small helpers (one_hot, normalize, cosine_similarity, pairwise_distance), forward and backward side by side.

linear is the hot path of every model: one BLAS matmul and one in-place bias add forward; backward computes
only the gradients asked for. Its graph has PyTorch's shape (AddmmBackward0 over TBackward0 of the weight, with
ViewBackward0 around it for batched inputs), built from small private view nodes so it needs nothing from the
other families but their forward ops.
"""

import math
import warnings

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as _grad_state
from ._common import Node, Tensor, record, sum_to_shape, view_of, wrap, wrap_dim

__all__ = [
    "linear", "bilinear", "embedding", "embedding_bag", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "alpha_dropout", "feature_alpha_dropout", "one_hot", "normalize", "cosine_similarity", "pairwise_distance", "pad",
    "scaled_dot_product_attention",
]

_HALF = (np.dtype(np.float16), _dtype.bfloat16._np)
_F32 = np.dtype(np.float32)


def _fast():
    """True while a backward runs without create_graph: NumPy shortcuts are then safe."""
    return not _grad_state.enabled


def _label(arr):
    return _dtype.from_numpy_dtype(arr.dtype).scalar_type_name


# -------------------------------------------------------------------------------------------------------
# private view nodes (PyTorch's names) so linear's graph needs no other family's autograd


class _ReshapeBack(Node):
    """Backward of a reshaping view: the gradient reshaped to the input's shape."""

    def __init__(self, shape):
        self.shape = shape

    def backward(self, grad):
        if _fast():
            return wrap(grad._data.reshape(self.shape))
        return grad.reshape(self.shape)


class ViewBackward0(_ReshapeBack):
    pass


class UnsafeViewBackward0(_ReshapeBack):
    pass


class UnsqueezeBackward0(_ReshapeBack):
    pass


class SqueezeBackward4(_ReshapeBack):
    pass


class TBackward0(Node):
    def backward(self, grad):
        if _fast():
            return wrap(grad._data.T)
        return grad.t()


def _reshaped(t, shape, node_cls=ViewBackward0):
    arr = t._data.reshape(shape)
    out = view_of(t, arr) if np.may_share_memory(arr, t._data) else wrap(arr)
    if t.requires_grad and _grad_state.enabled:
        record(node_cls(t._data.shape), (t,), out)
    return out


def _transposed(t):
    out = view_of(t, t._data.T)
    if t.requires_grad and _grad_state.enabled:
        record(TBackward0(), (t,), out)
    return out


# -------------------------------------------------------------------------------------------------------
# linear


class AddmmBackward0(Node):
    """bias + mat1 @ mat2 (alpha = beta = 1) with a bias broadcast over the rows."""

    def __init__(self, bias, mat1, mat2):
        self.bias_shape = bias._data.shape
        self.mat1 = self.save(mat1) if mat2.requires_grad else None
        self.mat2 = self.save(mat2) if mat1.requires_grad else None

    def backward(self, grad):
        needs = self.needs_input_grad
        gb = g1 = g2 = None
        if _fast():
            g = grad._data
            if needs[0]:
                gb = wrap(_sum_rows(g, self.bias_shape))
            if needs[1]:
                g1 = wrap(g @ self.mat2.unpack()._data.T)
            if needs[2]:
                # (g.T @ mat1).T: contiguous for the weight after TBackward0 transposes it back
                g2 = wrap((g.T @ self.mat1.unpack()._data).T)
            return gb, g1, g2
        if needs[0]:
            gb = sum_to_shape(grad, self.bias_shape)
        if needs[1]:
            g1 = grad.mm(self.mat2.unpack().t())
        if needs[2]:
            g2 = self.mat1.unpack().t().mm(grad)
        return gb, g1, g2


class MmBackward0(Node):
    def __init__(self, mat1, mat2):
        self.mat1 = self.save(mat1) if mat2.requires_grad else None
        self.mat2 = self.save(mat2) if mat1.requires_grad else None

    def backward(self, grad):
        g1 = g2 = None
        needs = self.needs_input_grad
        if _fast():
            g = grad._data
            if needs[0]:
                g1 = wrap(g @ self.mat2.unpack()._data.T)
            if needs[1]:
                g2 = wrap((g.T @ self.mat1.unpack()._data).T)
            return g1, g2
        if needs[0]:
            g1 = grad.mm(self.mat2.unpack().t())
        if needs[1]:
            g2 = self.mat1.unpack().t().mm(grad)
        return g1, g2


def _sum_rows(g, shape):
    """Sum a (rows, cols) gradient down to a bias of `shape` (cols,), (1, cols), (1,) or ()."""
    if g.ndim == 2 and len(shape) == 1 and shape[0] == g.shape[1]:
        if g.shape[0] > 8:  # a ones-vector matmul runs on BLAS and beats a strided column sum
            return np.ones(g.shape[0], g.dtype) @ g
        return g.sum(axis=0)
    return np.asarray(g.sum(axis=tuple(range(g.ndim - len(shape))))).reshape(shape) if len(shape) < g.ndim \
        else np.asarray(g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True))


def _matmul_np(x, w_t):
    """x @ w_t for 2-D arrays, half types computed in float32 (PyTorch's opmath)."""
    if x.dtype in _HALF:
        return (x.astype(_F32) @ w_t.astype(_F32)).astype(x.dtype)
    return x @ w_t


def _check_linear(x, w, bias):
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(x)} != {_cpp(w)}")
    if x.dtype.kind in "biu":
        raise NotImplementedError(f"\"addmm_impl_cpu_\" not implemented for '{_label(x)}'")
    in_features = x.shape[-1] if x.ndim else 1
    if in_features != w.shape[1]:
        rows = x.size // in_features if in_features else (math.prod(x.shape[:-1]) if x.ndim > 1 else 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_features} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if bias is not None:
        b = bias._data
        if b.dtype != x.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(x)} != {_cpp(b)}")
        try:
            np.broadcast_shapes(b.shape, (w.shape[0],))
            if b.ndim > 2 or (b.ndim == 2 and b.shape[0] != 1 and x.ndim != 2):
                raise ValueError
        except ValueError:
            target = list(x.shape[:-1]) + [w.shape[0]]
            raise RuntimeError(f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                               f"({b.shape[-1]}) at non-singleton dimension {len(target) - 1}.  Target sizes: "
                               f"{target}.  Tensor sizes: {list(b.shape)}") from None


def _cpp(arr):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}.get(
        str(arr.dtype), str(arr.dtype))


@autocast_op("lower")
def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, PyTorch's graph: AddmmBackward0 / MmBackward0 over TBackward0(weight)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"linear(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    x, w = input._data, weight._data
    if w.ndim != 2:
        out = input.matmul(weight.t())
        return out if bias is None else out + bias
    if x.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    _check_linear(x, w, bias)
    grad = _grad_state.enabled and (input.requires_grad or weight.requires_grad or
                                    (bias is not None and bias.requires_grad))
    if not grad:  # the plain path: one BLAS call and one in-place add
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = _matmul_np(x2, w.T)
        if bias is not None:
            out += bias._data
        return wrap(out.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim != 2 else out)
    return _linear_graph(input, weight, bias)


def _linear_graph(input, weight, bias):
    x = input._data
    wt = _transposed(weight)
    if x.ndim == 2:
        return _addmm(bias, input, wt)
    out_shape = x.shape[:-1] + (weight._data.shape[0],)
    if x.ndim == 1:
        if bias is None:
            flat = _reshaped(input, (1, x.shape[0]), UnsqueezeBackward0)
            return _reshaped(_addmm(None, flat, wt), out_shape, SqueezeBackward4)
        flat = _reshaped(input, (1, x.shape[0]), ViewBackward0)
        return _reshaped(_addmm(bias, flat, wt), out_shape, ViewBackward0)
    viewable = x.flags.c_contiguous or np.may_share_memory(x.reshape(-1, x.shape[-1]), x)
    # an input whose rows cannot be viewed flat is copied first, as reshape does (CloneBackward0 under
    # UnsafeViewBackward0), and torch then goes through matmul + add rather than addmm
    flat = _reshaped(input, (-1, x.shape[-1])) if viewable else input.reshape(-1, x.shape[-1])
    if bias is None:
        return _reshaped(_addmm(None, flat, wt), out_shape, UnsafeViewBackward0)
    if viewable:
        return _reshaped(_addmm(bias, flat, wt), out_shape, ViewBackward0)
    return _reshaped(_addmm(None, flat, wt), out_shape, UnsafeViewBackward0) + bias


def _addmm(bias, mat1, mat2):
    out = _matmul_np(mat1._data, mat2._data)
    if bias is not None:
        out += bias._data
    result = wrap(out)
    if bias is None:
        if mat1.requires_grad or mat2.requires_grad:
            record(MmBackward0(mat1, mat2), (mat1, mat2), result)
    elif mat1.requires_grad or mat2.requires_grad or bias.requires_grad:
        record(AddmmBackward0(bias, mat1, mat2), (bias, mat1, mat2), result)
    return result


# -------------------------------------------------------------------------------------------------------
# bilinear


class TrilinearBackward0(Node):
    """out[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j]."""

    def __init__(self, x1, weight, x2):
        self.x1, self.weight, self.x2 = self.save(x1), self.save(weight), self.save(x2)

    def backward(self, grad):
        x1, w, x2 = self.x1.unpack(), self.weight.unpack(), self.x2.unpack()
        needs = self.needs_input_grad
        if _fast():
            g, a, W, b = grad._data, x1._data, w._data, x2._data
            return (wrap(np.einsum("no,oij,nj->ni", g, W, b, optimize=True)) if needs[0] else None,
                    wrap(np.einsum("no,ni,nj->oij", g, a, b, optimize=True)) if needs[1] else None,
                    wrap(np.einsum("no,oij,ni->nj", g, W, a, optimize=True)) if needs[2] else None)
        from .linalg import einsum

        return (einsum("no,oij,nj->ni", grad, w, x2) if needs[0] else None,
                einsum("no,ni,nj->oij", grad, x1, x2) if needs[1] else None,
                einsum("no,oij,ni->nj", grad, w, x1) if needs[2] else None)


def bilinear(input1, input2, weight, bias=None):
    a, b, W = input1._data, input2._data, weight._data
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    if a.shape[:-1] != b.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(a.shape[:-1])} and "
                           f"{list(b.shape[:-1])}")
    if W.ndim != 3 or a.shape[-1] != W.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} but expected "
                           f"{W.shape[1] if W.ndim == 3 else '?'}")
    if b.shape[-1] != W.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {b.shape[-1]} but expected "
                           f"{W.shape[2]}")
    x1 = _reshaped(input1, (-1, a.shape[-1]))
    x2 = _reshaped(input2, (-1, b.shape[-1]))
    a2, b2 = x1._data, x2._data
    n, out_f, in1, in2 = a2.shape[0], W.shape[0], W.shape[1], W.shape[2]
    tmp = (a2 @ W.transpose(1, 0, 2).reshape(in1, out_f * in2)).reshape(n, out_f, in2)
    res = wrap(np.einsum("noj,nj->no", tmp, b2))
    if _grad_state.enabled and (x1.requires_grad or x2.requires_grad or weight.requires_grad):
        record(TrilinearBackward0(x1, weight, x2), (x1, weight, x2), res)
    out = _reshaped(res, a.shape[:-1] + (out_f,))
    return out if bias is None else out + bias


# -------------------------------------------------------------------------------------------------------
# embedding


class EmbeddingBackward0(Node):
    def __init__(self, indices, num_weights, padding_idx, scale_grad_by_freq):
        self.indices, self.num_weights = indices, num_weights
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq

    def backward(self, grad):
        idx = self.indices.reshape(-1)
        dim = grad._data.shape[-1]
        keep = idx != self.padding_idx if self.padding_idx is not None else None
        scale = None
        if self.scale_grad_by_freq:
            counts = np.bincount(idx, minlength=self.num_weights)
            scale = 1.0 / counts[idx]
        if _fast():
            g = grad._data.reshape(-1, dim)
            if scale is not None:
                g = g * scale.astype(g.dtype)[:, None]
            if keep is not None:
                idx, g = idx[keep], g[keep]
            out = np.zeros((self.num_weights, dim), grad._data.dtype)
            np.add.at(out, idx, g)
            return wrap(out)
        from .creation import zeros

        g = grad.reshape(-1, dim)
        if scale is not None:
            g = g * wrap(scale.astype(g._data.dtype)[:, None])
        if keep is not None:
            g = g * wrap(keep[:, None])
        return zeros(self.num_weights, dim, dtype=grad.dtype).index_add(0, wrap(idx.astype(np.int64)), g)


def _embedding_renorm(weight, idx, max_norm, norm_type):
    """Rescale, in place and without recording, the rows of weight referenced by idx whose norm > max_norm."""
    rows = np.unique(idx)
    w = weight._data
    sel = w[rows].astype(np.float64)
    norms = (np.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type) if norm_type != 2 else \
        np.sqrt((sel * sel).sum(axis=1))
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] = (sel[big] * scale[:, None]).astype(w.dtype)
        weight._bump_version()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_label(idx)}Tensor instead (while checking arguments for "
                           "embedding)")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if max_norm is not None:
        with no_grad():
            _embedding_renorm(weight, idx.reshape(-1), max_norm, norm_type)
    result = wrap(weight._data[idx])
    if weight.requires_grad and _grad_state.enabled:
        record(EmbeddingBackward0(idx.copy(), num, padding_idx, scale_grad_by_freq), (weight,), result)
    return result


# -------------------------------------------------------------------------------------------------------
# embedding_bag: bags are contiguous segments of the flat indices, reduced with ufunc.reduceat (no loop over
# bags); an entry's bag number (`bag_of`) maps per-bag values back to entries for the backward.


class EmbeddingBagBackward0(Node):
    def __init__(self, idx, bag_of, keep, scale, max_pos, num_weights, weight_rows, scale_by_freq):
        # scale: each entry's factor in its bag (0 for padding and entries outside every bag)
        self.idx, self.bag_of, self.keep, self.scale, self.max_pos = idx, bag_of, keep, scale, max_pos
        self.num_weights, self.scale_by_freq = num_weights, scale_by_freq
        self.weight_rows = weight_rows     # the weight, for the per_sample_weights grad only

    def backward(self, grad):
        needs = self.needs_input_grad
        g = grad._data
        gw = gpsw = None
        if needs[0]:
            out = np.zeros((self.num_weights, g.shape[1]), g.dtype)
            if self.max_pos is not None:
                # each (bag, column) sends its grad to the row its maximum came from
                bags, cols = np.nonzero(self.max_pos >= 0)
                np.add.at(out, (self.idx[self.max_pos[bags, cols]], cols), g[bags, cols])
            else:
                scale = self.scale
                if self.scale_by_freq:   # PyTorch counts every index of the input
                    scale = scale / np.bincount(self.idx, minlength=self.num_weights)[self.idx].astype(scale.dtype)
                np.add.at(out, self.idx, g[self.bag_of.clip(0)] * scale.astype(g.dtype)[:, None])
            gw = wrap(out)
        if len(needs) > 1 and needs[1]:
            gpsw = np.einsum("nd,nd->n", g[self.bag_of.clip(0)], self.weight_rows[self.idx]) * self.keep
            gpsw = wrap(gpsw.astype(g.dtype))
        return gw, gpsw


def _embedding_bag_check(input, weight, offsets, mode, per_sample_weights, scale_grad_by_freq):
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            kind = "<class 'torch.Tensor'>" if isinstance(offsets, Tensor) else str(type(offsets))
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {kind}")
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if input._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_label(input._data)}Tensor instead (while checking arguments "
                           "for embedding_bag)")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embedding rows: a 2-D input is one bag per row; a 1-D input is cut
    into bags at `offsets` (with include_last_offset, its last entry is the end of the last bag)."""
    _embedding_bag_check(input, weight, offsets, mode, per_sample_weights, scale_grad_by_freq)
    idx = input._data.reshape(-1).astype(np.int64, copy=False)
    n = idx.shape[0]
    num = weight._data.shape[0]
    if input.dim() == 2:
        starts = np.arange(input.shape[0], dtype=np.int64) * input.shape[1]
        ends = starts + input.shape[1]
        if per_sample_weights is not None:     # flattened as the input (a view in the graph, as PyTorch's)
            per_sample_weights = per_sample_weights.reshape(-1)
    else:
        offs = offsets._data.astype(np.int64)
        if offs.size and offs[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {int(offs[0])}")
        if offs.size and offs[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                               f"{int(offs[-1])}")
        if include_last_offset:
            starts, ends = offs[:-1], offs[1:]
        else:
            starts, ends = offs, np.append(offs[1:], n)
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "padding_idx must be within the number of embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "padding_idx must be within the number of embeddings"
            padding_idx = num + padding_idx
    bad = (idx < 0) | (idx >= num)
    if bad.any():
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
                           f"{int(idx[np.argmax(bad)])}")
    if max_norm is not None:
        with no_grad():
            _embedding_renorm(weight, idx, max_norm, norm_type)
    B, D = starts.shape[0], weight._data.shape[1]
    lengths = np.maximum(ends - starts, 0)
    # bag number of each entry; -1 for entries after the last bag (include_last_offset)
    bag_of = np.full(n, -1, np.int64)
    covered = int(lengths.sum())
    bag_of[:covered] = np.repeat(np.arange(B), lengths)
    keep = bag_of >= 0
    if padding_idx is not None:
        keep &= idx != padding_idx
    count = np.bincount(bag_of[keep], minlength=B)
    w = weight._data
    psw = None if per_sample_weights is None else per_sample_weights._data.reshape(-1)
    rows = w[idx]
    if mode == "max":
        rows = np.where(keep[:, None], rows, np.iinfo(rows.dtype).min if rows.dtype.kind in "iu" else -np.inf)
    elif psw is not None or not keep.all():
        rows = rows * (keep if psw is None else keep * psw).astype(rows.dtype)[:, None]
    out = np.zeros((B, D), w.dtype)
    nonempty = np.nonzero((lengths > 0) & (starts < n))[0]
    max_pos = None
    if nonempty.size:
        seg = starts[nonempty]
        rows = rows[:covered]          # reduceat's last segment runs to the end: cut what no bag covers
        reduce = np.maximum if mode == "max" else np.add
        out[nonempty] = reduce.reduceat(rows, seg, axis=0)
        if mode == "max":
            # the first entry reaching each (bag, column) maximum, as PyTorch's kernel picks
            at_max = rows == out[bag_of[:covered]]
            pos = np.where(at_max & keep[:covered, None], np.arange(covered)[:, None], covered)
            max_pos = np.full((B, D), -1, np.int64)
            max_pos[nonempty] = np.minimum.reduceat(pos, seg, axis=0)
            empty_bags = count == 0          # bags of padding only: output 0, no gradient
            out[empty_bags] = 0
            max_pos[empty_bags] = -1
        elif mode == "mean":
            out /= count.clip(1).astype(out.dtype)[:, None]
    scale = keep.astype(w.dtype) if psw is None else (keep * psw).astype(w.dtype)
    if mode == "mean":
        scale = scale / count[bag_of.clip(0)].clip(1).astype(w.dtype)
    result = wrap(out)
    weight_grad = weight.requires_grad and _grad_state.enabled
    psw_grad = per_sample_weights is not None and per_sample_weights.requires_grad and _grad_state.enabled
    if weight_grad or psw_grad:
        node = EmbeddingBagBackward0(idx, bag_of, keep, scale, max_pos, num, w if psw_grad else None,
                                     scale_grad_by_freq)
        record(node, (weight, per_sample_weights), result)
    return result


# -------------------------------------------------------------------------------------------------------
# dropout: PyTorch's recipe (noise.bernoulli_(1 - p), scaled, then input * noise), drawn from the default
# generator so manual_seed makes it reproducible


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, train, inplace, feature=False, alpha=False):
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1 and not alpha:
        zero = wrap(np.zeros((), input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    x = input._data
    if feature:
        noise_shape = x.shape[:2] + (1,) * (x.ndim - 2)
    else:
        noise_shape = x.shape
    noise = wrap(np.empty(noise_shape, x.dtype))
    noise.bernoulli_(1 - p)
    if alpha:
        alpha_c = 1.7580993408473766
        a = 1.0 / math.sqrt((alpha_c * alpha_c * p + 1) * (1 - p))
        b = wrap(((noise._data - 1) * x.dtype.type(alpha_c * a) + x.dtype.type(alpha_c * a * p)).astype(x.dtype))
        noise._data *= x.dtype.type(a)
        if inplace:
            return input.mul_(noise).add_(b)
        return input * noise + b
    noise._data /= x.dtype.type(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _feature_dropout(name, input, p, training, inplace, batched_dim):
    _check_p(p)
    ndim = input.dim()
    if ndim not in (batched_dim - 1, batched_dim):
        warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error "
                      f"in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                      stacklevel=3)
    if ndim == batched_dim - 1:
        out = _dropout_impl(input.unsqueeze(0), p, training, inplace, feature=True)
        return out.squeeze(0) if out is not input else out
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout("dropout1d", input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    if ndim == 4:
        out = _dropout_impl(input.unsqueeze(0), p, training, inplace, feature=True)
        return out.squeeze(0) if out is not input else out
    return _dropout_impl(input, p, training, inplace, feature=True)


# -------------------------------------------------------------------------------------------------------
# one_hot, normalize, similarities


def one_hot(tensor, num_classes=-1):
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(x.shape + (num_classes,), np.int64)
    np.put_along_axis(out, x[..., None], 1, axis=-1)
    return wrap(out)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from .pointwise import div

    return div(input, denom, out=out)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """ATen's composite: integer inputs cast to the common floating dtype, both expanded to one shape, each
    divided by its norm; the norms are clamped to eps in place under no_grad on a clone, so the graph shows
    CloneBackward0 and the gradient passes the clamp unchanged."""
    from ._common import broadcast_shapes, promote_operands

    common = promote_operands(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common.scalar_type_name}")
    # only integer (and bool) inputs are cast; floating ones meet the other's dtype in the product
    x1, x2 = [x if x.is_floating_point() or x.is_complex() else x.to(common) for x in (x1, x2)]
    if x1.shape != x2.shape:
        shape = broadcast_shapes(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    d = wrap_dim(dim, max(x1.dim(), 1))
    n1 = x1.norm(2, d, keepdim=True).clone()
    n2 = x2.norm(2, d, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """ATen's composite: at::norm(x1 - x2 + eps, p, last dim, keepdim), the eps added as a Scalar."""
    from ._common import AddBackward1, with_number
    from .reduction import at_norm

    innermost = max(x1.dim(), x2.dim()) - 1  # -1 for two scalars: the norm of a 0-d tensor over dim -1
    return at_norm(with_number(x1 - x2, eps, AddBackward1), p, innermost, keepdim)


# -------------------------------------------------------------------------------------------------------
# pad


class _PadBackward(Node):
    """Backward of a padding made by index maps (one per padded dim): gradients of positions that read the
    same input element are summed (reflect/replicate/circular); a constant pad just slices."""

    def __init__(self, in_shape, maps):
        self.in_shape, self.maps = in_shape, maps  # maps: {dim: index array of length out_size, -1 = constant}

    def backward(self, grad):
        g = grad
        for d, m in self.maps.items():
            valid = m >= 0
            if valid.all() and np.array_equal(m, np.arange(self.in_shape[d])):
                continue
            if _fast():
                arr = np.moveaxis(g._data, d, 0)[valid]
                out = np.zeros((self.in_shape[d],) + arr.shape[1:], arr.dtype)
                np.add.at(out, m[valid], arr)
                g = wrap(np.ascontiguousarray(np.moveaxis(out, 0, d)))
            else:
                from .creation import zeros

                shape = list(g.shape)
                shape[d] = self.in_shape[d]
                picked = g.index_select(d, wrap(np.flatnonzero(valid).astype(np.int64)))
                g = zeros(shape, dtype=g.dtype).index_add(d, wrap(m[valid].astype(np.int64)), picked)
        return g


class ConstantPadNdBackward0(_PadBackward):
    pass


def _mode_node(mode, k):
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0"}[mode]
    cls = _MODE_NODES.get(name)
    if cls is None:
        cls = _MODE_NODES[name] = type(name, (_PadBackward,), {})
    return cls


_MODE_NODES = {}


def _pad_map(size, before, after, mode):
    """Index of the input element each output position reads along one dim (-1: the constant value)."""
    base = np.arange(size)
    if mode == "constant":
        m = np.concatenate([np.full(max(before, 0), -1), base, np.full(max(after, 0), -1)])
        lo = -before if before < 0 else 0
        hi = len(m) + after if after < 0 else len(m)
        return m[lo:hi]
    np_mode = {"reflect": "reflect", "replicate": "edge"}[mode]
    if before < 0 or after < 0:
        m = np.pad(base, (max(before, 0), max(after, 0)), mode=np_mode)
        return m[-min(before, 0):len(m) + min(after, 0)]
    return np.pad(base, (before, after), mode=np_mode)


def _pad_circular_graph(input, pad):
    """ATen's _pad_circular, so that autograd records torch's graph: the input copied into an empty tensor,
    then each wrapped border copied from it, every copy an in-place write into a slice (CopySlices nodes)."""
    from .creation import empty
    from .shape import _slice

    x = input._data
    k = len(pad) // 2
    shape = list(x.shape)
    for i in range(k):
        shape[x.ndim - 1 - i] += int(pad[2 * i]) + int(pad[2 * i + 1])
    out = empty(shape, dtype=input.dtype)
    out_slice, in_slice = out, input
    for i in range(k):
        dim, before, after = x.ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])
        out_slice = _slice(out_slice, dim, max(before, 0), shape[dim] - max(after, 0))
        in_slice = _slice(in_slice, dim, max(-before, 0), x.shape[dim] - max(-after, 0))
    out_slice.copy_(in_slice)
    for i in range(k):
        dim, before, after = x.ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])
        if before > 0:
            _slice(out, dim, 0, before).copy_(_slice(out, dim, shape[dim] - before - max(after, 0),
                                                     shape[dim] - max(after, 0)))
        if after > 0:
            _slice(out, dim, shape[dim] - after, shape[dim]).copy_(_slice(out, dim, max(before, 0),
                                                                          max(before, 0) + after))
    return out


def pad(input, pad, mode="constant", value=None):
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\nSupported combinations for "
                "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D "
                "input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 "
                "dimensions)")
        if value is not None and value != 0:
            raise ValueError(f'Padding mode "{mode}"" doesn\'t take in value argument.')
    maps = {}
    for i in range(k):
        d = x.ndim - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        size = x.shape[d]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({before}, {after}) at dimension {d} of input {list(x.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "constant" and size + before + after < 0:
            raise RuntimeError(f"The input size {size}, plus negative padding {before} and {after} resulted in a "
                               f"negative output size, which is invalid. Check dimension {d} of your input.")
        if mode != "circular":
            maps[d] = _pad_map(size, before, after, mode)
    if mode == "circular":  # (with or without grad: the same copies give torch's values for negative pads too)
        return _pad_circular_graph(input, pad)
    out = x
    fill = 0 if value is None else value
    for d, m in maps.items():
        valid = m >= 0
        picked = np.take(out, np.where(valid, m, 0), axis=d)
        if not valid.all():
            shape = [1] * out.ndim
            shape[d] = len(m)
            picked = np.where(valid.reshape(shape), picked, np.asarray(fill).astype(x.dtype))
        out = picked
    result = wrap(np.ascontiguousarray(out) if out is not x else x.copy())
    if input.requires_grad and _grad_state.enabled:
        cls = ConstantPadNdBackward0 if mode == "constant" else _mode_node(mode, k)
        record(cls(x.shape, maps), (input,), result)
    return result


# -------------------------------------------------------------------------------------------------------
# attention


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """torch's fused CPU attention kernel, which it picks for 4-D inputs without dropout and a mask that needs
    no grad: one node over query, key and value. Its gradients are those of the math path, whose graph (over
    detached inputs) the forward recorded and this node keeps; differentiating them again is torch's error."""

    def __init__(self, query, key, value, inner_inputs, inner_out):
        self.query, self.key, self.value = self.save(query), self.save(key), self.save(value)
        self.inner_inputs, self.inner_out = inner_inputs, inner_out

    def backward(self, grad):
        from ..autograd import grad as autograd_grad
        from ._common import NotImplemented

        if self.inner_out is None:
            self.query.unpack()  # freed: raises autograd's "backward through the graph a second time" error
        wanted = [t for t, need in zip(self.inner_inputs, self.needs_input_grad) if need and t.requires_grad]
        got = iter(autograd_grad(self.inner_out, wanted, grad.detach(), retain_graph=True, allow_unused=True))
        grads = [next(got) if need and t.requires_grad else None
                 for t, need in zip(self.inner_inputs, self.needs_input_grad)]
        if _grad_state.enabled:  # create_graph: the fused backward has no derivative in torch
            node = NotImplemented("aten::_scaled_dot_product_flash_attention_for_cpu_backward")
            saved = [t.unpack() for t in (self.query, self.key, self.value)]
            record(node, (grad, *saved), [g for g in grads if g is not None])
        return tuple(grads)

    def release_saved(self):
        super().release_saved()
        self.inner_inputs = self.inner_out = None


@autocast_op("lower")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    from ..autograd.grad_mode import enable_grad

    options = {"attn_mask": attn_mask, "is_causal": is_causal, "scale": scale, "enable_gqa": enable_gqa}
    fused = (dropout_p == 0.0 and query.dim() == 4 and key.dim() == 4 and value.dim() == 4
             and query.stride(-1) == 1 and key.stride(-1) == 1 and value.stride(-1) == 1  # torch's flash criteria
             and _grad_state.enabled and (query.requires_grad or key.requires_grad or value.requires_grad)
             and not (attn_mask is not None and attn_mask.requires_grad))
    if not fused:
        return _attention_math(query, key, value, dropout_p=dropout_p, **options)
    # the math path's graph over detached inputs, kept inside the fused node for its backward
    inner_inputs = [t.detach().requires_grad_(t.requires_grad) for t in (query, key, value)]
    with enable_grad():
        inner_out = _attention_math(*inner_inputs, **options)
    out = inner_out.detach()
    if not query.is_contiguous():  # torch's kernel writes into empty_like(query): MHA's later reshape is a view
        from .creation import empty_like

        out = empty_like(query).copy_(out)
    node = ScaledDotProductFlashAttentionForCpuBackward0(query, key, value, inner_inputs, inner_out)
    record(node, (query, key, value), out)
    return out


def _attention_math(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """PyTorch's math path: q and k each scaled by sqrt(scale), masked scores softmaxed (fully masked rows
    give zeros), optional dropout, then @ value."""
    from ._common import MulBackward1, with_number
    from .activation import _safe_softmax

    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if enable_gqa and query.dim() >= 3 and query.shape[-3] != key.shape[-3]:
        reps = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(reps, -3)
        value = value.repeat_interleave(reps, -3)
    factor = math.sqrt(1.0 / math.sqrt(E) if scale is None else scale)
    q = with_number(query, factor, MulBackward1)  # ATen scales by a Scalar: MulBackward1
    scores = q.matmul(with_number(key.transpose(-2, -1), factor, MulBackward1))
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        mask = np.tril(np.ones((L, S), bool))
    elif attn_mask is not None:
        m = attn_mask._data
        if m.dtype == np.bool_:
            mask = m
        else:
            scores = scores + attn_mask
    if mask is not None:
        additive = np.where(mask, 0.0, -np.inf).astype(scores._data.dtype)
        scores = scores + wrap(additive)
    attn = _safe_softmax(scores, scores.dim() - 1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)
