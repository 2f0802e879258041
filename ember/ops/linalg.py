"""Linear algebra: matrix products (matmul and its family, einsum, tensordot, ...) at the top level, and the
implementations behind the `ember.linalg` namespace (named `linalg_*` here; ember/linalg.py re-exports them
under torch.linalg's names).

Every product is one NumPy call (BLAS for float/complex), batched over leading dims; decompositions are one
batched `np.linalg` call. PyTorch's products do not promote: mismatched dtypes raise, with the message of the
kernel PyTorch would reach (mm, mv, bmm or dot). Those messages are worked out only once NumPy has refused, so
the common path stays short. float16/bfloat16 products compute in float32 and round once (PyTorch's opmath).
"""

import builtins
import collections
import math
import warnings

from .._autocast import autocast_op
from .._backend import bfloat16 as _BF16
from .._dtype import from_numpy_dtype
from ._common import (
    Node,
    Tensor,
    broadcast_error,
    broadcast_shapes,
    commit_inplace,
    finish_out,
    method,
    needs_grad,
    np,
    prepare_inplace,
    promote_operands,
    record,
    sum_to_shape,
    view_of,
    wrap,
    wrap_dim,
)

__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addr", "baddbmm",
    "addbmm", "einsum", "tensordot", "kron", "trace", "cross", "chain_matmul", "det", "logdet", "slogdet", "inverse",
    "cholesky", "pinverse", "matrix_power", "matrix_exp", "qr", "svd", "cholesky_inverse", "lu", "lu_solve",
    "lu_unpack", "cholesky_solve",
]

_HALF_TYPES = (np.dtype(np.float16), _BF16)
_F32 = np.dtype(np.float32)
_BLAS_TYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))
_REAL = {np.dtype(c): np.dtype(r) for c, r in ((np.complex64, np.float32), (np.complex128, np.float64))}

_LABEL = {  # c10's ScalarType names, used in most messages
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}
_CTYPE = {  # C++ type names, used by a few messages (mm's dtype check)
    "bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
    "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def _label(np_dtype):
    return _LABEL[from_numpy_dtype(np_dtype)._name]


def _ctype(np_dtype):
    return _CTYPE[from_numpy_dtype(np_dtype)._name]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a RuntimeError raised when a decomposition or solve fails on its input."""


def _return_type(name, fields):
    """A named tuple printed as torch.return_types.<name>(...) like PyTorch's structseqs."""
    cls = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    cls.__module__ = "ember.return_types"
    return cls


_SlogdetTop = _return_type("slogdet", ("sign", "logabsdet"))
_Slogdet = _return_type("linalg_slogdet", ("sign", "logabsdet"))
_InvEx = _return_type("linalg_inv_ex", ("inverse", "info"))
_CholeskyEx = _return_type("linalg_cholesky_ex", ("L", "info"))
_Eig = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
_Eigh = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_Svd = _return_type("linalg_svd", ("U", "S", "Vh"))
_SvdTop = _return_type("svd", ("U", "S", "V"))
_Qr = _return_type("linalg_qr", ("Q", "R"))
_QrTop = _return_type("qr", ("Q", "R"))
_Lstsq = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_SolveEx = _return_type("linalg_solve_ex", ("result", "info"))


# -------------------------------------------------------------------------------------------------------
# autograd plumbing
#
# Products record PyTorch's backward nodes. Composite routes (matmul's folding and batching, tensordot, kron,
# ...) are computed with one NumPy call like the no-grad path, and the graph PyTorch would have built is then
# rebuilt around the result from the small view nodes below, so grad_fn chains read as PyTorch's. Tensors in
# the middle of such a chain are never seen by the user; where no backward formula reads their values they
# hold a zero-size stand-in instead of a copy.


def _mH(t):
    """Conjugate transpose of the last two dims, with recordable ops."""
    t = t.transpose(-2, -1)
    return t.conj() if t.is_complex() else t


def _conj(t):
    return t.conj() if t.is_complex() else t


def _scaled(grad, factor):
    """grad * factor, skipping the multiplication for 1 (PyTorch's maybe_multiply)."""
    if factor == 1 and not isinstance(factor, builtins.bool):
        return grad
    return grad * factor


class _ReshapeNode(Node):
    """A view or copy with another shape: the gradient takes the input's shape back."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class ViewBackward0(_ReshapeNode):
    pass


class UnsafeViewBackward0(_ReshapeNode):
    pass


class ReshapeAliasBackward0(_ReshapeNode):
    pass


class SqueezeBackward1(_ReshapeNode):
    pass


class SqueezeBackward4(_ReshapeNode):
    pass


class UnsqueezeBackward0(_ReshapeNode):
    pass


class ExpandBackward0(Node):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def backward(self, grad):
        return sum_to_shape(grad, self.shape)


class TransposeBackward0(Node):
    def backward(self, grad):
        return grad.transpose(-2, -1)


class TBackward0(Node):
    def backward(self, grad):
        return grad.t()


class PermuteBackward0(Node):
    def __init__(self, perm):
        self.inverse = tuple(int(i) for i in np.argsort(perm))

    def backward(self, grad):
        return grad.permute(self.inverse)


class CloneBackward0(Node):
    def backward(self, grad):
        return grad


class CopyBackwards(Node):
    """copy_ of a constant into a clone (matrix_power(A, 0)): no gradient reaches A through the values."""

    def backward(self, grad):
        from .creation import zeros_like

        return zeros_like(grad), None


def _stand_in(shape, dtype):
    """A zero-size-in-memory array of `shape` for graph tensors whose values no formula reads."""
    return np.broadcast_to(np.zeros((), dtype), shape)


def _derive(node, src, arr):
    """A graph tensor over `arr` computed from `src` by the view/copy that `node` undoes (plain if src needs no
    gradient). Views of src's memory share its version counter, so saved ones catch in-place changes."""
    if not src.requires_grad:
        return wrap(arr)
    out = view_of(src, arr) if arr.size and np.may_share_memory(arr, src._data) else wrap(arr)
    record(node, (src,), out)
    return out


def _reshape_graph(src, arr, shape):
    """PyTorch's reshape of `src` (holding `arr`): a view (ViewBackward0 when contiguous, ReshapeAliasBackward0
    when not) where the strides allow, else a contiguous copy viewed (CloneBackward0 then UnsafeViewBackward0)."""
    new = arr.reshape(shape)
    if not src.requires_grad:
        return wrap(new)
    if new.size == 0 or np.may_share_memory(new, arr):
        return _derive((ViewBackward0 if arr.flags.c_contiguous else ReshapeAliasBackward0)(arr.shape), src, new)
    cloned = _derive(CloneBackward0(), src, new.reshape(arr.shape))
    return _derive(UnsafeViewBackward0(arr.shape), cloned, new)


def _check_no_out_grad(fn, out, *tensors):
    if out is not None and needs_grad(*tensors):
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")


def _saved_if(node, tensor, needed):
    return node.save(tensor) if needed else None


class MmBackward0(Node):
    def __init__(self, mat1, mat2):
        # mat1's gradient reads mat2 and mat2's reads mat1: keep only what will be read
        self.mat1 = _saved_if(self, mat1, mat2.requires_grad)
        self.mat2 = _saved_if(self, mat2, mat1.requires_grad)

    def backward(self, grad):
        need1, need2 = self.needs_input_grad
        g1 = mm(grad, _mH(self.mat2.unpack())) if need1 else None
        g2 = mm(_mH(self.mat1.unpack()), grad) if need2 else None
        return g1, g2


class BmmBackward0(Node):
    def __init__(self, batch1, batch2):
        self.batch1 = _saved_if(self, batch1, batch2.requires_grad)
        self.batch2 = _saved_if(self, batch2, batch1.requires_grad)

    def backward(self, grad):
        need1, need2 = self.needs_input_grad
        g1 = bmm(grad, _mH(self.batch2.unpack())) if need1 else None
        g2 = bmm(_mH(self.batch1.unpack()), grad) if need2 else None
        return g1, g2


class MvBackward0(Node):
    def __init__(self, mat, vec):
        self.mat = _saved_if(self, mat, vec.requires_grad)
        self.vec = _saved_if(self, vec, mat.requires_grad)

    def backward(self, grad):
        need1, need2 = self.needs_input_grad
        g1 = outer(grad, _conj(self.vec.unpack())) if need1 else None
        g2 = mv(_mH(self.mat.unpack()), grad) if need2 else None
        return g1, g2


class DotBackward0(Node):
    def __init__(self, a, b):
        self.a = _saved_if(self, a, b.requires_grad)
        self.b = _saved_if(self, b, a.requires_grad)

    def backward(self, grad):
        need1, need2 = self.needs_input_grad
        g1 = grad * _conj(self.b.unpack()) if need1 else None
        g2 = grad * _conj(self.a.unpack()) if need2 else None
        return g1, g2


class VdotBackward0(DotBackward0):
    def backward(self, grad):
        need1, need2 = self.needs_input_grad
        g1 = _conj(grad) * self.b.unpack() if need1 else None
        g2 = grad * self.a.unpack() if need2 else None
        return g1, g2


def _record_product(node_cls, a, b, arr):
    out = wrap(arr)
    record(node_cls(a, b), (a, b), out)
    return out


def _matmul_graph(input, other, r):
    """Record matmul's result `r` (already computed) along the route PyTorch's matmul takes."""
    a, b = input._data, other._data
    d1, d2 = a.ndim, b.ndim
    if d1 == 1 and d2 == 1:
        return _record_product(DotBackward0, input, other, r)
    if d1 == 2 and d2 == 1:
        return _record_product(MvBackward0, input, other, r)
    if d1 == 2 and d2 == 2:
        return _record_product(MmBackward0, input, other, r)
    if d1 == 1 and d2 == 2:
        row = _derive(UnsqueezeBackward0(a.shape), input, a[None])
        prod = _record_product(MmBackward0, row, other, _stand_in((1,) + r.shape, r.dtype))
        return _derive(SqueezeBackward4((1,) + r.shape), prod, r)
    if _should_fold(a, b, other.requires_grad if d1 >= d2 else input.requires_grad):
        return _matmul_folded(input, other, r)
    return _matmul_batched(input, other, r)


def _matmul_folded(input, other, r):
    """The larger operand's batch dims folded into one matrix dim: one mm (or mv)."""
    a, b = input._data, other._data
    d1, d2 = a.ndim, b.ndim
    transpose = d2 > d1
    if transpose:  # (a @ b) = (b^T @ a^T)^T
        big = _derive(TransposeBackward0(), other, np.swapaxes(b, -1, -2))
        small = _derive(TBackward0(), input, a.T) if d1 == 2 else input
    else:
        big, small = input, other
    big_arr = big._data
    folded_shape = (math.prod(big_arr.shape[:-1]), big_arr.shape[-1])
    folded = _reshape_graph(big, big_arr, folded_shape)
    if small._data.ndim == 2:
        p = small._data.shape[1]
        prod = _record_product(MmBackward0, folded, small, _stand_in((folded_shape[0], p), r.dtype))
        out_shape = big_arr.shape[:-1] + (p,)
        if not transpose:
            return _derive(UnsafeViewBackward0(prod.shape), prod, r)
        viewed = _derive(UnsafeViewBackward0(prod.shape), prod, _stand_in(out_shape, r.dtype))
        swapped = _derive(TransposeBackward0(), viewed, _stand_in(r.shape, r.dtype))
        return _derive(CloneBackward0(), swapped, r)
    prod = _record_product(MvBackward0, folded, small, _stand_in((folded_shape[0],), r.dtype))
    return _derive(UnsafeViewBackward0(prod.shape), prod, r)


def _matmul_batched(input, other, r):
    """Both operands expanded to the broadcast batch and flattened into one bmm."""
    a, b = input._data, other._data
    d1, d2 = a.ndim, b.ndim
    if d1 == 3 and d2 == 3 and a.shape[0] != b.shape[0]:
        # PyTorch drops a broadcast batch of one that requires grad, which leads to the folded route
        if a.shape[0] == 1 and input.requires_grad:
            return _matmul_graph(_derive(SqueezeBackward1(a.shape), input, a[0]), other, r)
        if b.shape[0] == 1 and other.requires_grad:
            return _matmul_graph(input, _derive(SqueezeBackward1(b.shape), other, b[0]), r)
    n = a.shape[-2] if d1 > 1 else 1
    m1 = a.shape[-1]
    m2 = b.shape[-2] if d2 > 1 else b.shape[0]
    p = b.shape[-1] if d2 > 1 else 1
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = math.prod(batch)
    # a flattened operand is read by bmm's backward only for the other operand's gradient
    left = _expanded_batch(input, batch + (n, m1), (count, n, m1), other.requires_grad)
    if d2 == 1:
        right = _expanded_batch(other, batch + (m2,), (count, m2), input.requires_grad)
        right = _derive(UnsqueezeBackward0(right.shape), right, right._data[..., None])
    else:
        right = _expanded_batch(other, batch + (m2, p), (count, m2, p), input.requires_grad)
    prod = _record_product(BmmBackward0, left, right, _stand_in((count, n, p), r.dtype))
    if d2 == 1:
        prod = _derive(SqueezeBackward1(prod.shape), prod, _stand_in((count, n), r.dtype))
    return _derive(UnsafeViewBackward0(prod.shape), prod, r)


def _expanded_batch(src, expanded_shape, flat_shape, values_needed):
    arr = src._data
    expanded = np.broadcast_to(arr, expanded_shape)
    ex = _derive(ExpandBackward0(arr.shape), src, expanded)
    if not values_needed:
        # only the graph's shape matters: pick the node the reshape would record without copying
        viewable = expanded.size == 0 or _reshape_is_view(expanded, flat_shape)
        if not viewable:
            cloned = _derive(CloneBackward0(), ex, _stand_in(expanded_shape, arr.dtype))
            return _derive(UnsafeViewBackward0(expanded_shape), cloned, _stand_in(flat_shape, arr.dtype))
        cls = ViewBackward0 if expanded.flags.c_contiguous else ReshapeAliasBackward0
        return _derive(cls(expanded_shape), ex, _stand_in(flat_shape, arr.dtype))
    return _reshape_graph(ex, expanded, flat_shape)


def _reshape_is_view(arr, shape):
    """Whether arr.reshape(shape) can be a view (without making the copy when it cannot)."""
    try:
        np.reshape(arr, shape, copy=False)
        return True
    except ValueError:
        return False


class AddmmBackward0(Node):
    def __init__(self, input, mat1, mat2, beta, alpha):
        self.input_shape = tuple(input.shape)
        self.mat1 = _saved_if(self, mat1, mat2.requires_grad)
        self.mat2 = _saved_if(self, mat2, mat1.requires_grad)
        self.beta, self.alpha = beta, alpha

    def backward(self, grad):
        need0, need1, need2 = self.needs_input_grad
        g0 = sum_to_shape(_scaled(grad, self.beta), self.input_shape) if need0 else None
        g1 = _scaled(mm(grad, _mH(self.mat2.unpack())), self.alpha) if need1 else None
        g2 = _scaled(mm(_mH(self.mat1.unpack()), grad), self.alpha) if need2 else None
        return g0, g1, g2


class BaddbmmBackward0(AddmmBackward0):
    def backward(self, grad):
        need0, need1, need2 = self.needs_input_grad
        g0 = sum_to_shape(_scaled(grad, self.beta), self.input_shape) if need0 else None
        g1 = _scaled(bmm(grad, _mH(self.mat2.unpack())), self.alpha) if need1 else None
        g2 = _scaled(bmm(_mH(self.mat1.unpack()), grad), self.alpha) if need2 else None
        return g0, g1, g2


class AddbmmBackward0(AddmmBackward0):
    def backward(self, grad):
        need0, need1, need2 = self.needs_input_grad
        g0 = sum_to_shape(_scaled(grad, self.beta), self.input_shape) if need0 else None
        g1 = g2 = None
        if need1 or need2:
            batch1 = self.mat1.unpack() if need2 else None
            batch2 = self.mat2.unpack() if need1 else None
            count = (batch1 if batch1 is not None else batch2).shape[0]
            expanded = grad.unsqueeze(0).expand(count, *grad.shape)
            g1 = _scaled(bmm(expanded, _mH(batch2)), self.alpha) if need1 else None
            g2 = _scaled(bmm(_mH(batch1), expanded), self.alpha) if need2 else None
        return g0, g1, g2


class AddmvBackward0(AddmmBackward0):
    def backward(self, grad):
        need0, need1, need2 = self.needs_input_grad
        g0 = sum_to_shape(_scaled(grad, self.beta), self.input_shape) if need0 else None
        g1 = _scaled(outer(grad, _conj(self.mat2.unpack())), self.alpha) if need1 else None
        g2 = _scaled(mv(_mH(self.mat1.unpack()), grad), self.alpha) if need2 else None
        return g0, g1, g2


class AddrBackward0(AddmmBackward0):
    def backward(self, grad):
        need0, need1, need2 = self.needs_input_grad
        g0 = sum_to_shape(_scaled(grad, self.beta), self.input_shape) if need0 else None
        g1 = _scaled(mv(grad, _conj(self.mat2.unpack())), self.alpha) if need1 else None
        g2 = _scaled(mv(grad.t(), _conj(self.mat1.unpack())), self.alpha) if need2 else None
        return g0, g1, g2


class TraceBackward0(Node):
    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    def backward(self, grad):
        from .creation import eye

        return eye(*self.shape, dtype=self.dtype) * grad


class LinalgCrossBackward0(Node):
    def __init__(self, input, other, dim):
        self.input = _saved_if(self, input, other.requires_grad)
        self.other = _saved_if(self, other, input.requires_grad)
        self.shapes = (tuple(input.shape), tuple(other.shape))
        self.dim = dim

    def backward(self, grad):
        need0, need1 = self.needs_input_grad
        g0 = g1 = None
        if need0:
            g0 = sum_to_shape(linalg_cross(_conj(self.other.unpack()), grad, dim=self.dim), self.shapes[0])
        if need1:
            g1 = sum_to_shape(linalg_cross(grad, _conj(self.input.unpack()), dim=self.dim), self.shapes[1])
        return g0, g1


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_explicit(equation, arrays):
    """The equation with every ellipsis spelled out in letters and an explicit output."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    used = set(equation) - set(".,->")
    spare = [c for c in _EINSUM_LETTERS if c not in used]
    ell_ndim = max([arr.ndim - len(t.replace("...", "")) for t, arr in zip(terms, arrays) if "..." in t], default=0)
    ell = "".join(spare[:ell_ndim])
    explicit = []
    for t, arr in zip(terms, arrays):
        if "..." in t:
            k = arr.ndim - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_ndim - k:])
        explicit.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(explicit)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return explicit, out, ell


def _einsum_graph(terms, output, ellipsis, operands):
    """einsum composed of ember ops the way ATen's einsum composes it (each operand diagonalised, unsqueezed and
    permuted onto output-then-contracted dims; operands contracted left to right through sums and one bmm),
    so that the graph torch records -- PermuteBackward0, BmmBackward0, ViewBackward0, ... -- comes out the same,
    and every order of derivative with it."""
    used = set("".join(terms))
    # contracted dims: those of an ellipsis first, then labels in ATen's order (A-Z before a-z)
    contracted = [c for c in ellipsis if c in used and c not in output]
    contracted += sorted((c for c in used if c not in output and c not in ellipsis), key=lambda c: (c.islower(), c))
    index = {c: k for k, c in enumerate(list(output) + contracted)}
    n_out, n = len(output), len(output) + len(contracted)
    counts = [0] * n  # how many operands still have each dim with a size other than 1
    ops = []
    for term, op in zip(terms, operands):
        perm = [-1] * n
        dim = 0
        for c in term:
            k = index[c]
            if perm[k] == -1:
                counts[k] += op.shape[dim] != 1
                perm[k] = dim
                dim += 1
            else:  # a repeated label: its diagonal
                op = op.diagonal(0, perm[k], dim).movedim(-1, perm[k])
        for k in range(n):
            if perm[k] == -1:
                op = op.unsqueeze(dim)
                perm[k] = dim
                dim += 1
        ops.append(op.permute(perm))
    while len(ops) > 1:
        a, b = ops.pop(0), ops.pop(0)
        sum_dims, a_sums, b_sums = [], [], []
        for d in range(n_out, n):
            if a.shape[d] != 1 and b.shape[d] != 1:
                counts[d] -= 1
                if counts[d] == 1:
                    sum_dims.append(d)
                    counts[d] = 0
            elif counts[d] == 1:  # only one of the two has it, and no later operand: sum it right away
                if a.shape[d] != 1:
                    a_sums.append(d)
                    counts[d] = 0
                elif b.shape[d] != 1:
                    b_sums.append(d)
                    counts[d] = 0
        if a_sums:
            a = a.sum(a_sums, keepdim=True)
        if b_sums:
            b = b.sum(b_sums, keepdim=True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))
    result = ops[0]
    if n > n_out:
        result = result.view(tuple(result.shape[:n_out])) if len(operands) > 1 else result.sum(list(range(n_out, n)))
    return result


def _sumproduct_pair(left, right, sum_dims):
    """(left * right) summed over sum_dims (kept as size 1) as one bmm: dims in both (lro), only left (lo), only
    right (ro) and summed are each flattened into one, as ATen's sumproduct_pair does."""
    if not sum_dims:
        return left * right
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(left.dim()):
        in_left, in_right = left.shape[i] != 1, right.shape[i] != 1
        if i in sum_dims:
            if in_left and in_right:
                sum_size *= left.shape[i]
            elif in_left:
                left = left.sum(i, keepdim=True)
            elif in_right:
                right = right.sum(i, keepdim=True)
        elif in_left and in_right:
            lro.append(i)
            lro_size *= left.shape[i]
        elif in_left:
            lo.append(i)
            lo_size *= left.shape[i]
        else:
            ro.append(i)
            ro_size *= right.shape[i]
    out_size = [left.shape[d] for d in lro + lo] + [1] * len(sum_dims) + [right.shape[d] for d in ro]
    inverse = [0] * len(out_size)
    for k, d in enumerate(lro + lo + sum_dims + ro):
        inverse[d] = k
    left = left.permute(lro + lo + sum_dims + ro).reshape(lro_size, lo_size, sum_size)
    right = right.permute(lro + sum_dims + ro + lo).reshape(lro_size, sum_size, ro_size)
    return bmm(left, right).view(out_size).permute(inverse)


# decompositions -----------------------------------------------------------------------------------------


def _diag_matrix(values, n):
    """A batch of n x n matrices with `values` (batch shape) times the identity."""
    from .creation import eye

    return values.unsqueeze(-1).unsqueeze(-1) * eye(n, dtype=values.dtype)


class LinalgInvExBackward0(Node):
    def __init__(self, inverse):
        self.inverse = self.save(inverse, is_output=True)

    def backward(self, grad, grad_info=None):
        inv_h = _mH(self.inverse.unpack())
        return -matmul(inv_h, matmul(grad, inv_h))


class LinalgDetBackward0(Node):
    def __init__(self, A, det):
        self.A = self.save(A)
        self.det = self.save(det, is_output=True)

    def backward(self, grad):
        from .. import where

        A, det = self.A.unpack(), self.det.unpack()
        n = A.shape[-1]
        if A._data.size == 0:
            from .creation import zeros_like

            return zeros_like(A)
        scale = grad * _conj(det)
        eps = np.finfo(_real_dtype(A._data.dtype)).eps
        singular = np.abs(det._data) < 100 * eps * np.max(np.abs(A._data), axis=(-2, -1), initial=1) ** n
        if not singular.any():
            return linalg_solve(_mH(A), _diag_matrix(scale, n))
        if singular.all():
            return _det_cofactors(A, grad)
        # a batch of both kinds: each formula sees a harmless stand-in for the matrices it does not own
        from .creation import eye

        mask = wrap(singular[..., None, None])
        ident = eye(n, dtype=A.dtype)
        regular = linalg_solve(_mH(where(mask, ident, A)), _diag_matrix(scale, n))
        return where(mask, _det_cofactors(where(mask, A, ident * 2), grad), regular)


def _det_cofactors(A, grad):
    """grad * cofactor matrix of A through its SVD (valid for singular A): det A = det U det Vh prod S."""
    from .. import where
    from .creation import eye

    U, S, Vh = linalg_svd(A, full_matrices=False)
    n = S.shape[-1]
    phase = _conj(linalg_det(U) * linalg_det(Vh)) * grad
    # prod_{j != i} S_j for each i: S spread over rows with ones on the diagonal
    spread = where(eye(n, dtype=S.dtype) == 1, 1.0, S.unsqueeze(-2).expand(*S.shape[:-1], n, n))
    others = spread.prod(-1) * phase.unsqueeze(-1)
    return matmul(U * _conj(others).unsqueeze(-2), Vh)


class LinalgSlogdetBackward0(Node):
    def __init__(self, A, sign):
        self.A = self.save(A)
        self.sign = self.save(sign, is_output=True)
        self.complex = A.is_complex()

    def backward(self, grad_sign, grad_logabsdet):
        A = self.A.unpack()
        if not self.complex:
            if grad_logabsdet is None:
                return None
            g = grad_logabsdet
        else:
            from .. import complex as make_complex
            from .creation import zeros_like

            sign = self.sign.unpack()
            re = grad_logabsdet if grad_logabsdet is not None else zeros_like(sign.real)
            im = -(_conj(grad_sign) * sign).imag if grad_sign is not None else zeros_like(re)
            g = make_complex(re, im)
        return linalg_solve(_mH(A), _diag_matrix(g, A.shape[-1]))


class LinalgSolveExBackward0(Node):
    def __init__(self, A, B, X, left):
        self.A = self.save(A)
        self.X = self.save(X, is_output=True) if A.requires_grad else None
        self.shapes = (tuple(A.shape), tuple(B.shape))
        self.vector = _is_vector_rhs(A._data, B._data)
        self.left = left

    def backward(self, grad, grad_info=None):
        need_a, need_b = self.needs_input_grad
        A = self.A.unpack()
        g = grad.unsqueeze(-1) if self.vector else grad
        gB = linalg_solve(_mH(A), g, left=self.left)
        gA = None
        if need_a:
            X = self.X.unpack()
            X = X.unsqueeze(-1) if self.vector else X
            gA = -matmul(gB, _mH(X)) if self.left else -matmul(_mH(X), gB)
            gA = sum_to_shape(gA, self.shapes[0])
        if need_b:
            gB = sum_to_shape(gB.squeeze(-1) if self.vector else gB, self.shapes[1])
        return gA, gB if need_b else None


def _is_vector_rhs(a, b):
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


class LinalgSolveTriangularBackward0(Node):
    def __init__(self, A, X, upper, left, unitriangular):
        self.A = self.save(A)
        self.X = self.save(X, is_output=True) if A.requires_grad else None
        self.upper, self.left, self.unitriangular = upper, left, unitriangular
        self.shapes = (tuple(A.shape), None)

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        A = self.A.unpack()
        gB = linalg_solve_triangular(_mH(A), grad, upper=not self.upper, left=self.left,
                                     unitriangular=self.unitriangular)
        gA = None
        if need_a:
            X_h = _mH(self.X.unpack())
            gA = -matmul(gB, X_h) if self.left else -matmul(X_h, gB)
            k = 1 if self.unitriangular else 0
            gA = sum_to_shape(gA.triu(k) if self.upper else gA.tril(-k), self.shapes[0])
        return gA, gB if need_b else None


class LinalgCholeskyExBackward0(Node):
    def __init__(self, L, upper):
        self.L = self.save(L, is_output=True)
        self.upper = upper

    def backward(self, grad, grad_info=None):
        L = self.L.unpack()
        if self.upper:
            L, grad = _mH(L), _mH(grad)
        # A = L L^H: the gradient of L, projected on what determines it, pulled back through L^-H ... L^-1
        gA = matmul(_mH(L), grad).tril()
        gA = (gA + _mH(gA.tril(-1))) * 0.5
        gA = linalg_solve_triangular(_mH(L), gA, upper=True)
        return linalg_solve_triangular(L, gA, upper=False, left=False)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    pass


class LinalgQrBackward0(Node):
    def __init__(self, Q, R, mode):
        self.Q = self.save(Q, is_output=True)
        self.R = self.save(R, is_output=True)
        self.mode = mode

    def backward(self, gQ, gR):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        Q, R = self.Q.unpack(), self.R.unpack()
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if gQ is not None:
            gA = -matmul(_mH(Q), gQ)
            if gR is not None:
                gA = gA + matmul(gR, _mH(R))
        else:
            gA = matmul(gR, _mH(R))
        if m >= n:
            upper = gA.triu()
            sym = upper + _mH(upper)
            sym = sym - (sym.diagonal(0, -2, -1).real * 0.5).diag_embed()
            gA = matmul(Q, sym)
            if gQ is not None:
                gA = gA + gQ
            return linalg_solve_triangular(_mH(R), gA, upper=False, left=False)
        from .. import cat
        from .creation import zeros

        X = -gA
        skew = (X - _mH(X)).tril()
        if skew.is_complex():
            skew = skew - (skew.diagonal(0, -2, -1).imag * 0.5j).diag_embed()
        gA = linalg_solve_triangular(_mH(R.narrow(-1, 0, m)), matmul(Q, skew), upper=False, left=False)
        gA = cat([gA, zeros(*gA.shape[:-1], n - m, dtype=gA.dtype)], -1)
        if gR is not None:
            gA = gA + matmul(Q, gR)
        return gA


class LinalgSvdBackward0(Node):
    def __init__(self, U, S, Vh, full_matrices):
        self.U = self.save(U, is_output=True)
        self.S = self.save(S, is_output=True)
        self.Vh = self.save(Vh, is_output=True)
        self.full_matrices = full_matrices

    def backward(self, gU, gS, gVh):
        U, S, Vh = self.U.unpack(), self.S.unpack(), self.Vh.unpack()
        if self.full_matrices:  # the extra columns of U and rows of Vh do not depend on A
            k = S.shape[-1]
            U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
            gU = gU.narrow(-1, 0, k) if gU is not None else None
            gVh = gVh.narrow(-2, 0, k) if gVh is not None else None
        return _svd_backward(gU, gS, gVh, U, S, Vh)


def _svd_backward(gU, gS, gVh, U, S, Vh):
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return matmul(U * gS.unsqueeze(-2), Vh) if gS is not None else None
    from .creation import ones_like

    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + ones_like(S).diag_embed()  # s_j^2 - s_i^2, ones on the diagonal
    if gU is not None:
        UhgU = matmul(_mH(U), gU)
        UhgU = UhgU - _mH(UhgU)
    if gVh is not None:
        VhgV = matmul(Vh, _mH(gVh))
        VhgV = VhgV - _mH(VhgV)
    if gU is not None and gVh is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        gA = (UhgU / E) * S.unsqueeze(-2)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + gS.diag_embed()
    if U.is_complex() and gU is not None:
        gA = gA + (UhgU.diagonal(0, -2, -1) / (S * 2)).diag_embed()
    if m > n and gU is not None:
        gA = matmul(U, gA)
        gU_over_S = gU / S.unsqueeze(-2)
        gA = gA + gU_over_S - matmul(U, matmul(_mH(U), gU_over_S))
        return matmul(gA, Vh)
    if m < n and gVh is not None:
        gA = matmul(gA, Vh)
        gVh_over_S = gVh / S.unsqueeze(-1)
        gA = gA + gVh_over_S - matmul(matmul(gVh_over_S, _mH(Vh)), Vh)
        return matmul(U, gA)
    return matmul(U, matmul(gA, Vh)) if m >= n else matmul(matmul(U, gA), Vh)


class LinalgEighBackward0(Node):
    def __init__(self, L, V):
        self.L = self.save(L, is_output=True)
        self.V = self.save(V, is_output=True)

    def backward(self, gL, gV):
        L, V = self.L.unpack(), self.V.unpack()
        Vh = _mH(V)
        if gV is None:
            return matmul(V * gL.unsqueeze(-2), Vh)
        from .creation import ones_like

        VhgV = matmul(Vh, gV)
        VhgV = (VhgV - _mH(VhgV)) * 0.5
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + ones_like(L).diag_embed()  # l_j - l_i, ones on the diagonal
        gA = VhgV / E
        if gL is not None:
            gA = gA - gA.diagonal(0, -2, -1).diag_embed() + gL.to(gA.dtype).diag_embed()
        return matmul(V, matmul(gA, Vh))


class LinalgPinvBackward0(Node):
    def __init__(self, A, pinv):
        self.A = self.save(A)
        self.pinv = self.save(pinv, is_output=True)

    def backward(self, grad):
        A, P = self.A.unpack(), self.pinv.unpack()
        m, n = A.shape[-2], A.shape[-1]
        P_h, grad_h = _mH(P), _mH(grad)
        if m <= n:
            K = matmul(grad_h, P)
            KP_h = matmul(K, P_h)
            return (-_mH(matmul(P, K)) + KP_h - matmul(matmul(A, P), KP_h)
                    + matmul(matmul(P_h, P), grad_h - matmul(K, A)))
        K = matmul(P, grad_h)
        P_hK = matmul(P_h, K)
        return (-_mH(matmul(K, P)) + matmul(matmul(grad_h - matmul(A, K), P), P_h) + P_hK
                - matmul(matmul(P_hK, P), A))


class LinalgMatrixExpBackward0(Node):
    def __init__(self, A):
        self.A = self.save(A)

    def backward(self, grad):
        from .. import cat
        from .creation import zeros_like

        # the Frechet derivative in direction G at A^H is the top-right block of exp([[A^H, G], [0, A^H]])
        A_h = _mH(self.A.unpack())
        n = A_h.shape[-1]
        block = cat([cat([A_h, grad], -1), cat([zeros_like(A_h), A_h], -1)], -2)
        return linalg_matrix_exp(block).narrow(-2, 0, n).narrow(-1, n, n)


class LinalgVectorNormBackward0(Node):
    def __init__(self, x, norm, ord, dims, keepdim):
        self.x = self.save(x)
        self.norm = self.save(norm, is_output=True) if ord not in (0, 1) else None
        self.ord, self.dims, self.keepdim = ord, dims, keepdim

    def backward(self, grad):
        g = self._input_grad(grad)
        x_dtype = self.x.unpack().dtype
        return g.to(x_dtype) if g is not None and g.dtype != x_dtype else g  # after a dtype= argument

    def _input_grad(self, grad):
        x = self.x.unpack()
        ord = self.ord
        if ord == 0:  # piecewise constant: PyTorch returns no gradient at all
            return None
        if not self.keepdim and self.dims:
            for d in sorted(self.dims):
                grad = grad.unsqueeze(d)
        if ord == 1:
            return x.sgn() * grad
        norm = self.norm.unpack()
        if not self.keepdim and self.dims:
            for d in sorted(self.dims):
                norm = norm.unsqueeze(d)
        if math.isinf(ord):
            absx = x.abs()
            ties = (absx == norm).logical_or(absx.isnan())
            return x.sgn() * ((grad / ties.sum(self.dims, keepdim=True)) * ties)
        if ord == 2:  # ATen's order of operations: a double backward at a zero norm gives its NaN too
            return grad * (x / norm).masked_fill(norm == 0, 0)
        if ord < 1:
            scaled = x.sgn() * x.abs().pow(ord - 1).masked_fill(x == 0, 0)
            return scaled * grad * norm.pow(1 - ord)
        scale = (grad / norm.pow(ord - 1)).masked_fill(norm == 0, 0)
        if ord < 2:
            return x.sgn() * x.abs().pow(ord - 1) * scale
        return x * x.abs().pow(ord - 2) * scale


# -------------------------------------------------------------------------------------------------------
# the product kernel and PyTorch's checks for each product


def _product(a, b):
    """np.matmul with PyTorch's half-precision opmath; always an ndarray."""
    if a.dtype in _HALF_TYPES:
        dt = a.dtype
        return np.asarray(np.matmul(a.astype(_F32), b.astype(_F32))).astype(dt)
    r = np.matmul(a, b)
    return r if type(r) is np.ndarray else np.asarray(r)


def _tensor_arg(fn, x, name, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x._data


def _not_implemented(kernel, dt):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_label(dt)}'")


def _check_dot(s1, s2, dt1, dt2):
    if len(s1) != 1 or len(s2) != 1:
        raise RuntimeError(f"1D tensors expected, but got {len(s1)}D and {len(s2)}D tensors")
    if dt1 != dt2:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_label(dt1)} and "
                           f"{_label(dt2)}")
    if s1[0] != s2[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{s1[0]}] and src [{s2[0]}] to have the same "
                           f"number of elements, but got {s1[0]} and {s2[0]} elements respectively")
    if dt1.kind == "b":
        raise _not_implemented("dot", dt1)


def _check_mm(s1, s2, dt1, dt2):
    if len(s1) != 2:
        raise RuntimeError("self must be a matrix")
    if len(s2) != 2:
        raise RuntimeError("mat2 must be a matrix")
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    if dt1 != dt2:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_ctype(dt1)} != {_ctype(dt2)}")
    if dt1.kind == "b":
        raise _not_implemented("addmm_impl_cpu_", dt1)


def _check_mv(s1, s2, dt1, dt2):
    if len(s1) != 2 or len(s2) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {len(s1)}, {len(s2)}")
    if s1[1] != s2[0]:
        raise RuntimeError(f"size mismatch, got input ({s1[0]}), mat ({s1[0]}x{s1[1]}), vec ({s2[0]})")
    if dt1 != dt2:  # mv allocates its result with the vector's dtype; addmv then sees three dtypes
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_label(dt2)}, {_label(dt1)}, "
                           f"and {_label(dt2)}")
    if dt1.kind == "b":
        raise _not_implemented("addmv_impl_cpu", dt1)


def _check_bmm(s1, s2, dt1, dt2):
    if len(s1) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(s2) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if s2[0] != s1[0] or s2[1] != s1[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] but "
                           f"got: [{s2[0]}, {s2[1]}].")
    if dt1.kind == "b":
        raise _not_implemented("bmm", dt1)
    if dt1 != dt2:
        raise RuntimeError(f"expected scalar type {_label(dt1)} but found {_label(dt2)}")


def _matmul_error(a, b, a_requires_grad=False, b_requires_grad=False):
    """Raise the error PyTorch's matmul gives for arrays NumPy refused (or that PyTorch refuses), following
    the path PyTorch's matmul takes (dot, mv, mm, folded mm/mv, or broadcast bmm)."""
    d1, d2 = a.ndim, b.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        _check_dot(a.shape, b.shape, a.dtype, b.dtype)
    elif d1 == 2 and d2 == 1:
        _check_mv(a.shape, b.shape, a.dtype, b.dtype)
    elif d1 == 1 and d2 == 2:
        _check_mm((1,) + a.shape, b.shape, a.dtype, b.dtype)
    elif d1 == 2 and d2 == 2:
        _check_mm(a.shape, b.shape, a.dtype, b.dtype)
    elif _should_fold(a, b, b_requires_grad if d1 >= d2 else a_requires_grad):
        # the larger operand is folded into a matrix; when it is the right one PyTorch works on transposes
        if d2 > d1:
            big, small, dt_big, dt_small = b.shape[:-2] + (b.shape[-1], b.shape[-2]), a.shape, b.dtype, a.dtype
        else:
            big, small, dt_big, dt_small = a.shape, b.shape, a.dtype, b.dtype
        folded = (math.prod(big[:-1]), big[-1])
        if len(small) == 2:
            _check_mm(folded, small if d1 >= d2 else (small[1], small[0]), dt_big, dt_small)
        else:
            _check_mv(folded, small, dt_big, dt_small)
    else:
        n = a.shape[-2] if d1 > 1 else 1
        p = b.shape[-1] if d2 > 1 else 1
        m2 = b.shape[-2] if d2 > 1 else b.shape[-1]
        batch1, batch2 = a.shape[:-2], b.shape[:-2]
        try:
            batch = np.broadcast_shapes(batch1, batch2)
        except ValueError:
            raise broadcast_error(batch1, batch2) from None
        count = math.prod(batch)
        _check_bmm((count, n, a.shape[-1]), (count, m2, p), a.dtype, b.dtype)
    raise RuntimeError(f"matmul: cannot multiply shapes {list(a.shape)} and {list(b.shape)}")  # not reached


def _should_fold(a, b, small_requires_grad):
    """PyTorch folds the batch dims of the larger operand into one matrix (mm/mv instead of bmm) when that
    needs no copy; which kernel runs decides the error message."""
    d1, d2 = a.ndim, b.ndim
    big = a if d1 >= d2 else np.swapaxes(b, -1, -2)
    if not (big.ndim >= 3 and min(d1, d2) <= 2):
        return False
    if small_requires_grad:
        return True
    if d1 == 2:
        return False
    if big.size == 0:
        return True
    shape, strides = big.shape, big.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.ndim - 2))


def _check_out_dtype(out, dt):
    if out is not None and out._data.dtype != dt:
        raise RuntimeError(f"Expected out tensor to have dtype {_ctype(dt)}, but got {_ctype(out._data.dtype)} "
                           "instead")


# -------------------------------------------------------------------------------------------------------
# products


@method("matmul", "__matmul__")
@autocast_op("lower")
def matmul(input, other, *, out=None):
    try:
        a, b = input._data, other._data
    except AttributeError:
        _tensor_arg("matmul", input, "input", 1)
        _tensor_arg("matmul", other, "other", 2)
    dt = a.dtype
    if dt not in _BLAS_TYPES or dt != b.dtype or not a.ndim or not b.ndim:  # rarer dtypes and errors
        if dt != b.dtype or dt.kind == "b" or not a.ndim or not b.ndim:
            _matmul_error(a, b, input.requires_grad, other.requires_grad)
        try:
            r = _product(a, b)
        except ValueError:
            _matmul_error(a, b, input.requires_grad, other.requires_grad)
    else:
        try:
            r = np.matmul(a, b)
        except ValueError:
            _matmul_error(a, b, input.requires_grad, other.requires_grad)
        if type(r) is not np.ndarray:
            r = np.asarray(r)
    if out is not None:
        _check_no_out_grad("matmul", out, input, other)
        _check_out_dtype(out, r.dtype)
        return finish_out(wrap(r), out)
    if needs_grad(input, other):
        return _matmul_graph(input, other, r)
    return wrap(r)


def _rmatmul(self, other):
    return matmul(other, self)


Tensor.__rmatmul__ = _rmatmul


@method()
@autocast_op("lower")
def mm(input, mat2, *, out=None):
    a = _tensor_arg("mm", input, "input", 1)
    b = _tensor_arg("mm", mat2, "mat2", 2)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or a.dtype != b.dtype or a.dtype.kind == "b":
        _check_mm(a.shape, b.shape, a.dtype, b.dtype)
    r = _product(a, b)
    if out is not None:
        _check_no_out_grad("mm", out, input, mat2)
        _check_out_dtype(out, r.dtype)
        return finish_out(wrap(r), out)
    if needs_grad(input, mat2):
        return _record_product(MmBackward0, input, mat2, r)
    return wrap(r)


@method()
@autocast_op("lower")
def bmm(input, mat2, *, out=None):
    a = _tensor_arg("bmm", input, "input", 1)
    b = _tensor_arg("bmm", mat2, "mat2", 2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1] or a.dtype != b.dtype \
            or a.dtype.kind == "b":
        _check_bmm(a.shape, b.shape, a.dtype, b.dtype)
    r = _product(a, b)
    if out is not None:
        _check_no_out_grad("bmm", out, input, mat2)
        _check_out_dtype(out, r.dtype)
        return finish_out(wrap(r), out)
    if needs_grad(input, mat2):
        return _record_product(BmmBackward0, input, mat2, r)
    return wrap(r)


@method()
def mv(input, vec, *, out=None):
    a = _tensor_arg("mv", input, "input", 1)
    b = _tensor_arg("mv", vec, "vec", 2)
    if a.ndim != 2 or b.ndim != 1 or a.shape[1] != b.shape[0] or a.dtype != b.dtype or a.dtype.kind == "b":
        _check_mv(a.shape, b.shape, a.dtype, b.dtype)
    if needs_grad(input, vec):
        _check_no_out_grad("mv", out, input, vec)
        return _record_product(MvBackward0, input, vec, _product(a, b))
    return finish_out(wrap(_product(a, b)), out)


@method()
def dot(input, tensor, *, out=None):
    a = _tensor_arg("dot", input, "input", 1)
    b = _tensor_arg("dot", tensor, "tensor", 2)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape or a.dtype != b.dtype or a.dtype.kind == "b":
        _check_dot(a.shape, b.shape, a.dtype, b.dtype)
    if needs_grad(input, tensor):
        _check_no_out_grad("dot", out, input, tensor)
        return _record_product(DotBackward0, input, tensor, _product(a, b))
    return finish_out(wrap(_product(a, b)), out)


@method()
def vdot(input, other, *, out=None):
    a = _tensor_arg("vdot", input, "input", 1)
    b = _tensor_arg("vdot", other, "other", 2)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape or a.dtype != b.dtype or a.dtype.kind == "b":
        _check_dot(a.shape, b.shape, a.dtype, b.dtype)
    r = _product(np.conj(a) if a.dtype.kind == "c" else a, b)
    if needs_grad(input, other):
        _check_no_out_grad("vdot", out, input, other)
        return _record_product(VdotBackward0, input, other, r)
    return finish_out(wrap(r), out)


@method()
def inner(input, other, *, out=None):
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input.mul(other, out=out) if out is not None else input.mul(other)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.dtype.kind == "b":
        raise _not_implemented("dot" if a.ndim == b.ndim == 1 else "addmm_impl_cpu_", a.dtype)
    if needs_grad(input, other):  # PyTorch's route: dot or tensordot over the last dims, then a view
        _check_no_out_grad("inner", out, input, other)
        if a.ndim == b.ndim == 1:
            d = dot(input, other)
            return _derive(ViewBackward0(()), d, d._data.reshape(()))
        return tensordot(input, other, dims=([-1], [-1]))
    # contract the last dims: one matmul on a as rows (..., k) and b as columns (k, ...)
    b2 = np.moveaxis(b, -1, 0).reshape(b.shape[-1], -1)
    r = _product(a.reshape(-1, a.shape[-1]), b2).reshape(a.shape[:-1] + b.shape[:-1])
    return finish_out(wrap(r), out)


@method("outer", "ger")
def outer(input, vec2, *, out=None):
    a, b = input._data, vec2._data
    if a.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D")
    if b.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    if needs_grad(input, vec2):  # PyTorch's route: a column view of input times vec2
        from .pointwise import mul

        _check_no_out_grad("outer", out, input, vec2)
        return mul(_reshape_graph(input, a, (a.shape[0], 1)), vec2)
    dt = promote_operands(input, vec2)._np
    r = np.multiply.outer(_opmath(a.astype(dt, copy=False)), _opmath(b.astype(dt, copy=False)))
    return finish_out(wrap(r.astype(dt, copy=False)), out)


ger = outer


def _opmath(arr):
    return arr.astype(_F32) if arr.dtype in _HALF_TYPES else arr


def _scalar_for(value, dt, name, integral_check):
    """beta/alpha taken into the result dtype, refusing what PyTorch refuses."""
    if integral_check:
        if dt.kind in "iu" and isinstance(value, float):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
        if dt.kind != "b" and isinstance(value, builtins.bool):
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    if isinstance(value, complex) and dt.kind != "c":
        raise RuntimeError(f"value cannot be converted to type {_ctype(dt)} without overflow")
    if dt.kind in "iub":
        return int(value) if dt.kind != "b" else builtins.bool(value)
    return value


def _expand_error(target, shape):
    for i in range(1, len(target) + 1):
        have = shape[-i] if i <= len(shape) else 1
        if have != 1 and have != target[-i]:
            return RuntimeError(f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                                f"({have}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                                f"{list(target)}.  Tensor sizes: {list(shape)}")
    return RuntimeError(f"The expanded size of the tensor must match the existing size. Target sizes: {list(target)}"
                        f".  Tensor sizes: {list(shape)}")


def _accumulate(prod, inp, beta, alpha, dt, integral_check=False):
    """beta * inp + alpha * prod in dtype `dt`, computed into `prod` (a fresh array, float32 for half types);
    beta == 0 ignores inp (NaN included), as PyTorch does."""
    target = prod.shape
    try:
        fits = inp.ndim <= len(target) and np.broadcast_shapes(inp.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise _expand_error(target, inp.shape)
    alpha = _scalar_for(alpha, dt, "alpha", integral_check)
    beta = _scalar_for(beta, dt, "beta", integral_check)
    if dt.kind == "b":
        r = np.logical_and(prod, alpha)
        return np.logical_or(r, np.logical_and(inp, beta)) if beta else r
    if alpha != 1:
        np.multiply(prod, alpha, out=prod)
    if beta != 0:
        term = _opmath(inp)
        np.add(prod, term if beta == 1 else term * beta, out=prod)
    return prod.astype(dt, copy=False)


def _product_opmath(a, b):
    """The product kept in float32 for half types (accumulation happens before rounding)."""
    if a.dtype in _HALF_TYPES:
        return np.asarray(np.matmul(a.astype(_F32), b.astype(_F32)))
    r = np.matmul(a, b)
    return r if type(r) is np.ndarray else np.asarray(r)


def _inplace(self, result):
    if self._data.shape != result._data.shape:
        raise RuntimeError(f"Bad in-place call: input tensor size {list(self._data.shape)} and output tensor size "
                           f"{list(result._data.shape)} should match")
    np.copyto(self._data, result._data, casting="unsafe")
    self._bump_version()
    return self


@method()
@autocast_op("lower")
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    a, b, c = mat1._data, mat2._data, input._data
    _check_mm(a.shape, b.shape, a.dtype, b.dtype)
    if c.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_label(c.dtype)} and {_label(b.dtype)}")
    r = wrap(_accumulate(_product_opmath(a, b), c, beta, alpha, a.dtype))
    return _record_addmm(AddmmBackward0, "addmm", r, out, input, mat1, mat2, beta, alpha)


@method()
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    a, b, c = mat._data, vec._data, input._data
    if a.ndim != 2 or b.ndim != 1 or c.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0] or (c.ndim == 1 and c.shape[0] not in (1, a.shape[0])):
        raise RuntimeError(f"size mismatch, got input ({c.shape[0] if c.ndim else 1}), mat ({a.shape[0]}x{a.shape[1]}),"
                           f" vec ({b.shape[0]})")
    if not a.dtype == b.dtype == c.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_label(c.dtype)}, "
                           f"{_label(a.dtype)}, and {_label(b.dtype)}")
    if a.dtype.kind == "b":
        raise _not_implemented("addmv_impl_cpu", a.dtype)
    r = wrap(_accumulate(_product_opmath(a, b), c, beta, alpha, a.dtype))
    return _record_addmm(AddmvBackward0, "addmv", r, out, input, mat, vec, beta, alpha)


@method()
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    a, b, c = vec1._data, vec2._data, input._data
    if a.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {a.ndim}-D")
    if b.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {b.ndim}-D")
    dt = promote_operands(input, vec1, vec2)._np
    prod = np.multiply.outer(_opmath(a.astype(dt, copy=False)), _opmath(b.astype(dt, copy=False)))
    if dt.kind == "b":
        prod = prod.astype(bool, copy=False)
    r = wrap(_accumulate(prod, c.astype(dt, copy=False), beta, alpha, dt, True))
    return _record_addmm(AddrBackward0, "addr", r, out, input, vec1, vec2, beta, alpha)


@method()
@autocast_op("lower")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    a, b, c = batch1._data, batch2._data, input._data
    if not a.dtype == b.dtype == c.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_ctype(c.dtype)}, batch1: {_ctype(a.dtype)}, "
                           f"batch2: {_ctype(b.dtype)}")
    _check_bmm(a.shape, b.shape, a.dtype, b.dtype)
    r = wrap(_accumulate(_product_opmath(a, b), c, beta, alpha, a.dtype))
    return _record_addmm(BaddbmmBackward0, "baddbmm", r, out, input, batch1, batch2, beta, alpha)


@method()
@autocast_op("lower")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    a, b, c = batch1._data, batch2._data, input._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and {b.shape[1]}x"
                           f"{b.shape[2]})")
    if c.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_label(c.dtype)} and {_label(b.dtype)}")
    _check_mm((1, 1), (1, 1), a.dtype, b.dtype)
    if a.dtype in _HALF_TYPES:  # PyTorch rounds after adding each batch's product: follow it to the bit
        result = _accumulate(np.zeros((a.shape[1], b.shape[2]), _F32), c, beta, alpha, a.dtype)
        for i in range(a.shape[0]):
            result = _accumulate(_product_opmath(a[i], b[i]), result, 1, alpha, a.dtype)
        return _record_addmm(AddbmmBackward0, "addbmm", wrap(result), out, input, batch1, batch2, beta, alpha)
    # the sum over the batch of a[i] @ b[i] is one product: (n, B*m) @ (B*m, p)
    count, n, m = a.shape
    rows = np.swapaxes(a, 0, 1).reshape(n, count * m)
    prod = _product_opmath(rows, b.reshape(count * m, b.shape[2]))
    r = wrap(_accumulate(prod, c, beta, alpha, a.dtype))
    return _record_addmm(AddbmmBackward0, "addbmm", r, out, input, batch1, batch2, beta, alpha)


def _record_addmm(node_cls, name, r, out, input, m1, m2, beta, alpha):
    if needs_grad(input, m1, m2):
        _check_no_out_grad(name, out, input, m1, m2)
        record(node_cls(input, m1, m2, beta, alpha), (input, m1, m2), r)
        return r
    return finish_out(r, out)


def _make_inplace(fn):
    def inplace(self, *args, **kwargs):
        if needs_grad(self, *args):
            src = prepare_inplace(self, *args)
            result = fn(src, *args, **kwargs)
            if self._data.shape != result._data.shape:
                _inplace(self, result)  # raises PyTorch's size message
            return commit_inplace(self, result)
        return _inplace(self, fn(self, *args, **kwargs))

    inplace.__name__ = fn.__name__ + "_"
    setattr(Tensor, inplace.__name__, inplace)
    return inplace


addmm_ = _make_inplace(addmm)
addmv_ = _make_inplace(addmv)
addr_ = _make_inplace(addr)
baddbmm_ = _make_inplace(baddbmm)
addbmm_ = _make_inplace(addbmm)


def chain_matmul(*matrices, out=None):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return finish_out(wrap(matrices[0]._data.copy()), out)
    return linalg_multi_dot(matrices, out=out)


# -------------------------------------------------------------------------------------------------------
# einsum, tensordot, kron, trace, cross


def einsum(*args):
    """einsum(equation, *operands) or einsum(op0, sublist0, op1, sublist1, ..., [out_sublist])."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], str):
        equation = args[0].replace(" ", "")
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    arrays = [op._data for op in operands]
    _check_einsum(equation, arrays)
    dt = arrays[0].dtype
    for arr in arrays[1:]:
        if arr.dtype != dt:
            raise RuntimeError(f"expected scalar type {_label(dt)} but found {_label(arr.dtype)}")
    if dt.kind == "b" and len(arrays) > 1:
        raise _not_implemented("bmm", dt)
    if len(arrays) == 1 and dt.kind in "biu" and _einsum_sums(equation):
        dt = np.dtype(np.int64)  # a sum over a single operand is torch.sum: integers accumulate in int64
        arrays = [arrays[0].astype(dt)]
    work = [_opmath(a) for a in arrays]
    r = wrap(np.asarray(np.einsum(equation, *work, optimize=len(work) > 1)).astype(dt, copy=False))
    if needs_grad(*operands):  # torch's graph: the same contraction composed of recorded ops
        return _einsum_graph(*_einsum_explicit(equation, arrays), operands)
    return r


def _einsum_sums(equation):
    """Whether a one-operand equation sums over some subscript."""
    lhs, arrow, rhs = equation.partition("->")
    letters = lhs.replace("...", "")
    kept = set(rhs) if arrow else {c for c in letters if letters.count(c) == 1}
    return bool(set(letters) - kept)


def _sublist_equation(args):
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def subs(sub):
        return "".join("..." if s is Ellipsis else letters[s] for s in sub)

    operands = args[0::2][: len(args) // 2]
    inputs = [subs(s) for s in args[1::2][: len(args) // 2]]
    equation = ",".join(inputs)
    if len(args) % 2:
        equation += "->" + subs(args[-1])
    return equation, operands


def _check_einsum(equation, arrays):
    """PyTorch's einsum messages for the common mistakes (NumPy's own are different)."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(arrays):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(arrays):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes = {}
    for k, (term, arr) in enumerate(zip(terms, arrays)):
        ellipsis = "..." in term
        letters = term.replace("...", "")
        if (len(letters) != arr.ndim and not ellipsis) or len(letters) > arr.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match "
                               f"the number of dimensions ({arr.ndim}) for operand {k}"
                               f"{'' if ellipsis else ' and no ellipsis was given'}")
        head, _, tail = term.partition("...")
        dims = list(zip(head, arr.shape[:len(head)])) + list(zip(tail, arr.shape[arr.ndim - len(tail):]))
        seen = {}
        for letter, size in dims:
            if letter in seen and seen[letter] != size:
                raise RuntimeError(f"einsum(): subscript {letter} is repeated for operand {k} but the sizes don't "
                                   f"match, {size} != {seen[letter]}")
            seen[letter] = size
            prev = sizes.get(letter)
            if prev is not None and size != prev and size != 1 and prev != 1:
                raise RuntimeError(f"einsum(): subscript {letter} has size {size} for operand {k} which does not "
                                   f"broadcast with previously seen size {prev}")
            if prev is None or prev == 1:
                sizes[letter] = size
    for letter in rhs.replace("...", ""):
        if arrow and letter not in sizes:
            raise RuntimeError(f"einsum(): output subscript {letter} does not appear in the equation for any input "
                               "operand")


def tensordot(a, b, dims=2, out=None):
    x, y = a._data, b._data
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > x.ndim or dims > y.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    for da, db in zip(dims_a, dims_b):
        if x.shape[da] != y.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {x.shape[da]} in dim {da} "
                               f"and second has size {y.shape[db]} in dim {db}")
    if x.dtype != y.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if x.dtype.kind == "b":
        raise _not_implemented("addmm_impl_cpu_", x.dtype)
    dims_a = [wrap_dim(d, x.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, y.ndim) for d in dims_b]
    # contraction as one matmul: free dims of a x contracted, contracted x free dims of b
    free_a = [d for d in range(x.ndim) if d not in dims_a]
    free_b = [d for d in range(y.ndim) if d not in dims_b]
    k = math.prod(x.shape[d] for d in dims_a)
    rows = math.prod(x.shape[d] for d in free_a)
    cols = math.prod(y.shape[d] for d in free_b)
    out_shape = [x.shape[d] for d in free_a] + [y.shape[d] for d in free_b]
    if needs_grad(a, b):  # PyTorch's route: permute and reshape each side, one mm, view the result
        _check_no_out_grad("tensordot", out, a, b)
        left = _reshape_graph(*_permuted(a, free_a + dims_a), (rows, k))
        right = _reshape_graph(*_permuted(b, dims_b + free_b), (k, cols))
        prod = mm(left, right)
        return _derive(ViewBackward0(prod.shape), prod, prod._data.reshape(out_shape))
    left = np.transpose(x, free_a + dims_a).reshape(rows, k)
    right = np.transpose(y, dims_b + free_b).reshape(k, cols)
    r = _product(left, right).reshape(out_shape)
    return finish_out(wrap(r), out)


def _permuted(t, perm):
    """(graph tensor, array) of t.permute(perm)."""
    arr = np.transpose(t._data, perm)
    return _derive(PermuteBackward0(perm), t, arr), arr


@method()
def kron(input, other, *, out=None):
    dt = promote_operands(input, other)._np
    x, y = input._data.astype(dt, copy=False), other._data.astype(dt, copy=False)
    n = max(x.ndim, y.ndim)
    x = x.reshape((1,) * (n - x.ndim) + x.shape)
    y = y.reshape((1,) * (n - y.ndim) + y.shape)
    # interleave: result[i*ys + j] = x[i] * y[j] on every axis, from one broadcast multiply
    if needs_grad(input, other):  # PyTorch's route: interleaved views multiplied, viewed as the result
        from .pointwise import mul

        _check_no_out_grad("kron", out, input, other)
        def interleaved(t, shape):  # ATen's _unsafe_view (torch refuses non-contiguous inputs here; ember copies)
            if t._data.flags.c_contiguous:
                return _derive(UnsafeViewBackward0(t._data.shape), t, t._data.reshape(shape))
            return _reshape_graph(t, t._data, shape)

        prod = mul(interleaved(input, [s for d in x.shape for s in (d, 1)]),
                   interleaved(other, [s for d in y.shape for s in (1, d)]))
        shape = tuple(a * b for a, b in zip(x.shape, y.shape))
        return _derive(UnsafeViewBackward0(prod.shape), prod, prod._data.reshape(shape))
    xe = x.reshape([s for d in x.shape for s in (d, 1)])
    ye = y.reshape([s for d in y.shape for s in (1, d)])
    r = (_opmath(xe) * _opmath(ye)).astype(dt, copy=False).reshape([a * b for a, b in zip(x.shape, y.shape)])
    return finish_out(wrap(r), out)


@method()
@autocast_op("fp32")
def trace(input):
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if a.dtype.kind == "b":
        raise _not_implemented("trace", a.dtype)
    d = np.diagonal(a)
    if a.dtype.kind in "iu":
        return wrap(np.asarray(d.sum(dtype=np.int64)))
    r = wrap(np.asarray(_opmath(d).sum()).astype(a.dtype))
    if needs_grad(input):
        record(TraceBackward0(a.shape, input.dtype), (input,), r)
    return r


@method()
def cross(input, other, dim=None, *, out=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = input._data.shape
        for i, s in enumerate(shape):
            if s == 3:
                dim = i
                break
        else:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim, out=out)


def linalg_cross(input, other, *, dim=-1, out=None):
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
                           f"{b.shape[d]}")
    broadcast_shapes(a.shape, b.shape)
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_label(a.dtype)} but found {_label(b.dtype)}")
    if a.dtype.kind == "b":
        raise _not_implemented("cross", a.dtype)
    x, y = np.moveaxis(_opmath(a), d, -1), np.moveaxis(_opmath(b), d, -1)
    x0, x1, x2 = x[..., 0], x[..., 1], x[..., 2]
    y0, y1, y2 = y[..., 0], y[..., 1], y[..., 2]
    r = np.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], axis=-1)
    r = wrap(np.moveaxis(r, -1, d).astype(a.dtype, copy=False))
    if needs_grad(input, other):
        _check_no_out_grad("linalg_cross", out, input, other)
        record(LinalgCrossBackward0(input, other, d), (input, other), r)
        return r
    return finish_out(r, out)


# -------------------------------------------------------------------------------------------------------
# checks shared by the decompositions


def _check_matrix(fn, a, square=True):
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")


def _check_float(fn, a, name="input"):
    if a.dtype.kind in "biu":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as {name}. Got {_label(a.dtype)}")
    if a.dtype in _HALF_TYPES:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_label(a.dtype)}")


def _square_float(fn, t):
    a = t._data
    _check_matrix(fn, a)
    _check_float(fn, a)
    return a


def _real_dtype(dt):
    return _REAL.get(dt, dt)


def _batch_prefix(info, index=None):
    """'(Batch element k): ' for batched inputs, as PyTorch prefixes its LAPACK errors."""
    return "" if info.ndim == 0 else f"(Batch element {index}): "


def _lu_zero_pivot(a):
    """For each matrix, 1 + the index of the first zero pivot of LU with partial pivoting (0 if none):
    LAPACK getrf's `info`, which PyTorch reports. Runs only once NumPy has found a singular matrix."""
    work = np.array(a.reshape((-1,) + a.shape[-2:]), copy=True)
    count, n = work.shape[0], work.shape[-1]
    info = np.zeros(count, np.int64)
    rows = np.arange(count)
    for k in range(n):
        pivot = k + np.argmax(np.abs(work[:, k:, k]), axis=1)
        top = work[rows, k].copy()
        work[rows, k] = work[rows, pivot]
        work[rows, pivot] = top
        diag = work[:, k, k]
        zero = diag == 0
        info[(info == 0) & zero] = k + 1
        factors = work[:, k + 1:, k] / np.where(zero, 1, diag)[:, None]
        factors[zero] = 0
        work[:, k + 1:, k:] -= factors[:, :, None] * work[:, None, k, k:]
    return info.reshape(a.shape[:-2])


def _cholesky_failure(a):
    """For each matrix, the order of the first leading minor that is not positive-definite (0 if none)."""
    work = a.reshape((-1,) + a.shape[-2:]).astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    count, n = work.shape[0], work.shape[-1]
    info = np.zeros(count, np.int64)
    lower = np.zeros_like(work)
    for k in range(n):
        d = work[:, k, k].real - np.sum(np.abs(lower[:, k, :k]) ** 2, axis=1)
        bad = ~(d > 0)
        info[(info == 0) & bad] = k + 1
        root = np.sqrt(np.where(bad, 1, d))
        lower[:, k, k] = root
        lower[:, k + 1:, k] = (work[:, k + 1:, k] - np.einsum("bij,bj->bi", lower[:, k + 1:, :k],
                                                               lower[:, k, :k].conj())) / root[:, None]
    return info.reshape(a.shape[:-2])


def _first_failure(info):
    flat = info.reshape(-1)
    index = int(np.argmax(flat != 0))
    return index, int(flat[index])


# -------------------------------------------------------------------------------------------------------
# torch.linalg


@autocast_op("fp32")
def linalg_inv(A, *, out=None):
    a = _square_float("linalg.inv", A)
    try:
        r = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        info = _lu_zero_pivot(a)
        index, element = _first_failure(info)
        raise LinAlgError(f"linalg.inv: {_batch_prefix(info, index)}The diagonal element {element} is zero, the "
                          "inversion could not be completed because the input matrix is singular.") from None
    return _record_one(lambda res: LinalgInvExBackward0(res), "linalg_inv", wrap(r), out, A)


def _record_one(make_node, name, result, out, *inputs):
    """Record the node make_node(result) for `result` computed from `inputs` (refusing out= under autograd)."""
    if needs_grad(*inputs):
        _check_no_out_grad(name, out, *inputs)
        record(make_node(result), inputs, result)
        return result
    return finish_out(result, out)


@autocast_op("fp32")
def linalg_inv_ex(A, *, check_errors=False, out=None):
    a = _square_float("linalg.inv_ex", A)
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        r = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        if check_errors:
            linalg_inv(A)
        info = _lu_zero_pivot(a).astype(np.int32)
        ok = info == 0
        r = np.full(a.shape, np.nan, a.dtype)
        if ok.any():
            r[ok] = np.linalg.inv(a[ok])
    result = _InvEx(wrap(r), wrap(np.asarray(info)))
    if needs_grad(A):
        record(LinalgInvExBackward0(result[0]), (A,), list(result))
    return result


@method("inverse")
@autocast_op("fp32")
def inverse(input, *, out=None):
    return linalg_inv(input, out=out)


def linalg_det(A, *, out=None):
    a = _square_float("linalg.det", A)
    return _record_one(lambda res: LinalgDetBackward0(A, res), "linalg_det", wrap(np.asarray(np.linalg.det(a))),
                       out, A)


@method()
def det(input):
    return linalg_det(input)


def linalg_slogdet(A, *, out=None):
    a = _square_float("linalg.slogdet", A)
    sign, logabs = np.linalg.slogdet(a)
    result = _Slogdet(wrap(np.asarray(sign)), wrap(np.asarray(logabs)))
    if needs_grad(A):
        record(LinalgSlogdetBackward0(A, result[0]), (A,), list(result))
    return result


@method()
def slogdet(input):
    sign, logabs = linalg_slogdet(input)
    return _SlogdetTop(sign, logabs)


@method()
def logdet(input):
    a = _square_float("linalg.slogdet", input)
    if needs_grad(input):  # PyTorch's route: slogdet, then NaN where the determinant is negative
        from .. import where

        sign, logabs = linalg_slogdet(input)
        if a.dtype.kind == "c":
            return sign.log() + logabs
        return where(sign == -1, math.nan, logabs)
    sign, logabs = np.linalg.slogdet(a)
    if a.dtype.kind == "c":
        r = np.log(sign) + logabs
    else:
        r = np.where(sign < 0, np.nan, logabs).astype(a.dtype)
    return wrap(np.asarray(r))


def _solve_arrays(fn, a, b, left=True):
    """np.linalg.solve with PyTorch's broadcasting: B is a (batch of) vector(s) when it is 1-D or has A's batch
    shape without the last dim."""
    if not left:
        return np.swapaxes(_solve_arrays(fn, np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rhs = b[..., None] if vector else b
    if rhs.shape[-2] != a.shape[-1]:
        shown = f"{rhs.shape[-2]}x{rhs.shape[-1]}"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {shown})")
    batch = broadcast_shapes(a.shape[:-2], rhs.shape[:-2])
    try:
        x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(rhs, batch + rhs.shape[-2:]))
    except np.linalg.LinAlgError:
        info = _lu_zero_pivot(np.broadcast_to(a, batch + a.shape[-2:]))
        index, _ = _first_failure(info)
        raise LinAlgError(f"torch.{fn}: {_batch_prefix(info, index)}The solver failed because the input matrix is "
                          "singular.") from None
    return x[..., 0] if vector else x


@autocast_op("fp32")
def linalg_solve(A, B, *, left=True, out=None):
    a = _square_float("linalg.solve", A)
    b = B._data
    _check_float("linalg.solve", b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_label(a.dtype)} and B of type {_label(b.dtype)} instead")
    if not left:
        if b.ndim < 2 or b.shape[-1] != a.shape[-2]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2] if b.ndim > 1 else 1}x{b.shape[-1]})")
    x = wrap(_solve_arrays("linalg.solve", a, b, left))
    return _record_one(lambda res: LinalgSolveExBackward0(A, B, res, left), "linalg_solve", x, out, A, B)


def linalg_solve_ex(A, B, *, left=True, check_errors=False, out=None):
    x = linalg_solve(A, B, left=left)
    return _SolveEx(x, wrap(np.zeros(A._data.shape[:-2], np.int32)))


def linalg_solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    a, b = A._data, B._data
    _check_matrix("linalg.solve_triangular", a)
    _check_float("linalg.solve_triangular", a)
    if b.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{_label(a.dtype)} and B of type {_label(b.dtype)} instead")
    tri = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        n = a.shape[-1]
        tri = tri.copy()
        tri[..., np.arange(n), np.arange(n)] = 1
    # no triangular solver in NumPy: a general solve on the triangle gives the same result
    x = wrap(_solve_arrays("linalg.solve_triangular", tri, b, left))
    return _record_one(lambda res: LinalgSolveTriangularBackward0(A, res, upper, left, unitriangular),
                       "linalg_solve_triangular", x, out, A, B)


@autocast_op("fp32")
def linalg_cholesky(A, *, upper=False, out=None, _name="linalg.cholesky", _node=None):
    a = _square_float(_name, A)
    try:
        low = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        info = _cholesky_failure(a)
        index, order = _first_failure(info)
        raise LinAlgError(f"{_name}: {_batch_prefix(info, index)}The factorization could not be completed because "
                          f"the input is not positive-definite (the leading minor of order {order} is not "
                          "positive-definite).") from None
    r = np.conj(np.swapaxes(low, -1, -2)) if upper else low
    node = _node or LinalgCholeskyExBackward0
    return _record_one(lambda res: node(res, upper), "linalg_cholesky", wrap(np.ascontiguousarray(r)), out, A)


@autocast_op("fp32")
def linalg_cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    a = _square_float("linalg.cholesky_ex", A)
    try:
        return _CholeskyEx(linalg_cholesky(A, upper=upper), wrap(np.zeros(a.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    info = _cholesky_failure(a).astype(np.int32)
    ok = info == 0
    r = np.zeros(a.shape, a.dtype)
    if ok.any():
        r[ok] = np.linalg.cholesky(a[ok])
    if upper:
        r = np.ascontiguousarray(np.conj(np.swapaxes(r, -1, -2)))
    result = _CholeskyEx(wrap(r), wrap(np.asarray(info)))
    if needs_grad(A):
        record(LinalgCholeskyExBackward0(result[0], upper), (A,), list(result))
    return result


@method()
def cholesky(input, upper=False, *, out=None):
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    _check_no_out_grad("cholesky", out, input)
    return finish_out(linalg_cholesky(input, upper=upper, _name="cholesky", _node=CholeskyBackward0), out)


@method()
class CholeskyInverseBackward0(Node):
    """(L L^H)^-1 from its factor: d/dL = -(G + G^H) applied on both sides of the inverse, times L."""

    def __init__(self, factor, result, upper):
        self.factor, self.result, self.upper = self.save(factor), self.save(result, is_output=True), upper

    def backward(self, grad):
        L, inverse = self.factor.unpack(), self.result.unpack()
        common = matmul(inverse, matmul(grad + _mH(grad), inverse))
        return -matmul(L, common) if self.upper else -matmul(common, L)


@autocast_op("fp32")
def cholesky_inverse(input, upper=False, *, out=None):
    factor = input._data
    _check_matrix("cholesky_inverse", factor)
    low = np.conj(np.swapaxes(factor, -1, -2)) if upper else factor
    inv_low = np.linalg.inv(low)
    result = wrap(np.conj(np.swapaxes(inv_low, -1, -2)) @ inv_low)
    if out is None and needs_grad(input):
        record(CholeskyInverseBackward0(input, result, upper), (input,), result)
    return finish_out(result, out)


@autocast_op("fp32")
def linalg_qr(A, mode="reduced", *, out=None):
    a = A._data
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix("linalg.qr", a, square=False)
    _check_float("linalg.qr", a)
    if mode == "r":
        result = _Qr(wrap(np.empty(0, a.dtype)), wrap(np.linalg.qr(a, mode="r")))
    else:
        q, r = np.linalg.qr(a, mode=mode)
        result = _Qr(wrap(q), wrap(r))
    if needs_grad(A):
        record(LinalgQrBackward0(result[0], result[1], mode), (A,), list(result))
    return result


@method()
@autocast_op("fp32")
def qr(input, some=True, *, out=None):
    q, r = linalg_qr(input, "reduced" if some else "complete")
    return _QrTop(q, r)


@autocast_op("fp32")
def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    a = A._data
    _check_matrix("linalg.svd", a, square=False)
    _check_float("linalg.svd", a)
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    result = _Svd(wrap(u), wrap(s), wrap(vh))
    if needs_grad(A):
        record(LinalgSvdBackward0(*result, full_matrices), (A,), list(result))
    return result


@method()
@autocast_op("fp32")
def svd(input, some=True, compute_uv=True, *, out=None):
    a = input._data
    _check_matrix("linalg.svd", a, square=False)
    _check_float("linalg.svd", a)
    if needs_grad(input):
        if not compute_uv:
            s = linalg_svdvals(input)
            zeros_u, _, zeros_v = svd(input.detach(), some, False)
            return _SvdTop(zeros_u, s, zeros_v)
        u, s, vh = linalg_svd(input, full_matrices=not some)
        if vh.is_complex():
            return _SvdTop(u, s, _mH(vh))
        return _SvdTop(u, s, _derive(TransposeBackward0(), vh, np.swapaxes(vh._data, -1, -2)))
    if not compute_uv:
        s = np.linalg.svd(a, compute_uv=False)
        m, n = a.shape[-2:]
        zeros_u = np.zeros(a.shape[:-2] + (m, m if not some else min(m, n)), a.dtype)
        zeros_v = np.zeros(a.shape[:-2] + (n, n if not some else min(m, n)), a.dtype)
        return _SvdTop(wrap(zeros_u), wrap(s), wrap(zeros_v))
    u, s, vh = np.linalg.svd(a, full_matrices=not some)
    return _SvdTop(wrap(u), wrap(s), wrap(np.conj(np.swapaxes(vh, -1, -2))))


@autocast_op("fp32")
def linalg_svdvals(A, *, driver=None, out=None):
    a = A._data
    _check_matrix("linalg.svdvals", a, square=False)
    _check_float("linalg.svdvals", a)
    if needs_grad(A):  # the singular vectors are needed for the gradient (PyTorch computes them too)
        _check_no_out_grad("linalg_svdvals", out, A)
        u, s, vh = (wrap(x) for x in np.linalg.svd(a, full_matrices=False))
        record(LinalgSvdBackward0(u, s, vh, False), (A,), [u, s, vh])
        return s
    return finish_out(wrap(np.linalg.svd(a, compute_uv=False)), out)


def _complex_dtype(dt):
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


class LinalgEigBackward0(Node):
    """A = V diag(L) V^-1 with unit-norm eigenvectors: the gradient is V^-H (diag(gL) + the part of V^H gV
    tangent to the normalisation, divided by conj(l_j - l_i)) V^H; its real part for a real A."""

    def __init__(self, L, V, real_input):
        self.L, self.V = self.save(L, is_output=True), self.save(V, is_output=True)
        self.real_input = real_input

    def backward(self, gL, gV):
        from .creation import ones_like
        from .pointwise import imag, real

        L, V = self.L.unpack(), self.V.unpack()
        Vh = _mH(V)
        if gV is None:
            gA = gL.diag_embed()
        else:
            VhgV = matmul(Vh, gV)
            diag = VhgV.diagonal(0, -2, -1)
            if not np.allclose(imag(diag)._data, 0, rtol=1e-2, atol=1e-2):
                raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                                   "multiplication by e^{i phi}. The specified loss function depends on this "
                                   "quantity, so it is ill-defined.")
            gA = VhgV - matmul(Vh, V * real(diag).unsqueeze(-2))
            Lc = L.conj()
            gA = gA / (Lc.unsqueeze(-2) - Lc.unsqueeze(-1) + ones_like(L).diag_embed())
            if gL is not None:
                gA = gA - gA.diagonal(0, -2, -1).diag_embed() + gL.diag_embed()
        gA = linalg_solve(Vh, matmul(gA, Vh))
        return real(gA) if self.real_input else gA


@autocast_op("fp32")
def linalg_eig(A, *, out=None):
    a = _square_float("linalg.eig", A)
    w, v = np.linalg.eig(a)
    ct = _complex_dtype(a.dtype)
    result = _Eig(wrap(w.astype(ct, copy=False)), wrap(v.astype(ct, copy=False)))
    if needs_grad(A):
        _check_no_out_grad("linalg_eig", out, A)
        record(LinalgEigBackward0(result[0], result[1], a.dtype.kind != "c"), (A,), list(result))
        return result
    if out is not None:
        return _Eig(*(finish_out(r, o) for r, o in zip(result, out)))
    return result


@autocast_op("fp32")
def linalg_eigvals(A, *, out=None):
    a = _square_float("linalg.eigvals", A)
    if needs_grad(A):  # the gradient needs the eigenvectors (PyTorch computes them too)
        _check_no_out_grad("linalg_eigvals", out, A)
        return linalg_eig(A)[0]
    return finish_out(wrap(np.linalg.eigvals(a).astype(_complex_dtype(a.dtype), copy=False)), out)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@autocast_op("fp32")
def linalg_eigh(A, UPLO="L", *, out=None):
    a = _square_float("linalg.eigh", A)
    _check_uplo(UPLO)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    result = _Eigh(wrap(w), wrap(v))
    if needs_grad(A):
        record(LinalgEighBackward0(*result), (A,), list(result))
    return result


@autocast_op("fp32")
def linalg_eigvalsh(A, UPLO="L", *, out=None):
    a = _square_float("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    if needs_grad(A):  # the eigenvectors are needed for the gradient (PyTorch computes them too)
        _check_no_out_grad("linalg_eigvalsh", out, A)
        return linalg_eigh(A, UPLO)[0]
    return finish_out(wrap(np.linalg.eigvalsh(a, UPLO=UPLO)), out)


# norms ---------------------------------------------------------------------------------------------------


def _norm_input(fn, x, dtype):
    a = x._data
    if dtype is not None:
        a = a.astype(dtype._np)
    if a.dtype.kind in "biu":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_label(a.dtype)}")
    return a


def _vector_norm_array(a, ord, axis, keepdim):
    """The vector norm of array `a` (float/complex, not half) over `axis` (None or tuple)."""
    absval = np.abs(a)
    if ord == 2:
        sq = absval * absval
        return np.sqrt(np.sum(sq, axis=axis, keepdims=keepdim))
    if ord == math.inf or ord == -math.inf:
        if absval.size == 0 and (axis is None or any(a.shape[d] == 0 for d in axis)):
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                               "operation does not have an identity")
        reduce = np.max if ord > 0 else np.min
        return reduce(absval, axis=axis, keepdims=keepdim)
    if ord == 0:
        return np.sum(absval != 0, axis=axis, keepdims=keepdim).astype(absval.dtype)
    if ord == 1:
        return np.sum(absval, axis=axis, keepdims=keepdim)
    if ord < 0 and absval.size == 0 and (axis is None or any(a.shape[d] == 0 for d in axis)):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    return np.sum(absval ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)


def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    a = _norm_input("linalg.vector_norm", x, dtype)
    out_dt = _real_dtype(a.dtype)
    if ord == 2 and dim is None and not keepdim and a.dtype in _BLAS_TYPES:
        flat = a.reshape(-1)  # the 2-norm of everything: one BLAS dot product
        r = np.sqrt(np.vdot(flat, flat).real if a.dtype.kind == "c" else np.dot(flat, flat))
        return _record_norm(wrap(np.asarray(r, dtype=out_dt)), out, x, ord, None, keepdim)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axis = tuple(wrap_dim(d, a.ndim) for d in dims) if dims else None
    else:
        axis = None
    if a.ndim == 0:
        axis = None
    if axis is None and keepdim:
        axis = tuple(range(a.ndim))
    work = _opmath(a)
    r = _vector_norm_array(work, ord, axis, keepdim)
    return _record_norm(wrap(np.asarray(r).astype(out_dt, copy=False)), out, x, ord, axis, keepdim)


def _record_norm(result, out, x, ord, axis, keepdim):
    if needs_grad(x):
        _check_no_out_grad("linalg_vector_norm", out, x)
        dims = tuple(range(x.ndim)) if axis is None else tuple(axis)
        record(LinalgVectorNormBackward0(x, result, ord, dims, keepdim), (x,), result)
        return result
    return finish_out(result, out)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def linalg_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    a = _norm_input("linalg.matrix_norm", A, dtype)
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord not in _MATRIX_ORDS:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = wrap_dim(dim[0], a.ndim), wrap_dim(dim[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    out_dt = _real_dtype(a.dtype)
    if needs_grad(A):
        _check_no_out_grad("linalg_matrix_norm", out, A)
        return _matrix_norm_graph(A, ord, d0, d1, keepdim, dtype)
    work = np.moveaxis(_opmath(a), (d0, d1), (-2, -1))
    if ord == "fro":
        absval = np.abs(work)
        r = np.sqrt(np.sum(absval * absval, axis=(-2, -1)))
    elif ord in ("nuc", 2, -2):
        s = np.linalg.svd(work, compute_uv=False)
        r = s.sum(-1) if ord == "nuc" else (s.max(-1) if ord == 2 else s.min(-1))
    else:
        # 1/-1: max/min column sums; inf/-inf: max/min row sums
        sums = np.abs(work).sum(axis=-2 if abs(ord) == 1 else -1)
        r = sums.max(-1) if ord > 0 else sums.min(-1)
    r = np.asarray(r)
    if keepdim:
        for d in sorted((d0, d1)):
            r = np.expand_dims(r, d)
    return finish_out(wrap(r.astype(out_dt, copy=False)), out)


def _matrix_norm_graph(A, ord, d0, d1, keepdim, dtype):
    """PyTorch's route: a vector norm over both dims (fro), reductions of the singular values (nuc, 2, -2), or
    a reduction of a vector 1-norm (1, -1, inf, -inf)."""
    if ord == "fro":
        return linalg_vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if dtype is not None:
        A = A.to(dtype)
    if ord in ("nuc", 2, -2):
        perm = [d for d in range(A.ndim) if d not in (d0, d1)] + [d0, d1]
        moved = _permuted(A, perm)[0]  # torch permutes even when the order stays
        s = linalg_svdvals(moved)
        if not keepdim:
            return s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        # PyTorch keeps the reduced dims at the end and permutes them back into place
        r = s.sum(-1, keepdim=True) if ord == "nuc" else (s.amax(-1, keepdim=True) if ord == 2 else
                                                         s.amin(-1, keepdim=True))
        return r.unsqueeze(-1).permute([perm.index(i) for i in range(A.ndim)])
    first, second = (d1, d0) if abs(ord) == math.inf else (d0, d1)
    if not keepdim and first < second:
        second -= 1
    sums = linalg_vector_norm(A, 1, first, keepdim)
    return sums.amax(second, keepdim) if ord > 0 else sums.amin(second, keepdim)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    a = A._data
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
        if len(dim) == 1:
            dim = dim[0]
    if isinstance(dim, int):
        return linalg_vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if dim is not None:
        if len(dim) != 2:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
        return linalg_matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return linalg_vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if a.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{a.ndim}D.")
    if a.ndim == 1:
        return linalg_vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)


@autocast_op("fp32")
def linalg_cond(A, p=None, *, out=None):
    a = A._data
    _check_matrix("linalg.cond", a, square=p not in (None, 2, -2))
    _check_float("linalg.cond", a)
    if needs_grad(A):  # ATen's composition, so that autograd records torch's graph
        _check_no_out_grad("linalg_cond", out, A)
        if p in (None, 2, -2):
            S = linalg_svdvals(A)
            first, last = S.narrow(-1, 0, 1), S.narrow(-1, -1, 1)
            return (first / last if p in (None, 2) else last / first).squeeze(-1)
        if p == "nuc":
            S = linalg_svdvals(A)
            return S.sum(-1) * S.reciprocal().sum(-1)
        inverse, info = linalg_inv_ex(A)
        inverse = inverse.masked_fill(wrap(np.asarray(info._data > 0)[..., None, None]), math.inf)
        product = linalg_matrix_norm(A, p) * linalg_matrix_norm(inverse, p)
        return product.nan_to_num(math.inf, math.inf, -math.inf)
    if p in (None, 2, -2):
        s = np.linalg.svd(a, compute_uv=False)
        r = s[..., 0] / s[..., -1] if p in (None, 2) else s[..., -1] / s[..., 0]
        return finish_out(wrap(np.asarray(r)), out)
    inv = np.linalg.inv(a)
    norm_a = linalg_matrix_norm(wrap(a), p)._data
    norm_inv = linalg_matrix_norm(wrap(inv), p)._data
    return finish_out(wrap(np.asarray(norm_a * norm_inv)), out)


# pseudo-inverse, rank, least squares -------------------------------------------------------------------


def _tolerances(a, atol, rtol, s_max):
    """max(atol, rtol * largest singular value), with PyTorch's defaults for rtol."""
    eps = np.finfo(_real_dtype(a.dtype)).eps
    atol_v = 0.0 if atol is None else (atol._data if isinstance(atol, Tensor) else atol)
    if rtol is None:
        rtol_v = 0.0 if (atol is not None and np.any(np.asarray(atol_v) > 0)) else eps * max(a.shape[-2:])
    else:
        rtol_v = rtol._data if isinstance(rtol, Tensor) else rtol
    rtol_v = np.asarray(rtol_v)
    atol_v = np.asarray(atol_v)
    if rtol_v.ndim:
        rtol_v = rtol_v[..., None]
    if atol_v.ndim:
        atol_v = atol_v[..., None]
    return np.maximum(atol_v, rtol_v * s_max)


def linalg_pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    a = A._data
    _check_matrix("linalg.pinv", a, square=False)
    _check_float("linalg.pinv", a)
    if rcond is not None:
        rtol = rcond
    if hermitian:
        w, v = np.linalg.eigh(a)
        absw = np.abs(w)
        tol = _tolerances(a, atol, rtol, absw.max(-1, keepdims=True) if w.shape[-1] else 0)
        inv_w = np.where(absw > tol, 1 / np.where(absw > tol, w, 1), 0).astype(w.dtype)
        r = (v * inv_w[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))
        return _record_one(lambda res: LinalgPinvBackward0(A, res), "linalg_pinv", wrap(r.astype(a.dtype, copy=False)),
                           out, A)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    tol = _tolerances(a, atol, rtol, s[..., :1] if s.shape[-1] else 0)
    inv_s = np.where(s > tol, 1 / np.where(s > tol, s, 1), 0).astype(s.dtype)
    r = np.conj(np.swapaxes(vh, -1, -2)) @ (inv_s[..., :, None] * np.conj(np.swapaxes(u, -1, -2)))
    return _record_one(lambda res: LinalgPinvBackward0(A, res), "linalg_pinv", wrap(r.astype(a.dtype, copy=False)),
                       out, A)


@method()
@autocast_op("fp32")
def pinverse(input, rcond=1e-15):
    return linalg_pinv(input, rtol=rcond)


@autocast_op("fp32")
def linalg_matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    a = A._data
    _check_matrix("linalg.matrix_rank", a, square=False)
    _check_float("linalg.matrix_rank", a)
    if tol is not None:
        atol, rtol = tol, 0.0
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
        s_max = s.max(-1, keepdims=True) if s.shape[-1] else 0
    else:
        s = np.linalg.svd(a, compute_uv=False)
        s_max = s[..., :1] if s.shape[-1] else 0
    tol_v = _tolerances(a, atol, rtol, s_max)
    return finish_out(wrap(np.asarray(np.sum(s > tol_v, axis=-1), dtype=np.int64)), out)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@autocast_op("fp32")
def linalg_lstsq(A, B, rcond=None, *, driver=None):
    a, b = A._data, B._data
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _check_float("torch.linalg.lstsq", a)
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_label(a.dtype)} and other's dtype {_label(b.dtype)}")
    vector = b.ndim == a.ndim - 1
    rhs = b[..., None] if vector else b
    m, n = a.shape[-2:]
    if rhs.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got {m} and "
                           f"{rhs.shape[-2]}")
    batch = broadcast_shapes(a.shape[:-2], rhs.shape[:-2])
    a_b = np.broadcast_to(a, batch + a.shape[-2:])
    rhs_b = np.broadcast_to(rhs, batch + rhs.shape[-2:])
    # minimum-norm solution through one batched SVD (what gelsy/gelsd/gelss return for any rank)
    u, s, vh = np.linalg.svd(a_b, full_matrices=False)
    eps = np.finfo(_real_dtype(a.dtype)).eps
    rc = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    tol = rc * (s[..., :1] if s.shape[-1] else 0)
    keep = s > tol
    inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(s.dtype)
    x = np.conj(np.swapaxes(vh, -1, -2)) @ (inv_s[..., :, None] * (np.conj(np.swapaxes(u, -1, -2)) @ rhs_b))
    x = x.astype(a.dtype, copy=False)
    rank = np.sum(keep, axis=-1).astype(np.int64)
    real = _real_dtype(a.dtype)
    if driver != "gelsy" and m > n and (driver == "gels" or np.all(rank == n)):
        residual = np.abs(a_b @ x - rhs_b)
        residuals = np.sum(residual * residual, axis=-2).astype(real)
    else:
        residuals = np.empty(0, real)
    rank_out = np.empty(0, np.int64) if driver == "gels" else rank
    svals = s.astype(real) if driver in ("gelsd", "gelss") else np.empty(0, real)
    solution = wrap(np.ascontiguousarray(x[..., 0] if vector else x))
    if needs_grad(A, B):
        record(LinalgLstsqBackward0(A, B), (A, B), solution)
    return _Lstsq(solution, wrap(np.asarray(residuals)), wrap(np.asarray(rank_out)), wrap(np.asarray(svals)))


class LinalgLstsqBackward0(Node):
    """The solution is pinv(A) @ B: its gradients are those of that composite (pinv has its own backward)."""

    def __init__(self, A, B):
        self.A, self.B = self.save(A), self.save(B)

    def backward(self, grad):
        from ..autograd import grad as autograd_grad
        from ..autograd.grad_mode import enable_grad, state

        A, B = self.A.unpack(), self.B.unpack()
        create_graph = state.enabled
        if not create_graph:
            A, B = A.detach().requires_grad_(), B.detach().requires_grad_()
        vector = B.dim() == A.dim() - 1
        with enable_grad():
            x = matmul(linalg_pinv(A), B.unsqueeze(-1) if vector else B)
            x = x.squeeze(-1) if vector else x
            needs = self.needs_input_grad
            targets = [t for t, need in zip((A, B), needs) if need]
            got = iter(autograd_grad(x, targets, grad, create_graph=create_graph, allow_unused=True))
        return tuple(next(got) if need else None for need in needs)


# powers, exponential, products of many -----------------------------------------------------------------


def linalg_matrix_power(A, n, *, out=None):
    a = A._data
    _check_matrix("linalg.matrix_power", a)
    if needs_grad(A) and a.dtype.kind in "fc":
        _check_no_out_grad("linalg_matrix_power", out, A)
        return _matrix_power_graph(A, n)
    if n < 0:
        a = linalg_inv(A)._data
        n = -n
    if n == 0:
        r = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        return finish_out(wrap(r), out)
    if n == 1:
        return finish_out(wrap(a.copy()), out)
    if a.dtype.kind == "b":
        raise _not_implemented("addmm_impl_cpu_" if a.ndim == 2 else "bmm", a.dtype)
    result, power = None, a
    while True:  # binary exponentiation: log2(n) batched products
        if n & 1:
            result = power if result is None else _product(result, power)
        n >>= 1
        if not n:
            break
        power = _product(power, power)
    return finish_out(wrap(result), out)


def _matrix_power_graph(A, n):
    """PyTorch's route: clone for n = 1, inverse first for n < 0, then matmuls by binary decomposition."""
    a = A._data
    if n == 0:
        from .creation import eye

        ident = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        cloned = _derive(CloneBackward0(), A, _stand_in(a.shape, a.dtype))
        result = wrap(ident)
        record(CopyBackwards(), (cloned, eye(1, dtype=A.dtype)), result)
        return result
    if n < 0:
        A, n = linalg_inv(A), -n
        if n == 1:
            return A
    if n == 1:
        return _derive(CloneBackward0(), A, A._data.copy())
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    result = power = None
    while n > 0:
        bit, n = n & 1, n >> 1
        power = A if power is None else matmul(power, power)
        if bit:
            result = power if result is None else matmul(result, power)
    return result


@method()
def matrix_power(input, n):
    return linalg_matrix_power(input, n)


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def linalg_matrix_exp(A):
    a = A._data
    _check_matrix("linalg.matrix_exp", a)
    if a.dtype.kind in "biu":
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{_label(a.dtype)}")
    dt = a.dtype
    work = a.astype(np.complex128 if dt.kind == "c" else np.float64)
    n = a.shape[-1]
    if a.size == 0:
        return wrap(a.copy())
    # scaling and squaring with the [13/13] Pade approximant (Higham 2005), each matrix scaled by its own 2^-s
    norm1 = np.abs(work).sum(-2).max(-1)
    steps = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / _THETA13))).astype(np.int64)
    steps = np.where(np.isfinite(norm1), steps, 0)
    x = work / (2.0 ** steps)[..., None, None]
    b = _PADE13
    ident = np.broadcast_to(np.eye(n), x.shape)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * ident)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(steps.max()) if steps.size else 0):
        squared = r @ r
        r = np.where((steps > k)[..., None, None], squared, r)
    result = wrap(r.astype(dt))
    if needs_grad(A):
        record(LinalgMatrixExpBackward0(A), (A,), result)
    return result


@method()
def matrix_exp(input):
    return linalg_matrix_exp(input)


def linalg_multi_dot(tensors, *, out=None):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    arrays = [t._data for t in tensors]
    last = len(arrays) - 1
    if arrays[0].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {arrays[0].ndim}D")
    if arrays[last].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {arrays[last].ndim}D")
    for i in range(1, last):
        if arrays[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {arrays[i].ndim}D")
    dt = arrays[0].dtype
    for i, arr in enumerate(arrays[1:], 1):
        if arr.dtype != dt:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {_ctype(dt)} and "
                               f"tensor {i} {_ctype(arr.dtype)}")
    mats = [arrays[0][None] if arrays[0].ndim == 1 else arrays[0]]
    mats += arrays[1:last]
    mats.append(arrays[last][:, None] if arrays[last].ndim == 1 else arrays[last])
    for i in range(last):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                               f"{list(mats[i + 1].shape)} cannot be multiplied")
    if dt.kind == "b":
        raise _not_implemented("addmm_impl_cpu_", dt)
    if needs_grad(*tensors):
        _check_no_out_grad("linalg_multi_dot", out, *tensors)
        return _multi_dot_graph(tensors)
    r = np.linalg.multi_dot([_opmath(m) for m in mats]).astype(dt, copy=False)
    shape = [s for s, keep in ((r.shape[0], arrays[0].ndim == 2), (r.shape[1], arrays[last].ndim == 2)) if keep]
    return finish_out(wrap(np.asarray(r.reshape(shape))), out)


def _multi_dot_graph(tensors):
    """A chain of mm (the cheaper order for three matrices, left to right otherwise), viewed as the result."""
    first, last = tensors[0], tensors[-1]
    mats = list(tensors)
    if first.ndim == 1:
        mats[0] = _derive(UnsqueezeBackward0(first.shape), first, first._data[None])
    if last.ndim == 1:
        mats[-1] = _derive(UnsqueezeBackward0(last.shape), last, last._data[:, None])
    if len(mats) == 3:
        (a, b), c = mats[0].shape, mats[2].shape[1]
        k = mats[1].shape[1]
        if a * b * k + a * k * c > b * k * c + a * b * c:  # A(BC) is cheaper
            prod = mm(mats[0], mm(mats[1], mats[2]))
        else:
            prod = mm(mm(mats[0], mats[1]), mats[2])
    else:
        prod = mats[0]
        for m in mats[1:]:
            prod = mm(prod, m)
    shape = [s for s, keep in ((prod.shape[0], first.ndim == 2), (prod.shape[1], last.ndim == 2)) if keep]
    return _derive(ViewBackward0(prod.shape), prod, prod._data.reshape(shape))


@autocast_op("lower")
def linalg_vecdot(x, y, *, dim=-1, out=None):
    a, b = x._data, y._data
    if a.dtype.kind in "biu":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                           f"{_label(a.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_label(a.dtype)} and y of type {_label(b.dtype)} instead")
    shape = broadcast_shapes(a.shape, b.shape)
    d = wrap_dim(dim, len(shape))
    if needs_grad(x, y):  # PyTorch's route: conj(x) * y summed over dim
        from .pointwise import mul

        _check_no_out_grad("linalg_vecdot", out, x, y)
        return mul(_conj(x), y).sum(d - len(shape))
    xa = np.conj(a) if a.dtype.kind == "c" else a
    r = np.sum(_opmath(xa) * _opmath(b), axis=d - len(shape))
    return finish_out(wrap(np.asarray(r).astype(a.dtype, copy=False)), out)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    a = A._data
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if needs_grad(A):
        return A.diagonal(offset, d1, d2)
    return view_of(A, np.diagonal(a, offset, d1, d2))


@autocast_op("fp32")
def linalg_householder_product(A, tau, *, out=None):
    """Q from Householder reflectors (LAPACK orgqr): H_1 H_2 ... H_k applied to the first n columns of I."""
    a, t = A._data, tau._data
    m, n = a.shape[-2:]
    k = t.shape[-1]
    q = np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape).copy()
    rows = np.arange(m)
    for i in range(k - 1, -1, -1):  # k reflectors, each one batched rank-1 update
        v = np.where(rows > i, a[..., :, i], 0).astype(a.dtype)
        v[..., i] = 1
        w = np.einsum("...i,...ij->...j", np.conj(v), q)
        q -= t[..., i, None, None] * v[..., :, None] * w[..., None, :]
    result = wrap(q)
    if needs_grad(A, tau):
        _check_no_out_grad("linalg_householder_product", out, A, tau)
        record(LinalgHouseholderProductBackward0(A, tau), (A, tau), result)
        return result
    return finish_out(result, out)


class LinalgHouseholderProductBackward0(Node):
    """Q = H_0 ... H_{k-1} E with H_i = I - tau_i v_i v_i^H: the reflections are replayed with recordable ops
    to get each one's input, then undone one at a time from H_0 (reverse-mode through the product), so the
    gradient is itself differentiable."""

    def __init__(self, A, tau):
        self.A, self.tau = self.save(A), self.save(tau)

    def backward(self, grad):
        from .creation import eye
        from .shape import cat, stack

        A, tau = self.A.unpack(), self.tau.unpack()
        m, n = A.shape[-2:]
        k = tau.shape[-1]
        V = A.narrow(-1, 0, k).tril(-1) + eye(m, k, dtype=A.dtype)  # v_i: ones on the diagonal, A below it
        vs = [V.narrow(-1, i, 1) for i in range(k)]
        taus = [tau.narrow(-1, i, 1).unsqueeze(-1) for i in range(k)]
        inputs = [None] * (k + 1)  # inputs[i]: what H_i is applied to
        Q = eye(m, n, dtype=A.dtype).expand(*A.shape[:-2], m, n)
        inputs[k] = Q
        for i in range(k - 1, 0, -1):
            Q = Q - taus[i] * matmul(vs[i], matmul(_mH(vs[i]), Q))
            inputs[i] = Q
        G = grad
        g_vs, g_taus = [], []
        for i in range(k):
            v, Qin = vs[i], inputs[i + 1]
            w = matmul(_mH(v), Qin)
            P = matmul(v, w)
            g_taus.append(-(_conj(P) * G).sum((-2, -1)))
            gP = -_conj(taus[i]) * G
            g_w = matmul(_mH(v), gP)
            g_vs.append(matmul(gP, _mH(w)) + matmul(Qin, _mH(g_w)))
            G = G + matmul(v, g_w)
        need_A, need_tau = self.needs_input_grad
        gA = gtau = None
        if need_A:
            gA = cat(g_vs, -1).tril(-1)
            if n > k:
                from .creation import zeros

                gA = cat([gA, zeros(*A.shape[:-1], n - k, dtype=gA.dtype)], -1)
            gA = sum_to_shape(gA, A.shape)
        if need_tau:
            gtau = sum_to_shape(stack(g_taus, -1), tau.shape)
        return gA, gtau


@autocast_op("fp32")
def linalg_tensorinv(A, ind=2, *, out=None):
    a = A._data
    rows = math.prod(a.shape[:ind])
    cols = math.prod(a.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    inv = linalg_inv(wrap(a.reshape(rows, cols)))._data
    return finish_out(wrap(inv.reshape(a.shape[ind:] + a.shape[:ind])), out)


@autocast_op("fp32")
def linalg_tensorsolve(A, B, dims=None, *, out=None):
    a, b = A._data, B._data
    if dims is not None:
        dims = [wrap_dim(d, a.ndim) for d in dims]
        rest = [d for d in range(a.ndim) if d not in dims]
        a = np.transpose(a, rest + dims)
    rows = b.size
    sol_shape = a.shape[b.ndim:]
    x = linalg_solve(wrap(np.ascontiguousarray(a).reshape(rows, -1)), wrap(b.reshape(rows)))._data
    return finish_out(wrap(x.reshape(sol_shape)), out)


# -------------------------------------------------------------------------------------------------------
# LU: NumPy has no LU, so partial pivoting is written here, a Python loop over the k = min(m, n) columns with
# each step vectorised over the batch and the trailing block (LAPACK's getf2 order: pivot on the first largest
# |a| -- |re| + |im| for complex, as izamax -- swap whole rows, scale the column, rank-1 update).

_LuFactor = _return_type("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_Lu = _return_type("linalg_lu", ("P", "L", "U"))
_LuUnpack = _return_type("lu_unpack", ("P", "L", "U"))


_LU_BLOCK = 32


def _lu_arrays(a):
    """(LU packed, 1-based int32 pivots, int32 info) of a (..., m, n) float or complex array.

    Blocked right-looking LU (LAPACK's getrf): each panel of _LU_BLOCK columns is factored column by column,
    its row swaps applied to whole rows; then the panel's rows right of it are solved against its unit lower
    triangle and the trailing block takes one matrix product, so the O(n^3) work runs in BLAS."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = np.array(a.reshape((-1, m, n)), copy=True)
    count = lu.shape[0]
    pivots = np.empty((count, k), np.int32)
    info = np.zeros(count, np.int32)
    rows = np.arange(count)
    for start in range(0, k, _LU_BLOCK):
        end = min(start + _LU_BLOCK, k)
        for j in range(start, end):
            column = lu[:, j:, j]
            size = np.abs(column.real) + np.abs(column.imag) if lu.dtype.kind == "c" else np.abs(column)
            p = np.argmax(size, axis=1) + j
            pivots[:, j] = p + 1
            swap = p != j
            if swap.any():
                b, pb = rows[swap], p[swap]
                top = lu[b, j, :].copy()
                lu[b, j, :] = lu[b, pb, :]
                lu[b, pb, :] = top
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            if j + 1 < m:
                lu[:, j + 1:, j] /= np.where(zero, 1, pivot)[:, None]  # a zero pivot has a zero column below it
                lu[:, j + 1:, j + 1:end] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:end]  # within the panel
        if end < n:
            # the panel's rows to its right, once all its swaps are done: U12 = L11^-1 A12 by forward substitution
            for j in range(start, end - 1):
                lu[:, j + 1:end, end:] -= lu[:, j + 1:end, j, None] * lu[:, j, None, end:]
            if end < m:
                # contiguous operands: NumPy's matmul leaves BLAS for strided views
                lu[:, end:, end:] -= np.ascontiguousarray(lu[:, end:, start:end]) @ np.ascontiguousarray(
                    lu[:, start:end, end:])
    batch = a.shape[:-2]
    return lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch)


def _permutation(pivots, m, dtype):
    """P with A = P L U, from LAPACK's 1-based row swaps."""
    batch, k = pivots.shape[:-1], pivots.shape[-1]
    piv = pivots.reshape(-1, k).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(m), (piv.shape[0], m)).copy()
    rows = np.arange(piv.shape[0])
    for j in range(k):
        target = piv[:, j]
        here = perm[:, j].copy()
        perm[:, j] = perm[rows, target]
        perm[rows, target] = here
    p = np.zeros((piv.shape[0], m, m), dtype)
    p[rows[:, None], perm, np.arange(m)[None, :]] = 1  # row perm[i] of A is row i of P^T A
    return p.reshape(batch + (m, m))


def _unpack_arrays(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1)
    low[..., np.arange(k), np.arange(k)] = 1
    return low, np.triu(lu[..., :k, :])


def _unpack_tensors(LU):
    """L and U from the packed factors with recordable ops (backward formulas that must be differentiable)."""
    from .creation import eye

    m, n = LU.shape[-2:]
    k = min(m, n)
    low = LU.narrow(-1, 0, k).tril(-1) + eye(m, k, dtype=LU.dtype)
    return low, LU.narrow(-2, 0, k).triu()


def _lu_input(fn, A, pivot):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} instead")
    if a.dtype.kind in "biu" or a.dtype in _HALF_TYPES:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_label(a.dtype)}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return a


def _lu_grad(gL, gU, P, L, U):
    """Gradient of A = P L U from those of L and U: pulled back through L^-H (.) U^-H; a wide A's extra columns
    of U and a tall A's extra rows of L pass through one triangular solve each."""
    from .creation import zeros_like
    from .shape import cat

    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    gL = zeros_like(L) if gL is None else gL
    gU = zeros_like(U) if gU is None else gU
    if m <= n:
        U1, gU1 = U.narrow(-1, 0, k), gU.narrow(-1, 0, k)
        inner = matmul(_mH(L), gL)
        if m < n:
            U2, gU2 = U.narrow(-1, k, n - k), gU.narrow(-1, k, n - k)
            inner = inner - matmul(gU2, _mH(U2))
        gR = inner.tril(-1) + matmul(gU1, _mH(U1)).triu()
        gA = linalg_solve_triangular(_mH(L), gR, upper=True, unitriangular=True)
        gA = linalg_solve_triangular(_mH(U1), gA, upper=False, left=False)
        if m < n:
            gA = cat([gA, linalg_solve_triangular(_mH(L), gU2, upper=True, unitriangular=True)], -1)
        return matmul(P, gA)
    L1, gL1 = L.narrow(-2, 0, k), gL.narrow(-2, 0, k)
    L2, gL2 = L.narrow(-2, k, m - k), gL.narrow(-2, k, m - k)
    gR = matmul(_mH(L1), gL1).tril(-1) + (matmul(gU, _mH(U)) - matmul(_mH(L2), gL2)).triu()
    gA = linalg_solve_triangular(_mH(L1), gR, upper=True, unitriangular=True)
    gA = linalg_solve_triangular(_mH(U), gA, upper=False, left=False)
    gA2 = linalg_solve_triangular(_mH(U), gL2, upper=False, left=False)
    return matmul(P, cat([gA, gA2], -2))


class LinalgLuBackward0(Node):
    def __init__(self, P, L, U):
        self.P, self.L, self.U = P, self.save(L, is_output=True), self.save(U, is_output=True)

    def backward(self, gP, gL, gU):
        return _lu_grad(gL, gU, self.P, self.L.unpack(), self.U.unpack())


def linalg_lu(A, *, pivot=True, out=None):
    a = _lu_input("linalg.lu", A, pivot)
    lu, pivots, _ = _lu_arrays(a)
    low, up = _unpack_arrays(lu)
    result = _Lu(wrap(_permutation(pivots, a.shape[-2], a.dtype)), wrap(low), wrap(up))
    if needs_grad(A):
        _check_no_out_grad("linalg_lu", out, A)
        record(LinalgLuBackward0(result.P, result.L, result.U), (A,), [None, result.L, result.U])
        return result
    if out is not None:
        return _Lu(*(finish_out(r, o) for r, o in zip(result, out)))
    return result


class LinalgLuFactorExBackward0(Node):
    def __init__(self, LU, pivots):
        self.LU, self.pivots = self.save(LU, is_output=True), pivots

    def backward(self, gLU, gpivots=None, ginfo=None):
        LU = self.LU.unpack()
        m, n = LU.shape[-2:]
        k = min(m, n)
        low, up = _unpack_tensors(LU)
        P = wrap(_permutation(self.pivots, m, LU._data.dtype))
        return _lu_grad(gLU.narrow(-1, 0, k).tril(-1), gLU.narrow(-2, 0, k).triu(), P, low, up)


def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    a = _lu_input("linalg.lu_factor_ex", A, pivot)
    lu, pivots, info = _lu_arrays(a)
    if check_errors and info.any():
        index, element = _first_failure(info)
        raise LinAlgError(f"torch.linalg.lu_factor_ex: {_batch_prefix(info, index)}U[{element},{element}] is zero "
                          "and using it on lu_solve would result in a division by zero. If you still want to "
                          "perform the factorization, consider calling linalg.lu(A, pivot) or "
                          "linalg.lu_factor_ex(A, pivot)")
    result = _LuFactorEx(wrap(lu), wrap(pivots), wrap(info))
    if needs_grad(A):
        _check_no_out_grad("linalg_lu_factor_ex", out, A)
        record(LinalgLuFactorExBackward0(result.LU, pivots), (A,), list(result))
        return result
    if out is not None:
        return _LuFactorEx(*(finish_out(r, o) for r, o in zip(result, out)))
    return result


def linalg_lu_factor(A, *, pivot=True, out=None):
    _lu_input("linalg.lu_factor", A, pivot)
    LU, pivots, info = linalg_lu_factor_ex(A, pivot=pivot)
    if info._data.any():
        index, element = _first_failure(info._data)
        raise LinAlgError(f"torch.linalg.lu_factor: {_batch_prefix(info._data, index)}U[{element},{element}] is "
                          "zero and using it on lu_solve would result in a division by zero. If you still want to "
                          "perform the factorization, consider calling linalg.lu(A, pivot) or "
                          "linalg.lu_factor_ex(A, pivot)")
    if out is not None:
        _check_no_out_grad("linalg_lu_factor", out, A)
        return _LuFactor(finish_out(LU, out[0]), finish_out(pivots, out[1]))
    return _LuFactor(LU, pivots)


@method()
def lu(self, pivot=True, get_infos=False):
    LU, pivots, info = linalg_lu_factor_ex(self, pivot=pivot)
    return (LU, pivots, info) if get_infos else (LU, pivots)


class LuUnpackBackward0(Node):
    def __init__(self, shape):
        self.shape = shape

    def backward(self, gP, gL, gU):
        from .creation import zeros
        from .shape import cat

        m, n = self.shape[-2:]
        k = min(m, n)
        batch = self.shape[:-2]
        dtype = (gL if gL is not None else gU).dtype
        parts = []
        if gL is not None:
            low = gL.tril(-1)
            parts.append(cat([low, zeros(*batch, m, n - k, dtype=dtype)], -1) if n > k else low)
        if gU is not None:
            up = gU.triu()
            parts.append(cat([up, zeros(*batch, m - k, n, dtype=dtype)], -2) if m > k else up)
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    lu = LU_data._data
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")
    empty = np.empty(0, lu.dtype)
    low, up = _unpack_arrays(lu) if unpack_data else (empty, empty)
    P = wrap(_permutation(LU_pivots._data, lu.shape[-2], lu.dtype) if unpack_pivots else empty)
    result = _LuUnpack(P, wrap(low), wrap(up))
    if unpack_data and needs_grad(LU_data):
        _check_no_out_grad("lu_unpack", out, LU_data)
        record(LuUnpackBackward0(lu.shape), (LU_data,), [None, result.L, result.U])
        return result
    if out is not None:
        return _LuUnpack(*(finish_out(r, o) for r, o in zip(result, out)))
    return result


def _lu_solve_arrays(lu, pivots, b, left, adjoint):
    low, up = _unpack_arrays(lu)
    a = _permutation(pivots, lu.shape[-2], lu.dtype) @ low @ up
    if adjoint:
        a = np.conj(np.swapaxes(a, -1, -2))
    return _solve_arrays("linalg.lu_solve", a, b, left)


class LinalgLuSolveBackward0(Node):
    """X = op(A)^-1 B (or B op(A)^-1) with A = P L U: B's gradient is a solve with the adjoint, A's the outer
    product with X, carried to the packed factors as lu_factor's backward takes them."""

    def __init__(self, LU, pivots, X, left, adjoint):
        self.LU, self.pivots = self.save(LU), pivots
        self.X, self.left, self.adjoint = self.save(X, is_output=True), left, adjoint

    def backward(self, grad):
        LU, X, pivots = self.LU.unpack(), self.X.unpack(), self.pivots
        left, adjoint = self.left, self.adjoint
        gB = linalg_lu_solve(LU, pivots, grad, left=left, adjoint=not adjoint)
        need_lu, need_b = self.needs_input_grad
        gLU = None
        if need_lu:
            if left:
                gA = -matmul(X, _mH(gB)) if adjoint else -matmul(gB, _mH(X))
            else:
                gA = -matmul(_mH(gB), X) if adjoint else -matmul(_mH(X), gB)
            low, up = _unpack_tensors(LU)
            PtgA = matmul(wrap(np.swapaxes(_permutation(pivots._data, LU.shape[-2], LU._data.dtype), -1, -2)), gA)
            gLU = sum_to_shape(matmul(PtgA, _mH(up)).tril(-1) + matmul(_mH(low), PtgA).triu(), LU.shape)
        return gLU, sum_to_shape(gB, self.b_shape) if need_b else None


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    lu, b = LU._data, B._data
    if b.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    _check_matrix("torch.linalg.lu_solve", lu)
    if lu.dtype != b.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_label(lu.dtype)} and B of type {_label(b.dtype)} instead")
    n = lu.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        rows, cols = b.shape[-2:]
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    x = wrap(np.ascontiguousarray(_lu_solve_arrays(lu, pivots._data, b, left, adjoint)))
    if needs_grad(LU, B):
        _check_no_out_grad("linalg_lu_solve", out, LU, B)
        node = LinalgLuSolveBackward0(LU, pivots, x, left, adjoint)
        node.b_shape = b.shape
        record(node, (LU, B), x)
        return x
    return finish_out(x, out)


@method()
@autocast_op("fp32")
def lu_solve(self, LU_data, LU_pivots, *, out=None):
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solve and will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    return linalg_lu_solve(LU_data, LU_pivots, self, out=out)


class CholeskySolveBackward0(Node):
    def __init__(self, factor, X, upper):
        self.factor, self.X, self.upper = self.save(factor), self.save(X, is_output=True), upper

    def backward(self, grad):
        factor, X = self.factor.unpack(), self.X.unpack()
        gB = cholesky_solve(grad, factor, self.upper)
        need_b, need_factor = self.needs_input_grad
        g_factor = None
        if need_factor:
            common = matmul(gB, _mH(X))
            common = common + _mH(common)
            g_factor = sum_to_shape(-matmul(factor, common) if self.upper else -matmul(common, factor),
                                    factor.shape)
        return sum_to_shape(gB, self.b_shape) if need_b else None, g_factor


@method()
@autocast_op("fp32")
def cholesky_solve(input, input2, upper=False, *, out=None):
    b, factor = input._data, input2._data
    if b.dtype != factor.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_label(b.dtype)} and A of "
                           f"type {_label(factor.dtype)} instead.")
    _check_matrix("cholesky_solve", factor)
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead")
    a = np.conj(np.swapaxes(factor, -1, -2)) @ factor if upper else factor @ np.conj(np.swapaxes(factor, -1, -2))
    x = wrap(np.ascontiguousarray(_solve_arrays("cholesky_solve", a, b)))
    if needs_grad(input, input2):
        _check_no_out_grad("cholesky_solve", out, input, input2)
        node = CholeskySolveBackward0(input2, x, upper)
        node.b_shape = b.shape
        record(node, (input, input2), x)
        return x
    return finish_out(x, out)
