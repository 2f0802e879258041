"""Tensor.untyped_storage()/storage()/is_set_to against torch: sizes, pointers shared by views, element values,
reprs, writes that go through, and the TypedStorage deprecation warning."""

import warnings

import pytest
import torch

import ember


def _run(m, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(m)


@pytest.mark.parametrize("fn", [
    lambda m: (len(m.arange(3.0).untyped_storage()), m.arange(3.0).untyped_storage().nbytes(),
               m.arange(3.0).untyped_storage().tolist()),
    lambda m: (m.arange(6.0)[2:].untyped_storage().nbytes(), m.arange(6.0)[2:].storage().size(),
               m.arange(6.0)[2:].storage_offset()),
    lambda m: (lambda x: (x[1].untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
                          x.t().storage().data_ptr() == x.data_ptr()))(m.arange(6.0).reshape(2, 3)),
    lambda m: repr(m.arange(3.0).storage()), lambda m: repr(m.zeros(2, dtype=m.int64).storage()),
    lambda m: repr(m.zeros(2, dtype=m.bool).storage()), lambda m: repr(m.zeros(0).storage()),
    lambda m: repr(m.tensor([1.5], dtype=m.float16).untyped_storage()),
    lambda m: (m.arange(3.0).storage()[1], m.arange(4).storage().tolist(), m.arange(3.0).storage().dtype,
               m.arange(3.0).storage().element_size(), str(m.arange(3.0).storage().device)),
    lambda m: (lambda x: (x.is_set_to(x), x.is_set_to(x.view(6)), x[1:].is_set_to(x), x.is_set_to(x.clone())))(
        m.arange(6.0)),
])
def test_storage_matches_torch(fn):
    expected, got = _run(torch, fn), _run(ember, fn)
    assert str(got).replace("ember", "torch") == str(expected)


def test_writes_go_through():
    for m in (torch, ember):
        x = m.arange(3.0)
        s = _run(m, lambda m: x.storage())
        s[0] = 5.0
        x.untyped_storage()[7] = 64  # the high byte of 1.0f: 0x3f800000 becomes 0x40800000, 4.0
        assert x.tolist() == [5.0, 4.0, 2.0]


def test_typed_storage_is_deprecated():
    import ember.storage as es

    es._warned[0] = False
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        ember.ones(2).storage()
