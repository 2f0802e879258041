"""Reductions against PyTorch: dtypes, shapes (0-dim, empty, non-contiguous), dims, keepdim, errors."""

import math

import numpy as np
import pytest
import torch
from harness import ALL_DTYPES, FLOAT_DTYPES, compare, sample

import ember

SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4), (0, 3)]
LAYOUTS = [(s, False) for s in SHAPES] + [((3, 4), True), ((2, 3, 4), True)]
LAYOUT_IDS = [f"{s}{'-nc' if nc else ''}" for s, nc in LAYOUTS]


def data(shape, dtype, nc=False, seed=0):
    """Sample data; for a non-contiguous layout, the transposed array (run_nc transposes it back as a view)."""
    arr = np.asarray(sample(shape, dtype, seed=seed))
    return np.ascontiguousarray(arr.swapaxes(-1, -2)) if nc else arr


def run_nc(fn, nc):
    """fn applied to a transposed (non-contiguous) view of its tensor when nc, else to the tensor itself."""
    if not nc:
        return fn
    return lambda m, t: fn(m, t.transpose(-1, -2))


def dims_for(ndim):
    """The dim arguments worth trying on a tensor of this rank."""
    dims = [None, 0, -1]
    if ndim >= 2:
        dims += [(0, -1), [1]]
    if ndim >= 3:
        dims += [(2, 0)]
    return dims


def reduce_call(name, **kw):
    def call(m, x, dim, keepdim):
        if dim is None:
            return getattr(x, name)(**kw)
        return getattr(x, name)(dim, keepdim, **kw)

    return call


MULTI_DIM_OPS = {
    "sum": reduce_call("sum"),
    "sum_fn": lambda m, x, dim, keepdim: m.sum(x) if dim is None else m.sum(x, dim, keepdim=keepdim),
    "prod": reduce_call("prod"),
    "mean": reduce_call("mean"),
    "nansum": reduce_call("nansum"),
    "nanmean": reduce_call("nanmean"),
    "var": reduce_call("var"),
    "std": reduce_call("std"),
    "var_c0": lambda m, x, dim, keepdim: x.var(dim, correction=0, keepdim=keepdim),
    "amax": reduce_call("amax"),
    "amin": reduce_call("amin"),
    "all": reduce_call("all"),
    "any": reduce_call("any"),
    "count_nonzero": lambda m, x, dim, keepdim: x.count_nonzero(dim),
    "logsumexp": lambda m, x, dim, keepdim: x.logsumexp(() if dim is None else dim, keepdim),
    "norm": lambda m, x, dim, keepdim: x.norm(dim=dim, keepdim=keepdim),
    "norm_p3": lambda m, x, dim, keepdim: x.norm(3, dim, keepdim),
    "norm_inf": lambda m, x, dim, keepdim: x.norm(float("inf"), dim, keepdim),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,nc", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("op", list(MULTI_DIM_OPS))
def test_multi_dim_reductions(op, shape, nc, dtype):
    fn = MULTI_DIM_OPS[op]
    x = data(shape, dtype, nc)
    for dim in dims_for(len(shape)):
        if op == "prod" and isinstance(dim, (tuple, list)):
            continue  # prod takes a single dim
        for keepdim in (False, True):
            compare(run_nc(lambda m, t: fn(m, t, dim, keepdim), nc), x)


SINGLE_DIM_OPS = {
    "max": lambda m, x, dim, keepdim: x.max(dim, keepdim) if dim is not None else x.max(),
    "min": lambda m, x, dim, keepdim: x.min(dim=dim, keepdim=keepdim) if dim is not None else x.min(),
    "argmax": lambda m, x, dim, keepdim: x.argmax(dim, keepdim),
    "argmin": lambda m, x, dim, keepdim: m.argmin(x, dim=dim, keepdim=keepdim),
    "aminmax": lambda m, x, dim, keepdim: x.aminmax(dim=dim, keepdim=keepdim),
    "cumsum": lambda m, x, dim, keepdim: x.cumsum(0 if dim is None else dim),
    "cumprod": lambda m, x, dim, keepdim: m.cumprod(x, 0 if dim is None else dim),
    "cummax": lambda m, x, dim, keepdim: x.cummax(0 if dim is None else dim),
    "cummin": lambda m, x, dim, keepdim: x.cummin(0 if dim is None else dim),
    "logcumsumexp": lambda m, x, dim, keepdim: x.logcumsumexp(0 if dim is None else dim),
    "median": lambda m, x, dim, keepdim: x.median(dim, keepdim) if dim is not None else x.median(),
    "nanmedian": lambda m, x, dim, keepdim: x.nanmedian(dim, keepdim) if dim is not None else x.nanmedian(),
    "prod_dim": lambda m, x, dim, keepdim: x.prod(dim, keepdim) if dim is not None else x.prod(),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,nc", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("op", list(SINGLE_DIM_OPS))
def test_single_dim_reductions(op, shape, nc, dtype):
    fn = SINGLE_DIM_OPS[op]
    # distinct values, so the index of an extremum or a median is unambiguous
    x = sample(shape, "float64")
    x = np.asarray(np.argsort(np.argsort(x.reshape(-1))).reshape(x.shape) - 2.0)
    x = np.asarray((x > 1) if dtype == "bool" else x.astype(sample((), dtype).dtype))
    if nc:
        x = np.ascontiguousarray(x.swapaxes(-1, -2))
    if op.startswith(("cum", "prod")) and dtype in ("float16", "bfloat16", "float32"):
        x = np.asarray(x / 8)  # no overflow: PyTorch's vectorised lanes would turn inf * 0 into nan
    for dim in [None, 0, -1] + ([1] if len(shape) >= 2 else []):
        for keepdim in (False, True):
            compare(run_nc(lambda m, t: fn(m, t, dim, keepdim), nc), x)


@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "float32", "bool"])
def test_ties_pick_first_occurrence(op, dtype):
    x = np.array([[1, 3, 3, 0], [2, 2, 0, 0], [0, 0, 0, 0]]).astype(dtype)
    for dim in (0, 1):
        compare(lambda m, t: getattr(t, op)(dim), x)
    compare(lambda m, t: getattr(t, op)(), x)


def test_nan_handling():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 0.5, 7.0], [np.nan] * 4], dtype=np.float32)
    for op in ("max", "min", "argmax", "argmin", "median", "nanmedian", "cummax", "cummin"):
        for dim in (0, 1):
            compare(lambda m, t: getattr(t, op)(dim), x if op != "nanmedian" else x[:2])
    # the index PyTorch reports for an all-NaN row is an artefact of its selection algorithm: compare values
    compare(lambda m, t: t.nanmedian(1).values, x)
    for op in ("max", "min", "amax", "amin", "argmax", "median", "nansum", "nanmean", "sum", "mean",
               "logsumexp"):
        for dim in (None, 1):
            if op == "logsumexp" and dim is None:
                dim = (0, 1)
            compare(lambda m, t: getattr(t, op)() if dim is None else getattr(t, op)(dim), x)


def test_dtype_argument():
    x = sample((3, 4), "int32")
    compare(lambda m, t: t.sum(dtype=m.float16), x)
    compare(lambda m, t: t.sum(1, dtype=m.int32), x)
    compare(lambda m, t: t.mean(dtype=m.float64), x)
    compare(lambda m, t: t.mean(0, dtype=m.int64), x, message=True)
    compare(lambda m, t: t.prod(1, dtype=m.float64), x)
    compare(lambda m, t: t.cumsum(1, dtype=m.float32), x)
    compare(lambda m, t: t.cumprod(0, dtype=m.int16), x)
    f = sample((3, 4), "float32")
    compare(lambda m, t: t.sum(dtype=m.int32), f)
    compare(lambda m, t: t.nansum(1, dtype=m.float64), f)
    compare(lambda m, t: t.norm(dtype=m.float64), f)
    compare(lambda m, t: t.sum(dtype=m.float32), sample((3,), "complex64"))


def test_mean_of_int_message():
    compare(lambda m, t: t.mean(), sample((3,), "int64"), message=True)
    compare(lambda m, t: t.std(), sample((3,), "int32"), message=True)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_bad_dim_messages(shape):
    x = sample(shape, "float32")
    n = len(shape)
    for op in ("sum", "mean", "max", "argmax", "amax", "std", "cumsum", "median", "all", "logsumexp"):
        compare(lambda m, t: getattr(t, op)(n), x, message=True)
        compare(lambda m, t: getattr(t, op)(-n - 1), x, message=True)
    compare(lambda m, t: t.sum((0, 0)), x, message=True)
    compare(lambda m, t: t.sum((0, -n)), x, message=True)


def test_bad_dim_message_text():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but "
                                         r"got 2\)"):
        ember.ones(3, 4).sum(2)


def test_empty_reductions():
    e = np.zeros((0,), np.float32)
    e2 = np.zeros((0, 3), np.float32)
    for fn in (lambda m, t: t.sum(), lambda m, t: t.prod(), lambda m, t: t.mean(), lambda m, t: t.max(),
               lambda m, t: t.max(0), lambda m, t: t.amax(), lambda m, t: t.amin(0), lambda m, t: t.argmax(),
               lambda m, t: t.argmin(0), lambda m, t: t.aminmax(), lambda m, t: t.median(), lambda m, t: t.std(),
               lambda m, t: t.logsumexp(0), lambda m, t: t.norm(), lambda m, t: t.mode(),
               lambda m, t: t.quantile(0.5), lambda m, t: t.cumsum(0), lambda m, t: t.all(), lambda m, t: t.any()):
        compare(fn, e, message=True)
    for fn in (lambda m, t: t.max(1), lambda m, t: t.max(0), lambda m, t: t.sum(0), lambda m, t: t.amax(1),
               lambda m, t: t.argmax(1), lambda m, t: t.median(0), lambda m, t: t.mean(0), lambda m, t: t.var(0)):
        compare(fn, e2, message=True)


def test_max_min_of_two_tensors():
    a, b = sample((3, 4), "float32"), sample((4,), "float32", seed=1)
    compare(lambda m, x, y: m.max(x, y), a, b)
    compare(lambda m, x, y: m.min(x, y), a, b)
    compare(lambda m, x, y: x.max(y), a, b)
    compare(lambda m, x, y: m.max(x, y), sample((3,), "int32"), sample((3,), "float16"))
    compare(lambda m, x, y: m.min(x, y), sample((3,), "uint8"), sample((3,), "int8"))


def test_complex_errors():
    c = sample((3,), "complex64")
    for fn in (lambda m, t: t.max(), lambda m, t: t.max(0), lambda m, t: t.argmax(), lambda m, t: t.amax(),
               lambda m, t: t.cummax(0), lambda m, t: t.median(), lambda m, t: t.quantile(0.5)):
        compare(fn, c)
    compare(lambda m, t: t.sum(), c)
    compare(lambda m, t: t.mean(0), c)
    compare(lambda m, t: t.var(), c)
    compare(lambda m, t: t.norm(), c)
    compare(lambda m, t: t.prod(), c)
    compare(lambda m, t: t.logsumexp(0), c)
    compare(lambda m, t: t.logcumsumexp(0), c)


def test_return_types():
    r = ember.tensor([[1, 5, 2], [7, 3, 4]]).max(1)
    t = torch.tensor([[1, 5, 2], [7, 3, 4]]).max(1)
    assert repr(r) == repr(t)
    assert r.values is r[0] and r.indices is r[1]
    values, indices = r
    assert values.tolist() == [5, 7] and indices.tolist() == [1, 0]
    assert type(r).__name__ == "max" and type(r)._fields == ("values", "indices")
    mm = ember.tensor([1.0, 3.0]).aminmax()
    assert mm.min.item() == 1.0 and mm.max.item() == 3.0
    assert isinstance(r, tuple)


def test_var_std_signatures():
    x = sample((3, 4), "float64")
    compare(lambda m, t: t.var(0, False), x)
    compare(lambda m, t: t.var(False), x)
    compare(lambda m, t: t.std(1, True, True), x)
    compare(lambda m, t: t.std(dim=1, unbiased=False, keepdim=True), x)
    compare(lambda m, t: t.var(dim=(0, 1), correction=2), x)
    compare(lambda m, t: t.var(correction=0), x)
    compare(lambda m, t: m.var_mean(t, 1), x)
    compare(lambda m, t: m.var_mean(t, 0, True, keepdim=True), x)
    compare(lambda m, t: m.std_mean(t, dim=(0, 1), correction=0), x)
    compare(lambda m, t: m.std_mean(t), sample((5,), "float16"))
    compare(lambda m, t: m.var_mean(t, 0), sample((5, 2), "complex64"))
    compare(lambda m, t: t.var(correction=4), sample((3,), "float32"))


def test_sum_axis_alias_and_large():
    x = sample((200, 300), "float32")
    compare(lambda m, t: t.sum(axis=1), x)
    compare(lambda m, t: t.sum(1), x)
    compare(lambda m, t: t.sum(0), x)
    compare(lambda m, t: t.mean(1), x)
    compare(lambda m, t: t.var(1), x)
    compare(lambda m, t: t.max(1), x)
    compare(lambda m, t: t.argmax(0), x)
    compare(lambda m, t: t.sum(), sample((1000, 100), "float16", low=0, high=1), rtol=1e-3, atol=1e-2)


@pytest.mark.parametrize("p", ["fro", "nuc", 0, 1, 2, 3, -1, 0.5, math.inf, -math.inf])
def test_norm_orders(p):
    x = sample((3, 4), "float32")
    compare(lambda m, t: t.norm(p), x)
    compare(lambda m, t: m.norm(t, p, dim=(0, 1), keepdim=True), x)
    if p != "nuc":
        compare(lambda m, t: t.norm(p, 1), x)
        compare(lambda m, t: t.norm(p, -1, True), sample((2, 3, 4), "float64"))
    compare(lambda m, t: t.norm(p), sample((5,), "float32"))
    compare(lambda m, t: t.norm(p), sample((3, 4), "float16"), rtol=2e-3, atol=1e-3)


def test_norm_bad_input():
    compare(lambda m, t: t.norm(), sample((3,), "int64"), message=True)
    compare(lambda m, t: t.norm("foo"), sample((3, 3), "float32"))


def test_cummax_ties_and_nan():
    x = np.array([1.0, 1.0, 0.0, 2.0, 2.0, np.nan, 3.0, np.nan, 1.0])
    compare(lambda m, t: t.cummax(0), x)
    compare(lambda m, t: t.cummin(0), x)
    compare(lambda m, t: t.cummin(0), np.array([3, 1, 1, 2, 1]))
    compare(lambda m, t: t.cummax(0), np.array([True, False, True, True]))


def test_all_any_dtypes():
    for dtype in ("uint8", "bool", "float32", "int64"):
        x = sample((3, 4), dtype)
        x.reshape(-1)[::3] = 0
        for dim in (None, 0, 1, (0, 1)):
            compare(lambda m, t: t.all() if dim is None else t.all(dim), x)
            compare(lambda m, t: m.any(t) if dim is None else m.any(t, dim, keepdim=True), x)


def test_mode():
    x = np.array([[1, 2, 2, 3, 3], [3, 3, 2, 2, 1], [5, 4, 4, 5, 1], [0, 0, 0, 0, 0]])
    compare(lambda m, t: t.mode(), x)
    compare(lambda m, t: t.mode(0), x)
    compare(lambda m, t: t.mode(1, True), x)
    compare(lambda m, t: t.mode(0), x.astype(np.float32))
    compare(lambda m, t: t.mode(), np.array([True, False, False, True, True]))
    compare(lambda m, t: t.mode(), np.array(3.0))
    compare(lambda m, t: t.mode(-1), sample((2, 3, 6), "int8", low=0, high=3))


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_quantile(interpolation, dtype):
    x = sample((4, 7), dtype)
    qs = sample((5,), dtype, seed=3, low=0, high=1)
    for q in (0.0, 0.25, 0.5, 1.0, 0.3):
        compare(lambda m, t: t.quantile(q, interpolation=interpolation), x)
        compare(lambda m, t: t.quantile(q, 1, True, interpolation=interpolation), x)
    compare(lambda m, t, qt: t.quantile(qt, dim=0, interpolation=interpolation), x, qs)
    compare(lambda m, t, qt: t.quantile(qt, dim=-1, keepdim=True, interpolation=interpolation), x, qs)
    compare(lambda m, t, qt: m.quantile(t, qt, keepdim=True, interpolation=interpolation), x, qs)
    compare(lambda m, t, qt: t.quantile(qt[0], 0, interpolation=interpolation), x, qs)
    y = x.copy()
    y[1, 2] = y[3, 0] = np.nan
    y[2, :] = np.nan
    compare(lambda m, t: t.quantile(0.4, 1, interpolation=interpolation), y)
    compare(lambda m, t: t.nanquantile(0.4, 1, interpolation=interpolation), y)
    compare(lambda m, t, qt: t.nanquantile(qt, 0, interpolation=interpolation), y, qs)
    compare(lambda m, t: t.nanquantile(0.7, interpolation=interpolation), y)


def test_quantile_errors():
    x = sample((3,), "float32")
    compare(lambda m, t: t.quantile(1.5), x, message=True)
    compare(lambda m, t: t.quantile(0.5, interpolation="foo"), x, message=True)
    compare(lambda m, t: t.quantile(m.tensor([0.5], dtype=m.float64)), x, message=True)
    compare(lambda m, t: t.quantile(0.5), sample((3,), "int64"), message=True)
    compare(lambda m, t: t.quantile(0.5), sample((), "float64"))
    compare(lambda m, t: t.quantile(0.5, 0), sample((), "float64"))


def test_diff():
    x = sample((3, 5), "float32")
    compare(lambda m, t: t.diff(), x)
    compare(lambda m, t: m.diff(t, n=2, dim=0), x)
    compare(lambda m, t: t.diff(dim=1, prepend=m.zeros(3, 1), append=m.ones(3, 2)), x)
    compare(lambda m, t: t.diff(), sample((6,), "bool"))
    compare(lambda m, t: t.diff(3), sample((6,), "int16"))
    compare(lambda m, t: t.diff(), sample((6,), "bfloat16"))


def test_out_arguments():
    x = sample((3, 4), "float32")
    compare(lambda m, t: (m.sum(t, 1, out=m.empty(0)), ), x)
    compare(lambda m, t: m.max(t, 1, out=(m.empty(0), m.empty(0, dtype=m.int64))), x)
    compare(lambda m, t: m.cumsum(t, 0, out=m.empty(3, 4)), x)
    compare(lambda m, t: m.amax(t, 0, out=m.empty(4)), x)


FLOATS = FLOAT_DTYPES + ["complex64", "complex128"]


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_dtype_results(dtype):
    x = sample((4, 6), dtype)
    for op in ("sum", "mean", "var", "std", "norm", "logsumexp", "nansum", "nanmean"):
        compare(lambda m, t: getattr(t, op)(1), x, rtol=1e-2 if "16" in dtype else None,
                atol=1e-2 if "16" in dtype else None)
