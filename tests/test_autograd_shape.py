"""Autograd of the shape/view family and of the Tensor methods that concern autograd (clone, to, copy_, fill_,
real/imag, grad/data setters), compared with torch: grad_fn names, next_functions structure (the whole graph
where ops are composite), gradients, and gradcheck/gradgradcheck by finite differences in float64.
"""

import warnings

import numpy as np
import pytest
import torch
from harness import assert_same, compare_grad, noncontiguous, sample, tensor_of

import ember

warnings.filterwarnings("ignore", message=".*x.T.*")
warnings.filterwarnings("ignore", message=".*Casting complex values to real.*")


def has_backward(make):
    """Whether an op of another family records a backward node yet (make(x) with x requiring grad)."""
    try:
        x = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
        return make(x).grad_fn is not None
    except Exception:
        return False


# sum_to_shape (ExpandBackward0, RepeatBackward0) and FillBackward3 are written with sum: their double backward
# needs the reduction family's backward
needs_sum = pytest.mark.skipif(not has_backward(lambda x: x.sum()) or not has_backward(lambda x: x.sum(0)),
                               reason="sum has no backward yet")


def backward_ones(t):
    t.backward(t.detach() * 0 + 1)

X = sample((2, 3, 4), "float64")
C = sample((2, 3), "complex128")


def deep_graph(t):
    """The whole backward graph below `t` as nested (name, ((child, input_nr), ...)), comparable across libraries."""

    def walk(fn):
        if fn is None:
            return None
        return type(fn).__name__, tuple((walk(n), nr) for n, nr in fn.next_functions)

    return walk(t.grad_fn)


def both(fn, *arrays):
    """fn run with torch and with ember on leaves made from `arrays` (floating ones require grad)."""
    runs = []
    for m in (torch, ember):
        inputs = [tensor_of(m, a, requires_grad=a.dtype.kind in "fc") if isinstance(a, np.ndarray) else a
                  for a in arrays]
        runs.append((inputs, fn(m, *inputs)))
    return runs


def compare_deep(fn, *arrays):
    """compare_grad, plus the whole graph below the (first) result."""
    compare_grad(fn, *arrays)
    (_, t_out), (_, e_out) = both(fn, *arrays)
    t_out = t_out[0] if isinstance(t_out, (tuple, list)) else t_out
    e_out = e_out[0] if isinstance(e_out, (tuple, list)) else e_out
    assert deep_graph(e_out) == deep_graph(t_out)


def layouts(arr):
    return [arr, noncontiguous(arr)]


# ---------------------------------------------------------------------------------------------------------
# single-output views and copies: result, grad_fn, next_functions, gradients

OPS = {
    "view": lambda m, x: x.view(6, 4),
    "view_infer": lambda m, x: x.view(-1, 2),
    "view_as": lambda m, x: x.view_as(m.zeros(24)),
    "reshape_view": lambda m, x: x.reshape(4, 6),
    "reshape_same": lambda m, x: x.reshape(2, 3, 4),
    "reshape_copy": lambda m, x: x.transpose(0, 1).reshape(-1),
    "reshape_alias": lambda m, x: x[:, ::2].reshape(4, 4),
    "reshape_as": lambda m, x: x.reshape_as(m.zeros(4, 6)),
    "flatten": lambda m, x: x.flatten(),
    "flatten_range": lambda m, x: x.flatten(1),
    "flatten_0d": lambda m, x: x[0, 0, 0].flatten(),
    "unflatten": lambda m, x: x.unflatten(2, (2, -1)),
    "squeeze_all": lambda m, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda m, x: x[:, :1].squeeze(1),
    "squeeze_dim_noop": lambda m, x: x.squeeze(0),
    "squeeze_dims": lambda m, x: x[:1, :1].squeeze((0, 1)),
    "squeeze_0d": lambda m, x: x[0, 0, 0].squeeze(),
    "unsqueeze": lambda m, x: x.unsqueeze(1),
    "unsqueeze_end": lambda m, x: x.unsqueeze(-1),
    "permute": lambda m, x: x.permute(2, 0, 1),
    "permute_same": lambda m, x: x.permute(0, 1, 2),
    "transpose": lambda m, x: x.transpose(0, 2),
    "transpose_same": lambda m, x: x.transpose(1, 1),
    "swapaxes": lambda m, x: x.swapaxes(0, -1),
    "swapdims": lambda m, x: x.swapdims(1, 2),
    "t": lambda m, x: x[0].t(),
    "t_1d": lambda m, x: x[0, 0].t(),
    "T_2d": lambda m, x: x[0].T,
    "T_3d": lambda m, x: x.T,
    "mT": lambda m, x: x.mT,
    "mH_real": lambda m, x: x.mH,
    "adjoint_real": lambda m, x: x.adjoint(),
    "movedim": lambda m, x: x.movedim(0, 2),
    "movedim_multi": lambda m, x: x.movedim((0, 1), (2, 0)),
    "moveaxis": lambda m, x: m.moveaxis(x, -1, 0),
    "expand": lambda m, x: x[:, :1].expand(2, 3, 4),
    "expand_new_dims": lambda m, x: x[:, :1].expand(3, 2, 5, 4),
    "expand_same": lambda m, x: x.expand(2, 3, 4),
    "expand_minus_one": lambda m, x: x[:1].expand(2, -1, -1),
    "expand_0d": lambda m, x: x[0, 0, 0].expand(3, 2),
    "expand_as": lambda m, x: x[:1].expand_as(x),
    "broadcast_to": lambda m, x: x.broadcast_to((2, 2, 3, 4)),
    "narrow": lambda m, x: x.narrow(2, 1, 2),
    "narrow_neg": lambda m, x: x.narrow(-2, -2, 2),
    "narrow_full": lambda m, x: x.narrow(0, 0, 2),
    "select": lambda m, x: x.select(1, 1),
    "select_neg": lambda m, x: x.select(-1, -1),
    "diagonal": lambda m, x: x.diagonal(),
    "diagonal_offset": lambda m, x: x.diagonal(1, 1, 2),
    "diagonal_neg_offset": lambda m, x: x.diagonal(-1, -1, 1),
    "unfold_overlap": lambda m, x: x.unfold(2, 3, 1),
    "unfold_disjoint": lambda m, x: x.unfold(2, 2, 2),
    "unfold_gap": lambda m, x: x.unfold(1, 1, 2),
    "as_strided": lambda m, x: x.as_strided((3, 3), (2, 1), 1),
    "as_strided_overlap": lambda m, x: x.as_strided((4, 3), (1, 1)),
    "contiguous_noop": lambda m, x: x.contiguous(),
    "contiguous_copy": lambda m, x: x.transpose(0, 1).contiguous(),
    "repeat": lambda m, x: x.repeat(2, 1, 3, 1),
    "repeat_ones": lambda m, x: x.repeat(1, 1, 1),
    "repeat_zero": lambda m, x: x.repeat(1, 0, 2),
    "tile": lambda m, x: x.tile(2),
    "tile_lead": lambda m, x: x.tile((2, 1, 1, 2)),
    "repeat_interleave": lambda m, x: x.repeat_interleave(2, 1),
    "repeat_interleave_one": lambda m, x: x.repeat_interleave(1, 0),
    "repeat_interleave_flat": lambda m, x: x.repeat_interleave(2),
    "repeat_interleave_1d": lambda m, x: x[0, 0].repeat_interleave(3),
    "repeat_interleave_tensor": lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), 1),
    "repeat_interleave_tensor1": lambda m, x: x.repeat_interleave(m.tensor([2]), 0),
    "atleast_1d": lambda m, x: m.atleast_1d(x[0, 0, 0]),
    "atleast_2d": lambda m, x: m.atleast_2d(x[0, 0]),
    "atleast_2d_0d": lambda m, x: m.atleast_2d(x[0, 0, 0]),
    "atleast_3d": lambda m, x: m.atleast_3d(x[0]),
    "atleast_3d_1d": lambda m, x: m.atleast_3d(x[0, 0]),
    "clone": lambda m, x: x.clone(),
    "clone_contiguous": lambda m, x: x.transpose(0, 2).clone(memory_format=m.contiguous_format),
    "float": lambda m, x: x.float(),
    "half": lambda m, x: x.half(),
    "bfloat16": lambda m, x: x.bfloat16(),
    "cdouble": lambda m, x: x.cdouble(),
    "to_dtype": lambda m, x: x.to(m.float32),
    "to_copy": lambda m, x: x.to(m.float64, copy=True),
    "type": lambda m, x: x.type(m.float32),
    "type_as": lambda m, x: x.type_as(m.zeros(1, dtype=m.float32)),
    "real_of_cast": lambda m, x: x.cdouble().real,
    "imag_of_cast": lambda m, x: (x.cdouble() * 1j).imag,
    "view_as_complex": lambda m, x: m.view_as_complex(x.reshape(2, 3, 2, 2).contiguous()),
}


@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
@pytest.mark.parametrize("name", list(OPS))
def test_view_op_grad(name, layout):
    arr = X if layout == "contiguous" else noncontiguous(X)
    compare_deep(OPS[name], arr)


COMPLEX_OPS = {
    "real": lambda m, c: c.real,
    "imag": lambda m, c: c.imag,
    "view_as_real": lambda m, c: m.view_as_real(c),
    "view_as_real_of_t": lambda m, c: m.view_as_real(c.t()),
    "mT": lambda m, c: c.mT,
    "transpose": lambda m, c: c.transpose(0, 1),
    "reshape": lambda m, c: c.reshape(-1),
    "expand": lambda m, c: c[:1].expand(4, 3),
    "to_real": lambda m, c: c.to(m.float64),
    "cat": lambda m, c: m.cat([c, c[:1]]),
}


@pytest.mark.parametrize("name", list(COMPLEX_OPS))
def test_complex_view_op_grad(name):
    compare_deep(COMPLEX_OPS[name], C)


def test_conjugate_transposes():
    # ember materialises the conjugate; the graph is torch's (ConjBackward0 over TransposeBackward0)
    for fn in (lambda m, c: c.mH, lambda m, c: c.H, lambda m, c: c.adjoint()):
        compare_deep(fn, C)


# ---------------------------------------------------------------------------------------------------------
# joining

JOIN = {
    "cat": lambda m, a, b: m.cat([a, b], 1),
    "cat_neg_dim": lambda m, a, b: m.cat([a, b], -2),
    "cat_one": lambda m, a, b: m.cat([a]),
    "cat_tuple": lambda m, a, b: m.cat((a, b, a), 1),
    "concat": lambda m, a, b: m.concat([a, b], 1),
    "stack": lambda m, a, b: m.stack([a, a * 2]),
    "stack_last": lambda m, a, b: m.stack([a, a], -1),
    "hstack": lambda m, a, b: m.hstack([a, b]),
    "vstack": lambda m, a, b: m.vstack([a[0], a[1]]),
    "vstack_1d": lambda m, a, b: m.vstack([a[0, 0], a[0, 1]]),
    "dstack": lambda m, a, b: m.dstack([a[0], a[1]]),
    "column_stack": lambda m, a, b: m.column_stack([a[0, 0], a[0, 1]]),
    "row_stack": lambda m, a, b: m.row_stack([a[0], b[0]]),
}


@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
@pytest.mark.parametrize("name", list(JOIN))
def test_join_grad(name, layout):
    a, b = sample((2, 3, 4), "float64", seed=1), sample((2, 2, 4), "float64", seed=2)
    if layout == "noncontiguous":
        a, b = noncontiguous(a), noncontiguous(b)
    compare_deep(JOIN[name], a, b)


def test_cat_input_without_grad_and_skipped_empty():
    a = sample((2, 3), "float64")
    compare_grad(lambda m, x: m.cat([x, m.ones(2, 3, dtype=m.float64)]), a)
    compare_grad(lambda m, x: m.cat([x, m.empty(0, dtype=m.float64)]), a)
    compare_grad(lambda m, x: m.cat([m.empty(0, dtype=m.float64), x], 1), a)
    # an empty 1-D tensor that requires grad still gets its (empty) gradient
    for m in (torch, ember):
        e = m.zeros(0, dtype=m.float64, requires_grad=True)
        x = m.ones(2, 3, dtype=m.float64, requires_grad=True)
        backward_ones(m.cat([x, e]))
        assert tuple(e.grad.shape) == (0,) and tuple(x.grad.shape) == (2, 3)


def test_cat_stack_mixed_dtypes_cast_grads_back():
    for fn in (lambda m, a, b: m.cat([a, b]), lambda m, a, b: m.stack([a, b])):
        compare_grad(fn, sample((3,), "float32"), sample((3,), "float64"))


def test_cat_stack_out_refused_with_grad():
    for m in (torch, ember):
        x = m.ones(2, dtype=m.float64, requires_grad=True)
        for fn in (lambda: m.cat([x, x], out=m.empty(4, dtype=m.float64)),
                   lambda: m.stack([x, x], out=m.empty(2, 2, dtype=m.float64))):
            with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
                fn()
        with m.no_grad():
            m.cat([x, x], out=m.empty(4, dtype=m.float64))


def test_broadcast_tensors_and_meshgrid():
    a, b = sample((2, 3), "float64", seed=1), sample((3,), "float64", seed=2)
    compare_deep(lambda m, x, y: m.broadcast_tensors(x, y)[1], a, b)
    compare_deep(lambda m, x, y: m.broadcast_tensors(y, x)[0], a, b)
    compare_deep(lambda m, x, y: m.meshgrid(x[0], y, indexing="ij")[0], a, b)
    compare_deep(lambda m, x, y: m.meshgrid(x[0], y[:2], indexing="xy")[1], a, b)
    x = ember.ones(2, 3, requires_grad=True)
    y = ember.ones(3, requires_grad=True)
    bx, by = ember.broadcast_tensors(x, y)
    assert bx is x and type(by.grad_fn).__name__ == "ExpandBackward0"  # as torch: the full-shape one is returned


# ---------------------------------------------------------------------------------------------------------
# multi-output views: one node, each output its output_nr, gradients of the outputs used

MULTI = {
    "unbind": lambda m, x: x.unbind(1),
    "unbind_last": lambda m, x: x.unbind(-1),
    "split": lambda m, x: x.split(3, 2),
    "split_even": lambda m, x: x.split(1, 0),
    "split_sizes": lambda m, x: x.split([1, 0, 3], 2),
    "chunk": lambda m, x: x.chunk(2, 2),
    "chunk_uneven": lambda m, x: x.chunk(2, 1),
    "chunk_empty": lambda m, x: x[:, :0].chunk(2, 1),
    "tensor_split": lambda m, x: x.tensor_split(3, 2),
    "tensor_split_idx": lambda m, x: x.tensor_split([1, 3], 2),
    "hsplit": lambda m, x: x.hsplit(3),
    "vsplit": lambda m, x: x.vsplit([1]),
    "dsplit": lambda m, x: x.dsplit(2),
}


@pytest.mark.parametrize("used", ["all", "first", "last", "middle"])
@pytest.mark.parametrize("name", list(MULTI))
def test_multi_output_grad(name, used):
    arr = noncontiguous(X)
    runs = both(MULTI[name], arr)
    grads = []
    for m, (inputs, outs) in zip((torch, ember), runs):
        assert isinstance(outs, tuple)
        picked = {"all": list(range(len(outs))), "first": [0], "last": [len(outs) - 1],
                  "middle": [len(outs) // 2]}[used]
        for i, o in enumerate(outs):
            assert type(o.grad_fn).__name__ == type(runs[0][1][i].grad_fn).__name__
            assert o.output_nr == runs[0][1][i].output_nr
        # one root that reaches the split node through several of its outputs at once
        weighted = [(outs[i] * tensor_of(m, sample(tuple(outs[i].shape), "float64", seed=i))).flatten()
                    for i in picked]
        backward_ones(m.cat(weighted))
        grads.append(inputs[0].grad)
    for t_out, e_out in zip(runs[0][1], runs[1][1]):
        assert deep_graph(e_out) == deep_graph(t_out)
        assert_same(e_out.detach(), t_out.detach())
    assert_same(grads[1], grads[0], "grad")


def test_backward_from_several_outputs_of_one_node():
    x = ember.ones(3, 2, dtype=ember.float64, requires_grad=True)
    outs = x.unbind(0)
    ember.autograd.backward(list(outs[:2]), [ember.ones(2, dtype=ember.float64)] * 2)
    assert x.grad.tolist() == [[1, 1], [1, 1], [0, 0]]


def test_multi_output_shares_one_node():
    x = ember.ones(3, 4, requires_grad=True)
    parts = x.unbind(0)
    assert parts[0].grad_fn is parts[1].grad_fn is parts[2].grad_fn
    assert [p.output_nr for p in parts] == [0, 1, 2] and x.output_nr == 0
    pieces = x.split(2, 1)
    assert pieces[0].grad_fn is pieces[1].grad_fn and pieces[1].output_nr == 1
    halves = x.tensor_split(2, 1)  # PyTorch: one SliceBackward0 per piece
    assert halves[0].grad_fn is not halves[1].grad_fn and halves[1].output_nr == 0


# ---------------------------------------------------------------------------------------------------------
# finite differences (float64, small, non-contiguous inputs), first and second order

def nc(*shape, seed=0):
    return ember.from_numpy(noncontiguous(sample(shape, "float64", seed=seed))).requires_grad_()


GRADCHECK = {
    "view": (lambda x: x.view(-1), (2, 3)),  # noncontiguous() keeps the last dim strided: view of a 1-D row
    "reshape_copy": (lambda x: x.t().reshape(-1), (2, 3)),
    "flatten": (lambda x: x.flatten(), (2, 3)),
    "unflatten": (lambda x: x.unflatten(1, (2, 2)), (2, 4)),
    "squeeze": (lambda x: x[:, :1].squeeze(1), (2, 3)),
    "squeeze_all": (lambda x: x[:1].squeeze(), (2, 3)),
    "unsqueeze": (lambda x: x.unsqueeze(0), (2, 3)),
    "permute": (lambda x: x.permute(1, 2, 0), (2, 1, 3)),
    "transpose": (lambda x: x.transpose(0, 1), (2, 3)),
    "t": (lambda x: x.t(), (2, 3)),
    "T": (lambda x: x.T, (2, 3)),
    "movedim": (lambda x: x.movedim(0, -1), (2, 1, 3)),
    "expand": (lambda x: x[:1].expand(3, 3), (2, 3)),
    "expand_lead": (lambda x: x.expand(2, 2, 3), (2, 3)),
    "narrow": (lambda x: x.narrow(1, 1, 2), (2, 3)),
    "select": (lambda x: x.select(1, -1), (2, 3)),
    "unbind": (lambda x: x.unbind(1), (2, 3)),
    "split": (lambda x: x.split(2, 1), (2, 3)),
    "split_sizes": (lambda x: x.split([2, 1], 1), (2, 3)),
    "chunk": (lambda x: x.chunk(2, 0), (3, 2)),
    "tensor_split": (lambda x: x.tensor_split([1], 1), (2, 3)),
    "diagonal": (lambda x: x.diagonal(), (3, 3)),
    "diagonal_offset": (lambda x: x.diagonal(-1), (3, 3)),
    "unfold": (lambda x: x.unfold(1, 2, 1), (2, 4)),
    "unfold_step": (lambda x: x.unfold(1, 2, 2), (2, 4)),
    "as_strided": (lambda x: x.as_strided((2, 2), (1, 1)), (2, 3)),
    "as_strided_expanded": (lambda x: x.expand(2, 3).as_strided((2,), (1,), 1), (3,)),
    "contiguous": (lambda x: x.t().contiguous(), (2, 3)),
    "repeat": (lambda x: x.repeat(2, 1, 2), (2, 2)),
    "tile": (lambda x: x.tile(2), (3,)),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, 0), (2, 2)),
    "repeat_interleave_tensor": (lambda x: x.repeat_interleave(ember.tensor([2, 0, 1]), 1), (2, 3)),
    "clone": (lambda x: x.clone(), (2, 3)),
    "to_complex": (lambda x: x.to(ember.complex128).real, (2, 3)),
    "view_as_complex": (lambda x: ember.view_as_real(ember.view_as_complex(x.contiguous()) * 1), (2, 2)),
    "atleast_3d": (lambda x: ember.atleast_3d(x), (2, 3)),
}


USES_SUM = {"expand", "expand_lead", "as_strided_expanded", "repeat", "tile", "repeat_interleave"}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, shape = GRADCHECK[name]
    x = nc(*shape)
    assert ember.autograd.gradcheck(fn, (x,))


@pytest.mark.parametrize("name", [n for n in GRADCHECK if n not in USES_SUM])
def test_gradgradcheck(name):
    fn, shape = GRADCHECK[name]
    assert ember.autograd.gradgradcheck(fn, (nc(*shape),))


@needs_sum
@pytest.mark.parametrize("name", sorted(USES_SUM))
def test_gradgradcheck_through_sum(name):
    fn, shape = GRADCHECK[name]
    assert ember.autograd.gradgradcheck(fn, (nc(*shape),))


@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: ember.cat([a, b], 1), ((2, 3), (2, 1))),
    (lambda a, b: ember.cat([a, b.t()], 0), ((2, 3), (3, 1))),
    (lambda a, b: ember.stack([a, b], 1), ((2, 3), (2, 3))),
    (lambda a, b: ember.hstack([a, b]), ((2, 3), (2, 2))),
    (_broadcast_pair := lambda a, b: ember.broadcast_tensors(a, b), ((2, 1), (3,))),
], ids=["cat", "cat_t", "stack", "hstack", "broadcast_tensors"])
def test_gradcheck_two_inputs(fn, shapes):
    args = (nc(*shapes[0], seed=1), nc(*shapes[1], seed=2))
    assert ember.autograd.gradcheck(fn, args)
    if fn is not _broadcast_pair or has_backward(lambda x: x.sum(0)):
        assert ember.autograd.gradgradcheck(fn, args)


def test_gradcheck_complex_views():
    c = ember.from_numpy(sample((2, 2), "complex128")).requires_grad_()
    for fn in (lambda z: ember.view_as_real(z), lambda z: z.real, lambda z: z.imag, lambda z: z.t().reshape(-1)):
        assert ember.autograd.gradcheck(fn, (c,))


def test_gradcheck_copy_and_fill():
    a, v = nc(2, 3, seed=1), nc(3, seed=2)
    s = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, y: (x * 1).copy_(y), (a, v))
    assert ember.autograd.gradcheck(lambda x, y: (x * 1).select(0, 1).copy_(y) * 1, (a, v))
    assert ember.autograd.gradcheck(lambda x, y: (x * 1).fill_(y), (a, s))
    assert ember.autograd.gradcheck(lambda x: (x * 1).zero_(), (a,))


def test_double_backward_graph_names():
    """create_graph records the backward formulas: PyTorch's node names on the gradient."""
    cases = [
        (lambda m, x: x.select(0, 1), "SelectBackwardBackward0"),
        (lambda m, x: x.narrow(1, 0, 1), "SliceBackwardBackward0"),
        (lambda m, x: x.diagonal(), "DiagonalBackwardBackward0"),
        (lambda m, x: x.unfold(1, 2, 1), "UnfoldBackwardBackward0"),
        (lambda m, x: x.unbind(0)[1], "StackBackward0"),
        (lambda m, x: x.split([1, 1])[1], "CatBackward0"),
        (lambda m, x: x.t(), "TBackward0"),
        (lambda m, x: x.permute(1, 0), "PermuteBackward0"),
    ]
    for fn, expected in cases:
        names = []
        for m in (torch, ember):
            x = m.ones(2, 2, dtype=m.float64, requires_grad=True)
            out = fn(m, x)
            seed = m.ones(tuple(out.shape), dtype=m.float64, requires_grad=True)
            g, = m.autograd.grad(out, x, seed, create_graph=True)
            names.append(type(g.grad_fn).__name__)
        assert names == [expected, expected]


# ---------------------------------------------------------------------------------------------------------
# no recording without grad

def test_no_graph_without_grad():
    x = ember.ones(2, 3)
    assert x.view(6).grad_fn is None and not x.t().requires_grad
    y = ember.ones(2, 3, requires_grad=True)
    with ember.no_grad():
        for out in (ember.cat([y, y]), y.clone(), y.double()):
            assert out.grad_fn is None and not out.requires_grad
        # views keep requires_grad (as PyTorch's do) but have no history, and a use sends no gradient
        views = (y.view(6), y.t(), y.expand(2, 2, 3), y.unbind(0)[0])
        for out in views:
            assert out.grad_fn is None and out.requires_grad and out.is_leaf
    used = views[0] * 2
    assert used.requires_grad and [n for n, _ in used.grad_fn.next_functions] == [None, None]
    used.sum().backward()
    assert views[0].grad is None and y.grad is None
    assert y.view(6).grad_fn is not None


def test_same_tensor_returned():
    """Ops that change nothing give the tensor itself (no node), as in PyTorch."""
    x = ember.ones(2, 3, requires_grad=True)
    assert x.float() is x and x.to(ember.float32) is x and x.type(ember.float32) is x and x.type_as(x) is x
    assert x.contiguous() is x and x.flatten(1, 1) is x and x.real is x and ember.atleast_2d(x) is x
    assert ember.atleast_1d(x[0]).grad_fn is not None and x.cpu() is x


# ---------------------------------------------------------------------------------------------------------
# Tensor methods: clone, detach, to, copy_, zero_, fill_, requires_grad_, data, grad

def test_detach_shares_version_counter():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.add_(1) if hasattr(d, "add_") else d.copy_(ember.full((3,), 2.0))
    assert x._version == d._version == 1


@pytest.mark.parametrize("case", ["plain_dst", "nonleaf_dst", "broadcast", "cast", "complex_to_real", "scalar_src"])
def test_copy_(case):
    fns = {
        "plain_dst": lambda m, x, y: m.zeros(2, 3, dtype=m.float64).copy_(y),
        "nonleaf_dst": lambda m, x, y: (x * 1).copy_(y),
        "broadcast": lambda m, x, y: (x * 1).copy_(y[0]),
        "cast": lambda m, x, y: m.zeros(2, 3, dtype=m.float32).copy_(y),
        "complex_to_real": lambda m, x, y: (x * 1).copy_(y.cdouble() * (1 + 1j)),
        "scalar_src": lambda m, x, y: (x * 1).copy_(y[0, 0]),
    }
    compare_deep(fns[case], sample((2, 3), "float64", seed=1), sample((2, 3), "float64", seed=2))


def test_copy_into_view_rebases_base():
    """b.select(0, 1).copy_(y): the base gets PyTorch's CopySlices history."""
    def fn(m, a, y):
        b = a.clone()
        b.select(0, 1).copy_(y)
        return b

    compare_deep(fn, sample((2, 3), "float64", seed=1), sample((3,), "float64", seed=2))

    def into_plain(m, a, y):  # a value that requires grad written into a view of a tensor that does not
        b = m.zeros(2, 3, dtype=m.float64)
        b[0].copy_(y)
        return b

    compare_deep(into_plain, sample((2, 3), "float64", seed=1), sample((3,), "float64", seed=2))


def test_inplace_refusals():
    for m in (torch, ember):
        leaf = m.ones(3, requires_grad=True)
        for fn in (lambda: leaf.copy_(m.zeros(3)), lambda: leaf.zero_(), lambda: leaf.fill_(1),
                   lambda: leaf[0:2].fill_(1)):
            with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
                fn()
        with m.no_grad():
            leaf.zero_()
        assert leaf.requires_grad and leaf.grad_fn is None


@pytest.mark.parametrize("case", ["zero_", "fill_number", "fill_tensor", "fill_tensor_nograd", "fill_int_value"])
def test_zero_fill(case):
    fns = {
        "zero_": lambda m, x, v: (x * 1).zero_(),
        "fill_number": lambda m, x, v: (x * 1).fill_(2.5),
        "fill_tensor": lambda m, x, v: (x * 1).fill_(v[1]),
        "fill_tensor_nograd": lambda m, x, v: (x * 1).fill_(m.tensor(3.0)),
        "fill_int_value": lambda m, x, v: m.zeros(2, 3, dtype=m.float64).fill_(v[0]),
    }
    compare_deep(fns[case], sample((2, 3), "float64", seed=1), sample((3,), "float64", seed=2))


def test_fill_values_and_errors():
    from harness import compare

    compare(lambda m: m.zeros(2, 3, dtype=m.int32).fill_(True))
    compare(lambda m: m.zeros(3, dtype=m.bool).fill_(2))
    compare(lambda m: m.zeros(3, dtype=m.int64).fill_(m.tensor(2.7)))
    compare(lambda m: m.zeros(1).expand(3).fill_(4))
    compare(lambda m: m.ones(3).zero_())
    compare(lambda m: m.zeros(3).fill_(m.zeros(2)), message=True)
    compare(lambda m: m.zeros(3).fill_(1j), message=True)
    compare(lambda m: m.zeros(3, dtype=m.uint8).fill_(300), message=True)
    compare(lambda m: m.zeros(3).fill_("a"), message="invalid combination of arguments")
    x = ember.zeros(3)
    v = x._version
    x.fill_(1)
    x.zero_()
    assert x._version == v + 2


def test_module_level_fill_and_zero():
    from harness import compare

    compare(lambda m: m.fill_(m.ones(2), 5))
    compare(lambda m: m.zero_(m.ones(2)))
    compare(lambda m: m.fill(m.zeros(2, 2), 3))
    compare_deep(lambda m, x: m.fill(x, 3), sample((2,), "float64"))
    compare_deep(lambda m, x, v: m.fill(x, v[0]), sample((2,), "float64"), sample((1,), "float64"))


def test_requires_grad_():
    from harness import compare

    compare(lambda m: m.ones(2, dtype=m.int64).requires_grad_(), message=True)
    compare(lambda m: (m.ones(2, requires_grad=True) * 2).requires_grad_(False), message=True)
    for m in (torch, ember):
        y = m.ones(2, requires_grad=True) * 2
        assert y.requires_grad_(True) is y and y.requires_grad
        leaf = m.ones(2).requires_grad_()
        assert leaf.is_leaf and leaf.requires_grad
        leaf.requires_grad_(False)
        assert not leaf.requires_grad


@pytest.mark.parametrize("make", [
    lambda m: m.ones(2, 3, requires_grad=True),
    lambda m: m.zeros(2, requires_grad=True, dtype=m.float64),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.full((2,), 3.0, requires_grad=True),
    lambda m: m.arange(3.0, requires_grad=True),
    lambda m: m.empty(2, requires_grad=True),
    lambda m: m.eye(2, requires_grad=True),
    lambda m: m.linspace(0, 1, 3, requires_grad=True),
    lambda m: m.zeros_like(m.ones(2), requires_grad=True),
    lambda m: m.ones(2).new_zeros(3, requires_grad=True),
])
def test_creation_makes_leaves(make):
    for m in (torch, ember):
        t = make(m)
        assert t.requires_grad and t.is_leaf and t.grad_fn is None
        backward_ones(t * 2)
        assert t.grad is not None and tuple(t.grad.shape) == tuple(t.shape)


def test_creation_requires_grad_refused_for_integers():
    from harness import compare

    compare(lambda m: m.zeros(2, dtype=m.int64, requires_grad=True), message=True)
    compare(lambda m: m.tensor([1, 2], requires_grad=True), message=True)


def test_grad_setter():
    from harness import compare

    compare(lambda m: setattr(m.zeros(3), "grad", m.zeros(2)), message=True)
    compare(lambda m: setattr(m.zeros(3), "grad", m.zeros(3, dtype=m.float64)), message=True)
    compare(lambda m: setattr(m.zeros(2, 3), "grad", m.zeros(3, 2, dtype=m.int64)), message=True)
    compare(lambda m: setattr(m.zeros(3), "grad", 3), message=True)
    compare(lambda m: setattr(m.zeros(3, dtype=m.bfloat16), "grad", m.zeros(3, dtype=m.complex64)), message=True)
    x = ember.zeros(3, requires_grad=True)
    g = ember.ones(3)
    x.grad = g
    assert x.grad is g
    x.grad = None
    assert x.grad is None
    x.grad = ember.ones(1).expand(3)
    del x.grad
    assert x.grad is None
    backward_ones(x * 1)
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_data_setter():
    for m in (torch, ember):
        x = m.ones(3, requires_grad=True)
        x.data = m.full((3,), 2.0)
        assert x.requires_grad and x.is_leaf and x.tolist() == [2.0, 2.0, 2.0]
        backward_ones(x * x)
        assert x.grad.tolist() == [4.0, 4.0, 4.0]
        x.data = m.zeros(2, 2)  # another shape: the old gradient stays, later ones have the new shape
        x.grad = None
        backward_ones(x * 3)
        assert tuple(x.grad.shape) == (2, 2)
        with pytest.raises(TypeError):
            x.data = [1.0]


def test_output_nr():
    for m in (torch, ember):
        x = m.ones(3, 2, requires_grad=True)
        a, b, c = x.unbind(0)
        assert (a.output_nr, b.output_nr, c.output_nr, x.output_nr, (x * 1).output_nr) == (0, 1, 2, 0, 0)
        assert m.autograd.grad(c, x, m.ones(2))[0].tolist() == [[0, 0], [0, 0], [1, 1]]


def test_to_conversions():
    for fn in (lambda m, x: x.to(m.float32).to(m.float64), lambda m, x: x.half().float(),
               lambda m, x: x.to(m.complex64)):
        compare_deep(fn, sample((2, 3), "float64"))
    compare_deep(lambda m, x: x.double(), sample((2, 3), "float32"))
    for m in (torch, ember):  # integer results do not require grad
        x = m.ones(2, requires_grad=True)
        assert not x.long().requires_grad and x.long().grad_fn is None


# ---------------------------------------------------------------------------------------------------------
# in-place ops through views: the base's history is rebased (CopySlices)

def _has_inplace_mul():
    try:
        a = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
        b = a * 1
        b.view(6).mul_(2)
        return type(b.grad_fn).__name__ == "CopySlices"
    except Exception:
        return False


needs_inplace_mul = pytest.mark.skipif(not _has_inplace_mul(), reason="pointwise in-place ops have no autograd yet")


@needs_inplace_mul
@pytest.mark.parametrize("view", [
    lambda m, b: b.view(6),
    lambda m, b: b.t(),
    lambda m, b: b.select(0, 1),
    lambda m, b: b.narrow(1, 1, 2),
    lambda m, b: b.diagonal(),
    lambda m, b: b.unsqueeze(0).squeeze(0),
], ids=["view", "t", "select", "narrow", "diagonal", "unsqueeze_squeeze"])
def test_inplace_through_view(view):
    def fn(m, a, w):
        b = a * 1
        v = view(m, b)
        v.mul_(w[0])
        return b

    compare_deep(fn, sample((2, 3), "float64", seed=1), sample((2,), "float64", seed=2))

    def the_view(m, a, w):  # the view itself is rebased onto the base's new history
        b = a * 1
        v = view(m, b)
        v.mul_(w[0])
        return v

    compare_grad(the_view, sample((2, 3), "float64", seed=1), sample((2,), "float64", seed=2))


def test_saved_view_modified_in_place_is_caught():
    x = ember.ones(3, dtype=ember.float64, requires_grad=True)
    y = x * 1
    z = ember.atleast_2d(y).repeat_interleave(2, 1)
    v = y.view(3)
    v.copy_(ember.zeros(3, dtype=ember.float64))  # y changes through its view: nothing saved by these nodes
    backward_ones(z)
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
