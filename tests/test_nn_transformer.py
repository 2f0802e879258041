"""MultiheadAttention and the Transformer modules, differential against torch: identical initialisation (same
draws), then the same weights, inputs and masks; outputs, attention weights, and the gradients of the inputs and
of every parameter; reprs, state_dict keys, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.modules import activation_attention as EA
from ember.nn.modules import transformer as ET

TOL = {"rtol": 1e-4, "atol": 3e-5}


def _close(a, b, what, **tol):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), err_msg=what, **(tol or TOL))


def _pair(tcls, ecls, *args, **kwargs):
    """Built from the same seed: the initial weights must be identical; returns (torch, ember) modules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(3)
        tm = tcls(*args, **kwargs)
        ember.manual_seed(3)
        em = ecls(*args, **kwargs)
    t_sd, e_sd = tm.state_dict(), em.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy(), err_msg=k)
    assert repr(em) == repr(tm)
    return tm, em


def _run(tm, em, arrays, masks=None, kwargs=None, train=True, check_params=True, n_out=1):
    masks, kwargs = masks or {}, kwargs or {}
    tm.train(train)
    em.train(train)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out = tm(*ts, **{k: torch.tensor(v) for k, v in masks.items()}, **kwargs)
    e_out = em(*es, **{k: ember.tensor(v) for k, v in masks.items()}, **kwargs)
    t_out = list(t_out) if isinstance(t_out, tuple) else [t_out]
    e_out = list(e_out) if isinstance(e_out, tuple) else [e_out]
    assert len(t_out) == len(e_out)
    rng = np.random.default_rng(0)
    t_roots, e_roots, seeds_t, seeds_e = [], [], [], []
    for i, (t, e) in enumerate(zip(t_out, e_out)):
        assert (t is None) == (e is None), i
        if t is None:
            continue
        assert tuple(t.shape) == tuple(e.shape), i
        _close(t, e, f"output {i}")
        g = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        t_roots.append(t)
        e_roots.append(e)
        seeds_t.append(torch.tensor(g))
        seeds_e.append(ember.tensor(g))
    torch.autograd.backward(t_roots, seeds_t)
    ember.autograd.backward(e_roots, seeds_e)
    for i, (t, e) in enumerate(zip(ts, es)):
        if t.grad is None:
            assert e.grad is None
            continue
        _close(t.grad, e.grad, f"grad of input {i}")
    if check_params:
        for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
            assert (tp.grad is None) == (ep.grad is None), name
            if tp.grad is not None:
                _close(tp.grad, ep.grad, f"grad of {name}", rtol=1e-4, atol=1e-4)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _bool_mask(shape, seed=0, keep_first=True):
    m = np.random.default_rng(seed).random(shape) < 0.35
    if keep_first:
        m[..., 0] = False  # no fully masked rows (torch gives NaN there on the need_weights path)
    return m


# -------------------------------------------------------------------------------------------------------
# MultiheadAttention

MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
]


@pytest.mark.parametrize("kw", MHA_CONFIGS)
@pytest.mark.parametrize("call", [
    {"need_weights": True},
    {"need_weights": True, "average_attn_weights": False},
    {"need_weights": False},
    {"need_weights": True, "mask": "bool"},
    {"need_weights": False, "mask": "float", "kpm": True},
    {"need_weights": True, "kpm": True},
    {"need_weights": False, "mask": "3d"},
])
def test_multihead_attention(kw, call):
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 8, 2, **kw)
    call = dict(call)
    L, S, N = 4, 5, 3
    bf = kw.get("batch_first", False)
    q = _x(N, L, 8, seed=1) if bf else _x(L, N, 8, seed=1)
    k = _x(N, S, 8, seed=2) if bf else _x(S, N, kw.get("kdim", 8), seed=2)
    v = _x(N, S, 8, seed=3) if bf else _x(S, N, kw.get("vdim", 8), seed=3)
    masks = {}
    mask = call.pop("mask", None)
    if mask == "bool":
        masks["attn_mask"] = _bool_mask((L, S))
    elif mask == "float":
        masks["attn_mask"] = _x(L, S, seed=4)
    elif mask == "3d":
        masks["attn_mask"] = _x(N * 2, L, S, seed=5)
    if call.pop("kpm", False):
        kpm = np.zeros((N, S), bool)
        kpm[0, -2:] = True
        kpm[2, -1] = True
        masks["key_padding_mask"] = kpm if mask != "float" else np.where(kpm, -np.inf, 0).astype(np.float32)
    _run(tm, em, [q, k, v], masks, call)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_self_attention_same_tensor_and_causal(need_weights):
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 6, 3, batch_first=True)
    x = _x(2, 5, 6)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    e_mask = ET.Transformer.generate_square_subsequent_mask(5)
    np.testing.assert_array_equal(e_mask.numpy(), t_mask.numpy())
    t_out, t_w = tm(tx, tx, tx, attn_mask=t_mask, is_causal=True, need_weights=need_weights)
    e_out, e_w = em(ex, ex, ex, attn_mask=e_mask, is_causal=True, need_weights=need_weights)
    _close(t_out, e_out, "causal self-attention")
    if need_weights:
        _close(t_w, e_w, "weights")
    else:
        assert e_w is None
    t_out.sum().backward()
    e_out.backward(ember.ones(tuple(e_out.shape)))
    _close(tx.grad, ex.grad, "grad")
    _close(tm.in_proj_weight.grad, em.in_proj_weight.grad, "in_proj grad", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_unbatched(need_weights):
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 4, 2)
    q, k = _x(3, 4, seed=1), _x(5, 4, seed=2)
    kpm = np.array([False, False, False, True, False])
    _run(tm, em, [q, k, k.copy()], {"key_padding_mask": kpm, "attn_mask": _x(2, 3, 5, seed=3)},
         {"need_weights": need_weights})


def test_multihead_attention_eval_with_dropout():
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 4, 2, dropout=0.5)
    _run(tm, em, [_x(3, 2, 4, seed=1), _x(3, 2, 4, seed=2), _x(3, 2, 4, seed=3)], train=False)


def test_multihead_attention_errors():
    with pytest.raises(ValueError) as t_err:
        torch.nn.MultiheadAttention(0, 2)
    with pytest.raises(ValueError) as e_err:
        EA.MultiheadAttention(0, 2)
    assert str(e_err.value) == str(t_err.value)
    with pytest.raises(AssertionError):
        EA.MultiheadAttention(5, 2)
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 4, 2)
    cases = [
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 4), m.zeros(5, 4)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), m.zeros(2, 5, 1, dtype=m.bool)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), m.zeros(3, 5, dtype=m.bool)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), m.zeros(2, 4, dtype=m.bool)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), None, True, m.zeros(3, 4)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), None, True, m.zeros(3, 3, 5)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), None, True, m.zeros(3, 5, dtype=m.int64)),
        lambda m: (m.zeros(3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4), None, True, None, True, True),
        lambda m: (m.zeros(2, 3, 2, 4), m.zeros(5, 2, 4), m.zeros(5, 2, 4)),
        lambda m: (m.zeros(3, 2, 6), m.zeros(5, 2, 6), m.zeros(5, 2, 6)),
    ]
    for i, args in enumerate(cases):
        with pytest.raises(Exception) as t_err:
            tm(*args(torch))
        with pytest.raises(Exception) as e_err:
            em(*args(ember))
        assert type(e_err.value) is type(t_err.value), (i, str(t_err.value))
        assert str(e_err.value) == str(t_err.value), i


def test_multihead_functional_errors():
    def call(m, q=(2, 3, 4), k=(2, 3, 4), v=(2, 3, 4), **kw):
        args = dict(embed_dim_to_check=4, num_heads=2, in_proj_weight=m.ones(12, 4), in_proj_bias=None, bias_k=None,
                    bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=m.ones(4, 4), out_proj_bias=None)
        args.update(kw)
        fn = torch.nn.functional if m is torch else ember.nn.functional
        return fn.multi_head_attention_forward(m.ones(q), m.ones(k), m.ones(v), **args)

    sep = {"use_separate_proj_weight": True, "in_proj_weight": None}
    cases = [
        lambda m: call(m, v=(3, 3, 4)),
        lambda m: call(m, v=(3, 3, 4), **sep, q_proj_weight=m.ones(4, 4), k_proj_weight=m.ones(4, 4),
                       v_proj_weight=m.ones(4, 4)),
        lambda m: call(m, in_proj_weight=None),
        lambda m: call(m, **sep, q_proj_weight=m.ones(4, 4), k_proj_weight=None, v_proj_weight=m.ones(4, 4)),
        lambda m: call(m, k=(2, 3, 3), **sep, q_proj_weight=m.ones(4, 4), k_proj_weight=m.ones(4, 4),
                       v_proj_weight=m.ones(4, 4)),
        lambda m: call(m, **sep, q_proj_weight=m.ones(4, 4), k_proj_weight=m.ones(4, 4), v_proj_weight=m.ones(4, 4),
                       in_proj_bias=m.ones(9)),
        lambda m: call(m, bias_k=m.ones(1, 1, 4)),
        lambda m: call(m, bias_v=m.ones(1, 1, 4)),
        lambda m: call(m, bias_k=m.ones(1, 1, 4), bias_v=m.ones(1, 1, 4), static_k=m.ones(6, 2, 2)),
        lambda m: call(m, static_k=m.ones(5, 2, 2)),
        lambda m: call(m, static_v=m.ones(6, 2, 3)),
        lambda m: call(m, key_padding_mask=m.zeros(2, 2, dtype=m.bool)),
        lambda m: call(m, attn_mask=m.zeros(2, 2, 2)),
        lambda m: call(m, embed_dim_to_check=6),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(Exception) as t_err:
            case(torch)
        with pytest.raises(Exception) as e_err:
            case(ember)
        assert type(e_err.value) is type(t_err.value), (i, str(t_err.value))
        assert str(e_err.value) == str(t_err.value), i


def test_multihead_functional_matches_module():
    tm, em = _pair(torch.nn.MultiheadAttention, EA.MultiheadAttention, 4, 2)
    x = _x(3, 2, 4)
    t_out, t_w = torch.nn.functional.multi_head_attention_forward(
        torch.tensor(x), torch.tensor(x), torch.tensor(x), 4, 2, tm.in_proj_weight, tm.in_proj_bias, None, None, False,
        0.0, tm.out_proj.weight, tm.out_proj.bias, training=False)
    e_out, e_w = EA.multi_head_attention_forward(
        ember.tensor(x), ember.tensor(x), ember.tensor(x), 4, 2, em.in_proj_weight, em.in_proj_bias, None, None, False,
        0.0, em.out_proj.weight, em.out_proj.bias, training=False)
    _close(t_out, e_out, "functional")
    _close(t_w, e_w, "functional weights")


# -------------------------------------------------------------------------------------------------------
# Transformer layers and stacks


@pytest.mark.parametrize("kw", [
    {"dropout": 0.0},
    {"dropout": 0.0, "norm_first": True, "activation": "gelu"},
    {"dropout": 0.0, "batch_first": True, "bias": False},
    {"dropout": 0.0, "activation": torch.nn.functional.gelu, "layer_norm_eps": 1e-3},
])
@pytest.mark.parametrize("masks", ["none", "causal", "padding"])
def test_encoder_layer(kw, masks):
    kw_e = dict(kw)
    if callable(kw.get("activation")):
        kw_e["activation"] = ember.nn.functional.gelu
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(3)
        tm = torch.nn.TransformerEncoderLayer(8, 2, 16, **kw)
        ember.manual_seed(3)
        em = ET.TransformerEncoderLayer(8, 2, 16, **kw_e)
    assert repr(em) == repr(tm)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    bf = kw.get("batch_first", False)
    x = _x(2, 5, 8) if bf else _x(5, 2, 8)
    m = {}
    if masks == "causal":
        m["src_mask"] = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    elif masks == "padding":
        m["src_key_padding_mask"] = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool)
    _run(tm, em, [x], m)


@pytest.mark.parametrize("kw", [{"dropout": 0.0}, {"dropout": 0.0, "norm_first": True, "batch_first": True}])
def test_decoder_layer(kw):
    tm, em = _pair(torch.nn.TransformerDecoderLayer, ET.TransformerDecoderLayer, 8, 2, 16, **kw)
    bf = kw.get("batch_first", False)
    tgt = _x(2, 4, 8, seed=1) if bf else _x(4, 2, 8, seed=1)
    mem = _x(2, 5, 8, seed=2) if bf else _x(5, 2, 8, seed=2)
    masks = {"tgt_mask": np.triu(np.full((4, 4), -np.inf, np.float32), 1),
             "memory_key_padding_mask": np.array([[0, 0, 0, 0, 1], [0, 0, 1, 1, 1]], bool)}
    _run(tm, em, [tgt, mem], masks)


@pytest.mark.parametrize("train", [True, False])
def test_encoder_and_decoder_stacks(train):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(3)
        t_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
        tm = torch.nn.TransformerEncoder(t_layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
        ember.manual_seed(3)
        e_layer = ET.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
        em = ET.TransformerEncoder(e_layer, 2, norm=ember.nn.LayerNorm(8), enable_nested_tensor=False)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    _run(tm, em, [_x(5, 2, 8)], {"mask": np.triu(np.full((5, 5), -np.inf, np.float32), 1)}, train=train)

    torch.manual_seed(3)
    tm = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2)
    ember.manual_seed(3)
    em = ET.TransformerDecoder(ET.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2)
    assert repr(em) == repr(tm)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    _run(tm, em, [_x(4, 2, 8, seed=1), _x(5, 2, 8, seed=2)], {"tgt_mask": np.triu(np.full((4, 4), -np.inf,
                                                                                           np.float32), 1)},
         train=train)


@pytest.mark.parametrize("kw", [
    {"dropout": 0.0},
    {"dropout": 0.0, "batch_first": True, "norm_first": True, "activation": "gelu", "bias": False},
])
def test_transformer(kw):
    args = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, **kw)
    tm, em = _pair(torch.nn.Transformer, ET.Transformer, **args)  # xavier_uniform_ draws identical to torch's
    bf = kw.get("batch_first", False)
    src = _x(2, 5, 8, seed=1) if bf else _x(5, 2, 8, seed=1)
    tgt = _x(2, 4, 8, seed=2) if bf else _x(4, 2, 8, seed=2)
    masks = {"tgt_mask": np.triu(np.full((4, 4), -np.inf, np.float32), 1),
             "src_key_padding_mask": np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], bool),
             "memory_key_padding_mask": np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], bool)}
    _run(tm, em, [src, tgt], masks)


def test_transformer_unbatched_and_errors():
    tm, em = _pair(torch.nn.Transformer, ET.Transformer, d_model=4, nhead=2, num_encoder_layers=1,
                   num_decoder_layers=1, dim_feedforward=8, dropout=0.0)
    _run(tm, em, [_x(5, 4, seed=1), _x(3, 4, seed=2)])
    for args in [lambda m: (m.zeros(5, 2, 4), m.zeros(3, 3, 4)), lambda m: (m.zeros(5, 2, 4), m.zeros(3, 2, 6))]:
        with pytest.raises(RuntimeError) as t_err:
            tm(*args(torch))
        with pytest.raises(RuntimeError) as e_err:
            em(*args(ember))
        assert str(e_err.value) == str(t_err.value)
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(RuntimeError) as e_err:
        ET.TransformerEncoderLayer(4, 2, activation="tanh")
    assert str(e_err.value) == str(t_err.value)


def test_nested_tensor_warning_and_attributes():
    with pytest.warns(UserWarning, match="self.use_nested_tensor is False because encoder_layer.self_attn.batch_first"):
        enc = ET.TransformerEncoder(ET.TransformerEncoderLayer(4, 2), 1)
    assert enc.enable_nested_tensor and not enc.use_nested_tensor
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = ET.TransformerEncoder(ET.TransformerEncoderLayer(4, 2, batch_first=True), 1)
    assert enc.use_nested_tensor
    layer = ET.TransformerEncoderLayer(4, 2, activation="gelu")
    assert layer.activation_relu_or_gelu == 2
    assert ET.TransformerEncoderLayer(4, 2, activation=ember.nn.ReLU()).activation_relu_or_gelu == 1


@pytest.mark.parametrize("case", ["nested", "nested-grad", "not-left-aligned", "training", "disabled"])
def test_encoder_nested_path_zeros_padding(case):
    """torch's sparsity fast path (inference, batch_first, a left-aligned key padding mask) pads its result with
    zeros, before the final norm; otherwise the padded positions hold computed values. Both as torch's."""
    outs = []
    for m in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.manual_seed(3)
            layer = m.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
            norm = m.nn.LayerNorm(8)
            enc = m.nn.TransformerEncoder(layer, 2, norm=norm, enable_nested_tensor=case != "disabled")
        with m.no_grad():
            norm.bias.fill_(0.25)                  # the final norm sees the zeros: its bias shows there
        enc.train(case == "training")
        if case == "training":
            for mod in enc.modules():              # no dropout, so that the outputs compare
                if isinstance(mod, m.nn.Dropout):
                    mod.p = 0.0
        pad = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]], bool)
        if case == "not-left-aligned":
            pad[1, 2] = True
        x, mask = m.tensor(_x(3, 5, 8)), m.tensor(pad)
        with m.set_grad_enabled(case == "nested-grad"):
            outs.append(enc(x, src_key_padding_mask=mask).detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], **TOL)
    assert (outs[0][0, 3:] == 0.25).all() == (case == "nested")   # the case really is (or is not) the fast path


def test_generate_square_subsequent_mask_dtype():
    t = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    e = ET.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert e.dtype == ember.float64
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# rows whose every key is masked: torch's inference fast path (fused kernel) gives NaN, its general path 0
@pytest.mark.parametrize("setting", ["eval_no_grad", "eval_grad", "train_no_grad", "cross_attention", "odd_heads",
                                     "attn_mask_row", "merged_masks", "encoder_layer"])
def test_fully_masked_rows_follow_torchs_fast_path(setting):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)

    def run(m):
        m.manual_seed(0)
        heads = 1 if setting == "odd_heads" else 2
        layer = (m.nn.TransformerEncoderLayer(4, heads, 8, batch_first=True) if setting == "encoder_layer" else
                 m.nn.MultiheadAttention(4, heads, batch_first=True))
        layer.train(setting == "train_no_grad")
        if setting != "encoder_layer":
            layer.dropout = 0.0
        t = m.tensor(x)
        kpm = m.tensor([[True, True, True], [False, True, False]])
        attn = m.tensor([[False, False, False], [True, True, True], [False, True, False]])
        with m.set_grad_enabled(setting == "eval_grad"):
            if setting == "encoder_layer":
                return layer(t, src_key_padding_mask=kpm)
            if setting == "attn_mask_row":
                return layer(t, t, t, attn_mask=attn, need_weights=False)[0]
            if setting == "merged_masks":
                return layer(t, t, t, attn_mask=attn, key_padding_mask=kpm, need_weights=False)[0]
            key = t * 1 if setting == "cross_attention" else t
            return layer(t, key, key, key_padding_mask=kpm, need_weights=False)[0]

    expected, got = run(torch), run(ember)
    np.testing.assert_array_equal(np.isnan(got.detach().numpy()), np.isnan(expected.detach().numpy()))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
