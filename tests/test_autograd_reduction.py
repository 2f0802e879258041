"""Autograd of reductions and sorting, compared with torch: grad_fn names, next_functions, gradients (ties,
zeros, NaN conventions included), gradcheck/gradgradcheck in float64, non-differentiable outputs."""

import math

import numpy as np
import pytest
import torch
from harness import compare_grad, noncontiguous, sample, tensor_of

import ember

# distinct values (no ties unless a test wants them)
M = np.random.default_rng(1).permutation(np.linspace(-2.0, 2.5, 12)).reshape(3, 4)
V = np.array([0.3, -1.2, 2.0, 0.7, -0.4])
T3 = np.random.default_rng(2).permutation(np.linspace(-1.5, 1.7, 12)).reshape(2, 3, 2)
SCALAR = np.array(0.7)
POS = np.abs(M) + 0.25  # for prod/cumprod/norm p < 1

CASES = {
    # sums and means over None / int / negative int / tuple dims, keepdim
    "sum": (lambda m, x: x.sum(), M), "sum_dim": (lambda m, x: x.sum(1), M),
    "sum_neg_keep": (lambda m, x: x.sum(-1, keepdim=True), M), "sum_tuple": (lambda m, x: x.sum((0, 2)), T3),
    "sum_tuple_keep": (lambda m, x: x.sum((0, 1), keepdim=True), M), "sum_empty_list": (lambda m, x: x.sum([]), M),
    "sum_dtype": (lambda m, x: x.sum(0, dtype=m.float64), M.astype(np.float32)),
    "sum_scalar": (lambda m, x: x.sum(), SCALAR), "sum_scalar_dim": (lambda m, x: x.sum(0), SCALAR),
    "torch.sum": (lambda m, x: m.sum(x, dim=1), T3),
    "mean": (lambda m, x: x.mean(), M), "mean_dim": (lambda m, x: x.mean(0), M),
    "mean_tuple_keep": (lambda m, x: x.mean((1, 2), keepdim=True), T3), "mean_scalar": (lambda m, x: x.mean(), SCALAR),
    "nansum": (lambda m, x: x.nansum(), M), "nansum_dim": (lambda m, x: x.nansum(1, keepdim=True), M),
    "nanmean": (lambda m, x: x.nanmean(), M), "nanmean_dim": (lambda m, x: x.nanmean(0), M),
    "prod": (lambda m, x: x.prod(), POS), "prod_dim": (lambda m, x: x.prod(1), POS),
    "prod_dim_keep": (lambda m, x: x.prod(0, keepdim=True), POS), "prod_scalar": (lambda m, x: x.prod(), SCALAR),
    # variance
    "var": (lambda m, x: x.var(), M), "var_dim": (lambda m, x: x.var(1), M),
    "var_correction0": (lambda m, x: x.var(0, correction=0, keepdim=True), M),
    "var_tuple": (lambda m, x: x.var((0, 2), unbiased=False), T3), "std": (lambda m, x: x.std(), M),
    "std_dim": (lambda m, x: x.std(0, correction=2), M), "std_keep": (lambda m, x: x.std(-1, keepdim=True), T3),
    "var_mean": (lambda m, x: m.var_mean(x, 1), M), "var_mean_mean": (lambda m, x: m.var_mean(x, 1)[1], M),
    "std_mean": (lambda m, x: m.std_mean(x), M), "std_mean_mean": (lambda m, x: m.std_mean(x, (0, 1))[1], T3),
    # extrema
    "max": (lambda m, x: x.max(), M), "min": (lambda m, x: x.min(), M),
    "max_dim": (lambda m, x: x.max(1), M), "min_dim_keep": (lambda m, x: x.min(0, keepdim=True), M),
    "max_dim_3d": (lambda m, x: x.max(1), T3), "max_scalar_dim": (lambda m, x: x.max(0), SCALAR),
    "max_binary": (lambda m, x: m.max(x, x.flip(0)), M),
    "amax": (lambda m, x: x.amax(), M), "amax_dim": (lambda m, x: x.amax(1), M),
    "amin_tuple": (lambda m, x: x.amin((0, 2)), T3), "amin_keep": (lambda m, x: x.amin(0, keepdim=True), M),
    "aminmax": (lambda m, x: m.aminmax(x), M), "aminmax_max": (lambda m, x: m.aminmax(x, dim=1)[1], M),
    # logsumexp and norms
    "logsumexp": (lambda m, x: x.logsumexp(1), M), "logsumexp_tuple": (lambda m, x: x.logsumexp((0, 1)), M),
    "logsumexp_keep": (lambda m, x: m.logsumexp(x, 0, keepdim=True), T3),
    "norm": (lambda m, x: x.norm(), M), "norm_dim": (lambda m, x: x.norm(dim=1), M),
    "norm_p1": (lambda m, x: x.norm(p=1), M), "norm_p3": (lambda m, x: x.norm(3, dim=0, keepdim=True), M),
    "norm_p1_5": (lambda m, x: x.norm(1.5, dim=1), M), "norm_half": (lambda m, x: x.norm(0.5), POS),
    "norm_inf": (lambda m, x: x.norm(float("inf"), dim=1), M), "norm_neginf": (lambda m, x: x.norm(-math.inf), M),
    "norm_fro": (lambda m, x: x.norm("fro", dim=(0, 1)), M),
    "norm_dtype": (lambda m, x: x.norm(dtype=m.float64), M.astype(np.float32)),
    "norm_nuc": (lambda m, x: x.norm("nuc"), M),
    # cumulative
    "cumsum": (lambda m, x: x.cumsum(1), M), "cumsum0": (lambda m, x: x.cumsum(0), T3),
    "cumsum_dtype": (lambda m, x: x.cumsum(-1, dtype=m.float64), M.astype(np.float32)),
    "cumsum_scalar": (lambda m, x: x.cumsum(0), SCALAR),
    "cumprod": (lambda m, x: x.cumprod(1), POS), "cumprod_scalar": (lambda m, x: x.cumprod(0), SCALAR),
    "cummax": (lambda m, x: x.cummax(1), M), "cummin": (lambda m, x: x.cummin(0), M),
    "logcumsumexp": (lambda m, x: x.logcumsumexp(1), M), "logcumsumexp0": (lambda m, x: x.logcumsumexp(0), T3),
    # medians, modes, order statistics
    "median": (lambda m, x: x.median(), M), "median_dim": (lambda m, x: x.median(1), M),
    "nanmedian": (lambda m, x: x.nanmedian(), M), "nanmedian_dim": (lambda m, x: x.nanmedian(0, keepdim=True), M),
    "mode": (lambda m, x: x.mode(1), M), "kthvalue": (lambda m, x: x.kthvalue(2, 1), M),
    "kthvalue_keep": (lambda m, x: x.kthvalue(1, 0, keepdim=True), M),
    # sorting
    "sort": (lambda m, x: x.sort(1), M), "sort_desc": (lambda m, x: x.sort(0, descending=True), M),
    "sort_3d": (lambda m, x: x.sort(dim=1, stable=True), T3), "sort_scalar": (lambda m, x: x.sort(), SCALAR),
    "msort": (lambda m, x: x.msort(), M), "topk": (lambda m, x: x.topk(2), M),
    "topk_smallest": (lambda m, x: x.topk(2, dim=0, largest=False), M), "topk_1d": (lambda m, x: x.topk(3), V),
    # diff (a composite of slices, as in PyTorch)
    "diff": (lambda m, x: x.diff(), M), "diff_dim0": (lambda m, x: x.diff(dim=0), M),
    "diff_n2": (lambda m, x: x.diff(n=2), V),
}


@pytest.mark.parametrize("name", CASES)
def test_against_torch(name):
    fn, arr = CASES[name]
    compare_grad(fn, arr)


@pytest.mark.parametrize("name", ["sum_dim", "mean_dim", "var_dim", "std", "max_dim", "amax_dim", "logsumexp",
                                  "norm_dim", "cumsum", "cumprod", "cummax", "median_dim", "sort", "topk", "prod_dim",
                                  "logcumsumexp", "kthvalue"])
def test_noncontiguous_float32(name):
    fn, arr = CASES[name]
    compare_grad(fn, noncontiguous(arr.astype(np.float32)), rtol=1e-5, atol=1e-5)


# quantile is a composite in PyTorch (sort, gather, lerp); the values and gradients are compared, not the graph
QUANTILES = {
    "quantile": lambda m, x: x.quantile(0.3), "quantile_dim": lambda m, x: x.quantile(0.4, dim=1),
    "quantile_keep": lambda m, x: x.quantile(0.75, dim=0, keepdim=True),
    "quantile_q_tensor": lambda m, x: x.quantile(m.tensor([0.2, 0.5, 0.9], dtype=m.float64), dim=1),
    "quantile_lower": lambda m, x: x.quantile(0.3, dim=1, interpolation="lower"),
    "quantile_nearest": lambda m, x: x.quantile(0.6, interpolation="nearest"),
    "quantile_midpoint": lambda m, x: x.quantile(0.3, dim=0, interpolation="midpoint"),
    "nanquantile": lambda m, x: x.nanquantile(0.3, dim=1), "nanquantile_all": lambda m, x: x.nanquantile(0.6),
}


@pytest.mark.parametrize("name", QUANTILES)
def test_quantile_against_torch(name):
    compare_grad(QUANTILES[name], M, check_graph=False)


def test_quantile_with_nan():
    x = M.copy()
    x[1, 2] = np.nan
    compare_grad(lambda m, t: t.quantile(0.4, dim=1), x, check_graph=False)
    compare_grad(lambda m, t: t.nanquantile(0.4, dim=1), x, check_graph=False)
    x[1] = np.nan
    compare_grad(lambda m, t: t.nanquantile(0.4, dim=1), x, check_graph=False)


def test_diff_prepend_append():
    compare_grad(lambda m, x, p: x.diff(prepend=p), M, M[:, :1] * 2)
    compare_grad(lambda m, x, a: x.diff(dim=0, append=a, n=2), M, M[:2] * 3)


C = M + 1j * M[::-1]
EDGE_CASES = {
    # complex inputs: gradients use the conjugate of the local derivative
    "complex_sum": (lambda m, x: x.sum(1), C), "complex_mean": (lambda m, x: x.mean(), C),
    "complex_prod": (lambda m, x: x.prod(1), C), "complex_norm": (lambda m, x: x.norm(dim=1), C),
    "complex_norm1": (lambda m, x: x.norm(1), C), "complex_var": (lambda m, x: x.var(1), C),
    "complex_logsumexp": (lambda m, x: x.logsumexp(1), C), "complex_cumsum": (lambda m, x: x.cumsum(0), C),
    "complex_cumprod": (lambda m, x: x.cumprod(1), C),
    "complex_cumprod_zeros": (lambda m, x: x.cumprod(1), np.array([[1 + 2j, 0, 3 - 1j], [0.5j, 2, 0]])),
    "complex_prod_zeros": (lambda m, x: x.prod(), np.array([[1 + 2j, 0, 3 - 1j], [0.5j, 2, 1]])),
    # dtype= and reduced precision
    "mean_dtype": (lambda m, x: x.mean(1, dtype=m.float64), M.astype(np.float32)),
    "prod_dtype": (lambda m, x: x.prod(1, dtype=m.float64), POS.astype(np.float32)),
    "cumprod_dtype": (lambda m, x: x.cumprod(1, dtype=m.float64), M.astype(np.float32)),
    # 0-dim inputs with dim=0
    "amax_scalar": (lambda m, x: x.amax(0), SCALAR), "median_scalar": (lambda m, x: x.median(0), SCALAR),
    "logsumexp_scalar": (lambda m, x: x.logsumexp(0), SCALAR), "norm_scalar": (lambda m, x: x.norm(), np.array(-0.7)),
    "var_scalar": (lambda m, x: x.var(0, correction=0), SCALAR), "cummax_scalar": (lambda m, x: x.cummax(0), SCALAR),
    "logcumsumexp_scalar": (lambda m, x: x.logcumsumexp(0), SCALAR), "topk_scalar": (lambda m, x: x.topk(1), SCALAR),
    "kthvalue_scalar": (lambda m, x: x.kthvalue(1), SCALAR), "mode_scalar": (lambda m, x: x.mode(), SCALAR),
    # empty inputs
    "empty_sum": (lambda m, x: x.sum(0), np.zeros((0, 3))), "empty_mean": (lambda m, x: x.mean(1), np.zeros((0, 3))),
    "empty_prod": (lambda m, x: x.prod(0), np.zeros((0, 3))),
    "empty_cumsum": (lambda m, x: x.cumsum(0), np.zeros((0, 3))),
    "empty_cumprod": (lambda m, x: x.cumprod(0), np.zeros((0, 3))),
    "empty_logcumsumexp": (lambda m, x: x.logcumsumexp(0), np.zeros((0, 3))),
    "empty_sort": (lambda m, x: x.sort(0), np.zeros((0, 3))), "empty_norm": (lambda m, x: x.norm(), np.zeros((0, 3))),
    # infinities
    "logsumexp_neg_inf": (lambda m, x: x.logsumexp(1), np.array([[-np.inf, -np.inf], [1.0, 2.0]])),
    "logsumexp_inf": (lambda m, x: x.logsumexp(1), np.array([[np.inf, 1.0], [1.0, 2.0]])),
    "logcumsumexp_inf": (lambda m, x: x.logcumsumexp(1), np.array([[-np.inf, 0.5, -np.inf], [1.0, 2.0, 700.0]])),
    # other overloads
    "aminmax_keep": (lambda m, x: m.aminmax(x, keepdim=True), M), "sum_dim_list": (lambda m, x: x.sum([1, 0]), M),
    "norm_nuc_keep": (lambda m, x: x.norm("nuc", dim=(2, 0), keepdim=True), T3),
    "norm_nuc_dims": (lambda m, x: x.norm("nuc", dim=(1, 0)), M),
    "std_mean_keep": (lambda m, x: m.std_mean(x, 0, keepdim=True), M),
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases(name):
    fn, arr = EDGE_CASES[name]
    compare_grad(fn, arr)


@pytest.mark.parametrize("name", ["sum_dim", "mean", "amax_dim", "logsumexp", "norm_dim", "cumsum", "sort", "var_dim",
                                  "max_dim", "prod_dim"])
def test_float16(name):
    fn, arr = CASES[name]
    compare_grad(fn, sample(arr.shape, "float16", seed=5, low=0.5, high=2), rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("fn", [lambda x: x.sum(1), lambda x: x.amax(), lambda x: x.logsumexp(0),
                                lambda x: x.sort(1)[0], lambda x: x.norm(dim=1), lambda x: x.cumsum(1)])
def test_bfloat16(fn):
    arr = sample((2, 3), "float32", seed=6, low=0.5, high=2)
    grads = []
    for dtype in (ember.bfloat16, ember.float32):
        x = ember.tensor(arr, dtype=dtype, requires_grad=True)
        fn(x).sum().backward()
        assert x.grad.dtype == dtype
        grads.append(x.grad.float().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=3e-2, atol=3e-2)


def test_diff_prepend_requires_grad_only():
    compare_grad(lambda m, p, x: x.diff(prepend=p), M[:, :1], M)


# -------------------------------------------------------------------------------------------------------
# conventions: ties, zeros, NaN


TIES = np.array([[1.0, 3.0, 3.0, -2.0], [3.0, 0.5, -2.0, -2.0], [0.0, 1.0, 2.0, 3.0]])


@pytest.mark.parametrize("fn", [
    lambda m, x: x.max(), lambda m, x: x.min(), lambda m, x: x.amax(), lambda m, x: x.amin(),
    lambda m, x: x.amax(1), lambda m, x: x.amin(0, keepdim=True), lambda m, x: m.aminmax(x, dim=1)[0],
    lambda m, x: x.max(1), lambda m, x: x.min(1), lambda m, x: x.median(), lambda m, x: x.nanmedian(),
    lambda m, x: x.mode(1), lambda m, x: x.cummax(1), lambda m, x: x.cummin(1), lambda m, x: x.norm(float("inf")),
    lambda m, x: x.sort(dim=1, stable=True)])
def test_ties(fn):
    # (median(dim)/kthvalue pick one of equal values by PyTorch's selection algorithm: not compared on ties)
    compare_grad(fn, TIES)


def test_nan_conventions():
    x = M.copy()
    x[0, 1] = np.nan
    for fn in (lambda m, t: t.max(), lambda m, t: t.amax(1), lambda m, t: t.max(1), lambda m, t: t.nansum(),
               lambda m, t: t.nanmean(1), lambda m, t: t.nanmedian(), lambda m, t: t.nanmedian(1),
               lambda m, t: t.cummax(1), lambda m, t: t.sum(0)):
        compare_grad(fn, x)


ZEROS = {
    "one_zero": np.array([[2.0, 0.0, -1.5], [0.5, 3.0, 1.0]]),
    "two_zeros": np.array([[2.0, 0.0, 0.0], [0.5, 3.0, 1.0]]),
    "zero_rows": np.array([[0.0, 0.0, 0.5], [0.0, -3.0, 1.0]]),
}


@pytest.mark.parametrize("case", ZEROS)
@pytest.mark.parametrize("fn", [lambda m, x: x.prod(), lambda m, x: x.prod(1), lambda m, x: x.prod(0, keepdim=True),
                                lambda m, x: x.cumprod(1), lambda m, x: x.cumprod(0)])
def test_zeros_in_products(case, fn):
    compare_grad(fn, ZEROS[case])


def test_norm_and_std_at_zero():
    zero = np.zeros((2, 3))
    for fn in (lambda m, x: x.norm(), lambda m, x: x.norm(dim=1), lambda m, x: x.norm(3), lambda m, x: x.norm(1.5),
               lambda m, x: x.std(1), lambda m, x: x.norm(float("inf"))):
        compare_grad(fn, zero)
    e = ember.zeros(3, requires_grad=True)
    e.norm(0).backward()
    assert e.grad is None  # PyTorch gives no gradient at all for the 0-"norm"


# -------------------------------------------------------------------------------------------------------
# gradcheck / gradgradcheck (float64, small)

GRADCHECK = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1), "sum_tuple_keep": lambda x: x.sum((0, 1), keepdim=True),
    "mean": lambda x: x.mean(0), "nansum": lambda x: x.nansum(1), "nanmean": lambda x: x.nanmean(),
    "prod": lambda x: x.prod(), "prod_dim": lambda x: x.prod(1),
    "var": lambda x: x.var(1), "std": lambda x: x.std(), "var_mean": lambda x: ember.var_mean(x, 0),
    "std_mean": lambda x: ember.std_mean(x, 1, keepdim=True),
    "max": lambda x: x.max(), "max_dim": lambda x: x.max(1)[0], "min_dim": lambda x: x.min(0, keepdim=True)[0],
    "amax": lambda x: x.amax(1), "amin": lambda x: x.amin(), "aminmax": lambda x: ember.aminmax(x, dim=0),
    "logsumexp": lambda x: x.logsumexp(1), "norm": lambda x: x.norm(), "norm_dim": lambda x: x.norm(dim=0),
    "norm_p1": lambda x: x.norm(1, dim=1), "norm_p3": lambda x: x.norm(3), "norm_inf": lambda x: x.norm(float("inf")),
    "norm_half": lambda x: x.norm(0.5, dim=1),
    "cumsum": lambda x: x.cumsum(1), "cumprod": lambda x: x.cumprod(0), "cummax": lambda x: x.cummax(1)[0],
    "cummin": lambda x: x.cummin(0)[0], "logcumsumexp": lambda x: x.logcumsumexp(1),
    "median": lambda x: x.median(), "median_dim": lambda x: x.median(1)[0],
    "nanmedian_dim": lambda x: x.nanmedian(0)[0],
    "mode": lambda x: x.mode(1)[0], "kthvalue": lambda x: x.kthvalue(2, 1)[0],
    "quantile": lambda x: x.quantile(0.3, dim=1), "nanquantile": lambda x: x.nanquantile(0.7),
    "sort": lambda x: x.sort(1)[0], "topk": lambda x: x.topk(2, dim=0)[0], "msort": lambda x: x.msort(),
    "diff": lambda x: x.diff(n=2),
}


def _input(name):
    arr = POS if name in ("prod", "prod_dim", "cumprod", "norm_half") else M
    return ember.tensor(arr[:2, :3], dtype=ember.float64, requires_grad=True)


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    x = _input(name)
    assert ember.autograd.gradcheck(GRADCHECK[name], (x,))
    assert ember.autograd.gradgradcheck(GRADCHECK[name], (x,))


@pytest.mark.parametrize("name", ["sum_dim", "var", "logsumexp", "norm_dim", "cumprod", "max_dim", "sort"])
def test_gradcheck_noncontiguous(name):
    arr = POS if name == "cumprod" else M
    x = tensor_of(ember, noncontiguous(arr[:2, :3]), requires_grad=True)
    assert not x.is_contiguous()
    assert ember.autograd.gradcheck(GRADCHECK[name], (x,))


def test_gradcheck_products_with_zeros():
    for arr in ZEROS.values():
        x = ember.tensor(arr, requires_grad=True)
        for fn in (lambda t: t.prod(), lambda t: t.prod(1), lambda t: t.cumprod(1)):
            assert ember.autograd.gradcheck(fn, (x,))
            assert ember.autograd.gradgradcheck(fn, (x,))


def test_second_derivatives_against_torch():
    for fn in (lambda m, x: x.var(1), lambda m, x: x.logsumexp(0), lambda m, x: x.norm(dim=1),
               lambda m, x: x.prod(1), lambda m, x: x.std(), lambda m, x: x.cumprod(1), lambda m, x: x.amax(1) ** 2,
               lambda m, x: x.sort(1)[0] ** 3, lambda m, x: x.logcumsumexp(1)):
        results = []
        for m in (torch, ember):
            x = m.tensor(POS, dtype=m.float64, requires_grad=True)
            (g,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
            (gg,) = m.autograd.grad((g * g).sum(), x)
            results.append((g.detach().numpy(), gg.numpy()))
        np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-8, atol=1e-10)


# -------------------------------------------------------------------------------------------------------
# non-differentiable outputs and refusals


@pytest.mark.parametrize("fn", [
    lambda m, x: x.argmax(), lambda m, x: x.argmin(1), lambda m, x: x.max(1)[1], lambda m, x: x.sort()[1],
    lambda m, x: x.topk(2)[1], lambda m, x: x.argsort(), lambda m, x: x.all(), lambda m, x: x.any(1),
    lambda m, x: x.count_nonzero(), lambda m, x: m.unique(x, return_counts=True)[1],
    lambda m, x: m.unique(x, return_inverse=True)[1], lambda m, x: m.searchsorted(x.sort()[0], x),
    lambda m, x: m.bucketize(x, x.flatten().sort()[0]), lambda m, x: x.median(0)[1], lambda m, x: x.cummax(0)[1],
    lambda m, x: x.kthvalue(1)[1], lambda m, x: x.mode()[1], lambda m, x: x.aminmax().min.int()])
def test_non_differentiable_outputs(fn):
    for m in (torch, ember):
        x = m.tensor(M, requires_grad=True)
        y = fn(m, x)
        assert y.requires_grad is False and y.grad_fn is None, m.__name__


@pytest.mark.parametrize("fn", [lambda m, x: x.unique(), lambda m, x: m.unique(x, return_counts=True)[0],
                                lambda m, x: m.unique(x, dim=0), lambda m, x: x.unique_consecutive(),
                                lambda m, x: x.unique_consecutive(dim=1)])
def test_unique_values_require_grad_without_derivative(fn):
    # PyTorch records unique's values but has no formula: backward raises
    names, messages = [], []
    for m in (torch, ember):
        y = fn(m, m.tensor(M, requires_grad=True))
        names.append(type(y.grad_fn).__name__)
        with pytest.raises(RuntimeError, match="derivative for .* is not implemented") as info:
            y.sum().backward()
        messages.append(str(info.value))
    assert names[0] == names[1] and messages[0] == messages[1]


def test_integer_dtype_with_grad_refused():
    for m in (torch, ember):
        with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
            m.tensor(M, requires_grad=True).sum(dtype=m.int64)


def test_index_output_has_no_grad_fn_but_values_do():
    x = ember.tensor(M, requires_grad=True)
    values, indices = x.max(1)
    assert type(values.grad_fn).__name__ == "MaxBackward0"
    assert indices.grad_fn is None and not indices.requires_grad
    assert [(type(node).__name__, nr) for node, nr in values.grad_fn.next_functions] == [("AccumulateGrad", 0)]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (M == M.max(1, keepdims=True)).astype(float))


@pytest.mark.parametrize("fn", [lambda m, x, o: m.sum(x, 0, out=o), lambda m, x, o: m.mean(x, 1, out=o),
                                lambda m, x, o: m.amax(x, 1, out=o), lambda m, x, o: m.cumsum(x, 1, out=o)])
def test_out_with_grad_refused(fn):
    for m in (torch, ember):
        x = m.tensor(M, requires_grad=True)
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
            fn(m, x, m.empty(0, dtype=m.float64))


def test_no_grad_mode_records_nothing():
    x = ember.tensor(M, requires_grad=True)
    with ember.no_grad():
        for y in (x.sum(), x.max(1)[0], x.sort()[0], x.norm(), x.cumsum(0), x.quantile(0.5), x.diff()):
            assert y.grad_fn is None and not y.requires_grad


def test_seed_gradient_through_chain():
    # a typical loss: mean of squared norms, through a max and a logsumexp
    def fn(m, x):
        return (x.norm(dim=1) ** 2).mean() + x.logsumexp(1).max() - x.std(0).sum() + x.sort(1)[0][:, 0].sum()
    compare_grad(fn, sample((4, 5), "float64", seed=7))


@pytest.mark.parametrize("call", ["norm", "linalg.vector_norm"])
def test_double_backward_of_two_norm_at_a_zero_norm_follows_aten(call):
    # ATen's first derivative is grad * (x / norm).masked_fill(norm == 0, 0): differentiating it again at a
    # zero norm gives NaN, and torch's graph of the first derivative has that shape
    import torch

    results = []
    for m in (torch, ember):
        x = m.tensor([[1., -3., 3.], [0., 0., 0.], [2., 5., 1.]], dtype=m.float64, requires_grad=True)
        y = x.norm(dim=1) if call == "norm" else m.linalg.vector_norm(x, dim=1)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        results.append((g.detach().numpy(), x.grad.numpy(),
                        [type(n).__name__ if n else None for n, _ in g.grad_fn.next_functions]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-9, atol=1e-12)
    assert results[1][2] == results[0][2]
