"""Pooling: F.max/avg/adaptive/lp pooling, max_unpool and the pooling modules, differential against torch."""

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, sample, tensor_of

import ember
import ember.nn.functional as EF


def F(m):
    return EF if m is ember else torch.nn.functional


def _mean_records():
    return ember.ones(2, requires_grad=True).mean((0,), keepdim=True).grad_fn is not None


NEEDS_MEAN = "a 1x1 adaptive average is a mean (MeanBackward1): needs the reduction ops' autograd"
X2 = sample((2, 3, 9, 8))
X1 = sample((2, 3, 11))
X3 = sample((2, 2, 5, 6, 4))
TIES = np.round(X2 / 3)   # many equal values in a window: the first maximum wins, as in torch


@pytest.mark.parametrize("x", [X2, TIES, X2[0]], ids=["batched", "ties", "unbatched"])
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
    dict(kernel_size=(2, 3), stride=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
])
def test_max_pool2d(x, kw):
    compare_grad(lambda m, x: F(m).max_pool2d(x, return_indices=True, **kw), x)
    compare_grad(lambda m, x: F(m).max_pool2d(x, **kw), x)


def test_max_pool1d_3d():
    compare_grad(lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1, return_indices=True), X1)
    compare_grad(lambda m, x: F(m).max_pool1d(x, 2), X1[0])
    compare_grad(lambda m, x: F(m).max_pool3d(x, 2, stride=(1, 2, 1), padding=1, return_indices=True,
                                              ceil_mode=True), X3)


def test_max_pool_nan_and_ints():
    x = X2.copy()
    x[0, 0, 1, 1] = np.nan
    compare_grad(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), x)
    compare(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), sample((2, 3, 6, 6), "int64"))


def test_max_pool_several_nans_take_the_last():
    x = X2.copy()
    x[0, 0, 0, :2] = np.nan       # two NaNs in one window: torch's kernel keeps the last one
    x[1, 2, 2:4, 4] = np.nan
    compare(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), x)
    # bfloat16 (not a NumPy float kind): padding is -inf and NaNs win there too
    compare(lambda m, x: F(m).max_pool2d((x - 5).to(m.bfloat16), 3, 2, padding=1, return_indices=True), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)],
                         ids=["disjoint", "overlapping"])
def test_max_pool_backward_nonfinite_grad(kw):
    """Positions no window picked get exactly 0 even where the incoming grad is inf or NaN."""
    grad = sample((2, 3, 4, 4) if kw["kernel_size"] == 2 else (2, 3, 5, 4), "float32", seed=3)
    grad[0, 0, 0, 0], grad[1, 1, 1, 1] = np.inf, np.nan
    results = []
    for m in (torch, ember):
        x = tensor_of(m, X2[..., :8] if kw["kernel_size"] == 2 else X2, requires_grad=True)
        F(m).max_pool2d(x, **kw).backward(tensor_of(m, grad))
        results.append(x.grad.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=0)  # (overlaps sum in another order)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [True, False])
def test_avg_pool(count_include_pad, ceil_mode):
    kw = dict(stride=2, padding=1, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    compare_grad(lambda m, x: F(m).avg_pool2d(x, 3, **kw), X2)
    compare_grad(lambda m, x: F(m).avg_pool1d(x, 3, **kw), X1)
    compare_grad(lambda m, x: F(m).avg_pool3d(x, 3, **kw), X3)


def test_avg_pool_more():
    compare_grad(lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1, divisor_override=3), X2)
    compare_grad(lambda m, x: F(m).avg_pool2d(x, (2, 3)), X2[0])
    compare_grad(lambda m, x: F(m).avg_pool2d(x, 2), sample((2, 3, 6, 6), "float64"))
    compare(lambda m, x: F(m).avg_pool2d(x, 2), sample((1, 2, 4, 4), "float16"), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("out", [3, (4, 5), (None, 3), (9, 8), (12, 11), 1])
def test_adaptive_2d(out):
    if out == 1 and not _mean_records():
        pytest.skip(NEEDS_MEAN)
    compare_grad(lambda m, x: F(m).adaptive_avg_pool2d(x, out), X2, rtol=1e-5, atol=1e-5)
    compare_grad(lambda m, x: F(m).adaptive_max_pool2d(x, out, return_indices=True), X2)


def test_adaptive_1d_3d():
    compare_grad(lambda m, x: F(m).adaptive_avg_pool1d(x, 4), X1, rtol=1e-5, atol=1e-5)
    compare_grad(lambda m, x: F(m).adaptive_max_pool1d(x, 4, return_indices=True), X1)
    compare_grad(lambda m, x: F(m).adaptive_avg_pool3d(x, (2, 3, 3)), X3, rtol=1e-5, atol=1e-5)
    compare_grad(lambda m, x: F(m).adaptive_max_pool3d(x, (2, 3, 3), return_indices=True), X3)
    compare_grad(lambda m, x: F(m).adaptive_avg_pool2d(x, 3), X2[0], rtol=1e-5, atol=1e-5)


def test_lp_pool_and_unpool():
    compare_grad(lambda m, x: F(m).lp_pool2d(x, 2, 2), np.abs(X2) + 0.1, check_graph=False, rtol=1e-5, atol=1e-5)
    compare_grad(lambda m, x: F(m).lp_pool1d(x, 3, 3, stride=2), np.abs(X1) + 0.1, check_graph=False, rtol=1e-5,
                 atol=1e-5)
    compare_grad(lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(x, 2, return_indices=True), 2), X2)
    compare_grad(lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(x, 2, return_indices=True), 2,
                                                output_size=(9, 8)), X2)


def _f64(shape):
    return ember.tensor(sample(shape, "float64", low=-1, high=1), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda x: EF.max_pool2d(x, 2, stride=1, padding=1),
    lambda x: EF.max_pool1d(x.flatten(1), 3, stride=2),
    lambda x: EF.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda x: EF.adaptive_avg_pool2d(x, (3, 3)),
    lambda x: EF.adaptive_max_pool2d(x, (3, 2)),
    lambda x: EF.max_pool3d(x.unsqueeze(0), 2, stride=1),
])
def test_gradcheck(fn):
    x = _f64((1, 2, 5, 4))
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("fn,xs", [
    (lambda F, x: F.max_pool2d(x, 2, padding=2), (2, 3, 8, 8)),
    (lambda F, x: F.avg_pool2d(x, 2, padding=2), (2, 3, 8, 8)),
    (lambda F, x: F.max_pool2d(x, 2), (8, 8)),
    (lambda F, x: F.max_pool2d(x, 2), (1, 2, 3, 8, 8)),
    (lambda F, x: F.max_pool2d(x, 2), (2, 3, 1, 1)),
    (lambda F, x: F.avg_pool2d(x, 2), (2, 3, 1, 1)),
    (lambda F, x: F.max_pool1d(x, 2), (8,)),
    (lambda F, x: F.avg_pool1d(x, 2), (8,)),
    (lambda F, x: F.adaptive_avg_pool2d(x, 2), (8,)),
    (lambda F, x: F.adaptive_max_pool2d(x, 2), (8,)),
    (lambda F, x: F.max_pool2d(x, 2, stride=0), (2, 3, 8, 8)),
    (lambda F, x: F.adaptive_avg_pool2d(x, (2, 3, 4)), (2, 3, 8, 8)),
])
def test_errors(fn, xs):
    compare(lambda m, x: fn(F(m), x), sample(xs), message=True)


@pytest.mark.parametrize("ctor,args,kwargs,xs", [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True), (2, 3, 8, 8)),
    ("MaxPool1d", (3,), {}, (2, 3, 9)),
    ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False, divisor_override=2), (2, 3, 8, 8)),
    ("AvgPool1d", (3,), {}, (2, 3, 9)),
    ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2, 3, 8, 8)),
    ("AdaptiveAvgPool2d", (3,), {}, (2, 3, 8, 8)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 8, 8)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 4, 5, 4)),
    ("AdaptiveMaxPool2d", (2,), dict(return_indices=True), (2, 3, 7, 8)),
    ("AdaptiveMaxPool1d", (2,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 4, 5, 4)),
    ("LPPool2d", (2, 3), {}, (2, 3, 8, 8)),
    ("LPPool1d", (2, 3), {}, (2, 3, 8)),
])
def test_modules(ctor, args, kwargs, xs):
    t = getattr(torch.nn, ctor)(*args, **kwargs)
    e = getattr(ember.nn, ctor)(*args, **kwargs)
    assert repr(e) == repr(t)
    if args == ((1, 1),) and not _mean_records():
        pytest.skip(NEEDS_MEAN)
    x = np.abs(sample(xs)) + 0.1 if ctor.startswith("LP") else sample(xs)
    compare_grad(lambda m, x: (t if m is torch else e)(x), x, check_graph=not ctor.startswith("LP"), rtol=1e-5,
                 atol=1e-5)


def test_max_unpool_module():
    assert repr(ember.nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    compare_grad(lambda m, x: m.nn.MaxUnpool2d(2)(*m.nn.MaxPool2d(2, return_indices=True)(x)), X2)
