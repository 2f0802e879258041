"""Linear/Bilinear/Identity, Embedding, Dropout, Flatten/Unflatten, pad, attention, the small functional helpers
and nn.init, against PyTorch: values, grad_fn graphs, gradients of inputs and weights, gradcheck, reprs,
state_dict keys and shapes, initialisation after the same manual_seed, errors."""

import math
import warnings

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, noncontiguous, sample

import ember
from ember.autograd import gradcheck


def F(m):
    return m.nn.functional


def gradgradcheck(fn, inputs):
    def forced(*xs):
        with ember.enable_grad():
            return fn(*xs)

    return ember.autograd.gradgradcheck(forced, inputs)


W = sample((5, 4), "float64", seed=1)
B = sample((5,), "float64", seed=2)


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 3, 4), (2, 1, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_graph_and_grads(shape, bias):
    x = sample(shape, "float64")
    if bias:
        compare_grad(lambda m, a, w, b: F(m).linear(a, w, b), x, W, B)
    else:
        compare_grad(lambda m, a, w: F(m).linear(a, w), x, W)


def test_linear_noncontiguous_and_frozen_input():
    x = np.ascontiguousarray(sample((3, 2, 4), "float64")).transpose(1, 0, 2)
    compare_grad(lambda m, a, w: F(m).linear(a, w), x, W)
    compare_grad(lambda m, a, w, b: F(m).linear(a, w, b), x, W, B, check_graph=False)
    compare_grad(lambda m, w, b: F(m).linear(m.tensor(sample((3, 4), "float64")), w, b), W, B)
    compare_grad(lambda m, a: F(m).linear(a, m.tensor(W), m.tensor(B)), sample((3, 4), "float64"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_linear_values(dtype):
    x = sample((6, 4), dtype)
    compare(lambda m, a, w, b: F(m).linear(a, w, b), x, W.astype(x.dtype), B.astype(x.dtype))
    compare(lambda m, a, w: F(m).linear(a, w), noncontiguous(x), W.astype(x.dtype))
    compare(lambda m, a, w: F(m).linear(a, w), np.zeros((0, 4), x.dtype), W.astype(x.dtype))


def test_linear_errors():
    compare(lambda m, a, w: F(m).linear(a, w), sample((2, 3), "float32"), sample((5, 4), "float32"), message=True)
    compare(lambda m, a, w: F(m).linear(a, w), sample((2, 3, 4), "float32"), sample((5, 3), "float32"), message=True)
    compare(lambda m, a, w: F(m).linear(a, w), sample((3,), "float32"), sample((5, 4), "float32"), message=True)
    compare(lambda m, a, w: F(m).linear(a, w), sample((2, 4), "float32"), sample((5, 4), "float64"), message=True)
    compare(lambda m, a, w, b: F(m).linear(a, w, b), sample((2, 4), "float32"), sample((5, 4), "float32"),
            sample((3,), "float32"), message=True)
    compare(lambda m, a, w: F(m).linear(a, w), sample((2, 4), "float32"), sample((4,), "float32"))


def test_linear_gradcheck():
    x = ember.tensor(sample((3, 4), "float64"), requires_grad=True)
    w = ember.tensor(W, requires_grad=True)
    b = ember.tensor(B, requires_grad=True)
    assert gradcheck(lambda a, c, d: ember.nn.functional.linear(a, c, d), (x, w, b))
    assert gradgradcheck(lambda a, c, d: ember.nn.functional.linear(a, c, d), (x, w, b))
    x3 = ember.tensor(sample((2, 2, 4), "float64"), requires_grad=True)
    assert gradcheck(lambda a, c: ember.nn.functional.linear(a, c), (x3, w))


def test_bilinear():
    w = sample((3, 4, 2), "float64", seed=3)
    b = sample((3,), "float64", seed=4)
    x1, x2 = sample((5, 4), "float64"), sample((5, 2), "float64", seed=1)
    compare_grad(lambda m, a, c, ww, bb: F(m).bilinear(a, c, ww, bb), x1, x2, w, b)
    compare_grad(lambda m, a, c, ww: F(m).bilinear(a, c, ww), x1, x2, w)
    compare_grad(lambda m, a, c, ww: F(m).bilinear(a, c, ww), x1.reshape(5, 1, 4), x2.reshape(5, 1, 2), w)
    t = [ember.tensor(a, requires_grad=True) for a in (x1[:2], x2[:2], w)]
    assert gradcheck(lambda a, c, ww: ember.nn.functional.bilinear(a, c, ww), t)


# ------------------------------------------------------------------------------------------------------------
# modules


def _copy_params(src, dst):
    """Load torch module `src`'s parameters into ember module `dst` through NumPy."""
    with ember.no_grad():
        for (name, p), (tname, tp) in zip(dst.named_parameters(), src.named_parameters()):
            assert name == tname
            p.copy_(ember.tensor(tp.detach().numpy()))


def _same_state(e, t):
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]


@pytest.mark.parametrize("args,kwargs", [((3, 4), {}), ((3, 4), {"bias": False}), ((1, 1), {})])
def test_linear_module(args, kwargs):
    e, t = ember.nn.Linear(*args, **kwargs), torch.nn.Linear(*args, **kwargs)
    assert repr(e) == repr(t)
    _same_state(e, t)
    _copy_params(t, e)
    x = sample((2, args[0]), "float32")
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    # torch.testing's float32 tolerances: values near zero need the absolute part
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1.3e-6, atol=1e-5)
    ye.backward(ember.ones_like(ye))
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1.3e-6, atol=1e-5)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1.3e-6, atol=1e-5)


def test_linear_init_matches_torch():
    """kaiming_uniform_(a=sqrt(5)) then the bias, from the default generator: bit-identical to torch."""
    for seed in (0, 7):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        t, e = torch.nn.Linear(20, 7), ember.nn.Linear(20, 7)
        assert np.array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
        assert np.array_equal(e.bias.detach().numpy(), t.bias.detach().numpy())
        t, e = torch.nn.Bilinear(3, 4, 2), ember.nn.Bilinear(3, 4, 2)
        assert np.array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
        assert np.array_equal(e.bias.detach().numpy(), t.bias.detach().numpy())


def test_bilinear_identity_lazy_modules():
    e, t = ember.nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)
    assert repr(e) == repr(t)
    _same_state(e, t)
    _copy_params(t, e)
    a, b = sample((5, 2), "float32"), sample((5, 3), "float32")
    np.testing.assert_allclose(e(ember.tensor(a), ember.tensor(b)).detach().numpy(),
                               t(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert repr(ember.nn.Identity(3, x=4)) == repr(torch.nn.Identity(3, x=4)) == "Identity()"
    x = ember.ones(2)
    assert ember.nn.Identity()(x) is x
    lazy = ember.nn.LazyLinear(3)
    y = lazy(ember.ones(2, 5))
    assert tuple(y.shape) == (2, 3) and type(lazy) is ember.nn.Linear
    assert repr(lazy) == "Linear(in_features=5, out_features=3, bias=True)"


# ------------------------------------------------------------------------------------------------------------
# embedding

EMB = sample((10, 3), "float64", seed=5)
IDX = np.array([[1, 2, 4, 5], [4, 3, 2, 9]])


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True}])
def test_embedding(kwargs):
    compare_grad(lambda m, w: F(m).embedding(m.tensor(IDX), w, **kwargs), EMB)
    compare_grad(lambda m, w: F(m).embedding(m.tensor(IDX[0]), w, **kwargs), EMB)
    compare_grad(lambda m, w: F(m).embedding(m.tensor(3), w, **kwargs), EMB)


def test_embedding_max_norm_renorms_in_place():
    for m in (torch, ember):
        w = m.tensor(EMB * 3)
        out = F(m).embedding(m.tensor(IDX), w, max_norm=1.5, norm_type=2.0)
        if m is torch:
            tw, tout = w.numpy().copy(), out.numpy()
        else:
            np.testing.assert_allclose(w.numpy(), tw, rtol=1e-12)
            np.testing.assert_allclose(out.numpy(), tout, rtol=1e-12)


def test_embedding_errors_and_gradcheck():
    compare(lambda m, w: F(m).embedding(m.tensor([10]), w), EMB, message=True)
    compare(lambda m, w: F(m).embedding(m.tensor([1.0]), w), EMB, message=True)
    compare(lambda m, w: F(m).embedding(m.tensor([1]), w, padding_idx=10), EMB)
    w = ember.tensor(EMB, requires_grad=True)
    idx = ember.tensor([[0, 2], [2, 1]])
    assert gradcheck(lambda t: ember.nn.functional.embedding(idx, t, scale_grad_by_freq=False), (w,))
    assert gradgradcheck(lambda t: ember.nn.functional.embedding(idx, t) * 2, (w,))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"max_norm": 1.0, "norm_type": 1.0,
                                                               "scale_grad_by_freq": True, "sparse": True}])
def test_embedding_module(kwargs):
    e, t = ember.nn.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
    assert repr(e) == repr(t)
    _same_state(e, t)
    if "padding_idx" in kwargs:
        assert not e.weight.detach().numpy()[0].any()
    torch.manual_seed(3)
    ember.manual_seed(3)
    t, e = torch.nn.Embedding(10, 3), ember.nn.Embedding(10, 3)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5)
    pre = sample((4, 2), "float32")
    e, t = ember.nn.Embedding.from_pretrained(ember.tensor(pre)), torch.nn.Embedding.from_pretrained(
        torch.tensor(pre))
    assert repr(e) == repr(t) and e.weight.requires_grad == t.weight.requires_grad is False
    e2 = ember.nn.Embedding.from_pretrained(ember.tensor(pre), freeze=False, padding_idx=1)
    assert e2.weight.requires_grad and e2.padding_idx == 1


def test_embedding_bag():
    w = sample((10, 3), "float32")
    for mode in ("sum", "mean", "max"):
        def fn(m, mode=mode):
            bag = m.nn.EmbeddingBag(10, 3, mode=mode)
            with m.no_grad():
                bag.weight.copy_(m.tensor(w))
            a = bag(m.tensor(IDX))
            b = bag(m.tensor([1, 2, 4, 5, 4, 3]), m.tensor([0, 2]))
            return a.detach(), b.detach()

        compare(fn)
    assert repr(ember.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)) == \
        repr(torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2))


BAG_IDX = np.array([1, 2, 4, 5, 4, 3, 2, 2, 9, 0])
BAG_OFFSETS = np.array([0, 2, 2, 6, 7])                 # an empty bag and a bag of one


@pytest.mark.parametrize("kwargs", [
    dict(mode="sum"), dict(mode="mean"), dict(mode="max"),
    dict(mode="sum", padding_idx=2), dict(mode="mean", padding_idx=2), dict(mode="max", padding_idx=2),
    dict(mode="sum", include_last_offset=True), dict(mode="max", include_last_offset=True, padding_idx=-1),
    # (not scale_grad_by_freq: torch 2.13's CPU kernel divides some rows by another row's frequency)
], ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_embedding_bag_functional(kwargs):
    ties = np.round(EMB * 2) / 2                         # equal values in a bag: max takes the first
    # with include_last_offset the last offset is the input's length (torch's result is undefined otherwise)
    offsets = np.append(BAG_OFFSETS, len(BAG_IDX)) if kwargs.get("include_last_offset") else BAG_OFFSETS
    for w in (EMB, ties):
        compare_grad(lambda m, w: F(m).embedding_bag(m.tensor(BAG_IDX), w, m.tensor(offsets), **kwargs), w)
        compare_grad(lambda m, w: F(m).embedding_bag(m.tensor(IDX), w, **kwargs), w)


@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_per_sample_weights(padding_idx):
    psw = sample(BAG_IDX.shape, "float64", seed=7)
    psw[3] = 0.0                                         # a zero weight still gets its gradient
    compare_grad(lambda m, w, p: F(m).embedding_bag(m.tensor(BAG_IDX), w, m.tensor(BAG_OFFSETS), mode="sum",
                                                    per_sample_weights=p, padding_idx=padding_idx), EMB, psw)
    compare_grad(lambda m, w, p: F(m).embedding_bag(m.tensor(IDX), w, mode="sum", per_sample_weights=p),
                 EMB, sample(IDX.shape, "float64", seed=8))


@pytest.mark.parametrize("args,kwargs", [
    ((BAG_IDX, np.array([1, 3])), dict(_message="has to start from position 0. However, got 1")),
    ((BAG_IDX, np.array([0, 11])), {}),
    ((BAG_IDX, np.array([[0, 3]])), {}),
    ((BAG_IDX, None), {}),
    ((IDX, np.array([0, 1])), {}),
    ((BAG_IDX[None, None], None), {}),
    ((BAG_IDX, np.array([0, 2])), dict(mode="mean", per_sample_weights=np.ones(10))),
    ((BAG_IDX, np.array([0, 2])), dict(mode="sum", per_sample_weights=np.ones(3))),
    ((BAG_IDX, np.array([0, 2])), dict(mode="max", scale_grad_by_freq=True)),
    ((BAG_IDX, np.array([0, 2])), dict(mode="median")),
    ((BAG_IDX.astype(np.float32), np.array([0, 2])), {}),
    ((np.array([3, 10]), np.array([0, 1])), {}),
])
def test_embedding_bag_errors(args, kwargs):
    kwargs = dict(kwargs)
    message = kwargs.pop("_message", True)   # (torch appends a C++ tensor dump to that one)

    def fn(m, w):
        idx, offsets = (None if a is None else m.tensor(a) for a in args)
        kw = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return F(m).embedding_bag(idx, w, offsets, **kw)

    compare(fn, EMB, message=message)


def test_embedding_bag_module_graph():
    results = []
    for m in (torch, ember):
        m.manual_seed(0)
        bag = m.nn.EmbeddingBag(10, 3, mode="sum")
        psw = m.ones(10, requires_grad=True)
        out = bag(m.tensor(BAG_IDX), m.tensor(BAG_OFFSETS), per_sample_weights=psw)
        results.append((type(out.grad_fn).__name__, [n is None for n, _ in out.grad_fn.next_functions],
                        out.detach().numpy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-6)


# ------------------------------------------------------------------------------------------------------------
# dropout


def test_dropout_statistics_and_determinism():
    x = ember.ones(200, 100)
    ember.manual_seed(0)
    y = ember.nn.functional.dropout(x, 0.3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    ember.manual_seed(0)
    assert np.array_equal(ember.nn.functional.dropout(x, 0.3).numpy(), y.numpy())


def test_dropout_matches_torch_mask():
    torch.manual_seed(1)
    ember.manual_seed(1)
    x = sample((4, 8), "float32")
    t = torch.nn.functional.dropout(torch.tensor(x), 0.4)
    e = ember.nn.functional.dropout(ember.tensor(x), 0.4)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_dropout_graph_eval_and_edge_cases():
    x = ember.randn(3, 4, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.5)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert ember.nn.functional.dropout(x, 0.5, training=False) is x
    assert ember.nn.functional.dropout(x, 0.0) is x
    assert not ember.nn.functional.dropout(x, 1.0).detach().numpy().any()
    compare(lambda m, t: F(m).dropout(t, 1.5), sample((3,), "float32"), message=True)
    compare(lambda m: m.nn.Dropout(-0.1), message=True)
    y.sum().backward() if y.sum().requires_grad else None


def test_feature_and_alpha_dropout():
    ember.manual_seed(0)
    x = ember.ones(8, 16, 5, 5)
    y = ember.nn.functional.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    y1 = ember.nn.functional.dropout1d(ember.ones(4, 6, 7), 0.5).numpy()
    assert ((y1 == 0).all(-1) | (y1 == 2).all(-1)).all()
    y3 = ember.nn.functional.dropout3d(ember.ones(2, 4, 2, 2, 2), 0.5).numpy().reshape(2, 4, -1)
    assert ((y3 == 0).all(-1) | (y3 == 2).all(-1)).all()
    z = ember.nn.functional.alpha_dropout(ember.randn(10000), 0.2, training=True)
    assert abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1) < 0.1
    compare(lambda m, t: F(m).dropout1d(t, 0.5), sample((2, 3, 4, 5), "float32"), message=True)


@pytest.mark.parametrize("name,args", [("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout1d", ()),
                                       ("Dropout2d", (0.1,)), ("Dropout3d", ()), ("AlphaDropout", (0.3,)),
                                       ("FeatureAlphaDropout", ())])
def test_dropout_modules(name, args):
    e, t = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e) == repr(t)
    x = ember.randn(2, 3, 4, 5) if name != "Dropout1d" else ember.randn(2, 3, 4)
    e.eval()
    assert np.array_equal(e(x).numpy(), x.numpy())
    if name != "Dropout3d":
        assert e(x) is x


# ------------------------------------------------------------------------------------------------------------
# flatten, helpers, pad, attention


def test_flatten_unflatten():
    x = sample((2, 3, 4, 5), "float64")
    for args in [(), (0, -1), (1, 2), (2,)]:
        assert repr(ember.nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))
        compare(lambda m, t, a=args: m.nn.Flatten(*a)(t), x)
    assert repr(ember.nn.Unflatten(1, (3, 1))) == repr(torch.nn.Unflatten(1, (3, 1)))
    compare(lambda m, t: m.nn.Unflatten(1, (3, 1))(t), x)
    compare(lambda m: m.nn.Unflatten(1, (3, 1.0)), message=True)


def test_one_hot():
    compare(lambda m: F(m).one_hot(m.tensor([0, 2, 1])))
    compare(lambda m: F(m).one_hot(m.tensor([[0, 2], [1, 1]]), 4))
    compare(lambda m: F(m).one_hot(m.tensor([], dtype=m.long), 3))
    for bad in ("m.tensor([1, -1])", "m.tensor([1, 3]), 3", "m.tensor([1., 3])", "m.tensor([], dtype=m.long)"):
        compare(lambda m, b=bad: eval(f"F(m).one_hot({b})"), message=True)


def test_normalize_cosine_pairwise():
    x, y = sample((3, 4), "float64"), sample((3, 4), "float64", seed=1)
    compare_grad(lambda m, a: F(m).normalize(a), x, check_graph=False)
    compare_grad(lambda m, a: F(m).normalize(a, p=1, dim=0), x, check_graph=False)
    compare_grad(lambda m, a, b: F(m).cosine_similarity(a, b), x, y, check_graph=False)
    compare_grad(lambda m, a, b: F(m).cosine_similarity(a, b, dim=0), x, y[:1], check_graph=False)
    compare_grad(lambda m, a, b: F(m).pairwise_distance(a, b), x, y, check_graph=False)
    compare_grad(lambda m, a, b: F(m).pairwise_distance(a, b, p=1, keepdim=True), x, y, check_graph=False)
    compare(lambda m, a: F(m).normalize(a), np.zeros((2, 3), np.float32))


PAD_CASES = [
    ((2, 3), (1, 2), "constant", 0.5), ((2, 3), (-1, 2), "constant", None), ((2, 3, 4), (1, 1, 2, 0), "constant", None),
    ((2, 3), (2, 1), "reflect", None), ((2, 3, 4), (1, 2), "reflect", None),
    ((1, 2, 3, 4), (1, 2, 2, 1), "reflect", None),
    ((2, 3), (2, 1), "replicate", None), ((1, 2, 3, 4), (1, 2, 3, 0), "replicate", None),
    ((1, 2, 2, 3, 4), (1, 1, 1, 1, 1, 1), "replicate", None), ((2, 3), (2, 1), "circular", None),
    ((1, 2, 3, 4), (1, 2, 3, 0), "circular", None), ((1, 2, 3, 4, 5), (1, 0, 2, 1, 1, 1), "circular", None),
    ((1, 2, 5), (-1, 2), "circular", None),
]


@pytest.mark.parametrize("shape,pads,mode,value", PAD_CASES)
def test_pad(shape, pads, mode, value):
    x = sample(shape, "float64")
    kw = {} if value is None else {"value": value}
    compare_grad(lambda m, a: F(m).pad(a, pads, mode=mode, **kw), x)
    xe = ember.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: ember.nn.functional.pad(a, pads, mode=mode, **kw), (xe,))


def test_pad_errors():
    x = sample((2, 3), "float32")
    compare(lambda m, a: F(m).pad(a, (1, 1, 1)), x, message=True)
    compare(lambda m, a: F(m).pad(a, (1, 1, 1, 1, 1, 1)), x, message=True)
    compare(lambda m, a: F(m).pad(a, (1, 1), mode="foo"), x, message=True)
    compare(lambda m, a: F(m).pad(a, (3, 3), mode="reflect"), x, message=True)
    compare(lambda m, a: F(m).pad(a, (1, 1), mode="reflect"), sample((4,), "float32"), message=True)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"}, {"mask": "float"}])
def test_scaled_dot_product_attention(kwargs):
    q, k, v = (sample((2, 3, 4, 8), "float64", seed=s) for s in range(3))
    mask_kind = kwargs.pop("mask", None)
    mask = None
    if mask_kind == "bool":
        mask = np.random.default_rng(0).random((4, 4)) > 0.3
        mask[:, 0] = True
    elif mask_kind == "float":
        mask = sample((4, 4), "float64", seed=7)

    def fn(m, a, b, c):
        am = None if mask is None else m.tensor(mask)
        return F(m).scaled_dot_product_attention(a, b, c, attn_mask=am, **kwargs)

    compare_grad(fn, q, k, v, check_graph=False)


def test_sdpa_fully_masked_rows_are_zero():
    q = sample((1, 2, 4), "float32")
    mask = np.ones((2, 2), bool)
    mask[1] = False
    compare(lambda m, a: F(m).scaled_dot_product_attention(a, a, a, attn_mask=m.tensor(mask)), q)


# ------------------------------------------------------------------------------------------------------------
# nn.init


@pytest.mark.parametrize("name,args,kwargs", [
    ("uniform_", (-0.5, 2.0), {}), ("kaiming_uniform_", (), {}), ("kaiming_uniform_", (), {"a": math.sqrt(5)}),
    ("kaiming_uniform_", (), {"mode": "fan_out", "nonlinearity": "relu"}), ("xavier_uniform_", (), {"gain": 2.0}),
])
def test_init_uniform_bit_identical(name, args, kwargs):
    for shape in [(5, 7), (4, 3, 2, 2)]:
        torch.manual_seed(11)
        ember.manual_seed(11)
        t = getattr(torch.nn.init, name)(torch.empty(shape), *args, **kwargs)
        e = getattr(ember.nn.init, name)(ember.empty(shape), *args, **kwargs)
        assert np.array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("name,args,kwargs", [
    ("normal_", (0.5, 2.0), {}), ("kaiming_normal_", (), {"mode": "fan_out"}), ("xavier_normal_", (), {}),
    ("trunc_normal_", (), {"std": 0.02}), ("orthogonal_", (), {}), ("orthogonal_", (1.5,), {}),
])
def test_init_normal_close(name, args, kwargs):
    for shape in [(3, 4), (6, 2, 2)]:
        torch.manual_seed(5)
        ember.manual_seed(5)
        t = getattr(torch.nn.init, name)(torch.empty(shape), *args, **kwargs)
        e = getattr(ember.nn.init, name)(ember.empty(shape), *args, **kwargs)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


def test_init_deterministic_and_constant_fills():
    for m in (torch, ember):
        init = m.nn.init
        assert np.array_equal(init.eye_(m.empty(3, 5)).numpy(), np.eye(3, 5, dtype=np.float32))
        assert (init.constant_(m.empty(2, 3), 0.25).numpy() == 0.25).all()
        assert (init.ones_(m.empty(4)).numpy() == 1).all() and not init.zeros_(m.empty(4)).numpy().any()
    compare(lambda m: m.nn.init.dirac_(m.empty(4, 2, 3)))
    compare(lambda m: m.nn.init.dirac_(m.empty(4, 2, 3, 3), groups=2))
    p = ember.nn.Parameter(ember.empty(3, 3))
    ember.nn.init.normal_(p)
    assert p.grad_fn is None and p.requires_grad


def test_calculate_gain_and_errors():
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",)]:
        assert ember.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    compare(lambda m: m.nn.init.calculate_gain("foo"), message=True)
    compare(lambda m: m.nn.init.calculate_gain("leaky_relu", True), message=True)
    compare(lambda m: m.nn.init.kaiming_uniform_(m.empty(3)), message=True)
    compare(lambda m: m.nn.init.kaiming_uniform_(m.empty(3, 3), mode="fan"), message=True)
    compare(lambda m: m.nn.init.eye_(m.empty(3)), message=True)
    compare(lambda m: m.nn.init.orthogonal_(m.empty(3)), message=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.nn.init.kaiming_uniform_(ember.empty(0, 3))
    assert "zero-element" in str(caught[0].message)


def test_sparse_init():
    ember.manual_seed(0)
    w = ember.nn.init.sparse_(ember.empty(10, 4), 0.3)
    assert ((w.numpy() == 0).sum(0) >= 3).all()


# ------------------------------------------------------------------------------------------------------------
# a small model end to end


def test_mlp_train_step_matches_torch():
    x = sample((8, 12), "float32")
    target = np.arange(8) % 3

    def step(m):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(12, 16), m.nn.ReLU(), m.nn.Linear(16, 3))
        loss = m.nn.CrossEntropyLoss()(model(m.tensor(x)), m.tensor(target))
        loss.backward()
        return loss, model[0].weight.grad, model[2].bias.grad

    compare(step, rtol=1e-5, atol=1e-6)
