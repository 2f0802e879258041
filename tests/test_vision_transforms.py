"""ember.vision.transforms and ember.vision.utils, against torch ops and hand-derived expectations
(torchvision is not installed)."""

import colorsys
import math

import numpy as np
import pytest
import torch

import ember
from ember.vision import transforms as T
from ember.vision import utils as vutils
from ember.vision.transforms import functional as F

try:
    from PIL import Image
except ImportError:  # Pillow is optional
    Image = None

needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")
RNG = np.random.default_rng(0)


def _img_u8(c=3, h=8, w=10, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (c, h, w), dtype=np.uint8)


def _img_f32(c=3, h=8, w=10, seed=0):
    return np.random.default_rng(seed).random((c, h, w), dtype=np.float32)


def E(arr):
    return ember.from_numpy(np.ascontiguousarray(arr).copy())


# ------------------------------------------------------------------ conversions

def test_to_tensor_ndarray():
    hwc = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = T.ToTensor()(hwc)
    expected = torch.from_numpy(hwc).permute(2, 0, 1).float().div(255)
    assert out.dtype == ember.float32 and tuple(out.shape) == (3, 5, 7)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=0, atol=1e-7)
    gray = F.to_tensor(hwc[:, :, 0])
    assert tuple(gray.shape) == (1, 5, 7)
    floats = np.ones((2, 2, 3), np.float64)
    assert F.to_tensor(floats).dtype == ember.float64  # non-uint8 arrays are not rescaled
    with pytest.raises(TypeError):
        F.to_tensor([1, 2, 3])


@needs_pil
def test_pil_conversions_round_trip():
    hwc = np.random.default_rng(2).integers(0, 256, (6, 4, 3), dtype=np.uint8)
    pic = Image.fromarray(hwc)
    t = T.ToTensor()(pic)
    np.testing.assert_allclose(t.numpy(), hwc.transpose(2, 0, 1) / np.float32(255), atol=1e-7)
    u8 = T.PILToTensor()(pic)
    assert u8.dtype == ember.uint8
    np.testing.assert_array_equal(u8.numpy(), hwc.transpose(2, 0, 1))
    back = T.ToPILImage()(u8)
    assert back.mode == "RGB" and back.size == (4, 6)
    np.testing.assert_array_equal(np.asarray(back), hwc)
    from_float = F.to_pil_image(t)  # float -> mul(255).byte()
    np.testing.assert_array_equal(np.asarray(from_float), (t.numpy() * 255).astype(np.uint8).transpose(1, 2, 0))
    assert F.to_pil_image(E(hwc[:, :, :1].transpose(2, 0, 1))).mode == "L"
    assert F.to_tensor(pic.convert("L")).shape == (1, 6, 4)


@pytest.mark.parametrize("src, dst, expected", [
    (np.array([0, 1, 128, 255], np.uint8), ember.float32, np.array([0, 1, 128, 255], np.float32) / np.float32(255)),
    (np.array([0.0, 0.5, 1.0], np.float32), ember.uint8, np.array([0, 127, 255], np.uint8)),
    (np.array([0, 1, 255], np.uint8), ember.int32, np.array([0, 1, 255], np.int32) * (2 ** 23)),
    (np.array([0, 2 ** 23, 2 ** 31 - 1], np.int32), ember.uint8, np.array([0, 1, 255], np.uint8)),
    (np.array([0.25], np.float32), ember.float64, np.array([0.25], np.float64)),
])
def test_convert_image_dtype(src, dst, expected):
    out = T.ConvertImageDtype(dst)(E(src))
    assert out.dtype == dst
    np.testing.assert_array_equal(out.numpy(), expected)


def test_convert_image_dtype_unsafe():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(E(np.zeros(3, np.float32)), ember.int64)


# ------------------------------------------------------------------ normalize

@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (3, 1, 1)])
def test_normalize(shape):
    x = RNG.random(shape, dtype=np.float32)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    out = T.Normalize(mean, std)(E(x))
    expected = (torch.from_numpy(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_normalize_inplace_and_errors():
    x = E(_img_f32())
    before = x.numpy().copy()
    out = F.normalize(x, [0.5] * 3, [0.5] * 3)
    np.testing.assert_array_equal(x.numpy(), before)  # not in place by default
    same = F.normalize(x, [0.5] * 3, [0.5] * 3, inplace=True)
    np.testing.assert_allclose(x.numpy(), out.numpy())
    assert same is x
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(E(_img_f32()), [0.0] * 3, [1.0, 0.0, 1.0])
    with pytest.raises(TypeError):
        F.normalize(E(_img_u8()), [0.0] * 3, [1.0] * 3)


# ------------------------------------------------------------------ resize

@pytest.mark.parametrize("in_hw, out_hw", [((8, 10), (4, 5)), ((8, 10), (16, 25)), ((13, 7), (5, 3)),
                                          ((9, 9), (9, 4)), ((6, 11), (17, 2))])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_bilinear_matches_torch_interpolate(in_hw, out_hw, antialias):
    x = RNG.random((3,) + in_hw, dtype=np.float32)
    out = F.resize(E(x), list(out_hw), antialias=antialias)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=out_hw, mode="bilinear",
                                               align_corners=False, antialias=antialias)[0]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_resize_uint8_rounds_like_torchvision():
    x = _img_u8(3, 12, 16)
    out = F.resize(E(x), [5, 7])
    expected = torch.nn.functional.interpolate(torch.from_numpy(x)[None].float(), size=(5, 7), mode="bilinear",
                                               antialias=True).round().clamp(0, 255).to(torch.uint8)[0]
    assert out.dtype == ember.uint8
    assert np.abs(out.numpy().astype(int) - expected.numpy().astype(int)).max() <= 1


def _torchvision_tensor_resize(x, size, mode, antialias):
    """torchvision's v1 tensor resize spelled with torch ops: float32 (float64 stays), interpolate, then clamp
    (bicubic on uint8) and round back to integer dtypes."""
    t = torch.from_numpy(x)[None]
    work = t if t.dtype in (torch.float32, torch.float64) else t.float()
    kw = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    out = torch.nn.functional.interpolate(work, size=size, mode=mode, antialias=antialias and mode in (
        "bilinear", "bicubic"), **kw)
    if mode == "bicubic" and t.dtype == torch.uint8:
        out = out.clamp(0, 255)
    if out.dtype != t.dtype:
        out = out.round().to(t.dtype)
    return out[0]


@pytest.mark.parametrize("mode", ["bicubic", "nearest-exact", "bilinear", "nearest"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_resize_modes_match_torchvision(mode, antialias, dtype):
    x = _img_u8(3, 13, 17) if dtype == "uint8" else RNG.random((3, 13, 17)).astype(dtype)
    for size in [(6, 7), (20, 9), (13, 30)]:
        out = T.Resize(size, interpolation=T.InterpolationMode(mode), antialias=antialias)(E(x))
        expected = _torchvision_tensor_resize(x, size, mode, antialias)
        assert str(out.dtype) == str(expected.dtype) and tuple(out.shape) == tuple(expected.shape)
        if dtype == "uint8":  # a float32 rounding tie may land on either side
            diff = np.abs(out.numpy().astype(int) - expected.numpy().astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.02
        else:
            np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="lanczos"):
        F.resize(E(x), [4, 4], interpolation=T.InterpolationMode.LANCZOS)


def test_resize_keeps_grad():
    x = ember.from_numpy(RNG.random((1, 3, 9, 10))).requires_grad_()
    out = F.resize(x, [4, 5], interpolation=T.InterpolationMode.BICUBIC)
    assert out.grad_fn.name() == "UpsampleBicubic2DAaBackward0"
    out.sum().backward()
    tx = torch.from_numpy(x.detach().numpy()).requires_grad_()
    torch.nn.functional.interpolate(tx, size=(4, 5), mode="bicubic", antialias=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_resize_nearest_and_sizes():
    x = RNG.random((2, 3, 7, 9), dtype=np.float32)  # batched (..., C, H, W)
    out = F.resize(E(x), [4, 5], interpolation=T.InterpolationMode.NEAREST)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=(4, 5), mode="nearest")
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    # an int resizes the smaller edge and keeps the aspect ratio (int() truncation, as torchvision)
    assert tuple(T.Resize(4)(E(_img_f32(3, 8, 10))).shape) == (3, 4, 5)
    assert tuple(T.Resize(5)(E(_img_f32(3, 10, 7))).shape) == (3, 7, 5)
    assert tuple(T.Resize(4, max_size=4 + 1)(E(_img_f32(3, 8, 20))).shape) == (3, 2, 5)
    with pytest.raises(ValueError):
        T.Resize(4, max_size=3)(E(_img_f32()))


@needs_pil
def test_resize_pil_uses_pillow():
    pic = Image.fromarray(_img_u8(3, 8, 10).transpose(1, 2, 0))
    out = T.Resize((4, 6))(pic)
    assert out.size == (6, 4)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(pic.resize((6, 4), Image.BILINEAR)))


# ------------------------------------------------------------------ crops, pads, flips

def test_crop_and_center_crop():
    x = _img_u8(3, 8, 10)
    np.testing.assert_array_equal(F.crop(E(x), 1, 2, 3, 4).numpy(), x[:, 1:4, 2:6])
    padded = F.crop(E(x), -1, 8, 3, 4).numpy()  # past the border: zeros
    expected = np.zeros((3, 3, 4), np.uint8)
    expected[:, 1:, :2] = x[:, 0:2, 8:10]
    np.testing.assert_array_equal(padded, expected)
    # top = round((8 - 4) / 2) = 2, left = round((10 - 5) / 2) = round(2.5) = 2
    np.testing.assert_array_equal(T.CenterCrop((4, 5))(E(x)).numpy(), x[:, 2:6, 2:7])
    big = T.CenterCrop(11)(E(x)).numpy()  # pads (left 0, top 1, right 1, bottom 2) then crops
    expected = np.zeros((3, 11, 11), np.uint8)
    expected[:, 1:9, 0:10] = x
    np.testing.assert_array_equal(big, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [1, (1, 2), (1, 2, 3, 0)])
def test_pad_matches_torch(mode, padding):
    x = _img_f32(3, 5, 6)
    out = F.pad(E(x), padding, fill=0, padding_mode=mode)
    p = [padding] * 4 if isinstance(padding, int) else (list(padding) * 2 if len(padding) == 2 else list(padding))
    torch_mode = {"constant": "constant", "edge": "replicate", "reflect": "reflect"}.get(mode)
    if torch_mode is None:
        expected = np.pad(x, [(0, 0), (p[1], p[3]), (p[0], p[2])], mode="symmetric")
    else:
        expected = torch.nn.functional.pad(torch.from_numpy(x)[None], (p[0], p[2], p[1], p[3]), mode=torch_mode)[0]
        expected = expected.numpy()
    np.testing.assert_array_equal(out.numpy(), expected)


def test_random_crop_draws_like_torchvision():
    x = _img_u8(3, 10, 12)
    ember.manual_seed(3)
    out = T.RandomCrop((4, 5), padding=2)(E(x)).numpy()
    torch.manual_seed(3)
    i = torch.randint(0, 14 - 4 + 1, size=(1,)).item()
    j = torch.randint(0, 16 - 5 + 1, size=(1,)).item()
    padded = np.pad(x, [(0, 0), (2, 2), (2, 2)])
    np.testing.assert_array_equal(out, padded[:, i:i + 4, j:j + 5])
    small = T.RandomCrop(12, pad_if_needed=True)(E(x))
    assert tuple(small.shape) == (3, 12, 12)
    with pytest.raises(ValueError, match="larger than input image"):
        T.RandomCrop(20)(E(x))


def _torchvision_rrc_params(height, width, scale, ratio):
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    raise AssertionError("fallback not expected in this test")


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_random_resized_crop_params_like_torchvision(seed):
    x = E(_img_f32(3, 32, 40))
    ember.manual_seed(seed)
    ours = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
    torch.manual_seed(seed)
    assert ours == _torchvision_rrc_params(32, 40, (0.08, 1.0), (3 / 4, 4 / 3))
    ember.manual_seed(seed)
    out = T.RandomResizedCrop(16)(x)
    assert tuple(out.shape) == (3, 16, 16)
    i, j, h, w = ours
    np.testing.assert_allclose(out.numpy(), F.resize(F.crop(x, i, j, h, w), [16, 16]).numpy())


def test_flips():
    x = _img_u8(3, 4, 5)
    np.testing.assert_array_equal(F.hflip(E(x)).numpy(), x[:, :, ::-1])
    np.testing.assert_array_equal(F.vflip(E(x)).numpy(), x[:, ::-1, :])
    for seed in range(6):
        torch.manual_seed(seed)
        flip = torch.rand(1) < 0.5
        ember.manual_seed(seed)
        out = T.RandomHorizontalFlip()(E(x)).numpy()
        np.testing.assert_array_equal(out, x[:, :, ::-1] if flip else x)
    ember.manual_seed(0)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(E(x)).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=0.0)(E(x)).numpy(), x)


@needs_pil
def test_flips_pil():
    hwc = _img_u8(3, 4, 5).transpose(1, 2, 0)
    pic = Image.fromarray(np.ascontiguousarray(hwc))
    np.testing.assert_array_equal(np.asarray(F.hflip(pic)), hwc[:, ::-1])
    np.testing.assert_array_equal(np.asarray(F.vflip(pic)), hwc[::-1])


@pytest.mark.parametrize("hw", [(4, 4), (5, 5)])
@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_rotate_quarter_turns(hw, quarter_turns):
    x = _img_u8(2, *hw)
    out = F.rotate(E(x), 90 * quarter_turns)
    np.testing.assert_array_equal(out.numpy(), np.rot90(x, quarter_turns, axes=(1, 2)))


def test_rotate_fills_outside():
    x = np.ones((1, 6, 6), np.float32)
    out = F.rotate(E(x), 45).numpy()
    assert out[0, 0, 0] == 0 and out[0, 3, 3] == 1  # corners come from outside the image
    ember.manual_seed(5)
    rotated = T.RandomRotation(30)(E(x))
    torch.manual_seed(5)
    angle = float(torch.empty(1).uniform_(-30.0, 30.0).item())
    np.testing.assert_array_equal(rotated.numpy(), F.rotate(E(x), angle).numpy())


# ------------------------------------------------------------------ colour

def _torch_gray(x):
    return (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]


def test_grayscale():
    x = _img_f32()
    out = T.Grayscale()(E(x))
    np.testing.assert_allclose(out.numpy(), _torch_gray(torch.from_numpy(x)).numpy(), rtol=1e-6)
    three = T.Grayscale(3)(E(x))
    assert tuple(three.shape) == (3, 8, 10)
    np.testing.assert_array_equal(three.numpy()[0], three.numpy()[2])
    u8 = F.rgb_to_grayscale(E(_img_u8()))
    expected = _torch_gray(torch.from_numpy(_img_u8()).float()).to(torch.uint8)
    assert u8.dtype == ember.uint8
    np.testing.assert_array_equal(u8.numpy(), expected.numpy())


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.3])
def test_adjust_brightness_contrast_saturation(factor):
    x = _img_f32()
    t = torch.from_numpy(x)
    np.testing.assert_allclose(F.adjust_brightness(E(x), factor).numpy(), (t * factor).clamp(0, 1).numpy(),
                               rtol=1e-6, atol=1e-7)
    mean = _torch_gray(t).mean()
    np.testing.assert_allclose(F.adjust_contrast(E(x), factor).numpy(),
                               (factor * t + (1 - factor) * mean).clamp(0, 1).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(E(x), factor).numpy(),
                               (factor * t + (1 - factor) * _torch_gray(t)).clamp(0, 1).numpy(), rtol=1e-5,
                               atol=1e-6)
    u8 = _img_u8()
    expected = (torch.from_numpy(u8).float() * factor).clamp(0, 255).to(torch.uint8)
    np.testing.assert_array_equal(F.adjust_brightness(E(u8), factor).numpy(), expected.numpy())
    with pytest.raises(ValueError):
        F.adjust_brightness(E(x), -1)


@pytest.mark.parametrize("hue", [-0.5, -0.2, 0.0, 0.3])
def test_adjust_hue_matches_colorsys(hue):
    x = _img_f32(3, 3, 4, seed=4)
    out = F.adjust_hue(E(x), hue).numpy()
    expected = np.empty_like(x)
    for r in range(3):
        for c in range(4):
            h, s, v = colorsys.rgb_to_hsv(*x[:, r, c].astype(np.float64))
            expected[:, r, c] = colorsys.hsv_to_rgb((h + hue) % 1.0, s, v)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    with pytest.raises(ValueError):
        F.adjust_hue(E(x), 0.6)


def test_color_jitter_reproducible_and_ranges():
    x = E(_img_f32())
    jitter = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    ember.manual_seed(0)
    a = jitter(x).numpy()
    ember.manual_seed(0)
    b = jitter(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert jitter.brightness == (0.6, 1.4) and jitter.hue == (-0.1, 0.1)
    assert T.ColorJitter().brightness is None
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.7)
    # brightness only: the factor is the second draw after randperm(4)
    ember.manual_seed(1)
    ember.randperm(4)
    factor = float(ember.empty(1).uniform_(0.6, 1.4))
    ember.manual_seed(1)
    out = T.ColorJitter(brightness=0.4)(x)
    np.testing.assert_allclose(out.numpy(), np.clip(x.numpy() * np.float32(factor), 0, 1), rtol=1e-6)


def _torchvision_pipeline(x, seed):
    """The pipeline of the test below with torchvision's v1 draws replicated on torch's generator; the image ops
    (differential-tested above) apply the drawn parameters."""
    torch.manual_seed(seed)
    i, j, h, w = _torchvision_rrc_params(x.shape[1], x.shape[2], (0.08, 1.0), (3 / 4, 4 / 3))
    img = F.resized_crop(E(x), i, j, h, w, [12, 12], antialias=True)
    if torch.rand(1) < 0.5:
        img = F.hflip(img)
    fn_idx = torch.randperm(4)
    b = float(torch.empty(1).uniform_(0.6, 1.4))
    c = float(torch.empty(1).uniform_(0.7, 1.3))
    s = float(torch.empty(1).uniform_(0.5, 1.5))
    hue = float(torch.empty(1).uniform_(-0.1, 0.1))
    adjust = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
    for fn_id in fn_idx.tolist():
        img = adjust[fn_id](img, (b, c, s, hue)[fn_id])
    if torch.rand(1) < 0.3:
        img = F.rgb_to_grayscale(img, num_output_channels=3)
    angle = float(torch.empty(1).uniform_(-20.0, 20.0).item())
    img = F.rotate(img, angle, fill=[0.0, 0.0, 0.0])
    i = torch.randint(0, 14 - 8 + 1, size=(1,)).item()
    j = torch.randint(0, 14 - 8 + 1, size=(1,)).item()
    return F.crop(F.pad(img, 1), i, j, 8, 8)


@pytest.mark.parametrize("seed", range(6))
def test_random_pipeline_draws_like_torchvision(seed):
    # every random transform draws from the default generator with torchvision's calls, in its order
    x = _img_f32(3, 20, 24, seed=seed)
    pipeline = T.Compose([T.RandomResizedCrop(12), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.3, 0.5, 0.1),
                          T.RandomGrayscale(0.3), T.RandomRotation(20), T.RandomCrop(8, padding=1)])
    ember.manual_seed(seed)
    out = pipeline(E(x))
    expected = _torchvision_pipeline(x, seed)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert ember.rand(1).item() == torch.rand(1).item()  # same number of draws: the generators agree after


def test_color_jitter_order_and_factors_like_torchvision():
    x = _img_f32(3, 6, 7, seed=2)
    t = torch.from_numpy(x)
    for seed in range(4):
        torch.manual_seed(seed)
        fn_idx = torch.randperm(4).tolist()
        b = float(torch.empty(1).uniform_(0.5, 1.5))
        c = float(torch.empty(1).uniform_(0.2, 1.8))
        expected = t
        for fn_id in fn_idx:  # torch ops: brightness scales, contrast blends with the grayscale mean
            if fn_id == 0:
                expected = (expected * b).clamp(0, 1)
            elif fn_id == 1:
                expected = (c * expected + (1 - c) * _torch_gray(expected).mean()).clamp(0, 1)
        ember.manual_seed(seed)
        out = T.ColorJitter(brightness=0.5, contrast=0.8)(E(x))
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


@needs_pil
def test_color_ops_on_pil_return_pil():
    pic = Image.fromarray(np.ascontiguousarray(_img_u8().transpose(1, 2, 0)))
    for op in (lambda p: F.adjust_brightness(p, 1.2), lambda p: F.adjust_contrast(p, 0.8),
               lambda p: F.adjust_saturation(p, 0.5), lambda p: F.adjust_hue(p, 0.1), F.rgb_to_grayscale):
        assert isinstance(op(pic), Image.Image)
    assert F.rgb_to_grayscale(pic).mode == "L"
    np.testing.assert_array_equal(np.asarray(F.adjust_brightness(pic, 1.0)), np.asarray(pic))


def test_compose_and_lambda():
    pipeline = T.Compose([T.Lambda(lambda t: t * 2), T.CenterCrop(2), T.Normalize([1.0], [2.0])])
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    np.testing.assert_allclose(pipeline(E(x)).numpy(), (x[:, 1:3, 1:3] * 2 - 1) / 2)
    with pytest.raises(TypeError):
        T.Lambda(3)
    assert "CenterCrop" in repr(pipeline)


# ------------------------------------------------------------------ utils

def test_make_grid_layout():
    batch = np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2)
    grid = vutils.make_grid(E(batch), nrow=2, padding=1, pad_value=-1).numpy()
    # 2 columns, 3 rows of 2x2 images with 1-pixel padding: (3, 3*3+1, 2*3+1)
    assert grid.shape == (3, 10, 7)
    np.testing.assert_array_equal(grid[:, 1:3, 1:3], batch[0])
    np.testing.assert_array_equal(grid[:, 1:3, 4:6], batch[1])
    np.testing.assert_array_equal(grid[:, 7:9, 1:3], batch[4])
    assert (grid[:, 7:9, 4:6] == -1).all() and (grid[:, 0] == -1).all()
    single = vutils.make_grid(E(batch[:1]))
    assert tuple(single.shape) == (3, 2, 2)
    gray = vutils.make_grid([E(np.zeros((1, 2, 2), np.float32))] * 2, padding=0)
    assert tuple(gray.shape) == (3, 2, 4)


def test_make_grid_normalize():
    batch = np.array([[[[0.0, 2.0]]], [[[4.0, 8.0]]]], np.float32)  # (2, 1, 1, 2)
    grid = vutils.make_grid(E(batch), normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid[0], [[0.0, 0.25, 0.5, 1.0]])
    each = vutils.make_grid(E(batch), normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 1.0]])
    ranged = vutils.make_grid(E(batch), normalize=True, value_range=(0.0, 4.0), padding=0).numpy()
    np.testing.assert_allclose(ranged[0], [[0.0, 0.5, 1.0, 1.0]])


@needs_pil
def test_save_image(tmp_path):
    batch = np.random.default_rng(3).random((4, 3, 5, 6), dtype=np.float32)
    path = tmp_path / "grid.png"
    vutils.save_image(E(batch), str(path), nrow=2, padding=0)
    saved = np.asarray(Image.open(path))
    assert saved.shape == (10, 12, 3)
    expected = np.clip(batch[0] * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(saved[:5, :6], expected)
