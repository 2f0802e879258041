"""The small layer modules against torch's: Upsample / UpsamplingNearest2d / UpsamplingBilinear2d, PixelShuffle /
PixelUnshuffle, ChannelShuffle, the padding modules, Fold / Unfold, PairwiseDistance / CosineSimilarity:
repr, state_dict, outputs, gradients and errors."""

import pickle

import numpy as np
import pytest
import torch

import ember
from tests.harness import compare, compare_grad, sample

# (class name, constructor args, constructor kwargs, input shape or shapes)
MODULES = [
    ("Upsample", (), {"scale_factor": 2}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": (5, 3), "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": 7, "mode": "linear", "align_corners": True}, (2, 2, 4)),
    ("Upsample", (), {"scale_factor": (1.5, 2, 0.5), "mode": "trilinear"}, (1, 1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 1.7, "mode": "bicubic", "recompute_scale_factor": True}, (1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 0.5, "mode": "area"}, (1, 2, 6, 4)),
    ("Upsample", (), {"scale_factor": 2.5, "mode": "nearest-exact"}, (1, 2, 3)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (1, 2, 3, 2)),
    ("UpsamplingNearest2d", ((4, 5),), {}, (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", (), {"scale_factor": 2}, (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", (6,), {}, (1, 2, 3, 2)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 3)),
    ("PixelUnshuffle", (3,), {}, (2, 1, 3, 6)),
    ("ChannelShuffle", (2,), {}, (1, 4, 2, 3)),
    ("Fold", ((4, 5), 2), {}, (1, 12, 12)),
    ("Fold", ((5, 4), (2, 3)), {"dilation": 1, "padding": (1, 0), "stride": 2}, (2, 6, 3)),
    ("Unfold", (2,), {}, (1, 3, 4, 5)),
    ("Unfold", ((2, 3),), {"dilation": 2, "padding": 1, "stride": (1, 2)}, (2, 2, 5, 6)),
    ("PairwiseDistance", (), {}, [(3, 5), (3, 5)]),
    ("PairwiseDistance", (), {"p": 1.0, "eps": 1e-3, "keepdim": True}, [(3, 5), (1, 5)]),
    ("CosineSimilarity", (), {}, [(3, 5, 2), (3, 5, 2)]),
    ("CosineSimilarity", (), {"dim": -1, "eps": 1e-6}, [(3, 4), (3, 4)]),
]

PADS = [("ZeroPad1d", 2, (2, 3, 4)), ("ZeroPad1d", (1, 0), (3, 4)), ("ZeroPad2d", (1, 1, 2, 0), (1, 2, 3, 4)),
        ("ZeroPad2d", 1, (2, 3, 3)), ("ZeroPad3d", (1, 0, 0, 2, 1, 1), (1, 1, 2, 3, 4)), ("ZeroPad3d", 1, (2, 2, 2, 2)),
        ("ReflectionPad1d", 2, (2, 3, 4)), ("ReflectionPad1d", (3, 1), (3, 4)),
        ("ReflectionPad2d", (1, 1, 2, 0), (1, 2, 3, 4)), ("ReflectionPad2d", 2, (2, 3, 3)),
        ("ReflectionPad3d", 1, (1, 1, 2, 3, 4)), ("ReflectionPad3d", (1, 0, 0, 2, 1, 1), (2, 3, 3, 3)),
        ("ReplicationPad1d", (0, 3), (2, 3, 4)), ("ReplicationPad2d", (2, 1, 0, 3), (1, 2, 3, 4)),
        ("ReplicationPad2d", 1, (2, 3, 3)), ("ReplicationPad3d", (1, 2, 0, 1, 2, 0), (1, 1, 2, 3, 4)),
        ("CircularPad1d", 2, (2, 3, 4)), ("CircularPad2d", (1, 1, 2, 0), (1, 2, 3, 4)),
        ("CircularPad3d", 1, (1, 1, 2, 3, 4)), ("CircularPad2d", (1, 2, 0, 1), (2, 3, 3))]
CONSTANT_PADS = [("ConstantPad1d", 2, 3.5, (2, 3, 4)), ("ConstantPad1d", (1, 0), -1, (3, 4)),
                 ("ConstantPad2d", (1, 1, 2, 0), 0.5, (1, 2, 3, 4)), ("ConstantPad2d", [1, 2], 2, (2, 3)),
                 ("ConstantPad3d", 1, 0.0, (1, 1, 2, 3, 4)), ("ConstantPad3d", (1, 0, 0, 2, 1, -1), 7, (2, 2, 3, 3))]


def _module(m, name, args, kwargs):
    return getattr(m.nn, name)(*args, **kwargs)


def _inputs(shapes):
    shapes = shapes if isinstance(shapes, list) else [shapes]
    return [sample(s, "float64", seed=i) for i, s in enumerate(shapes)]


# F.pairwise_distance (ops/nn_misc.py) builds another graph than torch's: LinalgVectorNormBackward0 over
# AddBackward0 where torch has NormBackward1 over AddBackward1 (reported); values and gradients are compared.
_OTHER_GRAPH = ("PairwiseDistance",)


def _check_module(name, args, kwargs, shapes):
    tm, em = _module(torch, name, args, kwargs), _module(ember, name, args, kwargs)
    assert repr(em) == repr(tm)
    assert em.extra_repr() == tm.extra_repr()
    assert list(em.state_dict()) == list(tm.state_dict()) == []
    compare_grad(lambda m, *xs: (tm if m is torch else em)(*xs), *_inputs(shapes),
                 check_graph=not name.startswith(_OTHER_GRAPH))


@pytest.mark.parametrize("name, args, kwargs, shapes", MODULES)
def test_modules(name, args, kwargs, shapes):
    _check_module(name, args, kwargs, shapes)


@pytest.mark.parametrize("name, padding, shape", PADS)
def test_padding_modules(name, padding, shape):
    _check_module(name, (padding,), {}, shape)
    assert _module(ember, name, (padding,), {}).padding == _module(torch, name, (padding,), {}).padding


@pytest.mark.parametrize("name, padding, value, shape", CONSTANT_PADS)
def test_constant_padding_modules(name, padding, value, shape):
    _check_module(name, (padding, value), {}, shape)
    compare(lambda m, x: _module(m, name, (padding, value), {})(x), sample(shape, "int64"))


def test_circular_pad_negative():
    _check_module("CircularPad2d", ((-1, 2, 0, 1),), {}, (2, 3, 3))


def test_zero_pad_is_a_constant_pad():
    for k in (1, 2, 3):
        assert isinstance(getattr(ember.nn, f"ZeroPad{k}d")(1), getattr(ember.nn, f"ConstantPad{k}d"))
        assert getattr(ember.nn, f"ZeroPad{k}d")(1).value == 0.0


@pytest.mark.parametrize("name, padding, shape", [
    ("CircularPad1d", 1, (4,)), ("CircularPad1d", 1, (1, 2, 3, 4)), ("CircularPad2d", 1, (4, 4)),
    ("CircularPad3d", 1, (1, 2, 3, 4, 5, 6)), ("ReflectionPad1d", 4, (2, 3, 4)), ("ReflectionPad2d", 1, (4, 4)),
    ("ReplicationPad3d", 1, (2, 3)), ("CircularPad1d", 5, (2, 3, 4)),
])
def test_padding_errors(name, padding, shape):
    compare(lambda m, x: _module(m, name, (padding,), {})(x), sample(shape, "float32"), message=True)


def test_upsample_attributes_and_pickle():
    for kwargs in [{"scale_factor": (2, 3)}, {"scale_factor": 0}, {"size": [3, 4], "mode": "bicubic"}]:
        tm, em = torch.nn.Upsample(**kwargs), ember.nn.Upsample(**kwargs)
        for attr in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
            assert getattr(em, attr) == getattr(tm, attr) and type(getattr(em, attr)) is type(getattr(tm, attr))
        assert repr(em) == repr(tm)
    em = pickle.loads(pickle.dumps(ember.nn.Upsample(scale_factor=2, mode="bilinear")))
    x = ember.tensor(sample((1, 1, 2, 3), "float32"))
    np.testing.assert_array_equal(em(x).numpy(), ember.nn.functional.interpolate(x, scale_factor=2.0,
                                                                                 mode="bilinear").numpy())


def test_modules_in_a_sequential():
    x = sample((2, 3, 4, 4), "float32")

    def net(m):
        m.manual_seed(0)
        return m.nn.Sequential(m.nn.ReflectionPad2d(1), m.nn.Conv2d(3, 8, 3), m.nn.PixelShuffle(2),
                               m.nn.Upsample(scale_factor=0.5, mode="bilinear"), m.nn.ChannelShuffle(2))
    tnet, enet = net(torch), net(ember)
    enet.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    assert repr(enet) == repr(tnet)
    compare_grad(lambda m, t: (tnet if m is torch else enet)(t), x, rtol=1e-5, atol=1e-5)
