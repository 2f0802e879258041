"""F.interpolate (every mode and dimensionality, size / scale_factor / recompute_scale_factor, align_corners,
antialias), the deprecated F.upsample*, pixel_shuffle / pixel_unshuffle and channel_shuffle against torch:
values, dtypes, grad_fn names, gradients, double backward and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from tests.harness import compare, compare_grad, sample, tensor_of

SHAPES = {1: (2, 3, 7), 2: (2, 3, 6, 5), 3: (1, 2, 4, 5, 3)}
SIZES = {1: [4, 11], 2: [(3, 8), (9, 4)], 3: [(2, 7, 5), (6, 3, 2)]}
SCALES = {1: [1.7, 0.6], 2: [1.5, (0.7, 2.25)], 3: [2, (1.3, 0.5, 1.0)]}
MODES = [(1, "nearest", {}), (1, "nearest-exact", {}), (1, "linear", {"align_corners": False}),
         (1, "linear", {"align_corners": True}), (1, "area", {}),
         (2, "nearest", {}), (2, "nearest-exact", {}), (2, "bilinear", {}), (2, "bilinear", {"align_corners": True}),
         (2, "bicubic", {"align_corners": False}), (2, "bicubic", {"align_corners": True}), (2, "area", {}),
         (2, "bilinear", {"antialias": True}), (2, "bicubic", {"antialias": True, "align_corners": True}),
         (2, "lanczos", {"antialias": True}),
         (3, "nearest", {}), (3, "nearest-exact", {}), (3, "trilinear", {"align_corners": False}),
         (3, "trilinear", {"align_corners": True}), (3, "area", {})]


def _geometries(k):
    yield from ({"size": s} for s in SIZES[k])
    for s in SCALES[k]:
        yield {"scale_factor": s}
        yield {"scale_factor": s, "recompute_scale_factor": True}


@pytest.mark.parametrize("k, mode, kw", MODES)
def test_interpolate_values_and_grads(k, mode, kw):
    x = sample(SHAPES[k], "float64", seed=k)
    for geometry in _geometries(k):
        compare_grad(lambda m, t: m.nn.functional.interpolate(t, mode=mode, **kw, **geometry), x)
    # float32: PyTorch's rounding to a few ulps
    x32 = x.astype(np.float32)
    compare(lambda m, t: m.nn.functional.interpolate(t, mode=mode, **kw, **geometry), x32, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k, mode", [(1, "linear"), (3, "trilinear"), (1, "nearest"), (3, "nearest-exact"),
                                     (2, "bicubic"), (2, "lanczos")])
def test_gradcheck_and_gradgradcheck(k, mode):
    x = ember.tensor(sample(SHAPES[k], "float64", seed=3)[:1, :2], requires_grad=True)
    kw = {"scale_factor": 1.5, "antialias": mode == "lanczos"}
    if mode not in ("nearest", "nearest-exact"):
        kw["align_corners"] = False

    def fn(t):
        return ember.nn.functional.interpolate(t, **kw, mode=mode)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("k, mode", [(1, "linear"), (3, "trilinear"), (1, "nearest"), (3, "nearest-exact"),
                                     (2, "lanczos")])
def test_double_backward_graph(k, mode):
    x = sample(SHAPES[k], "float64", seed=4)
    names = []
    for m in (torch, ember):
        t = tensor_of(m, x, requires_grad=True)
        y = m.nn.functional.interpolate(t, scale_factor=2, mode=mode, antialias=mode == "lanczos")
        v = tensor_of(m, sample(tuple(y.shape), "float64", seed=5), requires_grad=True)
        (g,) = m.autograd.grad(y, t, v, create_graph=True)
        (gv,) = m.autograd.grad((g * g).sum(), v)
        names.append((g.grad_fn.name(), g.detach().numpy(), gv.numpy()))
    assert names[0][0] == names[1][0]
    np.testing.assert_allclose(names[1][1], names[0][1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(names[1][2], names[0][2], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["uint8", "float16", "bfloat16"])
def test_dtypes(dtype):
    modes = [(1, "nearest"), (2, "nearest-exact"), (3, "nearest"), (1, "linear"), (2, "bilinear"), (2, "bicubic"),
             (3, "trilinear"), (2, "area")]
    if dtype == "uint8":  # torch's fixed-point uint8 bilinear / bicubic is not implemented: checked below
        modes = [m for m in modes if m[1] not in ("bilinear", "bicubic")]
    for k, mode in modes:
        x = sample(SHAPES[k], dtype, seed=6)
        tol = {"rtol": 2e-2, "atol": 2e-2} if dtype in ("float16", "bfloat16") else {}
        compare(lambda m, t: m.nn.functional.interpolate(t, scale_factor=1.5, mode=mode), x, **tol)


def test_area_bfloat16():
    compare(lambda m, t: m.nn.functional.interpolate(t, scale_factor=1.5, mode="area"),
            sample(SHAPES[2], "bfloat16"), rtol=2e-2, atol=2e-2)


ERRORS = [
    ((2, 3, 4), {"size": 0}),
    ((1, 1, 2, 2, 2), {"size": (1, 0, 2)}),
    ((1, 1, 2, 2), {"size": (0, 2), "mode": "bilinear"}),
    ((1, 1, 2, 2), {"scale_factor": -1.0}),
    ((2, 2), {"size": 3}),
    ((1, 1, 3, 3), {"size": (5.0, 2), "mode": "bicubic"}),
    ((1, 1, 3, 3), {"size": 5, "mode": "foo"}),
    ((1, 1, 3, 3), {"size": (2, 2, 2)}),
    ((1, 1, 3, 3), {"scale_factor": (2, 2, 2)}),
    ((1, 1, 3, 3), {"size": 2, "scale_factor": 2}),
    ((1, 1, 3, 3), {}),
    ((1, 1, 3, 3), {"size": 2, "recompute_scale_factor": True}),
    ((1, 1, 3, 3), {"size": 2, "align_corners": True}),
    ((1, 1, 3, 3), {"size": 2, "mode": "area", "align_corners": False}),
    ((1, 1, 3, 3), {"size": 2, "mode": "nearest", "antialias": True}),
    ((1, 1, 3), {"size": 2, "mode": "linear", "antialias": True}),
    ((1, 1, 3), {"size": 2, "mode": "bilinear"}),
    ((1, 1, 3), {"size": 2, "mode": "trilinear"}),
    ((1, 1, 3, 3), {"size": 2, "mode": "linear"}),
    ((1, 1, 3, 3), {"size": 2, "mode": "trilinear"}),
    ((1, 1, 3, 3, 3), {"size": 2, "mode": "linear"}),
    ((1, 1, 3, 3, 3), {"size": 2, "mode": "bilinear"}),
    ((1, 1, 3, 3, 3), {"size": 2, "mode": "bicubic"}),
    ((1, 1, 3, 3), {"size": 2, "mode": "lanczos"}),
    ((1, 1, 3), {"size": 2, "mode": "lanczos", "antialias": True}),
    ((1, 1, 3), {"size": 2, "mode": "lanczos"}),
    ((1, 1, 3, 3), {"size": 2, "mode": "lanczos", "antialias": True, "align_corners": True}),
]


@pytest.mark.parametrize("shape, kw", ERRORS)
def test_interpolate_errors(shape, kw):
    compare(lambda m, t: m.nn.functional.interpolate(t, **kw), sample(shape, "float32"), message=True)


@pytest.mark.parametrize("dtype", ["int64", "int8", "bool"])
def test_integer_interpolating_modes_raise(dtype):
    for shape, mode, aa in [((1, 1, 3, 3), "bilinear", False), ((1, 1, 3), "linear", False),
                            ((1, 1, 3, 3), "area", False), ((1, 1, 3, 3), "bicubic", False),
                            ((1, 1, 3, 3), "bilinear", True), ((1, 1, 3, 3, 3), "trilinear", False),
                            ((1, 1, 3), "nearest", False), ((1, 1, 3, 3), "nearest", False),
                            ((1, 1, 3, 3, 3), "nearest-exact", False), ((1, 1, 3, 3), "lanczos", True)]:
        compare(lambda m, t: m.nn.functional.interpolate(t, size=5, mode=mode, antialias=aa), sample(shape, dtype),
                message=True)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_antialias_raises(dtype):
    for mode in ("bilinear", "bicubic", "lanczos"):
        compare(lambda m, t: m.nn.functional.interpolate(t, size=5, mode=mode, antialias=True),
                sample((1, 1, 3, 3), dtype), message=True)


def test_uint8_bilinear_is_not_implemented():
    x = ember.zeros(1, 1, 3, 3, dtype=ember.uint8)
    with pytest.raises(NotImplementedError, match="uint8"):
        ember.nn.functional.interpolate(x, size=5, mode="bilinear")


def test_size_as_tensor_and_numpy_ints():
    x = sample((1, 2, 4, 4), "float32")
    compare(lambda m, t: m.nn.functional.interpolate(t, size=(m.tensor(3), np.int64(5)), mode="bilinear"), x)


@pytest.mark.parametrize("name, kw", [("upsample", {"mode": "bilinear", "align_corners": False}),
                                      ("upsample", {}), ("upsample_nearest", {}), ("upsample_bilinear", {})])
def test_deprecated_upsample(name, kw):
    x = sample((1, 2, 3, 4), "float32")
    results = []
    for m in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(getattr(m.nn.functional, name)(tensor_of(m, x), scale_factor=2, **kw))
        assert [str(w.message) for w in caught] == [f"`nn.functional.{name}` is deprecated. Use "
                                                    "`nn.functional.interpolate` instead."]
        assert caught[0].category is UserWarning and caught[0].filename == __file__
    np.testing.assert_allclose(results[1].numpy(), results[0].numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------
# pixel / channel shuffles

SHUFFLES = [
    ("pixel_shuffle", (2, 8, 3, 2), 2), ("pixel_shuffle", (18, 2, 3), 3), ("pixel_shuffle", (2, 1, 4, 2, 2), 2),
    ("pixel_shuffle", (1, 4, 2, 2), 1), ("pixel_shuffle", (0, 4, 2, 2), 2),
    ("pixel_unshuffle", (2, 2, 4, 6), 2), ("pixel_unshuffle", (1, 6, 9), 3), ("pixel_unshuffle", (3, 1, 1, 2, 2), 2),
    ("channel_shuffle", (2, 6, 3, 2), 3), ("channel_shuffle", (2, 6, 3), 2), ("channel_shuffle", (1, 6, 2, 2, 2), 1),
    ("channel_shuffle", (0, 6, 2), 3),
]


@pytest.mark.parametrize("name, shape, factor", SHUFFLES)
def test_shuffles(name, shape, factor):
    if 0 in shape:  # torch's own backward rejects empty batches here; forward only
        compare(lambda m, t: getattr(m.nn.functional, name)(t, factor), sample(shape, "float64"), requires_grad=True)
    else:
        compare_grad(lambda m, t: getattr(m.nn.functional, name)(t, factor), sample(shape, "float64"))
    compare(lambda m, t: getattr(m.nn.functional, name)(t, factor), sample(shape, "int64"))


@pytest.mark.parametrize("name, shape, factor", [SHUFFLES[0], SHUFFLES[5], SHUFFLES[8]])
def test_shuffles_double_backward_and_gradgradcheck(name, shape, factor):
    x = sample(shape, "float64", seed=7)
    out = []
    for m in (torch, ember):
        t = tensor_of(m, x, requires_grad=True)
        y = getattr(m.nn.functional, name)(t, factor)
        v = tensor_of(m, sample(tuple(y.shape), "float64", seed=8), requires_grad=True)
        (g,) = m.autograd.grad(y, t, v, create_graph=True)
        (gv,) = m.autograd.grad((g * g).sum(), v)
        out.append((g.grad_fn.name(), g.detach().numpy(), gv.numpy()))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[1][1], out[0][1])
    np.testing.assert_array_equal(out[1][2], out[0][2])
    t = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: getattr(ember.nn.functional, name)(a, factor), (t,))


@pytest.mark.parametrize("name, shape, factor", [
    ("pixel_shuffle", (4, 2), 2), ("pixel_shuffle", (1, 5, 2, 2), 2), ("pixel_shuffle", (1, 4, 2, 2), 0),
    ("pixel_shuffle", (1, 4, 2, 2), -2), ("pixel_shuffle", (1, 4, 2, 2), 2.0),
    ("pixel_unshuffle", (1, 1, 3, 4), 2), ("pixel_unshuffle", (1, 1, 4, 3), 2), ("pixel_unshuffle", (4, 2), 2),
    ("pixel_unshuffle", (1, 1, 4, 4), 0),
    ("channel_shuffle", (1, 6, 2, 2), 4), ("channel_shuffle", (1, 6, 2, 2), 0), ("channel_shuffle", (6, 2), 3),
    ("channel_shuffle", (6,), 3),
])
def test_shuffle_errors(name, shape, factor):
    compare(lambda m, t: getattr(m.nn.functional, name)(t, factor), sample(shape, "float32"), message=True)


# ---------------------------------------------------------------------------------------------------------
# affine_grid and grid_sample


def _grid(shape, seed):
    g = np.random.default_rng(seed).uniform(-1.4, 1.4, shape)
    flat = g.reshape(-1)
    flat[:7] = [-1.0, 1.0, 0.0, -1.25, 1.5, 0.5, -0.75]  # borders, centres and exact reflections
    return g


@pytest.mark.parametrize("k, mode", [(2, "bilinear"), (2, "nearest"), (2, "bicubic"), (3, "bilinear"),
                                     (3, "nearest")])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample(k, mode, padding_mode):
    x = sample((2, 3, 5, 4) if k == 2 else (1, 2, 3, 4, 5), "float64")
    g = _grid((2, 6, 3, 2) if k == 2 else (1, 2, 3, 4, 3), seed=k)
    for align_corners in (False, True):
        def fn(m, t, grid):
            return m.nn.functional.grid_sample(t, grid, mode=mode, padding_mode=padding_mode,
                                               align_corners=align_corners)
        compare_grad(fn, x, g)
        compare(fn, x.astype(np.float32), g.astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode, padding_mode", [("bilinear", "reflection"), ("bicubic", "zeros")])
def test_grid_sample_gradcheck(mode, padding_mode):
    x = ember.tensor(sample((1, 2, 4, 3), "float64"), requires_grad=True)
    g = ember.tensor(np.random.default_rng(1).uniform(-1.2, 1.2, (1, 3, 2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, b: ember.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners=False), (x, g))


def test_grid_sample_double_backward_is_refused():
    x, g = sample((1, 1, 3, 3), "float64"), _grid((1, 2, 2, 2), 0)
    names = []
    for m in (torch, ember):
        tx, tg = tensor_of(m, x, requires_grad=True), tensor_of(m, g, requires_grad=True)
        y = m.nn.functional.grid_sample(tx, tg, align_corners=True)
        gx, gg = m.autograd.grad(y.sum(), (tx, tg), create_graph=True)
        names.append((gx.grad_fn.name(), gg.grad_fn.name()))
    assert names[0] == names[1] == ("GridSampler2DBackwardBackward0",) * 2
    with pytest.raises(NotImplementedError, match="double backward of grid_sample"):
        (gx.sum() + gg.sum()).backward()


@pytest.mark.parametrize("x_shape, g_shape, kw", [
    ((1, 2, 3, 3), (2, 4, 4, 2), {}), ((1, 2, 3, 3), (1, 4, 4, 3), {}), ((1, 2, 3, 3), (1, 4, 4), {}),
    ((1, 2, 3), (1, 4, 2), {}), ((1, 2, 0, 3), (1, 4, 4, 2), {}),
    ((1, 2, 3, 3, 3), (1, 4, 4, 2, 3), {"mode": "bicubic"}),
    ((1, 2, 3, 3), (1, 4, 4, 2), {"mode": "foo"}), ((1, 2, 3, 3), (1, 4, 4, 2), {"padding_mode": "foo"}),
])
def test_grid_sample_errors(x_shape, g_shape, kw):
    compare(lambda m, x, g: m.nn.functional.grid_sample(x, g, align_corners=False, **kw),
            sample(x_shape, "float32"), sample(g_shape, "float32"), message=True)
    compare(lambda m, x, g: m.nn.functional.grid_sample(x, g, align_corners=False),
            sample((1, 2, 3, 3), "float32"), sample((1, 4, 4, 2), "float64"), message=True)
    compare(lambda m, x, g: m.nn.functional.grid_sample(x, g.long(), align_corners=False),
            sample((1, 2, 3, 3), "int64"), sample((1, 4, 4, 2), "float32"), message=True)


@pytest.mark.filterwarnings("ignore:Since version 1.3.0, affine_grid behavior has changed for unit-size grids")
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 6), (2, 3, 2, 4, 3)])
def test_affine_grid(size):
    theta = sample((2, 2, 3) if len(size) == 4 else (2, 3, 4), "float64", seed=2)
    for align_corners in (False, True):
        compare_grad(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=align_corners), theta)
        compare(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=align_corners),
                theta.astype(np.float32), rtol=1e-6, atol=1e-6)
    t = ember.tensor(theta, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: ember.nn.functional.affine_grid(a, size, align_corners=False), (t,))


@pytest.mark.parametrize("theta_shape, size, dtype", [
    ((1, 2, 3), (1, 1, 4, 5, 3), "float32"), ((1, 3, 4), (1, 1, 4, 5), "float32"), ((1, 2, 3), (1, 1, 4), "float32"),
    ((1, 2, 3), (1, 0, 4, 5), "float32"), ((2, 2, 3), (1, 1, 4, 5), "float32"), ((1, 2, 3), (1, 1, 4, 5), "int64"),
])
def test_affine_grid_errors(theta_shape, size, dtype):
    compare(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=False), sample(theta_shape, dtype),
            message=True)


def test_grid_warnings():
    theta, x = sample((1, 2, 3), "float32"), sample((1, 1, 2, 2), "float32")
    for m in (torch, ember):
        F = m.nn.functional
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            grid = F.affine_grid(tensor_of(m, theta), (1, 1, 3, 3))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            F.grid_sample(tensor_of(m, x), grid)
        with pytest.warns(UserWarning, match="for unit-size grids when align_corners=True"):
            F.affine_grid(tensor_of(m, theta), (1, 1, 1, 3), align_corners=True)
