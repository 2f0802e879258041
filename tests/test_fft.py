"""ember.fft against torch.fft: values, dtypes, graphs (FftR2C/C2C/C2RBackward0 as ATen composes them),
gradients of every order, and errors."""

import numpy as np
import pytest
from harness import compare, compare_grad, sample
from test_autograd_graphs import assert_same_graphs

import ember
import ember.fft  # noqa: F401

X = sample((3, 8), "float64")
Z = sample((3, 8), "float64", seed=1) + 1j * sample((3, 8), "float64", seed=2)

TRANSFORMS = {
    "fft": lambda m, t: m.fft.fft(t),
    "fft_n_pad": lambda m, t: m.fft.fft(t, n=11, norm="ortho"),
    "ifft_n_trim": lambda m, t: m.fft.ifft(t, n=5, dim=0),
    "rfft": lambda m, t: m.fft.rfft(t, norm="forward"),
    "irfft": lambda m, t: m.fft.irfft(t),
    "irfft_n": lambda m, t: m.fft.irfft(t, n=9, norm="ortho"),
    "hfft": lambda m, t: m.fft.hfft(t, n=6),
    "ihfft": lambda m, t: m.fft.ihfft(t),
    "fft2": lambda m, t: m.fft.fft2(t),
    "ifftn_s": lambda m, t: m.fft.ifftn(t, s=(4, 5), norm="ortho"),
    "rfft2_s": lambda m, t: m.fft.rfft2(t, s=(4, 6)),
    "rfftn_dim": lambda m, t: m.fft.rfftn(t, dim=0),
    "irfft2": lambda m, t: m.fft.irfft2(t),
    "irfftn_s": lambda m, t: m.fft.irfftn(t, s=(3, 9)),
    "fftshift": lambda m, t: m.fft.fftshift(t),
    "ifftshift_dim": lambda m, t: m.fft.ifftshift(t, dim=1),
}
REAL_ONLY = {"rfft", "ihfft", "rfft2_s", "rfftn_dim"}


def _finish(y):  # a real scalar-like view for the seed gradient: |y| for complex results
    return y.abs() if y.is_complex() else y


@pytest.mark.parametrize("name, kind", [(n, "real") for n in sorted(TRANSFORMS)] +
                         [(n, "complex") for n in sorted(TRANSFORMS) if n not in REAL_ONLY])
def test_transform_values_graph_and_gradients(name, kind):
    data = X if kind == "real" else Z
    fn = TRANSFORMS[name]
    compare_grad(lambda m, t: _finish(fn(m, t)), data)
    assert_same_graphs(lambda m, t: fn(m, t), data)


@pytest.mark.parametrize("dtype", ["float32", "int64", "complex64"])
def test_dtypes_follow_torch(dtype):
    data = sample((4, 6), dtype)
    for name in ("fft", "ifft", "irfft", "hfft", "fft2", "irfft2"):
        compare(lambda m, t: TRANSFORMS[name](m, t), data, rtol=1e-4, atol=1e-4)
    if dtype != "complex64":
        compare(lambda m, t: m.fft.rfft(t), data, rtol=1e-4, atol=1e-4)


def test_gradcheck_and_gradgradcheck_of_the_primitives():
    for fn in (lambda t: ember.fft.rfft(t, n=7), lambda t: ember.fft.irfft(ember.fft.rfft(t)),
               lambda t: ember.fft.fftn(t * (1 + 2j), norm="ortho"), lambda t: ember.fft.hfft(ember.fft.ihfft(t))):
        x = ember.tensor(sample((2, 5), "float64"), requires_grad=True)
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))


def test_frequencies_and_shifts():
    for args in [(7,), (8, 0.1), (1,), (0,)]:
        compare(lambda m: m.fft.fftfreq(*args))
        compare(lambda m: m.fft.rfftfreq(*args))
    compare(lambda m: m.fft.fftfreq(5, 2.0, dtype=m.float64))
    compare(lambda m: m.fft.fftshift(m.fft.fftfreq(10)))
    compare(lambda m: m.fft.ifftshift(m.fft.fftshift(m.arange(9).reshape(3, 3))))


@pytest.mark.parametrize("call", [
    lambda m: m.fft.rfft(m.ones(4, dtype=m.complex64)),
    lambda m: m.fft.fft(m.ones(4), n=0),
    lambda m: m.fft.fft(m.ones(4), norm="sideways"),
    lambda m: m.fft.fft(m.ones(4), dim=2),
    lambda m: m.fft.fftn(m.ones(4, 4), dim=(0, 0)),
    lambda m: m.fft.fftn(m.ones(4, 4), s=(2, 2, 2)),
    lambda m: m.fft.irfft(m.ones(1)),
    lambda m: m.fft.fft([1.0, 2.0]),
])
def test_errors(call):
    compare(call)


def test_power_spectrum_of_a_sine_peaks_at_its_frequency():
    t = ember.arange(64, dtype=ember.float64) / 64
    spectrum = ember.fft.rfft(ember.sin(2 * np.pi * 5 * t)).abs()
    assert int(spectrum.argmax()) == 5
    np.testing.assert_allclose(float(spectrum[5]), 32.0, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:stft with return_complex=False is deprecated")
@pytest.mark.parametrize("options", [
    dict(n_fft=16, hop_length=4), dict(n_fft=16), dict(n_fft=16, win_length=10), dict(n_fft=16, center=False),
    dict(n_fft=16, normalized=True, onesided=False), dict(n_fft=16, return_complex=False),
    dict(n_fft=8, pad_mode="constant"), dict(n_fft=8, unbatched=True), dict(n_fft=8, complex_input=True)])
def test_stft(options):
    options = dict(options)
    unbatched, complex_input = options.pop("unbatched", False), options.pop("complex_input", False)
    options.setdefault("return_complex", True)
    data = sample((100,) if unbatched else (2, 100), "float64")

    def run(m, x):
        if complex_input:
            x = x * (1 + 0.5j)
        window = m.hann_window(options.get("win_length", options["n_fft"]), dtype=m.float64)
        s = m.stft(x, window=window, **options)
        return s.abs() if s.is_complex() else s

    compare_grad(run, data, rtol=1e-9, atol=1e-9)
    assert_same_graphs(lambda m, x: m.stft(x, window=m.hann_window(8, dtype=m.float64), n_fft=8,
                                           return_complex=True), data)


@pytest.mark.parametrize("call", [
    lambda m: m.stft(m.ones(100), 16, window=m.ones(16)),
    lambda m: m.stft(m.ones(100), 200, window=m.ones(200), return_complex=True, center=False),
    lambda m: m.stft(m.ones(100), 16, hop_length=0, window=m.ones(16), return_complex=True),
    lambda m: m.stft(m.ones(100), 16, win_length=20, window=m.ones(20), return_complex=True),
    lambda m: m.stft(m.ones(100), 16, window=m.ones(5), return_complex=True),
])
def test_stft_errors(call):
    compare(call, message=True)


def test_stft_without_a_window_warns_as_torch():
    import torch

    for m in (torch, ember):
        with pytest.warns(UserWarning, match="A window was not provided"):
            m.stft(m.ones(64), 16, return_complex=True)


@pytest.mark.filterwarnings("ignore:The length of signal is shorter")
@pytest.mark.filterwarnings("ignore:A window was not provided")
@pytest.mark.parametrize("options", [dict(), dict(length=90), dict(length=120), dict(normalized=True),
                                     dict(unbatched=True), dict(win_length=10), dict(rectangular=True)])
def test_istft_inverts_stft_as_torch(options):
    options = dict(options)
    unbatched, rectangular = options.pop("unbatched", False), options.pop("rectangular", False)
    win = options.pop("win_length", 16)
    signal = sample((100,) if unbatched else (2, 100), "float64")

    def run(m, x):
        window = None if rectangular else m.hann_window(win, dtype=m.float64)
        spectrum = m.stft(x, 16, hop_length=4, win_length=win, window=window, return_complex=True)
        return m.istft(spectrum, 16, hop_length=4, win_length=win, window=window, **options)

    compare_grad(run, signal, rtol=1e-9, atol=1e-9)
    if not options:
        out = run(ember, ember.tensor(signal))
        np.testing.assert_allclose(out.detach().numpy(), signal, atol=1e-12)  # the round trip is the identity


@pytest.mark.parametrize("call", [
    lambda m, s: m.istft(s.real, 16),
    lambda m, s: m.istft(s, 14, window=m.ones(14)),
    lambda m, s: m.istft(s, 16, hop_length=20, window=m.ones(16)),
    lambda m, s: m.istft(s, 16, window=m.ones(5)),
    lambda m, s: m.istft(s, 16, hop_length=2, window=m.hann_window(16), center=False),
])
def test_istft_errors(call):
    compare(lambda m: call(m, m.stft(m.ones(100), 16, window=m.hann_window(16), return_complex=True)))
