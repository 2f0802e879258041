"""Convolution: F.conv*/conv_transpose*/unfold/fold and the Conv modules, differential against torch."""

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, graph_signature, sample

import ember
import ember.nn.functional as EF

TOL = {"rtol": 1e-4, "atol": 1e-4}


def F(m):
    return EF if m is ember else torch.nn.functional


def f64(shape, seed=0):
    return ember.tensor(sample(shape, "float64", seed=seed, low=-1, high=1), requires_grad=True)


CONV2D = [
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ((2, 3, 7, 7), (4, 3, 3, 3), dict(padding="same")),
    ((2, 3, 7, 7), (4, 3, 2, 2), dict(padding="same", dilation=2)),
    ((2, 3, 7, 7), (4, 3, 3, 3), dict(padding="valid", stride=3)),
    ((1, 6, 5, 5), (6, 1, 3, 3), dict(padding=1, groups=6)),
    ((3, 2, 4, 4), (5, 2, 1, 1), dict()),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding=(2, 0), stride=(1, 2))),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_forward_backward(xs, ws, kw, bias):
    arrays = [sample(xs), sample(ws, seed=1)] + ([sample(ws[:1], seed=2)] if bias else [])
    same_even = kw.get("padding") == "same" and any(k % 2 == 0 for k in ws[2:])
    compare_grad(lambda m, *a: F(m).conv2d(*a, **kw), *arrays, check_graph=not same_even, **TOL)


def test_conv2d_graph_names():
    t = torch.nn.functional.conv2d(torch.randn(1, 2, 5, 5, requires_grad=True), torch.randn(3, 2, 3, 3))
    e = EF.conv2d(ember.randn(1, 2, 5, 5, requires_grad=True), ember.randn(3, 2, 3, 3))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ == "ConvolutionBackward0"
    assert [n is None for n, _ in e.grad_fn.next_functions] == [n is None for n, _ in t.grad_fn.next_functions]


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 10), (5, 3, 4), dict(stride=2, padding=2)),
    ((2, 4, 9), (6, 2, 3), dict(dilation=2, groups=2, padding="same")),
    ((3, 9), (2, 3, 3), dict()),  # unbatched
])
def test_conv1d(xs, ws, kw):
    compare_grad(lambda m, x, w, b: F(m).conv1d(x, w, b, **kw), sample(xs), sample(ws, seed=1),
                 sample(ws[:1], seed=2), **TOL)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 5, 6, 4), (6, 1, 2, 3, 2), dict(stride=2, padding=1, groups=3)),
    ((1, 2, 4, 4, 4), (3, 2, 3, 3, 3), dict(padding="same")),
])
def test_conv3d(xs, ws, kw):
    compare_grad(lambda m, x, w, b: F(m).conv3d(x, w, b, **kw), sample(xs), sample(ws, seed=1),
                 sample(ws[:1], seed=2), **TOL)


def test_conv2d_unbatched():
    compare_grad(lambda m, x, w: F(m).conv2d(x, w, padding=1), sample((3, 6, 5)), sample((4, 3, 3, 3), seed=1),
                 **TOL)


@pytest.mark.parametrize("d,xs,ws,kw", [
    (2, (2, 4, 5, 4), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    (2, (2, 3, 4, 4), (3, 2, 3, 3), dict(stride=(2, 3), dilation=2, output_padding=(1, 2))),
    (2, (3, 4, 4), (3, 2, 2, 2), dict()),
    (1, (2, 3, 7), (3, 4, 3), dict(stride=3, padding=2, output_padding=1)),
    (3, (1, 2, 3, 3, 2), (2, 2, 2, 2, 2), dict(stride=2, padding=(0, 1, 0))),
])
def test_conv_transpose(d, xs, ws, kw):
    def fn(m, x, w, b):
        return getattr(F(m), f"conv_transpose{d}d")(x, w, b, **kw)
    compare_grad(fn, sample(xs), sample(ws, seed=1), sample((ws[1] * kw.get("groups", 1),), seed=2), **TOL)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)])
def test_unfold_fold(kw):
    x = sample((2, 3, 7, 8))
    compare_grad(lambda m, x: F(m).unfold(x, **kw), x, **TOL)
    cols = torch.nn.functional.unfold(torch.from_numpy(x), **kw).numpy()
    compare_grad(lambda m, c: F(m).fold(c, (7, 8), **kw), cols, **TOL)
    compare_grad(lambda m, c: F(m).fold(c[0], (7, 8), **kw), cols, **TOL)


def test_float64_and_noncontiguous():
    x = sample((2, 3, 6, 9), "float64")[..., ::2]
    compare_grad(lambda m, x, w: F(m).conv2d(x, w.transpose(2, 3), stride=2), x, sample((4, 3, 2, 3), "float64"))


def test_gradcheck_conv():
    x, w, b = f64((1, 2, 5, 4)), f64((4, 1, 2, 2), 1), f64((4,), 2)
    conv = lambda x, w, b: EF.conv2d(x, w, b, stride=2, padding=1, groups=2, dilation=(2, 1))  # noqa: E731
    assert ember.autograd.gradcheck(conv, (x, w, b))
    assert ember.autograd.gradgradcheck(lambda x, w: conv(x, w, None), (x, w))
    wt = f64((2, 2, 3, 2), 3)
    convt = lambda x, w, b: EF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)  # noqa
    assert ember.autograd.gradcheck(convt, (x, wt, b))
    assert ember.autograd.gradgradcheck(lambda x, w: convt(x, w, None), (x, wt))
    assert ember.autograd.gradcheck(lambda x, w: EF.conv1d(x, w, padding="same"), (f64((2, 2, 5)), f64((3, 2, 2))))
    assert ember.autograd.gradgradcheck(lambda x: EF.fold(EF.unfold(x, 2, padding=1), (5, 4), 2, padding=1), (x,))


@pytest.mark.parametrize("transposed", [False, True])
def test_double_backward_node_and_values(transposed):
    """Under create_graph the convolution's backward is ONE ConvolutionBackwardBackward0 node over
    (grad_output, input, weight), as torch records it; second-order grads match torch's."""
    arrays = [sample((2, 4, 5, 5), "float64"), sample((4, 2, 3, 3), "float64", seed=1),
              sample((4,), "float64", seed=2)]
    results = []
    for m in (torch, ember):
        x, w, b = (m.tensor(a, requires_grad=True) for a in arrays)
        y = (F(m).conv_transpose2d(x, w, b, padding=1, groups=2) if transposed
             else F(m).conv2d(x, w, b, stride=2, padding=1, groups=2))
        grads = m.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)
        names = [graph_signature(g) for g in grads]
        assert grads[0].grad_fn is grads[1].grad_fn is grads[2].grad_fn
        second = m.autograd.grad((grads[0] ** 2).sum() + (grads[1] ** 2).sum() + (grads[2] ** 3).sum(), (x, w, b))
        results.append((names, grads, second))
    (t_names, t_grads, t_second), (e_names, e_grads, e_second) = results
    assert e_names == t_names and e_names[0][0] == "ConvolutionBackwardBackward0"
    for e, t in zip(e_grads + e_second, t_grads + t_second):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("layout", ["shifted", "dense", "last", "direct"])
@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv2d", (3, 4, 6, 7), (6, 2, 3, 2), dict(padding=(1, 2), dilation=(2, 1), groups=2)),
    ("conv3d", (3, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(padding=(0, 1, 1), dilation=(1, 1, 2))),
    ("conv_transpose2d", (3, 4, 5, 5), (4, 3, 3, 2), dict(padding=(1, 0), dilation=2, output_padding=1, groups=2)),
    ("conv_transpose1d", (3, 2, 6), (2, 5, 3), dict(padding=1)),
    ("conv2d", (2, 2, 7, 6), (6, 1, 3, 2), dict(padding=(2, 1), dilation=(1, 2), groups=2)),  # col2im backward
    # strided: the direct route splits the input (resp. the transposed result) by phase
    ("conv2d", (3, 3, 9, 10), (4, 3, 3, 2), dict(stride=(3, 2), padding=(1, 0), dilation=(1, 2))),
    ("conv2d", (3, 2, 8, 9), (4, 2, 3, 3), dict(stride=2, padding=(2, 1))),
    ("conv_transpose2d", (3, 4, 5, 4), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (3, 2, 4, 5), (2, 3, 2, 3), dict(stride=(3, 2), padding=(0, 1), dilation=(1, 2))),
])
def test_column_layouts_and_chunks(monkeypatch, layout, fn, xs, ws, kw):
    """The column layouts, built one image per chunk (the weight grad as one matmul per image with the shifted
    layout, per chunk with the dense one; "last": dense columns from a channels-last input, for groups 1 and
    no dilation along the last dim); the stride-1 transposed convolution done as a plain one with the
    flipped weight (when it has no more input channels than output channels), else by col2im in either
    layout; "direct": per-offset matmuls without columns (strided ones by phase), for every channel count and
    with a chunk of images that does not divide the batch."""
    from ember.ops import conv
    monkeypatch.setattr(conv, "_COLUMN_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "_SHIFTED_MAX_WASTE", 100 if layout == "shifted" else 0)
    monkeypatch.setattr(conv, "_SHIFTED_MAX_WASTE_COL2IM", 100 if layout == "shifted" else 0)
    monkeypatch.setattr(conv, "_use_channels_last", lambda C, kernel, stride, dilation, out: layout == "last")
    monkeypatch.setattr(conv, "_WEIGHT_GRAD_PER_IMAGE_ROWS", 0 if layout == "dense" else 10 ** 9)
    monkeypatch.setattr(conv, "_DIRECT_MIN_CHANNELS", 1 if layout == "direct" else 10 ** 9)
    monkeypatch.setattr(conv, "_DIRECT_MAX_WASTE", 100)
    monkeypatch.setattr(conv, "_direct_chunk", lambda O, C, full: 2)
    compare_grad(lambda m, x, w, b: getattr(F(m), fn)(x, w, b, **kw), sample(xs), sample(ws, seed=1),
                 sample((ws[1] * kw.get("groups", 1) if "transpose" in fn else ws[0],), seed=2), **TOL)


@pytest.mark.parametrize("channels", [3, 16])
@pytest.mark.parametrize("kw", [dict(padding=1), dict(padding=(1, 0), stride=2), dict(dilation=2)])
def test_retain_graph_and_inplace_input(monkeypatch, kw, channels):
    """A retained graph's second backward accumulates the weight grad as torch's, and an input changed in place
    after the forward is refused (the saved-tensor version check). 16 channels: the direct route, whose
    weight grad reuses the forward's input buffer."""
    from ember.ops import conv
    monkeypatch.setattr(conv, "_DIRECT_MAX_WASTE", 100)
    x, w = sample((2, channels, 7, 6)), sample((4, channels, 3, 3), seed=1)
    grads, errors = [], []
    for m in (torch, ember):
        xt, wt = m.from_numpy(x.copy()), m.from_numpy(w.copy()).requires_grad_()
        out = F(m).conv2d(xt, wt, **kw)
        out.sum().backward(retain_graph=True)
        out.pow(2).sum().backward()
        grads.append(wt.grad.numpy())
        xt2 = m.from_numpy(x.copy()).requires_grad_()
        xt3 = xt2 * 1
        y = F(m).conv2d(xt3, wt, **kw)
        xt3.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        errors.append(str(info.value))
    np.testing.assert_allclose(grads[1], grads[0], **TOL)
    assert "modified by an inplace operation" in errors[1]


def _sum_records():
    return ember.ones(2, requires_grad=True).sum(0).grad_fn is not None


@pytest.mark.skipif(not _sum_records(), reason="needs the reduction ops' autograd")
def test_gradgradcheck_conv_bias():
    x, w, b = f64((1, 2, 4, 4)), f64((2, 2, 2, 2), 1), f64((2,), 2)
    assert ember.autograd.gradgradcheck(lambda x, w, b: EF.conv2d(x, w, b, padding=1), (x, w, b))


@pytest.mark.parametrize("args", [
    ((3, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 8), (4, 2, 3, 3), {}),
    ((2, 3, 8, 8), (4, 3, 9, 9), {}),
    ((2, 3, 8, 8), (4, 1, 3, 3), {"groups": 2}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 2, "padding": "same"}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": -1}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 0}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": "foo"}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": (1, 2, 3)}),
])
def test_conv2d_errors(args):
    xs, ws, kw = args
    compare(lambda m, x, w: F(m).conv2d(x, w, **kw), sample(xs), sample(ws), message=True)


def test_conv_errors_more():
    compare(lambda m, x, w, b: F(m).conv2d(x, w, b), sample((2, 3, 8, 8)), sample((4, 3, 3, 3)), sample((3,)),
            message=True)
    compare(lambda m, x, w: F(m).conv2d(x, w), sample((2, 3, 8, 8)), sample((4, 3, 3, 3), "float64"), message=True)
    compare(lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2, output_padding=2), sample((2, 3, 8, 8)),
            sample((3, 4, 3, 3)), message=True)
    compare(lambda m, x, w: F(m).conv_transpose2d(x, w), sample((2, 3, 8, 8)), sample((4, 4, 3, 3)), message=True)


# ------------------------------------------------------------------------------------------------ modules


def _pair(ctor, *args, **kwargs):
    """The torch module and an ember module of the same configuration holding the same weights."""
    t = getattr(torch.nn, ctor)(*args, **kwargs)
    e = getattr(ember.nn, ctor)(*args, **kwargs)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return t, e


@pytest.mark.parametrize("ctor,args,kwargs,xs", [
    ("Conv2d", (3, 16, 3), dict(padding=1), (2, 3, 8, 8)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, dilation=(2, 1), groups=2, bias=False), (2, 4, 9, 8)),
    ("Conv2d", (3, 4, 3), dict(padding=2, padding_mode="reflect"), (2, 3, 6, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=(1, 2), padding_mode="replicate"), (2, 3, 6, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="circular"), (3, 6, 6)),
    ("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="reflect"), (2, 3, 6, 6)),
    ("Conv1d", (2, 4, 3), dict(padding="same"), (2, 2, 7)),
    ("Conv3d", (2, 4, 3), dict(groups=2, stride=(1, 2, 1)), (1, 2, 5, 5, 4)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, output_padding=1, groups=2, dilation=1), (2, 4, 4, 5)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1), (2, 3, 5)),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2), (1, 2, 2, 3, 2)),
])
def test_conv_modules(ctor, args, kwargs, xs):
    t, e = _pair(ctor, *args, **kwargs)
    assert repr(e) == repr(t)
    x = sample(xs, low=-1, high=1)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ex = ember.from_numpy(x.copy()).requires_grad_()
    ty, ey = t(tx), e(ex)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = sample(tuple(ty.shape), seed=3)
    ty.backward(torch.from_numpy(g))
    ey.backward(ember.from_numpy(g))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (name, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-3, err_msg=name)


def test_conv_transpose_output_size():
    t, e = _pair("ConvTranspose2d", 3, 2, 3, stride=2, padding=1)
    x = sample((1, 3, 4, 4))
    ty = t(torch.from_numpy(x), output_size=[8, 8])
    ey = e(ember.from_numpy(x), output_size=[8, 8])
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError):
        e(ember.from_numpy(x), output_size=[12, 12])


@pytest.mark.parametrize("ctor,args,kwargs", [
    ("Conv2d", (3, 16, 3), dict(padding=1)),
    ("Conv2d", (3, 16, (3, 5)), dict(stride=2, padding=1, dilation=2, bias=False, padding_mode="reflect")),
    ("Conv1d", (2, 4, 3), dict(padding="same")),
    ("Conv3d", (2, 4, 3), dict(groups=2)),
    ("ConvTranspose2d", (3, 16, 3), dict(stride=2, output_padding=1, dilation=2)),
])
def test_conv_module_repr_and_init(ctor, args, kwargs):
    torch.manual_seed(7)
    t = getattr(torch.nn, ctor)(*args, **kwargs)
    ember.manual_seed(7)
    e = getattr(ember.nn, ctor)(*args, **kwargs)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (name, tp), (_, ep) in zip(t.state_dict().items(), e.state_dict().items()):
        assert tuple(ep.shape) == tuple(tp.shape)
        bound = float(tp.abs().max()) * 1.3 + 1e-6   # the same distribution: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert float(ep.abs().max()) <= bound, name


@pytest.mark.parametrize("ctor,args,kwargs", [
    ("Conv2d", (3, 4, 3), dict(groups=2)),
    ("Conv2d", (4, 3, 3), dict(groups=2)),
    ("Conv2d", (4, 4, 3), dict(padding="same", stride=2)),
    ("Conv2d", (4, 4, 3), dict(padding_mode="foo")),
    ("Conv2d", (4, 4, 3), dict(padding="full")),
    ("ConvTranspose2d", (4, 4, 3), dict(padding_mode="reflect")),
])
def test_conv_module_ctor_errors(ctor, args, kwargs):
    with pytest.raises(ValueError) as te:
        getattr(torch.nn, ctor)(*args, **kwargs)
    with pytest.raises(ValueError) as ee:
        getattr(ember.nn, ctor)(*args, **kwargs)
    # (torch prints the set of padding modes in hash order)
    assert str(ee.value).split("{")[0] == str(te.value).split("{")[0]


@pytest.mark.parametrize("xs", [(2, 4, 8, 8), (8, 8), (2, 3, 4, 8, 8)])
def test_conv_module_input_errors(xs):
    t, e = _pair("Conv2d", 3, 16, 3, padding=1)
    compare(lambda m, x: (t if m is torch else e)(x), sample(xs), message=True)
    t1, e1 = _pair("Conv1d", 3, 4, 3)
    compare(lambda m, x: (t1 if m is torch else e1)(x), sample((8,)), message=True)


def test_float32_stays_float32():
    e = ember.nn.Conv2d(2, 3, 3)
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    y = e(x)
    y.backward(ember.ones_like(y))
    assert y.dtype == ember.float32 and x.grad.dtype == ember.float32 and e.weight.grad.dtype == ember.float32
