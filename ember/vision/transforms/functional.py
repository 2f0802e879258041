"""torchvision.transforms.functional's place: image ops on ember tensors (..., C, H, W) and PIL images.

Tensor ops compute on the NumPy array in float32 the way torchvision's tensor path does (uint8 results are
truncated back as torchvision's `.to(torch.uint8)` does). Pillow is optional and imported only for PIL inputs.
"""

import math
import numbers
from enum import Enum

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...ops._common import wrap

__all__ = [
    "InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize",
    "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "rotate", "adjust_brightness",
    "adjust_contrast", "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "to_grayscale", "get_image_size",
    "get_dimensions", "get_image_num_channels",
]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("this transform needs Pillow for PIL images: pip install pillow") from e
    return Image


def _is_pil(img):
    mod = type(img).__module__
    return mod.startswith("PIL.") and hasattr(img, "getbands")


def _check_image(img):
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image (expected at least 2 dims, got {img.ndim}).")
        return
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _max_value(dtype):
    if dtype.is_floating_point:
        return 1.0
    return int(np.iinfo(dtype._np).max) if dtype is not _dtype.bool else 1


def get_dimensions(img):
    if isinstance(img, Tensor):
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    _check_image(img)
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ----------------------------------------------------------------------------------------------- conversions

def to_tensor(pic):
    """PIL image or HWC ndarray -> float CHW tensor (uint8 scaled by 1/255)."""
    from ... import get_default_dtype

    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    elif _is_pil(pic):
        arr = np.array(pic, copy=True)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
        if arr.ndim == 2:
            arr = arr[:, :, None]
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if arr.dtype == np.uint8:
        return wrap(np.asarray(arr.astype(get_default_dtype()._np) / np.float32(255), get_default_dtype()._np))
    return wrap(arr)


def pil_to_tensor(pic):
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if pic.mode == "1":
        arr = arr.astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    Image = _pil()
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic.detach()._data
        if arr.ndim == 2:
            arr = arr[None]
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)  # torchvision: pic.mul(255).byte()
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    channels = arr.shape[2]
    if channels == 1:
        arr = arr[:, :, 0]
        if mode is None:
            mode = {np.uint8: "L", np.int16: "I;16", np.int32: "I", np.float32: "F"}.get(arr.dtype.type)
        if mode is None:
            raise TypeError(f"Input type {arr.dtype} is not supported")
    elif mode is None:
        if arr.dtype != np.uint8:
            raise TypeError(f"Input type {arr.dtype} is not supported")
        mode = {2: "LA", 3: "RGB", 4: "RGBA"}.get(channels)
        if mode is None:
            raise ValueError(f"Input pic has {channels} channels, which is not supported")
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode) if _pil_accepts_mode() else \
        Image.fromarray(np.ascontiguousarray(arr)).convert(mode)


def _pil_accepts_mode():
    import PIL

    return int(PIL.__version__.split(".")[0]) < 12  # Pillow 12 deprecated fromarray's mode argument


def convert_image_dtype(image, dtype=_dtype.float32):
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype is dtype:
        return image
    arr = image._data
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype is _dtype.float32 and dtype in (_dtype.int32, _dtype.int64)) or \
                (image.dtype is _dtype.float64 and dtype is _dtype.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_max_value(dtype))
        return wrap((arr * arr.dtype.type(max_val + 1.0 - eps)).astype(dtype._np))
    input_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return wrap((arr.astype(dtype._np) / dtype._np.type(input_max)).astype(dtype._np))
    output_max = _max_value(dtype)
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return wrap((arr // factor).astype(dtype._np))
    factor = (output_max + 1) // (input_max + 1)
    return wrap(arr.astype(dtype._np) * dtype._np.type(factor))


def normalize(tensor, mean, std, inplace=False):
    from ... import as_tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    if not inplace:
        tensor = tensor.clone()
    mean = as_tensor(mean, dtype=tensor.dtype)
    std = as_tensor(std, dtype=tensor.dtype)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ----------------------------------------------------------------------------------------------- geometry

def _resized_output_size(h, w, size, max_size=None):
    if isinstance(size, numbers.Number) or len(size) == 1:
        requested = size if isinstance(size, numbers.Number) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                         "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    return int(size[0]), int(size[1])


def _resize_tensor(img, out_h, out_w, interpolation, antialias):
    """torchvision's tensor resize: F.interpolate's kernels (ember.ops.upsample_aa) on the image in float32
    (float64 stays), antialias only for bilinear/bicubic; integer images are rounded back (bicubic clamped to
    [0, 255] first for uint8)."""
    from ...ops.upsample_aa import upsample_2d

    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise NotImplementedError(f"ember.vision resize on tensors supports nearest, nearest-exact, bilinear and "
                                  f"bicubic, not {mode}; use a PIL image for {mode}")
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    out_dtype = img.dtype
    work = img if out_dtype in (_dtype.float32, _dtype.float64) else img.to(_dtype.float32)
    out = upsample_2d(work, out_h, out_w, mode=mode, align_corners=False, antialias=antialias)
    if mode == "bicubic" and out_dtype == _dtype.uint8:
        out = out.clamp(min=0, max=255)
    if out_dtype != work.dtype:
        if out_dtype in (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64):
            out = out.round()  # better than truncating in the cast (torchvision's comment)
        out = out.to(out_dtype)
    return out


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    if isinstance(interpolation, int):
        interpolation = _PIL_TO_MODE[interpolation]
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    _check_image(img)
    _, h, w = get_dimensions(img)
    if isinstance(size, numbers.Number):
        size = [size]
    out_h, out_w = _resized_output_size(h, w, list(size), max_size)
    if (out_h, out_w) == (h, w):
        return img
    if _is_pil(img):
        return img.resize((out_w, out_h), _MODE_TO_PIL[interpolation])
    return _resize_tensor(img, out_h, out_w, interpolation, antialias)


def _parse_padding(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if _is_pil(img):
        arr = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        out = np.pad(arr, widths, mode="constant", constant_values=fill) if padding_mode == "constant" else \
            np.pad(arr, widths, mode=padding_mode)
        result = _pil().fromarray(out)
        return result.convert(img.mode) if result.mode != img.mode else result
    _check_image(img)
    arr = img._data
    # negative padding crops, as torchvision's tensor path allows
    crop_t, crop_b, crop_l, crop_r = (max(-top, 0), max(-bottom, 0), max(-left, 0), max(-right, 0))
    arr = arr[..., crop_t:arr.shape[-2] - crop_b, crop_l:arr.shape[-1] - crop_r]
    widths = [(0, 0)] * (arr.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if padding_mode == "constant":
        out = np.pad(arr, widths, mode="constant", constant_values=fill)
    else:
        out = np.pad(arr, widths, mode=padding_mode)
    return wrap(out)


def crop(img, top, left, height, width):
    """Crop; regions past the border are zero-padded, as torchvision does."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _check_image(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        arr = img._data[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
        widths = [(0, 0)] * (arr.ndim - 2) + [(max(-top, 0), max(bottom - h, 0)), (max(-left, 0), max(right - w, 0))]
        return wrap(np.pad(arr, widths))
    return img[..., top:bottom, left:right]


def _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def center_crop(img, output_size):
    crop_height, crop_width = _setup_size(output_size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    if _is_pil(img):
        return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)
    _check_image(img)
    return wrap(np.ascontiguousarray(img._data[..., ::-1]))


def vflip(img):
    if _is_pil(img):
        return img.transpose(_pil().Transpose.FLIP_TOP_BOTTOM)
    _check_image(img)
    return wrap(np.ascontiguousarray(img._data[..., ::-1, :]))


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Counter-clockwise rotation by `angle` degrees about the centre (tensor path: nearest only)."""
    if isinstance(interpolation, int):
        interpolation = _PIL_TO_MODE[interpolation]
    if _is_pil(img):
        return img.rotate(angle, resample=_MODE_TO_PIL[interpolation], expand=expand, center=center,
                          fillcolor=fill)
    _check_image(img)
    if expand:
        raise NotImplementedError("ember.vision rotate(expand=True) on tensors is not implemented")
    if interpolation is not InterpolationMode.NEAREST:
        raise NotImplementedError("ember.vision rotate on tensors supports InterpolationMode.NEAREST only")
    arr = img._data
    h, w = arr.shape[-2:]
    f32 = np.float32
    center_f = [0.0, 0.0]
    if center is not None:  # centre in pixel coordinates -> offset from the image centre
        center_f = [float(center[0]) - w * 0.5, float(center[1]) - h * 0.5]
    rot = math.radians(-angle)
    cx, cy = center_f
    # torchvision's inverse affine matrix for a pure rotation about center_f
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * (-cx) + m[1] * (-cy) + cx
    m[5] += m[3] * (-cx) + m[4] * (-cy) + cy
    xs = (np.arange(w, dtype=f32) - f32(w * 0.5 - 0.5))[None, :]
    ys = (np.arange(h, dtype=f32) - f32(h * 0.5 - 0.5))[:, None]
    gx = (xs * f32(m[0]) + ys * f32(m[1]) + f32(m[2])) / f32(0.5 * w)
    gy = (xs * f32(m[3]) + ys * f32(m[4]) + f32(m[5])) / f32(0.5 * h)
    src_x = np.rint(((gx + f32(1)) * f32(w) - f32(1)) / f32(2)).astype(np.int64)
    src_y = np.rint(((gy + f32(1)) * f32(h) - f32(1)) / f32(2)).astype(np.int64)
    inside = (src_x >= 0) & (src_x < w) & (src_y >= 0) & (src_y < h)
    out = arr[..., np.clip(src_y, 0, h - 1), np.clip(src_x, 0, w - 1)]
    fill_value = 0 if fill is None else fill
    if isinstance(fill_value, (list, tuple)):
        fill_arr = np.asarray(fill_value, dtype=arr.dtype).reshape(-1, 1, 1)
        out = np.where(inside, out, fill_arr)
    else:
        out = np.where(inside, out, np.asarray(fill_value).astype(arr.dtype))
    return wrap(np.ascontiguousarray(out.astype(arr.dtype, copy=False)))


# ----------------------------------------------------------------------------------------------- colour

def _gray_array(arr):
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    work = np.float32 if arr.dtype.kind != "f" or arr.dtype.itemsize < 4 else arr.dtype.type
    gray = work(0.2989) * r.astype(work) + work(0.587) * g.astype(work) + work(0.114) * b.astype(work)
    return gray.astype(arr.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil(img):
        gray = img.convert("L")
        if num_output_channels == 3:
            arr = np.asarray(gray)
            gray = _pil().fromarray(np.ascontiguousarray(np.stack([arr] * 3, axis=-1)))
        return gray
    _check_image(img)
    channels = get_image_num_channels(img)
    if channels not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {channels}")
    arr = img._data
    gray = arr.copy() if channels == 1 else _gray_array(arr)
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:])
    return wrap(np.ascontiguousarray(gray))


to_grayscale = rgb_to_grayscale


def _blend(arr, other, ratio):
    bound = 1.0 if arr.dtype.kind == "f" else float(np.iinfo(arr.dtype).max)
    work = arr.dtype.type if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4 else np.float32
    out = work(ratio) * arr.astype(work) + work(1.0 - ratio) * np.asarray(other).astype(work)
    return np.clip(out, 0, bound).astype(arr.dtype)


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    _check_factor("brightness_factor", brightness_factor)
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    _check_image(img)
    return wrap(_blend(img._data, 0, brightness_factor))


def adjust_contrast(img, contrast_factor):
    _check_factor("contrast_factor", contrast_factor)
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    _check_image(img)
    arr = img._data
    channels = get_image_num_channels(img)
    gray = _gray_array(arr) if channels == 3 else arr
    work = arr.dtype.type if arr.dtype.kind == "f" else np.float32
    mean = gray.astype(work).mean(axis=(-3, -2, -1), keepdims=True, dtype=work)
    return wrap(_blend(arr, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    _check_factor("saturation_factor", saturation_factor)
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Color(img).enhance(saturation_factor)
    _check_image(img)
    if get_image_num_channels(img) == 1:
        return img
    return wrap(_blend(img._data, _gray_array(img._data), saturation_factor))


def _rgb_to_hsv(arr):
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    maxc = arr.max(axis=-3)
    minc = arr.min(axis=-3)
    equal = maxc == minc
    chroma = maxc - minc
    one = np.ones_like(maxc)
    s = chroma / np.where(equal, one, maxc)
    divisor = np.where(equal, one, chroma)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0).astype(arr.dtype)
    return h, s.astype(arr.dtype), maxc


def _hsv_to_rgb(h, s, v):
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    red = np.choose(i, [v, q, p, p, t, v])
    green = np.choose(i, [t, v, v, q, p, p])
    blue = np.choose(i, [p, p, t, v, v, q])
    return np.stack([red, green, blue], axis=-3).astype(v.dtype)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        Image = _pil()
        if img.mode in ("L", "1", "I", "F"):
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore"):
            np_h += np.uint8(int(hue_factor * 255) % 256)  # uint8 wrap-around, as torchvision does
        h = Image.fromarray(np_h)
        return Image.merge("HSV", (h, s, v)).convert(img.mode)
    _check_image(img)
    channels = get_image_num_channels(img)
    if channels == 1:
        return img
    if channels != 3:
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {channels}")
    arr = img._data
    work = arr.astype(np.float32) / np.float32(255) if arr.dtype == np.uint8 else arr
    h, s, v = _rgb_to_hsv(work)
    h = np.fmod(h + h.dtype.type(hue_factor), h.dtype.type(1.0))
    h = np.where(h < 0, h + h.dtype.type(1.0), h)  # torch's % is a floored modulo
    out = _hsv_to_rgb(h, s, v)
    if arr.dtype == np.uint8:
        out = (out * np.float32(255.0)).astype(np.uint8)
    return wrap(out)


# Pillow resampling constants (stable across Pillow versions), so Pillow need not be imported for the tables.
_MODE_TO_PIL = {
    InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.LANCZOS: 1,
    InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5,
}
_PIL_TO_MODE = {0: InterpolationMode.NEAREST, 1: InterpolationMode.LANCZOS, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING}
