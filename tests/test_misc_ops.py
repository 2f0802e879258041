"""Small Tensor methods (ops/misc.py) and the top-level nn.functional names, against torch."""

import multiprocessing

import numpy as np
import pytest
from harness import compare, sample

import ember


@pytest.mark.parametrize("size", [(1, 3), (3,), (2, 1), (2, 3), (4,), ()])
def test_sum_to_size(size):
    compare(lambda m, x: x.sum_to_size(*size), sample((2, 3)), message=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_methods(dim):
    compare(lambda m, x: x.softmax(dim), sample((3, 4)))
    compare(lambda m, x: x.log_softmax(dim), sample((3, 4)))
    compare(lambda m, x: m.softmax(x, dim), sample((3, 4)))


@pytest.mark.parametrize("case", ["plain", "weights32", "weights64", "minlength", "empty", "negative", "float"])
def test_bincount(case):
    data = {"plain": np.array([1, 1, 3, 0]), "weights32": np.array([2, 0, 2]), "weights64": np.array([2, 0, 2]),
            "minlength": np.array([1]), "empty": np.array([], np.int64), "negative": np.array([-1, 2]),
            "float": np.array([1.0, 2.0])}[case]
    weights = {"weights32": np.array([0.5, 1, 2], np.float32), "weights64": np.array([0.5, 1, 2])}.get(case)
    if weights is None:
        compare(lambda m, x: m.bincount(x, minlength=5 if case == "minlength" else 0), data, message=True)
    else:
        compare(lambda m, x, w: m.bincount(x, w), data, weights)


@pytest.mark.parametrize("bins,lo,hi", [(4, 0, 3), (3, 0, 0), (10, -1, 1)])
def test_histc(bins, lo, hi):
    compare(lambda m, x: m.histc(x, bins=bins, min=lo, max=hi), sample((20,)))


def test_pin_memory_errors_without_accelerator():
    compare(lambda m, x: x.pin_memory(), sample((2,)), message=True)
    compare(lambda m, x: x.is_pinned(), sample((2,)))


def _add_one(t):
    t.add_(1)


def test_share_memory_is_seen_by_forked_processes():
    t = ember.zeros(3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    proc = multiprocessing.get_context("fork").Process(target=_add_one, args=(t,))
    proc.start()
    proc.join(10)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_top_level_functional_names():
    import torch

    for name in ["conv2d", "max_pool2d", "batch_norm", "layer_norm", "dropout", "softmax", "embedding"]:
        assert callable(getattr(ember, name)) and callable(getattr(torch, name))
