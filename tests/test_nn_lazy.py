"""Lazy modules (LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm*) and the uninitialized placeholders,
differential against torch: reprs before and after the first forward, state_dict contents, the class they
become, the RNG draws of their initialisation, loading a checkpoint into a module that never ran, and errors."""

import copy

import numpy as np
import pytest
import torch

import ember

LAZY = [
    ("LazyLinear", (4,), {}, (2, 3)),
    ("LazyLinear", (3,), dict(bias=False), (2, 5, 6)),
    ("LazyConv1d", (4, 2), dict(stride=2), (2, 3, 7)),
    ("LazyConv2d", (6, 3), dict(padding=1, groups=2), (2, 4, 5, 5)),
    ("LazyConv2d", (2, 3), {}, (3, 6, 6)),                        # unbatched: in_channels from dim 0
    ("LazyConv3d", (2, 2), dict(bias=False), (1, 2, 3, 3, 3)),
    ("LazyConvTranspose1d", (3, 3), dict(output_padding=1, stride=2), (2, 2, 4)),
    ("LazyConvTranspose2d", (6, 3), dict(stride=2, groups=3), (1, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 2, 2, 2, 2)),
    ("LazyBatchNorm1d", (), dict(momentum=None), (4, 5)),
    ("LazyBatchNorm2d", (), {}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), dict(affine=False, track_running_stats=False), (2, 2, 2, 3, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), dict(affine=False), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), dict(bias=False), (2, 2, 3, 3, 2)),
]


def _state(module):
    return [(k, repr(v) if "Uninitialized" in type(v).__name__ else v.detach().numpy().tolist())
            for k, v in module.state_dict().items()]


def _run(m, name, args, kwargs, xs):
    """Everything observable about a lazy module's life: before, the first forward (seeded), after."""
    module = getattr(m.nn, name)(*args, **kwargs)
    seen = [repr(module), _state(module), [repr(p) for p in module.parameters()], module.has_uninitialized_params()]
    m.manual_seed(0)
    x = m.from_numpy(np.arange(np.prod(xs), dtype=np.float32).reshape(xs) % 7 - 3)
    y = module(x)
    seen += [repr(module), type(module).__name__, hasattr(module, "_initialize_hook"), _state(module),
             np.round(y.detach().numpy(), 4).tolist(), m.rand(1).item()]   # the next draw: same RNG use
    return seen


@pytest.mark.parametrize("name,args,kwargs,xs", LAZY, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAZY)])
def test_lazy_module_life(name, args, kwargs, xs):
    e, t = _run(ember, name, args, kwargs, xs), _run(torch, name, args, kwargs, xs)
    for i, (a, b) in enumerate(zip(e, t)):
        if isinstance(b, list) and b and isinstance(b[0], tuple):     # state dicts: values up to rounding
            assert [k for k, _ in a] == [k for k, _ in b], i
            for (_, va), (_, vb) in zip(a, b):
                if isinstance(vb, str):
                    assert va == vb
                else:
                    np.testing.assert_allclose(va, vb, rtol=1e-6, atol=1e-6)
        elif isinstance(b, list) and b and isinstance(b[0], list):    # outputs
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
        else:
            assert a == b, (i, a, b)


def test_lazy_linear_draws_like_linear():
    ember.manual_seed(3)
    lazy = ember.nn.LazyLinear(5)
    lazy(ember.ones(2, 4))
    torch.manual_seed(3)
    ref = torch.nn.Linear(4, 5)
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), ref.weight.detach().numpy())
    np.testing.assert_array_equal(lazy.bias.detach().numpy(), ref.bias.detach().numpy())
    assert type(lazy.weight) is ember.nn.Parameter


def test_load_state_dict_into_uninitialized():
    reprs = []
    for m in (torch, ember):
        m.manual_seed(0)
        ref = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4))
        lazy = m.nn.Sequential(m.nn.LazyLinear(4), m.nn.LazyBatchNorm1d())
        result = lazy.load_state_dict(ref.state_dict())
        assert not result.missing_keys and not result.unexpected_keys
        assert not lazy[0].has_uninitialized_params() and type(lazy[0]).__name__ == "LazyLinear"
        for k, v in ref.state_dict().items():
            assert m.equal(lazy.state_dict()[k], v)
        reprs.append(repr(lazy))
        lazy.eval(), ref.eval()
        x = m.ones(2, 3)
        assert m.equal(lazy(x), ref(x))
        reprs.append(repr(lazy))   # Linear takes in_features from the input; BatchNorm1d keeps 0 (as torch)
    assert reprs[:2] == reprs[2:]


def test_placeholder_behaviour():
    results = []
    for m in (torch, ember):
        p = m.nn.UninitializedParameter()
        b = m.nn.UninitializedBuffer()
        out = [repr(p), repr(b), p.requires_grad, b.requires_grad, str(p.dtype), isinstance(p, m.nn.Parameter),
               repr(p.double()), str(p.double().dtype), m.nn.parameter.is_lazy(p)]
        for fn in (lambda: p + 1, lambda: p.shape, lambda: m.nn.functional.linear(m.ones(2, 3), p)):
            with pytest.raises((ValueError, RuntimeError)) as info:
                fn()
            out.append((info.type, str(info.value)[:40]))
        p.materialize((2, 3))
        b.materialize((4,), dtype=m.float64)
        out += [type(p).__name__, tuple(p.shape), p.requires_grad, type(b).__name__, str(b.dtype)]
        results.append(out)
    assert results[0] == results[1]


def test_lazy_module_to_deepcopy_and_errors():
    for m in (torch, ember):
        lazy = m.nn.LazyLinear(2).double()
        twin = copy.deepcopy(lazy)
        assert lazy.weight.dtype == twin.weight.dtype == m.float64 and twin.has_uninitialized_params()
        assert tuple(twin(m.ones(3, 5, dtype=m.float64)).shape) == (3, 2) and lazy.has_uninitialized_params()
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            m.nn.LazyConv2d(4, 3, groups=3)(m.ones(1, 4, 5, 5))
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
            m.nn.LazyConv2d(4, 3)(m.ones(4, 5))
