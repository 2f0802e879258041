"""Whole autograd graphs compared with torch's, node for node: every node's name, its next_functions (which
node, which input_nr, None where no gradient flows) and which nodes are shared. Covers the ops whose torch
graph is a decomposition (einsum, GRU/RNN layers, recurrent layers on packed sequences, padding and packing,
N-d nll_loss) or a fused node with a particular edge order (LSTM)."""

import numpy as np
import pytest
import torch
from harness import compare_grad, sample, tensor_of

import ember


def graph_of(t):
    """The graph behind `t` in breadth-first order, nodes numbered as first met: comparable across libraries."""
    root = t.grad_fn
    if root is None:
        return None
    ids = {root: 0}
    queue, described = [root], []
    while queue:
        node = queue.pop(0)
        edges = []
        for nxt, nr in node.next_functions:
            if nxt is None:
                edges.append(None)
                continue
            if nxt not in ids:
                ids[nxt] = len(ids)
                queue.append(nxt)
            edges.append((ids[nxt], nr))
        described.append((type(node).__name__, tuple(edges)))
    return described


def assert_same_graphs(fn, *arrays, requires_grad=True):
    graphs = []
    for m in (torch, ember):
        m.manual_seed(0)
        inputs = [tensor_of(m, a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]
        out = fn(m, *inputs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        graphs.append([graph_of(o) for o in outs])
    assert graphs[1] == graphs[0]


def f64(*shape, seed=0):
    return sample(shape, "float64", seed=seed, low=-1, high=1)


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("...ij,...jk", [(2, 2, 3), (3, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("iij,j->i", [(2, 2, 3), (3,)]),
    ("Ab,bA->", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_graph(equation, shapes):
    arrays = [f64(*s, seed=i) for i, s in enumerate(shapes)]
    assert_same_graphs(lambda m, *xs: m.einsum(equation, *xs), *arrays)
    compare_grad(lambda m, *xs: m.einsum(equation, *xs), *arrays)


def test_einsum_graph_with_one_operand_needing_no_grad():
    x, w = f64(2, 3), f64(3, 4, seed=1)
    assert_same_graphs(lambda m, a, b: m.einsum("ij,jk->ik", a.detach(), b), x, w)


def _recurrent(kind, **options):
    def run(m, x, *state):
        m.manual_seed(0)
        module = getattr(m.nn, kind)(3, 4, **options).to(x.dtype)
        out, h = module(x, *state) if state else module(x)
        return (out,) + (h if isinstance(h, tuple) else (h,))
    return run


RECURRENT = [(kind, options) for kind in ("RNN", "GRU", "LSTM")
             for options in ({}, {"num_layers": 2}, {"bidirectional": True}, {"bias": False})] + \
    [("RNN", {"nonlinearity": "relu"}), ("LSTM", {"proj_size": 2})]


@pytest.mark.parametrize("kind,options", RECURRENT, ids=[f"{k}-{o}" for k, o in RECURRENT])
def test_recurrent_layer_graph(kind, options):
    assert_same_graphs(_recurrent(kind, **options), f64(4, 2, 3))


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_float32_recurrent_layer_graph(kind):  # LSTM: torch's fused oneDNN node, its edges in torch's order
    x = sample((4, 2, 3), "float32", seed=5)

    def run(m, x):
        m.manual_seed(0)
        out, h = getattr(m.nn, kind)(3, 4, num_layers=2)(x)
        return (out,) + (h if isinstance(h, tuple) else (h,))

    assert_same_graphs(run, x)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layer_graph_with_input_and_state_needing_grad(kind):
    x, h0, c0 = f64(4, 2, 3), f64(1, 2, 4, seed=1), f64(1, 2, 4, seed=2)

    def run(m, x, h, c=None):
        return _recurrent(kind)(m, x, (h, c) if kind == "LSTM" else h)

    assert_same_graphs(run, x, *([h0, c0] if kind == "LSTM" else [h0]))
    as_float32 = [a.astype(np.float32) for a in ([x, h0, c0] if kind == "LSTM" else [x, h0])]
    assert_same_graphs(run, *as_float32)  # LSTM: the fused node's h0/c0 edges come from select, not unbind


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layer_gradients(kind):
    def run(m, x, h0):
        outs = _recurrent(kind, num_layers=2, bidirectional=True)(m, x, (h0, h0 * 0.5) if kind == "LSTM" else h0)
        return outs[0] * 2 + outs[1].sum()
    compare_grad(run, f64(5, 2, 3), f64(4, 2, 4, seed=3), check_graph=False)


def _packed_run(kind, lengths, enforce_sorted=True, with_state=False, **options):
    """fn(m, x[, h0, c0]) for assert_same_graphs: the module on pack_padded_sequence(x); returns the packed
    output's data and the final states."""
    def run(m, x, *state):
        m.manual_seed(0)
        module = getattr(m.nn, kind)(3, 4, **options).to(x.dtype)
        packed = m.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        if with_state:
            out, h = module(packed, tuple(state) if kind == "LSTM" else state[0])
        else:
            out, h = module(packed)
        return (out.data,) + (h if isinstance(h, tuple) else (h,))
    return run


PACKED = [(kind, options) for kind in ("RNN", "GRU", "LSTM")
          for options in ({}, {"num_layers": 2, "bidirectional": True})] + \
    [("LSTM", {"proj_size": 2, "bidirectional": True}), ("RNN", {"nonlinearity": "relu", "bias": False})]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,options", PACKED, ids=[f"{k}-{o}" for k, o in PACKED])
def test_packed_recurrent_layer_graph(kind, options, dtype):
    # torch runs packed data step by step (PackedLayer / ReversedPackedLayer), float32 LSTMs included
    x = f64(4, 3, 3).astype(dtype)
    assert_same_graphs(_packed_run(kind, [4, 2, 1], **options), x)
    assert_same_graphs(_packed_run(kind, [2, 4, 1], enforce_sorted=False, **options), x)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_packed_recurrent_layer_graph_with_state(kind):
    directions = 2
    x, h0, c0 = f64(3, 4, 3), f64(2 * directions, 4, 4, seed=1), f64(2 * directions, 4, 4, seed=2)
    run = _packed_run(kind, [1, 3, 3, 2], enforce_sorted=False, with_state=True, num_layers=2, bidirectional=True)
    assert_same_graphs(run, x, *([h0, c0] if kind == "LSTM" else [h0]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_packed_lstm_of_equal_lengths_graph(dtype):
    # float32: torch's oneDNN path takes packed data whose sequences are all as long, viewed as (T, B, I)
    assert_same_graphs(_packed_run("LSTM", [3, 3], num_layers=2, bidirectional=True), f64(3, 2, 3).astype(dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_packed_recurrent_layer_values_and_gradients(kind, dtype):
    x, h0 = f64(4, 3, 3).astype(dtype), f64(4, 3, 4, seed=3).astype(dtype)
    results = []
    for m in (torch, ember):
        m.manual_seed(0)
        module = getattr(m.nn, kind)(3, 4, num_layers=2, bidirectional=True).to(getattr(m, dtype))
        inputs = [tensor_of(m, a, requires_grad=True) for a in (x, h0)]
        packed = m.nn.utils.rnn.pack_padded_sequence(inputs[0], [3, 4, 2], enforce_sorted=False)
        out, h = module(packed, (inputs[1], inputs[1] * 0.5) if kind == "LSTM" else inputs[1])
        outs = (out.data,) + (h if isinstance(h, tuple) else (h,))
        sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(outs)).backward()
        results.append([o.detach().numpy() for o in outs] + [t.grad.numpy() for t in inputs] +
                       [p.grad.numpy() for p in module.parameters()])
    tol = 1e-12 if dtype == "float64" else 2e-5
    assert len(results[1]) == len(results[0])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_and_pad_packed_sequence_graphs(batch_first, padding_side):
    # torch copies each sequence (pad_sequence) or each run of equal batch sizes (pad_packed_sequence) into a
    # tensor of the padding value: chains of CopySlices
    def pad(m, *seqs):
        return m.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first, padding_side=padding_side,
                                           padding_value=-1.0)

    def repad(m, *seqs):
        packed = m.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        return m.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first, total_length=6,
                                                  padding_value=3.0)[0]

    seqs = [f64(n, 2, seed=i) for i, n in enumerate([2, 4, 1, 4])]
    for fn in (pad, repad):
        assert_same_graphs(fn, *seqs)
        compare_grad(fn, *seqs)


def test_gru_double_backward_matches_torch():
    results = []
    for m in (torch, ember):
        m.manual_seed(0)
        gru = m.nn.GRU(2, 3).double()
        x = tensor_of(m, f64(3, 1, 2), requires_grad=True)
        out, _ = gru(x)
        (g,) = m.autograd.grad(out.pow(2).sum(), x, create_graph=True)
        g.sum().backward()
        results.append(gru.weight_hh_l0.grad.detach().numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-9, atol=1e-12)


TARGET_3D = np.array([[0, 1, 2, 0], [1, 1, 0, 2]])
TARGET_5D = np.array([0, 1, 2, 0, 1, 1, 0, 2] * 2).reshape(2, 2, 2, 2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("rank", [3, 4, 5])
def test_nd_nll_loss_and_cross_entropy_graphs(rank, reduction):
    shape = {3: (2, 3, 4), 4: (2, 3, 2, 4), 5: (2, 3, 2, 2, 2)}[rank]
    target = {3: TARGET_3D, 4: TARGET_3D.reshape(2, 2, 2).repeat(2, axis=2), 5: TARGET_5D}[rank]
    x = f64(*shape)
    ce = lambda m, a, t: m.nn.functional.cross_entropy(a, t, reduction=reduction)
    nll = lambda m, a, t: m.nn.functional.nll_loss(a.log_softmax(1), t, reduction=reduction)
    for fn in (ce, nll):
        assert_same_graphs(fn, x, target)
        compare_grad(fn, x, target)


def test_nd_nll_loss_of_a_noncontiguous_input():
    fn = lambda m, a, t: m.nn.functional.nll_loss(a.transpose(1, 2), t)
    x = f64(2, 4, 3)
    assert_same_graphs(fn, x, TARGET_3D)
    compare_grad(fn, x, TARGET_3D)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_probabilities_graph(reduction, weighted):
    x, p = f64(2, 3, 4), np.abs(f64(2, 3, 4, seed=1))
    w = np.array([0.2, 1.0, 3.0])

    def fn(m, a, probs, weight):
        return m.nn.functional.cross_entropy(a, probs, weight=weight if weighted else None, reduction=reduction,
                                             label_smoothing=0.1)

    assert_same_graphs(fn, x, p, w, requires_grad=False)
    compare_grad(lambda m, a: fn(m, a, tensor_of(m, p), tensor_of(m, w)), x)


def test_unsafe_split_and_chunk():
    x = f64(2, 6)
    for fn in (lambda m, a: (a * 1).unsafe_chunk(3, 1), lambda m, a: m.unsafe_split(a * 1, 4, 1),
               lambda m, a: (a * 1).unsafe_split_with_sizes([2, 4], 1)):
        assert_same_graphs(fn, x)
    for m in (torch, ember):  # the pieces are no views: writing into one changes its own history only
        a = tensor_of(m, x, requires_grad=True)
        first, second = (a * 1).unsafe_chunk(2, 1)
        first.mul_(2)
        assert type(second.grad_fn).__name__ == "UnsafeSplitBackward0"


SPECIAL = {
    "erfcx": lambda m, x: m.special.erfcx(x), "i0e": lambda m, x: m.special.i0e(x),
    "i1e": lambda m, x: m.special.i1e(x), "ndtr": lambda m, x: m.special.ndtr(x),
    "log_ndtr": lambda m, x: m.special.log_ndtr(x), "ndtri": lambda m, x: m.special.ndtri(x.sigmoid()),
    "zeta_q": lambda m, x: m.special.zeta(2.5, x + 1.5), "i1_at_zero": lambda m, x: m.special.i1e(x * 0),
}


@pytest.mark.parametrize("name", SPECIAL)
def test_special_function_gradients(name):
    x = f64(2, 3, seed=9)
    assert_same_graphs(SPECIAL[name], x)
    compare_grad(SPECIAL[name], x)
    assert ember.autograd.gradcheck(lambda t: SPECIAL[name](ember, t), (tensor_of(ember, x, requires_grad=True),))


def test_zeta_has_no_derivative_in_its_first_argument():
    for m in (torch, ember):
        x = m.tensor([2.5, 3.0], dtype=m.float64, requires_grad=True)
        for out in (m.special.zeta(x, 1.5), m.special.zeta(x, x.detach() + 1)):
            with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
                out.sum().backward()


QUANTILES = [dict(q=0.3), dict(q=0.3, dim=1), dict(q=0.3, dim=0, keepdim=True), dict(q=[0.2, 0.7], dim=2),
             dict(q=[0.2, 0.7], keepdim=True), dict(q=0.4, dim=-1, interpolation="nearest"),
             dict(q=[0.1, 0.5], dim=1, interpolation="midpoint")]


@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("options", QUANTILES, ids=[str(o) for o in QUANTILES])
def test_quantile_graph(options, nan):
    x = f64(3, 4, 2, seed=11)
    if nan:
        x[0, 1, 1] = np.nan

    def fn(m, t):
        kw = dict(options)
        if isinstance(kw["q"], list):
            kw["q"] = m.tensor(kw["q"], dtype=m.float64)
        return t.nanquantile(**kw) if nan else t.quantile(**kw)

    assert_same_graphs(fn, x)
    compare_grad(fn, x)


COMPOSITES = {
    "kron": lambda m, a, b: m.kron(a, b),
    "matrix_norm_nuc": lambda m, a, b: m.linalg.matrix_norm(a[:, :3], "nuc"),
    "matrix_norm_2_keepdim": lambda m, a, b: m.linalg.matrix_norm(a[:, :3].expand(2, 3, 3), 2, keepdim=True),
    "margin_ranking": lambda m, a, b: m.nn.functional.margin_ranking_loss(a[:, 0], b[:, 0], m.tensor([1.0, -1, 1]),
                                                                          margin=0.2),
    "hinge_embedding": lambda m, a, b: m.nn.functional.hinge_embedding_loss(a, (b - 1).sign(), margin=0.7),
    "cosine_embedding": lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, m.tensor([1.0, -1, 1]),
                                                                              margin=0.1),
    "cross_entropy_smoothing": lambda m, a, b: m.nn.functional.cross_entropy(a, m.tensor([1, -100, 3]),
                                                                             label_smoothing=0.1),
    "cross_entropy_smoothing_weighted": lambda m, a, b: m.nn.functional.cross_entropy(
        a, m.tensor([1, 0, 3]), weight=b[0].detach(), label_smoothing=0.2),
    "cross_entropy_smoothing_3d_sum": lambda m, a, b: m.nn.functional.cross_entropy(
        a.unsqueeze(-1), m.tensor([[1], [0], [3]]), label_smoothing=0.2, reduction="sum"),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite_graphs(name):
    a, b = f64(3, 4, seed=12), np.abs(f64(3, 4, seed=13)) + 0.5
    assert_same_graphs(COMPOSITES[name], a, b)
    compare_grad(COMPOSITES[name], a, b)


@pytest.mark.parametrize("case", ["entr", "xlog1py", "xlog1py_same_tensor", "xlog1py_number_first",
                                  "xlog1py_number_second"])
def test_entr_and_xlog1py_gradients(case):
    # ember.special's own entr/xlog1py do not record yet: the recording versions live in ember.ops.special
    from ember.ops import special as ops_special

    def fn(m, x, y):
        lib = torch.special if m is torch else ops_special
        return {"entr": lambda: lib.entr(x), "xlog1py": lambda: lib.xlog1py(x, y),
                "xlog1py_same_tensor": lambda: lib.xlog1py(x, x), "xlog1py_number_first": lambda: lib.xlog1py(2.0, y),
                "xlog1py_number_second": lambda: lib.xlog1py(x, 2.0)}[case]()

    x, y = np.abs(f64(2, 3, seed=14)) + 0.1, np.abs(f64(2, 3, seed=15))
    assert_same_graphs(fn, x, y)
    compare_grad(fn, x, y)


def _sdpa(mask=None, **options):
    def fn(m, q, k, v, float_mask):
        if mask == "bool":  # the last query row fully masked: attention gives it zeros
            options["attn_mask"] = m.tensor([[True, True, False, False, False]] * 2 + [[False] * 5])
        elif mask == "float":
            options["attn_mask"] = float_mask
        return m.nn.functional.scaled_dot_product_attention(q, k, v, **options)
    return fn


# ATen composites whose torch graph shows particular nodes: NormBackward1 (at::norm) and AddBackward1 in
# pairwise_distance, CloneBackward0 (norms clamped in place under no_grad) in cosine_similarity,
# SafeSoftmaxBackward0 and MulBackward1 in attention's math path (or its fused node), matmul + add for a
# linear layer on an input that cannot be viewed flat, relu in lp pooling
NN_COMPOSITES = {
    "pairwise_distance": (lambda m, a, b: m.nn.functional.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    "pairwise_distance_p1_keepdim": (lambda m, a, b: m.nn.functional.pairwise_distance(a, b, 1, keepdim=True),
                                     [(3, 4), (4,)]),
    "pairwise_distance_inf": (lambda m, a, b: m.nn.functional.pairwise_distance(a, b, float("inf")),
                              [(3, 4), (3, 4)]),
    "pairwise_distance_scalars": (lambda m, a, b: m.nn.functional.pairwise_distance(a, b), [(), ()]),
    "cosine_similarity": (lambda m, a, b: m.nn.functional.cosine_similarity(a, b), [(3, 4), (3, 4)]),
    "cosine_similarity_broadcast": (lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=0),
                                    [(3, 4), (1, 4)]),
    "cosine_similarity_tiny_norm": (lambda m, a, b: m.nn.functional.cosine_similarity(a * 1e-10, b, eps=1e-6),
                                    [(3, 4), (3, 4)]),
    "sdpa": (_sdpa(), [(2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)]),
    "sdpa_causal": (_sdpa(is_causal=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)]),
    "sdpa_bool_mask_with_a_dead_row": (_sdpa(mask="bool"), [(2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)]),
    "sdpa_float_mask": (_sdpa(mask="float", scale=0.3), [(2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)]),
    # 4-D inputs without dropout: torch's fused CPU kernel, one node over query, key and value
    "sdpa_4d_fused": (_sdpa(is_causal=True), [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), (3, 5)]),
    "sdpa_4d_fused_bool_mask": (_sdpa(mask="bool"), [(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), (3, 5)]),
    "sdpa_4d_fused_gqa": (_sdpa(enable_gqa=True), [(1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), (3, 5)]),
    "sdpa_4d_float_mask_needing_grad": (_sdpa(mask="float"), [(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), (3, 5)]),
    "linear_2d": (lambda m, x, w, b: m.nn.functional.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
    "linear_3d": (lambda m, x, w, b: m.nn.functional.linear(x, w, b), [(2, 3, 4), (5, 4), (5,)]),
    "linear_3d_no_bias": (lambda m, x, w: m.nn.functional.linear(x, w), [(2, 3, 4), (5, 4)]),
    "linear_3d_transposed": (lambda m, x, w, b: m.nn.functional.linear(x.transpose(0, 1), w, b),
                             [(3, 2, 4), (5, 4), (5,)]),
    "linear_3d_transposed_no_bias": (lambda m, x, w: m.nn.functional.linear(x.transpose(0, 1), w),
                                     [(3, 2, 4), (5, 4)]),
    "lp_pool1d": (lambda m, x: m.nn.functional.lp_pool1d(x, 2, 3, stride=2), [(2, 3, 7)]),
    "lp_pool2d": (lambda m, x: m.nn.functional.lp_pool2d(x, 3, 2), [(2, 3, 4, 4)]),
}


@pytest.mark.parametrize("name", NN_COMPOSITES)
def test_nn_functional_composite_graphs(name):
    fn, shapes = NN_COMPOSITES[name]
    arrays = [f64(*s, seed=20 + i) for i, s in enumerate(shapes)]
    if name.startswith("lp_pool"):
        arrays = [np.abs(a) + 0.1 for a in arrays]  # away from lp pooling's kink at zero
    assert_same_graphs(fn, *arrays)
    compare_grad(fn, *arrays)


@pytest.mark.parametrize("inputs", [("int64", "int64"), ("int64", "float64"), ("bool", "float32"),
                                    ("float32", "float64")])
def test_cosine_similarity_and_pairwise_distance_dtypes(inputs):
    from harness import compare

    a, b = (sample((3, 4), dt, seed=i) for i, dt in enumerate(inputs))
    compare(lambda m, x, y: m.nn.functional.cosine_similarity(x, y), a, b, message=True)
    if "bool" not in inputs:
        compare(lambda m, x, y: m.nn.functional.pairwise_distance(x, y), a, b)


def _cell(kind, batched, bias, with_state):
    def run(m, x, h):
        m.manual_seed(0)
        options = {"nonlinearity": "relu"} if kind == "RNNCell_relu" else {}
        cell = getattr(m.nn, kind.removesuffix("_relu"))(3, 4, bias=bias, dtype=m.float64, **options)
        if not batched:
            x, h = x[0], h[0]
        if not with_state:
            out = cell(x)
        elif kind == "LSTMCell":
            out = cell(x, (h, h * 2))
        else:
            out = cell(x, h)
        return out if kind != "LSTMCell" else out[0] + out[1]
    return run


@pytest.mark.parametrize("kind", ["RNNCell", "RNNCell_relu", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("batched, bias, with_state", [(True, True, False), (True, False, True), (False, True, True)])
def test_recurrent_cell_graph(kind, batched, bias, with_state):  # ATen's cells: hh projection first, its gate order
    assert_same_graphs(_cell(kind, batched, bias, with_state), f64(2, 3), f64(2, 4, seed=1))
    compare_grad(_cell(kind, batched, bias, with_state), f64(2, 3), f64(2, 4, seed=1))


@pytest.mark.parametrize("call", [
    lambda m, a: m.nn.functional.triplet_margin_loss(a, a.flip(0), a * 2),  # ATen adds the margin as a Scalar
    lambda m, a: a.div(a.detach() + 1, rounding_mode=None),  # an explicit None: div.Tensor_mode, DivBackward2
    lambda m, a: a.div(2, rounding_mode=None), lambda m, a: m.div(a, 2), lambda m, a: a / 2,
    lambda m, a: a.div(2, rounding_mode="floor")])
def test_scalar_and_mode_overload_graphs(call):
    assert_same_graphs(call, f64(3, 4))
    compare_grad(call, f64(3, 4))
