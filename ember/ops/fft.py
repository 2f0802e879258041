"""torch.fft: discrete Fourier transforms over NumPy's pocketfft, built as ATen builds them.

Every user-facing transform reduces to one of three primitives, each a graph node as in PyTorch:
`_fft_c2c` (FftC2CBackward0), `_fft_r2c` (FftR2CBackward0, optionally one-sided) and `_fft_c2r`
(FftC2RBackward0). A primitive computes the unnormalised transform and scales it by ATen's normalisation
mode (0: none, 1: 1/sqrt(n), 2: 1/n), whatever the direction; the user functions pick the mode from `norm` and
the direction as ATen's norm_from_string does. The backward of each primitive is another primitive, so
gradients of any order come for free.
"""

import math

from .. import _dtype
from .._autocast import autocast_op
from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap, wrap_dim

_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2


def _norm_mode(norm, forward):
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _scale(arr, mode, n):
    if mode == _NONE or n == 0:
        return arr
    factor = 1.0 / (math.sqrt(n) if mode == _BY_ROOT_N else n)
    arr *= arr.real.dtype.type(factor)
    return arr


def _signal_numel(shape, dims):
    return math.prod(shape[d] for d in dims)


def _complex_of(dt):
    return np.complex128 if dt == np.float64 else np.complex64


# -------------------------------------------------------------------------------------------------------
# the three primitives


class FftC2CBackward0(Node):
    def __init__(self, dims, normalization, forward):
        self.dims, self.normalization, self.forward = dims, normalization, forward

    def backward(self, grad):
        return _fft_c2c(grad, self.dims, self.normalization, not self.forward)


def _fft_c2c(x, dims, normalization, forward):
    a = x._data
    transform = np.fft.fftn if forward else np.fft.ifftn
    # NumPy's "forward" norm leaves its inverse transform unscaled: both directions start unnormalised
    r = transform(a, axes=dims, norm="backward" if forward else "forward").astype(a.dtype, copy=False)
    out = wrap(_scale(r, normalization, _signal_numel(a.shape, dims)))
    if needs_grad(x):
        record(FftC2CBackward0(dims, normalization, forward), (x,), out)
    return out


class FftR2CBackward0(Node):
    def __init__(self, dims, normalization, onesided, last_dim_size):
        self.dims, self.normalization, self.onesided, self.last_dim_size = dims, normalization, onesided, last_dim_size

    def backward(self, grad):
        if not self.onesided:
            return _fft_c2c(grad, self.dims, self.normalization, False).real
        # one-sided: the dropped half of the spectrum gets zero gradient, then the full inverse transform
        last = self.dims[-1]
        missing = self.last_dim_size - grad.shape[last]
        full = grad
        if missing > 0:
            shape = list(grad.shape)
            shape[last] = self.last_dim_size
            full = grad.new_zeros(shape)
            full.narrow(last, 0, grad.shape[last]).copy_(grad)
        return _fft_c2c(full, self.dims, self.normalization, False).real


def _fft_r2c(x, dims, normalization, onesided):
    a = x._data
    cdt = _complex_of(a.dtype)
    if onesided:
        r = np.fft.rfftn(a, axes=dims) if len(dims) > 1 else np.fft.rfft(a, axis=dims[0])
    else:
        r = np.fft.fftn(a, axes=dims)
    r = np.ascontiguousarray(r.astype(cdt, copy=False))
    out = wrap(_scale(r, normalization, _signal_numel(a.shape, dims)))
    if needs_grad(x):
        record(FftR2CBackward0(dims, normalization, onesided, a.shape[dims[-1]]), (x,), out)
    return out


class FftC2RBackward0(Node):
    def __init__(self, dims, normalization):
        self.dims, self.normalization = dims, normalization

    def backward(self, grad):
        # the one-sided forward transform of the gradient; the bins that stand for two conjugate ones count twice
        g = _fft_r2c(grad, self.dims, self.normalization, True)
        last = self.dims[-1]
        doubled = grad.shape[last] - g.shape[last]
        if doubled > 0:
            g = g.clone() if g.grad_fn is None else g
            g.narrow(last, 1, doubled).mul_(2)
        return g


def _fft_c2r(x, dims, normalization, last_dim_size):
    a = x._data
    shape = [a.shape[d] for d in dims]
    shape[-1] = last_dim_size
    r = np.fft.irfftn(a, s=shape, axes=dims, norm="forward")  # unnormalised
    r = r.astype(np.float64 if a.dtype == np.complex128 else np.float32, copy=False)
    out = wrap(_scale(np.ascontiguousarray(r), normalization, math.prod(shape)))
    if needs_grad(x):
        record(FftC2RBackward0(dims, normalization), (x,), out)
    return out


# -------------------------------------------------------------------------------------------------------
# ATen's argument handling


def _promote(x, name, require_complex=False):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    dt = x.dtype
    if dt.is_complex:
        return x
    if dt in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"Unsupported dtype {dt.scalar_type_name}")
    if not dt.is_floating_point:  # integers and bool compute in the default float type
        x = x.to(_dtype.get_default_dtype())
    if require_complex:
        x = x.to(_dtype.complex128 if x.dtype == _dtype.float64 else _dtype.complex64)
    return x


def _resize(x, dims, sizes):
    """Trim (slice) or zero-pad (constant_pad_nd) `x` to `sizes` along `dims`, as ATen's resize_fft_input."""
    pad = [0] * (2 * x.dim())
    must_pad = False
    for d, n in zip(dims, sizes):
        if n == -1:
            continue
        if x.shape[d] < n:
            must_pad = True
            pad[len(pad) - 2 * d - 1] = n - x.shape[d]
        if x.shape[d] > n:
            x = x.narrow(d, 0, n)
    if must_pad:
        from .nn_misc import pad as constant_pad

        x = constant_pad(x, pad)
    return x


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x, n, dim):
    d = wrap_dim(dim, x.dim()) if x.dim() else _scalar_dim_error()
    return d, (x.shape[d] if n is None else n)


def _scalar_dim_error():
    raise IndexError("Dimension specified as -1 but tensor has no dimensions")


def _r2c(name, x, n, dim, norm, forward, onesided):
    if isinstance(x, Tensor) and x.is_complex():
        raise RuntimeError(f"{name} expects a real input tensor, but got {x.dtype.scalar_type_name}")
    x = _promote(x, name)
    d, size = _one_dim(x, n, dim)
    _check_n(size)
    if n is not None:
        x = _resize(x, [d], [size])
    out = _fft_r2c(x, (d,), _norm_mode(norm, forward), onesided)
    return out if forward else out.conj()


def _c2c(name, x, n, dim, norm, forward):
    d, size = _one_dim(x, n, dim)
    _check_n(size)
    if n is not None:
        x = _resize(x, [d], [size])
    return _fft_c2c(x, (d,), _norm_mode(norm, forward), forward)


def _c2r(name, x, n, dim, norm, forward):
    x = _promote(x, name, require_complex=True)
    d = wrap_dim(dim, x.dim()) if x.dim() else _scalar_dim_error()
    size = 2 * (x.shape[d] - 1) if n is None else n
    _check_n(size)
    if n is not None:
        x = _resize(x, [d], [size // 2 + 1])
    if forward:
        x = x.conj()
    return _fft_c2r(x, (d,), _norm_mode(norm, forward), size)


def _shape_and_dims(x, s, dim, name):
    """ATen's canonicalize_fft_shape_and_dim_args: the signal sizes and the (distinct, wrapped) dims."""
    if dim is not None:
        dims = [wrap_dim(d, x.dim()) for d in ([dim] if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if dim is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > x.dim():
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.dim()} dimensions.")
        if dim is None:
            dims = list(range(x.dim() - len(s), x.dim()))
        sizes = [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]
    else:
        if dim is None:
            dims = list(range(x.dim()))
        sizes = [x.shape[d] for d in dims]
    for n in sizes:
        if n <= 0:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return sizes, dims


# -------------------------------------------------------------------------------------------------------
# the public functions


@autocast_op("fp32")
def fft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    if isinstance(input, Tensor) and input.is_complex():
        return _c2c("fft", _promote(input, "fft"), n, dim, norm, True)
    return _r2c("fft", input, n, dim, norm, True, False)


@autocast_op("fp32")
def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    if isinstance(input, Tensor) and input.is_complex():
        return _c2c("ifft", _promote(input, "ifft"), n, dim, norm, False)
    return _r2c("ifft", input, n, dim, norm, False, False)


@autocast_op("fp32")
def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    return _r2c("rfft", input, n, dim, norm, True, True)


@autocast_op("fp32")
def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    return _c2r("irfft", input, n, dim, norm, False)


@autocast_op("fp32")
def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    return _c2r("hfft", input, n, dim, norm, True)


@autocast_op("fp32")
def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    _no_out(out)
    return _r2c("ihfft", input, n, dim, norm, False, True)


def _fftn(name, input, s, dim, norm, forward):
    x = _promote(input, name, require_complex=True)
    sizes, dims = _shape_and_dims(x, s, dim, name)
    x = _resize(x, dims, sizes)
    if not dims:
        return x
    return _fft_c2c(x, tuple(dims), _norm_mode(norm, forward), forward)


@autocast_op("fp32")
def fftn(input, s=None, dim=None, norm=None, *, out=None):
    _no_out(out)
    return _fftn("fftn", input, s, dim, norm, True)


@autocast_op("fp32")
def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    _no_out(out)
    return _fftn("ifftn", input, s, dim, norm, False)


@autocast_op("fp32")
def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return fftn(input, s, dim, norm, out=out)


@autocast_op("fp32")
def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return ifftn(input, s, dim, norm, out=out)


@autocast_op("fp32")
def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    _no_out(out)
    if isinstance(input, Tensor) and input.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {input.dtype.scalar_type_name}")
    x = _promote(input, "rfftn")
    sizes, dims = _shape_and_dims(x, s, dim, "rfftn")
    if not dims:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(x, dims, sizes)
    return _fft_r2c(x, tuple(dims), _norm_mode(norm, True), True)


@autocast_op("fp32")
def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    _no_out(out)
    x = _promote(input, "irfftn", require_complex=True)
    sizes, dims = _shape_and_dims(x, s, dim, "irfftn")
    if not dims:
        raise RuntimeError("irfftn must transform at least one axis")
    last_size = 2 * (x.shape[dims[-1]] - 1) if s is None or s[-1] == -1 else sizes[-1]
    _check_n(last_size)
    sizes[-1] = last_size // 2 + 1
    x = _resize(x, dims, sizes)
    return _fft_c2r(x, tuple(dims), _norm_mode(norm, False), last_size)


@autocast_op("fp32")
def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return rfftn(input, s, dim, norm, out=out)


@autocast_op("fp32")
def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return irfftn(input, s, dim, norm, out=out)


def _no_out(out):
    if out is not None:
        raise NotImplementedError("torch.fft functions' out= argument is not implemented in ember")


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    return _frequencies(k, n, d, dtype, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _frequencies(np.arange(n // 2 + 1), n, d, dtype, requires_grad)


def _frequencies(k, n, d, dtype, requires_grad):
    """ATen's construction: the bin numbers in the output dtype, times 1/(n*d) computed in that dtype."""
    dt = (dtype or _dtype.get_default_dtype())._np
    with np.errstate(divide="ignore", invalid="ignore"):  # n == 0: rfftfreq's one bin is 0 * inf = nan, as ATen's
        out = k.astype(dt) * dt.type(np.float64(1.0) / (n * d))
    t = wrap(np.ascontiguousarray(out))
    return t.requires_grad_() if requires_grad else t


def fftshift(input, dim=None):
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    return input.roll([input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    return input.roll([(input.shape[d] + 1) // 2 for d in dims], dims)


__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn", "fft2", "ifft2", "rfftn", "irfftn",
           "rfft2", "irfft2", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


# -------------------------------------------------------------------------------------------------------
# short-time Fourier transform


def _stft_prefix(x, n_fft, hop, win, window, normalized, onesided, return_complex):
    win_desc = "None" if window is None else f"{window.type()}{{{list(window.shape)}}}"
    side = "None" if onesided is None else int(onesided)
    return (f"stft({x.type()}{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, window={win_desc}, "
            f"normalized={int(normalized)}, onesided={side}, return_complex={int(return_complex)}, "
            "align_to_window=None) : ")


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """torch.stft: windowed FFTs of frames hop_length apart, shape (batch?, n_fft // 2 + 1 or n_fft, frames);
    built as ATen builds it (reflect-padded, as_strided frames, window product, one r2c/c2c FFT, transpose)."""
    import warnings

    from .nn_misc import pad as pad_fn

    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                      "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                      "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                      "explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    if center:
        signal_dim = input.dim()
        pad = n_fft // 2
        extended = [1] * (3 - signal_dim) + list(input.shape)
        input = pad_fn(input.view(extended), [pad, pad], pad_mode)
        input = input.view(input.shape[-signal_dim:])
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    want_complex = complex_input if return_complex is None else return_complex
    prefix = _stft_prefix(input, n_fft, hop, win, window, normalized, onesided, want_complex)
    if not want_complex:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
    if input.dim() not in (1, 2):
        raise RuntimeError(prefix + "expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    length = x.shape[1]
    if not 0 < n_fft <= length:
        raise RuntimeError(prefix + f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(prefix + f"expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(prefix + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(prefix + f"expected a 1D window tensor of size equal to win_length={win}, but got window "
                                    f"with size {list(window.shape)}")
    if window is not None and win < n_fft:  # centred in n_fft zeros
        full = window.new_zeros(n_fft)
        full.narrow(0, (n_fft - win) // 2, win).copy_(window)
        window = full
    elif window is None and win < n_fft:
        full = x.new_zeros(n_fft, dtype=x.dtype if not x.is_complex() else None)
        full.narrow(0, (n_fft - win) // 2, win).fill_(1)
        window = full
    frames = 1 + (length - n_fft) // hop
    stride = x.stride()
    x = x.as_strided((x.shape[0], frames, n_fft), (stride[0], hop * stride[1], stride[1]))
    if window is not None:
        x = x.mul(window)
    side = not x.is_complex() if onesided is None else onesided
    norm = _BY_ROOT_N if normalized else _NONE
    if x.is_complex():
        out = _fft_c2c(x, (2,), norm, True)
    else:
        out = _fft_r2c(x, (2,), norm, side)
    out = out.transpose_(1, 2)
    if input.dim() == 1:
        out = out.squeeze_(0)
    if not want_complex:
        from .shape import view_as_real

        return view_as_real(out)
    return out


__all__.append("stft")


class UnfoldBackwardBackward0(Node):
    """The node of ATen's unfold_backward (overlap-add): its gradient is the unfold of the incoming one."""

    def __init__(self, dim, size, step):
        self.dim, self.size, self.step = dim, size, step

    def backward(self, grad):
        return grad.unfold(self.dim, self.size, self.step)


def _unfold_backward(frames, input_sizes, dim, size, step):
    """ATen's unfold_backward for frames (..., n_frames, size) along `dim` (here the last signal dim): the
    frames added back at multiples of `step` into a zero signal of `input_sizes`."""
    f = frames._data
    out = np.zeros(tuple(input_sizes), f.dtype)
    moved = np.moveaxis(out, dim, -1)
    for i in range(f.shape[dim]):
        moved[..., i * step:i * step + size] += np.take(f, i, axis=dim)
    result = wrap(out)
    if needs_grad(frames):
        record(UnfoldBackwardBackward0(dim, size, step), (frames,), result)
    return result


def _istft_prefix(x, n_fft, hop, win, window, center, normalized, onesided, length, return_complex):
    kind = x.dtype.scalar_type_name
    win_desc = "None" if window is None else f"{window.type()}{{{list(window.shape)}}}"
    side = "None" if onesided is None else int(onesided)
    return (f"istft(CPU{kind}Type{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
            f"window={win_desc}, center={int(center)}, normalized={int(normalized)}, onesided={side}, "
            f"length={length}, return_complex={int(return_complex)}) ")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """torch.istft: the inverse of stft by overlap-add, divided by the summed squared window (built as ATen's:
    c2r or c2c inverse FFT of each frame, window product, unfold_backward, trim, divide)."""
    import warnings

    from .nn_misc import pad as pad_fn
    from .shape import view_as_complex, view_as_real

    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    prefix = _istft_prefix(input, n_fft, hop, win, window, center, normalized, onesided, length, return_complex)
    x = view_as_real(input.resolve_conj() if hasattr(input, "resolve_conj") else input)
    if x.numel() == 0:
        raise RuntimeError(prefix + ": istft input tensor cannot be empty")
    if x.dim() not in (3, 4):
        raise RuntimeError(prefix + f": expected a tensor with 2 or 3 dimensions of complex, but got "
                                    f"{x.dim() - 1}")
    n_frames, fft_size = x.shape[-2], x.shape[-3]
    expected_len = n_fft + hop * (n_frames - 1)
    side = fft_size != n_fft if onesided is None else onesided
    if side and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(prefix + ": expected the frequency dimension (3rd to the last) of the input tensor to "
                                    f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    if not side and n_fft != fft_size:
        raise RuntimeError(prefix + ": expected the frequency dimension (3rd to the last) of the input tensor to "
                                    f"match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(prefix + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(prefix + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(prefix + ": Invalid window shape. window has to be 1D and length of `win_length`")
    window_full = window if window is not None else x.new_ones(win)
    if win != n_fft:  # centred in zeros
        left = (n_fft - win) // 2
        window_full = pad_fn(window_full, [left, n_fft - win - left])
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    frames = view_as_complex(x.transpose(1, 2))  # (channel, n_frames, fft_size)
    norm = _BY_ROOT_N if normalized else _BY_N
    if return_complex:
        if side:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = _fft_c2c(frames, (2,), norm, False)
    else:
        if window is not None and window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not side:
            frames = frames.narrow(-1, 0, n_fft // 2 + 1)
        frames = _fft_c2r(frames, (2,), norm, n_fft)
    y = _unfold_backward(frames * window_full.view(1, 1, n_fft), (frames.shape[0], expected_len), 1, n_fft, hop)
    with_envelope = window_full.detach().pow(2).expand(1, n_frames, n_fft)
    envelope = _unfold_backward(with_envelope, (1, expected_len), 1, n_fft, hop)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = -(n_fft // 2) if center else expected_len
    y = y[:, start:end]
    envelope = envelope[:, start:end]
    if bool((envelope.abs().min() < 1e-11).item()):
        raise RuntimeError(prefix + "window overlap add min: 1\n[ CPUBoolType{} ]")
    y = y / envelope
    if unbatched:
        y = y.squeeze(0)
    if end > expected_len:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        y = pad_fn(y, [0, end - expected_len])
    return y


__all__.append("istft")
