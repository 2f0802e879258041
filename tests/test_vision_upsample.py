"""ember.ops.upsample_aa (the kernels behind the tensor-path Resize) against torch.nn.functional.interpolate:
values, dtypes, grad_fn names, gradients and double backward, for every mode, align_corners and antialias."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.ops.upsample_aa import resample_weights, upsample_2d

MODES = [("bilinear", False, False), ("bilinear", True, False), ("bicubic", False, False), ("bicubic", True, False),
         ("bilinear", False, True), ("bilinear", True, True), ("bicubic", False, True), ("bicubic", True, True),
         ("nearest", None, False), ("nearest-exact", None, False)]
SIZES = [(5, 3), (3, 5), (10, 4), (7, 7), (4, 8), (9, 2), (2, 9), (1, 4), (4, 1), (13, 5), (33, 10), (6, 13)]


def _kwargs(mode, align_corners, antialias):
    kw = {"mode": mode, "antialias": antialias}
    if align_corners is not None:
        kw["align_corners"] = align_corners
    return kw


@pytest.mark.parametrize("mode, align_corners, antialias", MODES)
def test_weights_are_torchs(mode, align_corners, antialias):
    # the linear map of one spatial dim, read off torch by resizing one-hot images
    for n_in, n_out in SIZES:
        eye = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 1, n_in, 1).expand(n_in, 1, n_in, 3).contiguous()
        out = TF.interpolate(eye, size=(n_out, 3), **_kwargs(mode, align_corners, antialias))
        expected = out[:, 0, :, 1].T.numpy()
        ours = resample_weights(n_in, n_out, mode, bool(align_corners), antialias)
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12, err_msg=f"{n_in} -> {n_out}")


@pytest.mark.parametrize("mode, align_corners, antialias", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_backward_match_interpolate(mode, align_corners, antialias, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 11, 8)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for out_hw in [(5, 3), (17, 13), (11, 4)]:
        tx = torch.from_numpy(x).requires_grad_()
        ty = TF.interpolate(tx, size=out_hw, **_kwargs(mode, align_corners, antialias))
        ex = ember.from_numpy(x.copy()).requires_grad_()
        ey = upsample_2d(ex, *out_hw, mode=mode, align_corners=bool(align_corners), antialias=antialias)
        assert str(ey.dtype) == str(ty.dtype) and tuple(ey.shape) == tuple(ty.shape)
        assert ey.grad_fn.name() == ty.grad_fn.name()
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
        g = rng.standard_normal(ty.shape).astype(dtype)
        (tgrad,) = torch.autograd.grad(ty, tx, torch.from_numpy(g))
        (egrad,) = ember.autograd.grad(ey, ex, ember.from_numpy(g))
        np.testing.assert_allclose(egrad.numpy(), tgrad.numpy(), **tol)


@pytest.mark.parametrize("mode, antialias", [("bicubic", True), ("bilinear", False), ("nearest-exact", False)])
def test_double_backward(mode, antialias):
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 7))
    out = []
    for m, autograd in ((ember, ember.autograd), (torch, torch.autograd)):
        tx = m.tensor(x, requires_grad=True)
        kw = {} if mode.startswith("nearest") else {"align_corners": False}
        if m is torch:
            y = TF.interpolate(tx, size=(4, 9), mode=mode, antialias=antialias, **kw)
        else:
            y = upsample_2d(tx, 4, 9, mode=mode, antialias=antialias)
        v = m.tensor(np.random.default_rng(2).standard_normal((1, 2, 4, 9)), requires_grad=True)
        (g,) = autograd.grad(y, tx, v, create_graph=True)
        (gv,) = autograd.grad((g * g).sum(), v)
        out.append((g.grad_fn.name(), g.detach().numpy(), gv.numpy()))
    assert out[0][0] == out[1][0]
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-10, atol=1e-12)


def test_scale_factor_coordinates_and_nearest_dtypes():
    x = np.arange(2 * 7 * 9, dtype=np.float64).reshape(1, 2, 7, 9)
    for mode, kw in [("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": False}),
                     ("nearest", {}), ("nearest-exact", {})]:
        expected = TF.interpolate(torch.from_numpy(x), scale_factor=(0.7, 1.3), mode=mode,
                                  recompute_scale_factor=False, **kw)
        out_h, out_w = expected.shape[-2:]
        ours = upsample_2d(ember.from_numpy(x), out_h, out_w, mode=mode, scale_h=0.7, scale_w=1.3)
        np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    u8 = np.random.default_rng(3).integers(0, 256, (1, 3, 5, 6), dtype=np.uint8)
    for mode in ("nearest", "nearest-exact"):
        ours = upsample_2d(ember.from_numpy(u8), 9, 4, mode=mode)
        expected = TF.interpolate(torch.from_numpy(u8), size=(9, 4), mode=mode)
        assert ours.dtype == ember.uint8
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(NotImplementedError, match="Anti-alias option is restricted"):
        upsample_2d(x, 2, 2, mode="nearest", antialias=True)
    with pytest.raises(RuntimeError, match="Input and output sizes should be greater than 0"):
        upsample_2d(x, 0, 2)
    with pytest.raises(NotImplementedError, match="area"):
        upsample_2d(x, 2, 2, mode="area")
