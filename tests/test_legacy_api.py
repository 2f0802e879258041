"""torch functions kept for old tutorials and interop: removed linalg functions raise torch's errors,
apply_/map_, DLPack both ways, anomaly switches, split_with_sizes, binomial, igamma/igammac,
set_default_tensor_type, the top-level vmap."""

import warnings

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, sample

import ember


@pytest.mark.parametrize("call", [
    lambda m: m.solve(m.eye(3), m.eye(3)), lambda m: m.lstsq(m.eye(3), m.eye(3)), lambda m: m.eye(3).eig(),
    lambda m: m.symeig(m.eye(3)), lambda m: m.matrix_rank(m.eye(3)), lambda m: m.eye(3).solve(m.eye(3))])
def test_removed_linalg_functions_raise_torchs_error(call):
    errors = []
    for m in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            call(m)
        errors.append(str(info.value))
    assert errors[1].split(".")[:2] == errors[0].split(".")[:2]  # "This function was deprecated ... removed."
    assert "torch.linalg" in errors[1]


def test_apply_and_map():
    compare(lambda m: m.arange(6.0).reshape(2, 3).apply_(lambda v: v * v + 1))
    compare(lambda m: m.arange(6).apply_(lambda v: v // 2))
    compare(lambda m: m.ones(2, 3).map_(m.arange(3.0), lambda a, b: a - b))
    compare(lambda m: m.ones(3).map2_(m.arange(3.0), m.full((3,), 2.0), lambda a, b, c: a + b * c))
    t = ember.zeros(3)
    v = t[1:]
    v.apply_(lambda x: 7.0)
    assert t.tolist() == [0.0, 7.0, 7.0] and t._version == 1


def test_dlpack_both_ways_share_memory():
    t = torch.arange(4.0)
    e = ember.from_dlpack(t)
    e[0] = 10.0
    assert t[0].item() == 10.0
    back = torch.from_dlpack(e)
    back[1] = 20.0
    assert e[1].item() == 20.0
    assert np.shares_memory(np.from_dlpack(e), e.numpy())
    capsule = ember.utils.dlpack.to_dlpack(e)
    assert torch.utils.dlpack.from_dlpack(capsule)[0].item() == 10.0
    assert ember.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(t))[1].item() == 20.0
    with pytest.raises(RuntimeError, match="require gradient"):
        ember.ones(2, requires_grad=True).__dlpack__()


def test_anomaly_switches():
    for m in (torch, ember):
        assert not m.is_anomaly_enabled()
        m.set_anomaly_enabled(True, check_nan=False)
        assert m.is_anomaly_enabled() and not m.is_anomaly_check_nan_enabled()
        m.set_anomaly_enabled(False)
        assert not m.is_anomaly_enabled() and m.is_anomaly_check_nan_enabled()


def test_split_with_sizes_and_vmap_alias():
    compare(lambda m: m.arange(6).split_with_sizes([1, 2, 3]))
    compare(lambda m: m.vmap(m.dot)(m.ones(2, 3), m.arange(6.0).reshape(2, 3)))


def test_binomial_stream():
    count = sample((50,), "float32", low=0, high=40).round()
    prob = sample((50,), "float32", seed=1, low=0, high=1)
    compare(lambda m, c, p: (m.binomial(c, p), m.rand(2)), count, prob)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma(name):
    a = sample((20,), "float64", low=0.1, high=8)
    x = sample((20,), "float64", seed=2, low=0.01, high=20)
    compare_grad(lambda m, a, x: getattr(m, name)(a.detach(), x), a, x, rtol=1e-9, atol=1e-12)
    compare(lambda m, a, x: getattr(m.special, "gammainc" if name == "igamma" else "gammaincc")(a, x), a, x,
            rtol=1e-9, atol=1e-12)
    compare(lambda m, a, x: getattr(a.float(), name)(x.float()), a, x, rtol=1e-5, atol=1e-7)


def test_set_default_tensor_type():
    for m in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.set_default_tensor_type(m.DoubleTensor)
        try:
            assert m.ones(1).dtype == m.float64
            assert any("deprecated as of PyTorch 2.1" in str(w.message) for w in caught)
        finally:
            m.set_default_tensor_type(m.FloatTensor)
        assert m.ones(1).dtype == m.float32
