"""MultiheadAttention's recorded autograd graph compared with torch's, node for node (names, next_functions,
shared nodes), over every branch of multi_head_attention_forward: self-attention, key is value, separate
key/value, separate projection weights (kdim/vdim), batch_first, unbatched input, bias, add_bias_kv,
add_zero_attn, masks (2-D/3-D, bool/float, key padding, causal), dropout in train mode, per-head weights, and
both need_weights paths. Values and the gradients of the inputs and of every parameter are compared too."""

import warnings

import numpy as np
import pytest
import torch
from test_autograd_graphs import graph_of
from test_nn_transformer import _close, _pair

import ember
from ember.nn.modules import activation_attention as EA
from ember.nn.modules import transformer as ET


class GraphMismatch(AssertionError):
    """Raised only by the graph comparison, so that an expected graph failure cannot hide a wrong value."""


# With need_weights=False torch's fused CPU kernel (ScaledDotProductFlashAttentionForCpu) returns its output laid
# out like the query, (L, N, H, D) in memory, so MHA's permute(2, 0, 1, 3).reshape(...) is a view. ember's
# scaled_dot_product_attention (ember/ops/nn_misc.py) returns a contiguous (N, H, L, D) tensor, so the reshape
# copies (CloneBackward0 + UnsafeViewBackward0 instead of ViewBackward0). Strict: once fixed these must pass.

def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _masks(m, mask, kpm, L, S, N, unbatched):
    out = {}
    if mask == "bool":
        a = np.zeros((L, S), bool)
        a[1:, -1] = True
        out["attn_mask"] = m.tensor(a)
    elif mask == "float":
        out["attn_mask"] = m.tensor(_x(L, S, seed=4))
    elif mask == "3d":
        out["attn_mask"] = m.tensor(_x((1 if unbatched else N) * 2, L, S, seed=5))
    elif mask == "3d_bool":
        a = np.random.default_rng(6).random(((1 if unbatched else N) * 2, L, S)) < 0.3
        a[..., 0] = False
        out["attn_mask"] = m.tensor(a)
    elif mask == "causal":
        out["attn_mask"] = m.tensor(np.triu(np.ones((L, S), bool), 1))
    if kpm is not None:
        p = np.zeros((N, S), bool)
        p[0, -2:] = True
        p = p[0] if unbatched else p
        out["key_padding_mask"] = m.tensor(p if kpm == "bool" else np.where(p, -np.inf, 0).astype(np.float32))
    return out


def _check(kw=None, mode="self", need_weights=True, mask=None, kpm=None, is_causal=False, unbatched=False,
           train=False, average=True):
    """Both modules from the same seed, the same inputs; compares outputs, graphs and gradients."""
    kw = kw or {}
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 8, 2, **kw)
    L, S, N = 4, (4 if is_causal or mode == "self" else 5), 3
    bf = kw.get("batch_first", False) and not unbatched

    def shape(T, d):
        return (T, d) if unbatched else ((N, T, d) if bf else (T, N, d))

    results = []
    for m, mod in ((torch, tm), (ember, em)):
        mod.train(train)
        m.manual_seed(0)
        q = m.tensor(_x(*shape(L, 8), seed=1), requires_grad=True)
        if mode == "self":
            inputs, args = [q], (q, q, q)
        elif mode == "kv":
            k = m.tensor(_x(*shape(S, 8), seed=2), requires_grad=True)
            inputs, args = [q, k], (q, k, k)
        else:
            k = m.tensor(_x(*shape(S, kw.get("kdim", 8)), seed=2), requires_grad=True)
            v = m.tensor(_x(*shape(S, kw.get("vdim", 8)), seed=3), requires_grad=True)
            inputs, args = [q, k, v], (q, k, v)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mismatched mask types: the deprecation warning is tested elsewhere
            out, weights = mod(*args, need_weights=need_weights, average_attn_weights=average, is_causal=is_causal,
                               **_masks(m, mask, kpm, L, S, N, unbatched))
        roots = [out] if weights is None else [out, weights]
        seeds = [m.tensor(_x(*r.shape, seed=10 + i)) for i, r in enumerate(roots)]
        graphs = [graph_of(r) for r in roots]
        m.autograd.backward(roots, seeds)
        results.append((roots, graphs, inputs, mod))
    (t_roots, t_graphs, t_in, _), (e_roots, e_graphs, e_in, _) = results
    assert len(e_roots) == len(t_roots)
    for i, (t, e) in enumerate(zip(t_roots, e_roots)):
        assert tuple(e.shape) == tuple(t.shape), i
        _close(t, e, f"output {i}")
    for i, (t, e) in enumerate(zip(t_in, e_in)):
        _close(t.grad, e.grad, f"grad of input {i}")
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        assert (tp.grad is None) == (ep.grad is None), name
        if tp.grad is not None:
            _close(tp.grad, ep.grad, f"grad of {name}", rtol=1e-4, atol=1e-4)
    for i, (t, e) in enumerate(zip(t_graphs, e_graphs)):
        if e != t:
            raise GraphMismatch(f"graph of output {i}:\n ember {e}\n torch {t}")


CASES = [
    {},
    {"mode": "kv"},
    {"mode": "sep"},
    {"kw": {"batch_first": True}},
    {"kw": {"batch_first": True}, "mode": "kv"},
    {"kw": {"batch_first": True}, "mode": "sep"},
    {"kw": {"bias": False}},
    {"kw": {"bias": False}, "mode": "kv"},
    {"kw": {"add_bias_kv": True}, "mode": "sep"},
    {"kw": {"add_zero_attn": True}, "mode": "kv"},
    {"kw": {"add_bias_kv": True, "add_zero_attn": True}, "mask": "bool", "kpm": "bool"},
    {"kw": {"kdim": 3, "vdim": 5}, "mode": "sep"},
    {"kw": {"kdim": 3, "vdim": 5, "bias": False, "batch_first": True}, "mode": "sep", "mask": "float"},
    {"mask": "bool"},
    {"mask": "float", "mode": "sep"},
    {"mask": "3d"},
    {"mask": "3d_bool", "mode": "kv"},
    {"kpm": "bool"},
    {"kpm": "float", "mode": "sep"},
    {"mask": "float", "kpm": "bool"},
    {"mask": "causal", "is_causal": True},
    {"mask": "causal", "is_causal": True, "kpm": "bool"},
    {"unbatched": True},
    {"unbatched": True, "mode": "sep", "mask": "3d", "kpm": "bool"},
    {"average": False},
    {"kw": {"batch_first": True}, "train": True},
]
DROPOUT_TRAIN = [{"kw": {"dropout": 0.5}, "train": True}, {"kw": {"dropout": 0.5}, "train": True, "mode": "sep",
                                                          "mask": "bool"}]


def _id(case):
    return "-".join(f"{k}={v}" for k, v in case.items()) or "default"


@pytest.mark.parametrize("case", CASES + DROPOUT_TRAIN, ids=_id)
def test_mha_graph_need_weights(case):
    _check(**case, need_weights=True)


# need_weights=False goes through scaled_dot_product_attention: torch's fused kernel unless dropout is active
@pytest.mark.parametrize("case", CASES + DROPOUT_TRAIN, ids=_id)
def test_mha_graph_no_weights(case):
    _check(**case, need_weights=False)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_graph_float_masks_requiring_grad(need_weights):
    """Float masks that require grad get gradients; with need_weights=False torch then takes sdpa's math path."""
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 8, 2)
    results = []
    for m, mod in ((torch, tm), (ember, em)):
        q = m.tensor(_x(4, 3, 8, seed=1), requires_grad=True)
        attn_mask = m.tensor(_x(4, 4, seed=2), requires_grad=True)
        padding = m.tensor(_x(3, 4, seed=3), requires_grad=True)
        out, _ = mod(q, q, q, need_weights=need_weights, attn_mask=attn_mask, key_padding_mask=padding)
        graph = graph_of(out)
        out.backward(m.tensor(_x(4, 3, 8, seed=4)))
        results.append((out, graph, (q, attn_mask, padding)))
    (t_out, t_graph, t_in), (e_out, e_graph, e_in) = results
    _close(t_out, e_out, "output")
    for i, (t, e) in enumerate(zip(t_in, e_in)):
        _close(t.grad, e.grad, f"grad of input {i}")
    assert e_graph == t_graph


def test_sdpa_fused_output_layout():
    """The root of the need_weights=False differences: torch's fused CPU kernel returns its output laid out like
    the query, and takes the math path when a last dimension is strided."""
    def probe(m):
        base = m.tensor(_x(4, 6, 8, seed=1), requires_grad=True)
        q = base.transpose(0, 1).view(3, 2, 4, 8)  # (N, H, L, D) view of (L, N*H, D), as MHA makes it
        strided = base[..., ::2].reshape(4, 3, 2, 4).permute(1, 2, 0, 3).transpose(-2, -1)
        fused = m.nn.functional.scaled_dot_product_attention(q, q, q)
        math_path = m.nn.functional.scaled_dot_product_attention(strided, strided, strided)
        return fused.stride(), type(fused.grad_fn).__name__, type(math_path.grad_fn).__name__

    expected, got = probe(torch), probe(ember)
    if got != expected:
        raise GraphMismatch(f"ember {got}, torch {expected}")


def test_functional_static_kv_graph():
    """static_k/static_v replace the projected key and value (as the decoders of fairseq-style models use)."""
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 8, 2)
    results = []
    for m, mod in ((torch, tm), (ember, em)):
        q = m.tensor(_x(4, 3, 8, seed=1), requires_grad=True)
        sk = m.tensor(_x(6, 5, 4, seed=2), requires_grad=True)
        sv = m.tensor(_x(6, 5, 4, seed=3), requires_grad=True)
        fn = torch.nn.functional if m is torch else ember.nn.functional
        out, w = fn.multi_head_attention_forward(q, q, q, 8, 2, mod.in_proj_weight, mod.in_proj_bias, None, None,
                                                 False, 0.0, mod.out_proj.weight, mod.out_proj.bias, static_k=sk,
                                                 static_v=sv)
        graphs = (graph_of(out), graph_of(w))
        m.autograd.backward([out, w], [m.tensor(_x(4, 3, 8, seed=7)), m.tensor(_x(3, 4, 5, seed=8))])
        results.append((out, w, graphs, (q, sk, sv)))
    (t_out, t_w, t_graphs, t_in), (e_out, e_w, e_graphs, e_in) = results
    _close(t_out, e_out, "output")
    _close(t_w, e_w, "weights")
    for i, (t, e) in enumerate(zip(t_in, e_in)):
        _close(t.grad, e.grad, f"grad of input {i}")
    assert e_graphs == t_graphs


def _layer_graphs(kind, kw):
    graphs = []
    for m, mod in ((torch, torch.nn), (ember, ET)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.manual_seed(3)
            layer = getattr(mod, kind)(8, 2, 16, **kw)
        layer.train()
        m.manual_seed(0)
        a = m.tensor(_x(5, 2, 8), requires_grad=True)
        if kind == "TransformerEncoderLayer":
            out = layer(a, src_mask=m.tensor(np.triu(np.full((5, 5), -np.inf, np.float32), 1)))
        else:
            b = m.tensor(_x(4, 2, 8, seed=1), requires_grad=True)
            out = layer(a, b, tgt_mask=m.tensor(np.triu(np.full((5, 5), -np.inf, np.float32), 1)),
                        memory_key_padding_mask=m.tensor(np.array([[0, 0, 0, 1], [0, 0, 0, 0]], bool)))
        graphs.append((out, graph_of(out)))
    (t_out, t_graph), (e_out, e_graph) = graphs
    _close(t_out, e_out, "output")
    if e_graph != t_graph:
        raise GraphMismatch(f"ember {e_graph}\n torch {t_graph}")


@pytest.mark.parametrize("kind", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
@pytest.mark.parametrize("dropout", [0.1, 0.0])
def test_transformer_layer_graph_train(kind, dropout):
    _layer_graphs(kind, {"dropout": dropout})
