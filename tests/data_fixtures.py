"""Helpers shared by the ember.utils.data tests (test_data.py, test_dataloader.py): run one scenario on ember and
on torch and compare the results structure by structure."""

import numpy as np
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

LIBS = [(ember, edata), (torch, tdata)]


def same(e, t):
    """ember structure `e` equals torch structure `t`: same container types, tensors with equal dtype/shape/values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape), (e, t)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__ and list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t), (e, t)
        for a, b in zip(e, t):
            same(a, b)
    else:
        assert type(e) is type(t) and e == t, (e, t)


def both(fn):
    """fn(m, data) with ember and with torch: same results, or the same exception type and message."""
    out = []
    for m, d in LIBS:
        try:
            out.append(("ok", fn(m, d)))
        except Exception as exc:  # noqa: BLE001 - comparing the failure itself
            out.append(("err", exc))
    (ke, e), (kt, t) = out
    assert ke == kt, (e, t)
    if ke == "err":
        assert type(e) is type(t) and str(e) == str(t), (repr(e), repr(t))
    else:
        same(e, t)
    return e, t
