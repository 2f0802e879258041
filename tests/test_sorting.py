"""Sorting and searching against PyTorch: sort/argsort/msort, topk, kthvalue, unique(_consecutive),
searchsorted, bucketize."""

import numpy as np
import pytest
import torch
from harness import compare, sample

import ember

SORT_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4), (0, 3)]


def distinct(shape, dtype, seed=0, nc=False):
    """Values without ties (bool aside), so sort indices are unambiguous; nc gives the transposed array to be
    viewed back non-contiguously."""
    x = np.asarray(sample(shape, "float64", seed=seed))
    x = np.asarray(np.argsort(np.argsort(x.reshape(-1))).reshape(x.shape) - 3.0)
    x = np.asarray((x > 0) if dtype == "bool" else x.astype(sample((), dtype).dtype))
    return np.ascontiguousarray(x.swapaxes(-1, -2)) if nc else x


def view(t, nc):
    return t.transpose(-1, -2) if nc else t


LAYOUTS = [(s, False) for s in SHAPES] + [((3, 4), True), ((2, 3, 4), True)]
IDS = [f"{s}{'-nc' if nc else ''}" for s, nc in LAYOUTS]


@pytest.mark.parametrize("dtype", SORT_DTYPES)
@pytest.mark.parametrize("shape,nc", LAYOUTS, ids=IDS)
def test_sort_argsort(shape, nc, dtype):
    x = distinct(shape, dtype, nc=nc)
    dims = [-1, 0] + ([1] if len(shape) >= 2 else [])
    for dim in dims:
        for descending in (False, True):
            if dtype == "bool":  # ties everywhere: only the stable order is defined
                compare(lambda m, t: view(t, nc).sort(dim=dim, descending=descending, stable=True), x)
                compare(lambda m, t: m.argsort(view(t, nc), dim=dim, descending=descending, stable=True), x)
                continue
            compare(lambda m, t: view(t, nc).sort(dim, descending), x)
            compare(lambda m, t: m.sort(view(t, nc), dim=dim, descending=descending, stable=True), x)
            compare(lambda m, t: view(t, nc).argsort(dim, descending=descending), x)
    compare(lambda m, t: m.msort(view(t, nc)), x)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "float32", "float16", "bool"])
def test_stable_sort_with_ties(dtype, descending):
    x = sample((5, 9), dtype, low=0, high=3)
    for dim in (0, 1):
        compare(lambda m, t: t.sort(dim=dim, descending=descending, stable=True), x)
        compare(lambda m, t: t.argsort(dim=dim, descending=descending, stable=True), x)


def test_sort_nan_is_largest():
    x = np.array([3.0, np.nan, 1.0, -np.inf, np.nan, 2.0, np.inf])
    compare(lambda m, t: t.sort(stable=True), x)
    compare(lambda m, t: t.sort(descending=True, stable=True), x)
    compare(lambda m, t: t.topk(3), np.array([3.0, np.nan, 1.0, 2.0]))
    compare(lambda m, t: t.topk(2, largest=False), x)
    compare(lambda m, t: t.kthvalue(2), x)


def test_sort_errors():
    compare(lambda m, t: t.sort(2), sample((3, 4)), message=True)
    compare(lambda m, t: t.sort(-3), sample((3, 4)), message=True)
    compare(lambda m, t: t.sort(), sample((3,), "complex64"))
    compare(lambda m, t: t.argsort(), sample((3,), "complex64"))


def test_return_type_repr():
    r = ember.tensor([3, 1, 2]).sort()
    assert repr(r) == repr(torch.tensor([3, 1, 2]).sort())
    assert type(r).__name__ == "sort" and r.values.tolist() == [1, 2, 3] and r.indices.tolist() == [1, 2, 0]
    assert repr(ember.tensor([3, 1, 2]).topk(2)) == repr(torch.tensor([3, 1, 2]).topk(2))


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("shape,nc", LAYOUTS, ids=IDS)
def test_topk_kthvalue(shape, nc, dtype):
    x = distinct(shape, dtype, nc=nc)
    n_last = shape[-1] if shape else 1
    n_first = shape[0] if shape else 1
    for dim, n in ((-1, n_last), (0, n_first)):
        for k in sorted({0, 1, n // 2, n, n + 1}):
            compare(lambda m, t: view(t, nc).topk(k, dim), x)
            compare(lambda m, t: m.topk(view(t, nc), k, dim=dim, largest=False), x)
            compare(lambda m, t: view(t, nc).topk(k, dim, True, True).values, x)
            compare(lambda m, t: view(t, nc).kthvalue(k, dim), x)
            compare(lambda m, t: m.kthvalue(view(t, nc), k, dim, keepdim=True), x)


def test_topk_errors():
    compare(lambda m, t: t.topk(1), sample((3,), "bool"), message=True)
    compare(lambda m, t: t.topk(1), sample((3,), "complex64"))
    compare(lambda m, t: t.topk(-1), sample((3,)), message=True)
    compare(lambda m, t: t.kthvalue(1), sample((3,), "bool"))
    compare(lambda m, t: t.kthvalue(0), sample((3,)), message=True)
    compare(lambda m, t: t.kthvalue(1), sample((0,)), message=True)
    compare(lambda m, t: t.topk(1, 2), sample((3, 4)), message=True)


def test_topk_large():
    x = distinct((50, 300), "float32")
    compare(lambda m, t: t.topk(10, 1), x)
    compare(lambda m, t: t.topk(10, 0, largest=False), x)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
def test_unique(dtype):
    x = sample((4, 5), dtype, low=-2, high=3)
    for kw in ({}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True}):
        compare(lambda m, t: t.unique(**kw), x)
        compare(lambda m, t: m.unique(t, sorted=False, **kw), x)
        compare(lambda m, t: t.unique_consecutive(**kw), x)
        for dim in (0, 1, -1):
            compare(lambda m, t: t.unique(dim=dim, **kw), x)
            compare(lambda m, t: m.unique_consecutive(t, dim=dim, **kw), x)
    compare(lambda m, t: m.unique(t, True, True, True), sample((6,), dtype, low=0, high=2))


def test_unique_edge_cases():
    compare(lambda m, t: t.unique(return_inverse=True, return_counts=True),
            np.array([3.0, np.nan, 1.0, 3.0, np.nan, 2.0]))
    compare(lambda m, t: t.unique_consecutive(return_counts=True), np.array([1.0, np.nan, np.nan, 2.0, 2.0]))
    compare(lambda m, t: t.unique(return_inverse=True), np.array(3.0))
    compare(lambda m, t: t.unique_consecutive(return_inverse=True), np.array(3.0))
    compare(lambda m, t: t.unique(return_counts=True), np.zeros(0, np.float32))
    compare(lambda m, t: t.unique_consecutive(return_inverse=True, return_counts=True), np.zeros(0, np.int64))
    compare(lambda m, t: t.unique(dim=0), np.zeros((0, 2), np.float32))
    compare(lambda m, t: t.unique(dim=0), np.zeros((2, 0), np.float32), message=True)
    compare(lambda m, t: t.unique(dim=0), np.array(1.0), message=True)
    compare(lambda m, t: t.unique(dim=2), np.ones((2, 3)), message=True)
    compare(lambda m, t: t.unique(), sample((3,), "complex64"))
    compare(lambda m, t: t.unique(dim=1, return_inverse=True, return_counts=True),
            np.array([[3, 1, 3, 2], [1, 1, 1, 0], [3, 1, 3, 2]]))


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64", "uint8", "bfloat16"])
def test_searchsorted(dtype):
    seq = np.sort(sample((9,), dtype, seed=1))
    values = sample((3, 4), dtype, seed=2)
    for right in (False, True):
        compare(lambda m, s, v: m.searchsorted(s, v, right=right), seq, values)
        compare(lambda m, s, v: m.searchsorted(s, v, side="right" if right else "left", out_int32=True), seq, values)
        compare(lambda m, v: m.bucketize(v, m.tensor([-2, 0, 1, 3]).to(v.dtype), right=right), values)
    seq2 = np.sort(sample((3, 6), dtype, seed=3), axis=-1)
    compare(lambda m, s, v: m.searchsorted(s, v), seq2, values)
    compare(lambda m, s, v: m.searchsorted(s, v, right=True), seq2, values)
    compare(lambda m, s: m.searchsorted(s, 2), seq)
    compare(lambda m, v: m.bucketize(v, m.tensor([-2, 0, 1, 3]).to(v.dtype), out_int32=True), values[0, 0])


def test_searchsorted_sorter_and_mixed_dtypes():
    seq = np.array([5, 1, 3, 9, 7])
    sorter = np.argsort(seq)
    values = np.array([[0, 3, 4], [9, 10, 6]])
    compare(lambda m, s, o, v: m.searchsorted(s, v, sorter=o), seq, sorter, values)
    compare(lambda m, s, o, v: m.searchsorted(s, v, sorter=o, side="right"), seq, sorter, values)
    compare(lambda m, s, v: m.searchsorted(s, v), np.array([1, 3, 5]), np.array([2.5, 3.0, 6.0]))
    compare(lambda m, s, v: m.searchsorted(s, v), np.array([1.0, 3.0, np.nan]), np.array([np.nan, 3.0]))
    compare(lambda m, s, v: m.searchsorted(s, v), np.zeros((2, 0)), np.ones((2, 3)))
    compare(lambda m, s, v: m.searchsorted(s, v), np.zeros(4), np.ones((0,)))


def test_searchsorted_errors():
    seq = np.array([1, 3, 5])
    compare(lambda m, s: m.searchsorted(s, m.tensor([3]), side="foo"), seq, message=True)
    compare(lambda m, s: m.searchsorted(s, m.tensor([3]), side="left", right=True), seq, message=True)
    compare(lambda m, s: m.searchsorted(s, m.tensor([3.0])), np.array(1.0), message=True)
    compare(lambda m, s: m.searchsorted(s, m.tensor([3, 4])), np.ones((2, 3)), message=True)
    compare(lambda m, s: m.bucketize(m.tensor([3]), s), np.ones((2, 3)), message=True)
    compare(lambda m, s: m.searchsorted(s, m.tensor([1j])), np.array([1j, 2j]))
