"""Random sampling: rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson, their `_like` forms and the
in-place Tensor samplers (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_).

Every sampler draws 32-bit words from a `Generator` (ember/_random.py, PyTorch's mt19937) and transforms them
the way PyTorch's CPU kernels do (aten/src/ATen/core/TransformationHelper.h, DistributionsHelper.h,
native/cpu/DistributionTemplates.h, avx_mathfun.h, TensorFactories.cpp, Distributions.cpp, MultinomialKernel.cpp),
vectorised over whole arrays:
- uniform floats: float32/16/bf16 take one word, `(w & (2**24-1)) * 2**-24`; float64 takes a 64-bit value from two
  words (first word high), `(v & (2**53-1)) * 2**-53`;
- integers (random_, randint): `w % range + from` on one word when range < 2**28, on a 64-bit value otherwise;
- normals: tensors of 16+ contiguous elements use the 16-at-a-time Box-Muller fill (float32 with PyTorch's AVX2
  polynomials and FMAs), smaller ones the scalar double Box-Muller whose second value is cached in the generator;
- randperm: the Fisher-Yates swaps of one word each, in closed form; multinomial: the exponential race (without
  replacement) or the cumulative distribution (with); poisson: PyTorch's sample_poisson per element.
All of these are PyTorch's stream, bit for bit, except float64 transcendentals beyond 2**20 elements (see _libm)
and float32 normals on CPUs where PyTorch has no AVX2 kernel (it then calls libm).
"""

import builtins
import math
import threading
import warnings

from .. import _dtype
from .._backend import np
from .._device import check_device
from .._random import (
    Generator,
    check_generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .._tensor import _wrap
from ._common import Tensor, broadcast_shapes, finish_out, method

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson", "rand_like",
    "randn_like", "randint_like",
]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_MASK24, _MASK53 = np.uint32((1 << 24) - 1), np.uint64((1 << 53) - 1)
_TWO_PI = 2.0 * math.pi

# PyTorch's names for dtypes in kernel errors ("normal_kernel_cpu" not implemented for 'Long') and in bound
# errors, which print the C++ type ("to - 1 is out of bounds for unsigned char")
_KERNEL_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CPP_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
             "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
             "float64": "double"}
# mantissa digits of the floating dtypes (std::numeric_limits<T>::digits)
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_KERNEL_NAME[dt._name]}\'')


def _require_float(kernel, dt, complex_ok=False):
    if not (dt.is_floating_point or (complex_ok and dt.is_complex)):
        raise _not_implemented(kernel, dt)


def _size(size, fn):
    from .creation import parse_size

    return parse_size(size, fn)


def _new(shape, dtype, default=None):
    """An uninitialised array for a sampler's result, and its ember dtype."""
    if dtype is None:
        dtype = default or _dtype.get_default_dtype()
    elif not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"dtype must be torch.dtype, not {type(dtype).__name__}")
    return np.empty(shape, dtype._np), dtype


def _finish(arr, out, requires_grad):
    t = _wrap(arr)
    if out is not None:
        return finish_out(t, out)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _iteration_view(arr):
    """`arr` with its dims ordered as PyTorch's TensorIterator walks memory (largest stride outermost), so the
    k-th sample lands where PyTorch's k-th sample lands, also for transposed or sliced tensors."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return arr
    order = sorted(range(arr.ndim), key=lambda d: -builtins.abs(arr.strides[d]))
    return arr.transpose(order)


def _write(self, values):
    """Store samples (a flat array in iteration order) into tensor `self` and bump its version."""
    arr = self._data
    if arr.size:
        view = _iteration_view(arr)
        np.copyto(view, values.reshape(view.shape), casting="unsafe")
    self._bump_version()
    return self


# -------------------------------------------------------------------------------------------------------
# exact arithmetic helpers: PyTorch's kernels are compiled with FMA contraction and call glibc's libm

_EXACT_LIBM_LIMIT = 1 << 20


def _libm(math_fn, numpy_fn, x):
    """A float64 function as glibc computes it: NumPy's SIMD versions (SVML on AVX-512) differ from glibc in the
    last bit now and then, so arrays up to 2**20 elements go through Python's math module (glibc); larger
    ones take NumPy's speed and may differ from PyTorch in the last bit."""
    if x.size <= _EXACT_LIBM_LIMIT:
        return np.fromiter(map(math_fn, x.ravel().tolist()), _F64, x.size).reshape(x.shape)
    return numpy_fn(x)


def _fma64(a, b, c):
    """a * b + c with one rounding (float64), as the compiler's fused multiply-add gives: Dekker's exact
    product and Knuth's two-sum. Large arrays go in cache-sized chunks (its dozen temporaries stay in cache)."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(b), np.shape(c))
    size = math.prod(shape)
    if size <= _AFFINE_CHUNK:
        return _fma64_block(a, b, c)
    a, b, c = (np.broadcast_to(v, shape).reshape(-1) if np.ndim(v) else v for v in (a, b, c))
    out = np.empty(size, _F64)
    for start in range(0, size, _AFFINE_CHUNK):
        part = slice(start, start + _AFFINE_CHUNK)
        out[part] = _fma64_block(*(v[part] if np.ndim(v) else v for v in (a, b, c)))
    return out.reshape(shape)


def _fma64_block(a, b, c):
    p = a * b
    t = 134217729.0 * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = 134217729.0 * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = p + c
    v = s - p
    s_err = (p - (s - v)) + (c - v)
    return s + (s_err + p_err)


# -------------------------------------------------------------------------------------------------------
# transforms of raw words


def _unit_uniform(gen, n, double):
    """n uniforms in [0, 1): float32 from 24 bits of one word, or float64 from 53 bits of a 64-bit value."""
    # masked values fit the signed type, whose conversion to float NumPy vectorises (unsigned is 3x slower)
    if double:
        w = gen._words64(n)
        np.bitwise_and(w, _MASK53, out=w)
        x = w.view(np.int64).astype(_F64)
        x *= 2.0**-53
        return x
    w = gen._words(n)
    np.bitwise_and(w, _MASK24, out=w)
    x = w.view(np.int32).astype(_F32)
    x *= np.float32(2.0**-24)
    return x


def _uniform_values(gen, n, np_dtype, low, high):
    """PyTorch's uniform_ kernel: computed in the op-math type, rounded to the dtype, a value equal to `high`
    after rounding replaced by `low` (PyTorch's stream)."""
    if np_dtype == _F64:
        u = _unit_uniform(gen, n, True)
        return u if (low, high) == (0.0, 1.0) else _fma64(u, high - low, low)
    low32, high32 = np.float32(low), np.float32(high)
    u = _unit_uniform(gen, n, False)
    if (low, high) == (0.0, 1.0):
        if np_dtype == _F32:
            return u  # below 1 already
        vals = u.astype(np_dtype)
    else:
        vals = _affine32(u, float(high32 - low32), float(low32))
        if np_dtype != _F32:
            vals = vals.astype(np_dtype)
    high_t, low_t = np.asarray(high, np_dtype), np.asarray(low, np_dtype)
    np.copyto(vals, low_t, where=vals == high_t)  # rounding up to `high` would leave [from, to)
    return vals


_AFFINE_CHUNK = 1 << 16


def _affine32(u, span, low):
    """u * span + low as float32's fused multiply-add (PyTorch's uniform_ for float32/16/bf16), in cache-sized
    chunks through float64: u*span is exact there, and so is the sum when the operands' bits fit in 53 (then
    one rounding to float32 is the FMA's); otherwise ties are checked (see _Fma32)."""
    exact = _sum_fits_double(span * 2.0**-24, low, 24)  # u = k * 2**-24
    out = np.empty(u.size, _F32)
    n = min(u.size, _AFFINE_CHUNK)
    fma, buf = _Fma32(n), np.empty(n, _F64)
    for start in range(0, u.size, _AFFINE_CHUNK):
        part = u[start:start + _AFFINE_CHUNK]
        x = buf[:part.size]
        np.copyto(x, part)
        (fma.exact if exact else fma.checked)(x, span, low, out[start:start + _AFFINE_CHUNK])
    return out


def _lowest_bit(x):
    """The exponent of the lowest set bit of a nonzero float."""
    m, e = math.frexp(builtins.abs(x))
    mi = int(m * 2.0**53)
    return e - 53 + ((mi & -mi).bit_length() - 1)


def _sum_fits_double(step, low, bits):
    """Whether k * step + low is exact in float64 for every integer 0 <= k < 2**bits (step and low floats):
    its bits lie between the lowest set bit of step or low and the top of |low| + |step| * 2**bits."""
    if step == 0 or low == 0:
        return True
    top = math.frexp(builtins.abs(low) + builtins.abs(step) * 2.0**bits)[1]
    return top - min(_lowest_bit(step), _lowest_bit(low)) <= 53


def _normal_scalar_path(gen, n, mean, std):
    """PyTorch's scalar normal: double Box-Muller, two 53-bit uniforms per pair, the cosine value returned and the
    sine value cached in the generator for the next draw (PyTorch's stream). Returns float64."""
    out = np.empty(n, _F64)
    start = 0
    if n and gen._next_double_normal is not None:
        out[0] = gen._next_double_normal
        gen._next_double_normal = None
        start = 1
    m = n - start
    pairs = (m + 1) // 2
    if pairs:
        v = gen._words64(2 * pairs)
        v &= _MASK53
        u1 = v[0::2].view(np.int64).astype(_F64) * 2.0**-53
        u2 = v[1::2].view(np.int64).astype(_F64) * 2.0**-53
        radius = np.sqrt(-2.0 * _libm(math.log1p, np.log1p, -u2))
        theta = _TWO_PI * u1
        both = np.empty((pairs, 2), _F64)
        np.multiply(radius, _libm(math.cos, np.cos, theta), out=both[:, 0])
        np.multiply(radius, _libm(math.sin, np.sin, theta), out=both[:, 1])
        out[start:] = both.reshape(-1)[:m]
        if m % 2:
            gen._next_double_normal = float(both[-1, 1])
    return out if (mean, std) == (0.0, 1.0) else _fma64(out, std, mean)


def _box_muller_16(u, mean, std):
    """PyTorch's NormalFill16 in float64 over rows of 16 uniforms: the first 8 give the radius, the last 8 the
    angle."""
    radius = np.sqrt(-2.0 * _libm(math.log, np.log, 1.0 - u[:, :8]))
    theta = _TWO_PI * u[:, 8:]
    out = np.empty_like(u)
    out[:, :8] = radius * _libm(math.cos, np.cos, theta)
    out[:, 8:] = radius * _libm(math.sin, np.sin, theta)
    return out if (mean, std) == (0.0, 1.0) else _fma64(out, std, mean)


# float32 Box-Muller as PyTorch computes it on x86-64 CPUs with AVX2 (ATen/native/cpu/avx_mathfun.h: Cephes-style
# log256_ps and sincos256_ps in float32, with the multiply-adds GCC fuses into FMAs), reproduced exactly; CPUs
# without AVX2 (and ARM) run a scalar libm path in PyTorch, which ember does not follow
_f32 = np.float32
_LOG_P = [float(_f32(v)) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                                   1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                                   3.3333331174e-1)]
_LOG_Q1, _LOG_Q2 = _f32(-2.12194440e-4), float(_f32(0.693359375))
_SQRT_HALF = _f32(0.707106781186547524)
_FOUR_OVER_PI = _f32(1.27323954473516)
_PI4_PARTS = [float(_f32(v)) for v in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8)]
_SIN_P = [float(_f32(v)) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [float(_f32(v)) for v in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
_TWO_PI_F = _f32(2 * math.pi)
_TIE_SHIFTED = np.iinfo(np.int64).min
_NORMAL_CHUNK = 4096  # rows of 16 per pass, so the work buffers stay in cache


class _Fma32:
    """float32 fused multiply-adds over one chunk's arrays, through float64 buffers.

    The product of two floats is exact in float64; where the sum is exact too (argued at each `exact` call),
    rounding it to float32 is the FMA's one rounding. Otherwise the float64 sum may have been rounded onto a
    float32 midpoint (about one case in 2**29), where a second rounding can go the wrong way: `checked` finds those
    elements and redoes them rounding to odd, with the sum's error term. Operands: float64 arrays or scalars."""

    def __init__(self, n, t=None):
        self.t = np.empty(n, _F64) if t is None else t
        self.bits = np.empty(n, np.int64)

    def exact(self, a, b, c, out):
        t = self.t[:out.size]
        np.multiply(a, b, out=t)
        np.add(t, c, out=t)
        out[...] = t

    def checked(self, a, b, c, out):
        t = self.t[:out.size].reshape(out.shape)
        np.multiply(a, b, out=t)
        np.add(t, c, out=t)
        # a midpoint has 1 then 28 zeros as its low 29 bits: shifted to the top, that is the least int64, so
        # one shift and a minimum find out whether there is any
        bits = self.bits[:t.size].reshape(t.shape)
        np.left_shift(t.view(np.int64), _I64_35, out=bits)
        if bits.min() == _TIE_SHIFTED:
            idx = np.flatnonzero(bits == _TIE_SHIFTED)
            pick = lambda v: np.broadcast_to(np.asarray(v, _F64), t.shape).reshape(-1)[idx]
            p, cc = pick(a) * pick(b), pick(c)
            s = p + cc
            v = s - p
            err = (p - (s - v)) + (cc - v)
            off = err != 0
            s[off] = np.nextafter(s[off], np.copysign(np.inf, err[off]))
            t.reshape(-1)[idx] = s
        out[...] = t


def _fma_unchecked(a, b, c, out):
    """out = a*b + c (float64 a overwritten), rounded to float64 and then to float32 without _Fma32's midpoint
    check. Used only on the float32 normal kernel's own intermediate values, whose inputs are only 2**24: for
    every one of them the kernel's output equals PyTorch's (tests/test_random_streams.py::
    test_normal_kernel_exhaustive), so no second rounding there goes astray."""
    np.multiply(a, b, a)
    np.add(a, c, a)
    out[...] = a


class _NormalWork:
    """Preallocated buffers for one chunk of `_normal16_float` (n lanes: a radius and an angle each)."""

    def __init__(self, n):
        (self.v, self.x, self.y, self.z, self.e, self.q, self.radius, self.x64, self.y64, self.c64, t, self.k, self.ex,
         self.s) = _aligned(n, [_F32] * 7 + [_F64] * 4 + [np.int32] * 3)
        self.fma = _Fma32(n, t)
        # the views the kernel takes of them, made once (a view costs 0.5 us, a dozen per chunk)
        self.v_bits, self.y_bits, self.q_bits = (a.view(np.int32) for a in (self.v, self.y, self.q))
        self.k_v32, self.y_v32, self.q_v32 = (a.view(_V32) for a in (self.k, self.y, self.q))


_WORK = threading.local()


def _normal_work():
    """This thread's _NormalWork for a whole chunk, made once: allocating its 14 arrays costs more than a small
    fill itself (randn(64)), and a large one would fault in fresh pages each time."""
    w = getattr(_WORK, "normal", None)
    if w is None:
        w = _WORK.normal = _NormalWork(_NORMAL_CHUNK * 8)
    return w


def _aligned(n, dtypes):
    """Arrays of n elements carved from one buffer, each starting on a 64-byte cache line. NumPy's large arrays
    start 16 bytes past one, so every 32- or 64-byte vector load of theirs straddles two lines (measured: the
    normal kernel runs 5-7% slower on them)."""
    sizes = [n * np.dtype(dt).itemsize for dt in dtypes]
    starts = np.cumsum([0] + [-(-size // 64) * 64 for size in sizes])
    buf = np.empty(int(starts[-1]) + 64, np.uint8)
    base = -buf.ctypes.data % 64
    return [buf[base + a:base + a + size].view(dt) for a, size, dt in zip(starts.tolist(), sizes, dtypes)]


# Constants as 0-d arrays of the operation's type: NumPy converts a Python or NumPy scalar operand on every call
# (0.4 us, most of a small fill's time), a 0-d array of the right type not. For the same reason the kernel's
# ufuncs take their output positionally: an out= keyword is parsed on every call (60 ns of some 100 calls)
def _c(value, dtype):
    return np.array(value, dtype)


_SQRT_HALF_BITS = int(_SQRT_HALF.view(np.int32))
_V32 = np.dtype("V32")  # half a row of 16 words (or values) as one item
_I = {v: _c(v, np.int32) for v in (1, 23, 29, 30, 31, 0xFFFFFF, 0x007FFFFF, 1 << 24, _SQRT_HALF_BITS,
                                   _SQRT_HALF_BITS + (24 << 23), ~1, -(1 << 31))}
_I64_35 = _c(35, np.int64)
_ONE, _HALF, _MINUS_TWO = (_c(v, _F32) for v in (1, 0.5, -2))
_ANGLE_STEP = _c(_TWO_PI_F * _f32(2.0**-24), _F32)  # u * 2pi == k * (2pi * 2**-24) for u = k * 2**-24
_FOUR_OVER_PI32 = _c(_FOUR_OVER_PI, _F32)
_DP123 = _c(math.fsum(_PI4_PARTS), _F64)
assert float(_DP123) == _PI4_PARTS[0] + _PI4_PARTS[1] + _PI4_PARTS[2]  # exact: 48 bits
_LOG_P64 = [_c(v, _F64) for v in _LOG_P]
_LOG_Q1_32, _LOG_Q2_32 = _c(_LOG_Q1, _F32), _c(_LOG_Q2, _F32)
_HALF64 = _c(0.5, _F64)


def _on_grid(p, binade):
    """(p + G, G) for the float64 G = 1.5 * 2**(binade + 29), whose ulp is float32's in [2**binade, 2**(binade+1)):
    adding G to a float64 of that magnitude rounds it (nearest, ties to even) to a float32 in one step, and
    p + G is exact for a float32 p of that binade."""
    grid = 1.5 * 2.0 ** (binade + 29)
    return _c(p + grid, _F64), _c(grid, _F64)


# The first two multiply-adds of each sincos256_ps polynomial in z = x**2 <= (pi/4)**2 stay within one binade:
# cos: z*c0 + c1 in [-1.389e-3, -1.374e-3], then *z + c2 in [0.0408, 0.0417]; sin: z*s0 + s1 in
# [8.21e-3, 8.34e-3], then *z + s2 in [-0.1667, -0.1616]. Each is then a product exact in float64 and one
# float64 add onto float32's grid there: the FMA's single rounding, with no midpoint to check
_COS_STEPS = (_c(_COS_P[0], _F64), _on_grid(_COS_P[1], -10), _on_grid(_COS_P[2], -5))
_SIN_STEPS = (_c(_SIN_P[0], _F64), _on_grid(_SIN_P[1], -7), _on_grid(_SIN_P[2], -3))


def _horner_on_grid(z64, steps, y64):
    """y64 = fma(fma(z, p0, p1), z, p2) in float32 (as float64) with the grid steps of _COS_STEPS/_SIN_STEPS."""
    p0, (p1, g1), (p2, g2) = steps
    np.multiply(z64, p0, y64)
    np.add(y64, p1, y64)
    np.subtract(y64, g1, y64)
    np.multiply(y64, z64, y64)
    np.add(y64, p2, y64)
    np.subtract(y64, g2, y64)
    return y64


def _log_radius(w, n):
    """sqrt(-2 * log256_ps(1 - u)) for u = (w.k & (2**24 - 1)) * 2**-24 (the words of n lanes).

    Each step is PyTorch's float32 operation; where it is a fused multiply-add, either the product is exact in
    float32 (then it is two float32 operations with the one rounding of the add) or the product and sum are
    formed in float64 and rounded to float32 (exact there, or see _fma_unchecked). Casts are separate passes:
    NumPy's mixed-type loops cast through buffers, which is slower."""
    k, ex = w.k[:n], w.ex[:n]
    v, x, y, z, e, q = w.v[:n], w.x[:n], w.y[:n], w.z[:n], w.e[:n], w.q[:n]
    x64, y64, c64 = w.x64[:n], w.y64[:n], w.c64[:n]
    np.bitwise_and(k, _I[0xFFFFFF], k)
    np.subtract(_I[1 << 24], k, k)                     # 2**24 * (1 - u), in [1, 2**24]
    v[...] = k                                         # exact; 1 - u is v * 2**-24
    # log256_ps writes 1 - u as m * 2**e with m in [1/2, 1), then takes 2m and e - 1 where m < sqrt(1/2). On the
    # bits of v, in four integer steps: less those of sqrt(1/2) (and 24 in the exponent field, for the 2**-24),
    # the top bits hold that e (an arithmetic shift floors), and the low 23 added back to sqrt(1/2)'s give m or
    # 2m, in [sqrt(1/2), sqrt(2))
    bits = w.v_bits[:n]
    np.subtract(bits, _I[_SQRT_HALF_BITS + (24 << 23)], bits)
    np.right_shift(bits, _I[23], ex)
    e[...] = ex
    np.bitwise_and(bits, _I[0x007FFFFF], bits)
    np.add(bits, _I[_SQRT_HALF_BITS], bits)
    np.subtract(v, _ONE, x)                            # m - 1 or 2m - 1 (PyTorch's m - 1 + m): exact
    np.multiply(x, x, z)
    x64[...] = x
    # Horner with FMAs. Each y*x + p is exact in float64: x is a multiple of 2**-24 and |y| stays within
    # (2**-5, 1/2), so the sum is a multiple of 2**-52 below 1; rounding it to float32 is the FMA's rounding
    np.multiply(x64, _LOG_P64[0], y64)
    np.add(y64, _LOG_P64[1], y64)
    for p in _LOG_P64[2:]:
        y[...] = y64
        y64[...] = y
        np.multiply(y64, x64, y64)
        np.add(y64, p, y64)
    y[...] = y64
    np.multiply(y, x, y)
    np.multiply(e, _LOG_Q1_32, q)
    y64[...] = y
    x64[...] = z
    c64[...] = q
    _fma_unchecked(y64, x64, c64, y)                   # y*z + e*q1
    np.multiply(z, _HALF, q)
    np.subtract(y, q, y)                               # fma(z, -0.5, y): z/2 is exact
    np.add(x, y, x)
    np.multiply(e, _LOG_Q2_32, e)                      # exact: e has 5 bits, q2 9
    radius = w.radius[:n]
    np.add(x, e, radius)                               # fma(e, q2, x)
    np.multiply(radius, _MINUS_TWO, radius)
    return np.sqrt(radius, radius)


def _sin_cos(w, n):
    """sincos256_ps(2*pi*u) for u = (w.k & (2**24 - 1)) * 2**-24 (the words of n lanes): (sin, cos)."""
    j, m = w.k[:n], w.s[:n]
    x, z, yc, ys = w.x[:n], w.z[:n], w.y[:n], w.q[:n]
    x64, y64, c64 = w.x64[:n], w.y64[:n], w.c64[:n]
    np.bitwise_and(j, _I[0xFFFFFF], j)
    x[...] = j
    np.multiply(x, _ANGLE_STEP, x)                     # 2*pi*u, rounded as PyTorch's product
    np.multiply(x, _FOUR_OVER_PI32, z)
    j[...] = z                                         # truncates: x >= 0
    np.add(j, _I[1], j)
    np.bitwise_and(j, _I[~1], j)                       # even octant index, at most 8
    # x - j*pi/4 with pi/4 in three parts, three FMAs. j*dp1 and j*dp2 are exact in float32 (j has 4 bits, dp1 8,
    # dp2 11) and so are the first two sums (multiples of 2**-24 below 1): the three make x - j*(dp1 + dp2 + dp3)
    # rounded once. In float64 that sum is exact: dp1 + dp2 + dp3 spans 48 bits, times j/2 <= 4 at most 51, and
    # x (a multiple of 2**-24 below 8 where j > 0) adds none above 2**3
    c64[...] = j
    np.multiply(c64, _DP123, c64)
    y64[...] = x
    np.add(y64, c64, y64)
    x[...] = y64
    np.multiply(x, x, z)
    x64[...] = z
    _horner_on_grid(x64, _COS_STEPS, y64)
    yc[...] = y64
    np.multiply(yc, z, yc)
    y64[...] = yc
    # fma(yc, z, -z/2) as (yc - 1/2) * z: yc - 1/2 is exact in float64 (yc < 2**-5), so this rounds the same
    # exact value once to float64 as yc*z - z/2 would, then to float32 (as _fma_unchecked)
    np.subtract(y64, _HALF64, y64)
    np.multiply(y64, x64, y64)
    yc[...] = y64
    np.add(yc, _ONE, yc)
    _horner_on_grid(x64, _SIN_STEPS, y64)
    ys[...] = y64
    np.multiply(ys, z, ys)
    y64[...] = ys
    x64[...] = x
    _fma_unchecked(y64, x64, x64, ys)                  # ys*x + x
    # the octant picks each polynomial and sign, with bit operations (masked copies are many times slower):
    # swap where j & 2, negate sin where j & 4 and cos where (j - 2) & 4 has its bit clear, i.e. (j + 2) & 4
    sin, cos = w.q_bits[:n], w.y_bits[:n]
    d = w.ex[:n]
    np.bitwise_xor(sin, cos, d)
    np.left_shift(j, _I[30], m)
    np.right_shift(m, _I[31], m)                       # -1 where j & 2
    np.bitwise_and(d, m, d)
    np.bitwise_xor(sin, d, sin)
    np.bitwise_xor(cos, d, cos)
    np.left_shift(j, _I[29], j)
    np.bitwise_and(j, _I[-(1 << 31)], j)               # j & 4 moved to the sign bit
    np.bitwise_xor(sin, j, sin)
    np.bitwise_and(m, _I[-(1 << 31)], m)               # j & 2 at the sign bit; (j + 2) & 4 is their xor
    np.bitwise_xor(m, j, m)
    np.bitwise_xor(cos, m, cos)
    return ys, yc


def _normal16_float(blocks, out, mean, std):
    """NormalFill16 in float32 (PyTorch's stream on AVX2 CPUs): blocks (rows, 16) of words to out (rows, 16)
    float32, which may be the same memory (a chunk reads all its words before it writes), or words drawn chunk by
    chunk when `blocks` is a function (count -> words). The first 8 words of each row give the radius, the last 8
    the angle. Chunks of rows keep the work buffers in cache."""
    mean32, std32 = _c(mean, _F32), _c(std, _F32)
    m, s = float(mean32), float(std32)
    # the last step, fma(v, std, mean), by its cheapest exact form. With mean +0 and a finite std > 0 it is
    # v * std rounded once, except that a zero v gives +0 (-0 + +0); v is zero only for a zero radius (the word
    # 0: the products neither underflow nor meet a -0 sine), so those lanes are patched afterwards rather than
    # adding 0 everywhere (which would also turn products that underflow to -0 into +0)
    if m == 0 and math.copysign(1.0, m) > 0 and 0 < s < math.inf:
        last = "radius" if s == 1 else "scale"
    else:
        last = "shift" if s == 1 else "scale+0" if m == 0 else "fma"
    w = _normal_work()
    for r in range(0, out.shape[0], _NORMAL_CHUNK):
        dst = out[r:r + _NORMAL_CHUNK]
        blk = blocks(dst.size).reshape(dst.shape) if callable(blocks) else blocks[r:r + _NORMAL_CHUNK]
        _normal16_chunk(w, blk, dst, mean32, std32, last)


def _normal16_chunk(w, blk, dst, mean32, std32, last):
    """One chunk: blk (rows, 16) words to dst (rows, 16) float32, both C-contiguous; `last` names the form of the
    final fma(v, std, mean) (see _normal16_float). Each half row of 8 (32 bytes) moves as one 32-byte item: a
    strided (rows, 8) operation would run NumPy's inner loop 8 elements at a time."""
    n = blk.shape[0] * 8
    rows = blk.shape[0]
    halves, k = blk.view(_V32), w.k_v32[:rows]  # (rows, 2) and (rows,)
    k[...] = halves[:, 0]
    radius = _log_radius(w, n)
    k[...] = halves[:, 1]
    sin, cos = _sin_cos(w, n)
    out = dst.view(_V32)
    for half, trig, items in ((0, cos, w.y_v32[:rows]), (1, sin, w.q_v32[:rows])):
        np.multiply(radius, trig, trig)
        if last == "scale":
            np.multiply(trig, std32, trig)
        elif last == "shift":  # fma(v, 1, mean) rounds v + mean once
            np.add(trig, mean32, trig)
        elif last == "scale+0":  # mean -0, or std 0 or inf: the product, then the zero mean as the FMA adds it
            with np.errstate(invalid="ignore"):  # inf * 0 is nan, silently as in PyTorch
                np.multiply(trig, std32, trig)
            np.add(trig, mean32, trig)
        elif last == "fma":
            w.y64[:n] = trig
            w.fma.checked(w.y64[:n], _c(std32, _F64), _c(mean32, _F64), trig)
        out[:, half] = items
    if last in ("radius", "scale") and radius.min() == 0:  # radii are >= 0 (min is a cheaper pass than all)
        lanes = np.flatnonzero(radius == 0)
        dst[lanes // 8, lanes % 8] = 0
        dst[lanes // 8, lanes % 8 + 8] = 0


def _normal_fill(gen, n, np_dtype, mean, std, out=None):
    """PyTorch's normal_fill for 16+ contiguous elements: uniforms for every element, Box-Muller over each full
    block of 16, and for a ragged end 16 fresh uniforms transformed into the last 16 slots. float32/float64 draw
    all n uniforms first; float16/bfloat16 (computed in float32) draw only the full blocks' worth before the
    tail. float32 values go into `out` (n contiguous float32) when given."""
    full = n // 16 * 16
    if np_dtype != _F64:
        ragged = n > full
        skip = n - full if np_dtype == _F32 else 0  # drawn by PyTorch, overwritten by the tail
        if out is not None and full // 16 >= _NORMAL_CHUNK:
            # into the caller's buffer, each chunk's words drawn as it goes: they stay in cache, and no buffer of
            # n words is allocated and faulted in
            _normal16_float(gen._words, out[:full].reshape(-1, 16), mean, std)
            if ragged:
                gen._words(skip)
                _normal16_float(gen._words(16).reshape(1, 16), out[n - 16:n].reshape(1, 16), mean, std)
            return out[:n]
        words = gen._words(full + skip + 16 * ragged)
        # without `out`, the values overwrite their words: no second buffer of n floats to allocate and fault in
        data = words.view(_F32) if out is None else out
        if ragged and full // 16 < _NORMAL_CHUNK:  # one chunk: the tail's block goes with the others
            blocks = np.concatenate([words[:full], words[full + skip:]]).reshape(-1, 16)
            res = blocks.view(_F32)
            _normal16_float(blocks, res, mean, std)
            data[:full] = res[:-1].reshape(-1)
            data[n - 16:n] = res[-1]
            return data[:n]
        _normal16_float(words[:full].reshape(-1, 16), data[:full].reshape(-1, 16), mean, std)
        if ragged:
            tail = np.empty((1, 16), _F32)
            _normal16_float(words[full + skip:].reshape(1, 16), tail, mean, std)
            data[n - 16:n] = tail.reshape(-1)
        return data[:n]
    u = _unit_uniform(gen, n, True)
    u[:full] = _box_muller_16(u[:full].reshape(-1, 16), mean, std).reshape(-1)
    if n % 16:
        tail = _unit_uniform(gen, 16, True).reshape(1, 16)
        u[n - 16:] = _box_muller_16(tail, mean, std).reshape(-1)
    return u


def _normal_values(gen, n, np_dtype, mean, std, contiguous=True):
    if n >= 16 and contiguous:
        return _normal_fill(gen, n, np_dtype, mean, std)
    return _normal_scalar_path(gen, n, mean, std)


def _check_std(std):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")


def _fmt(x):
    """A number as PyTorch's messages print a double: 1 not 1.0, 0.5 as 0.5."""
    x = float(x)
    return str(int(x)) if x.is_integer() and builtins.abs(x) < 1e16 else repr(x)


def _fill_normal(self, mean, std, gen):
    """normal_ on a tensor (complex tensors fill their real view with std/sqrt(2))."""
    dt = self.dtype
    _require_float("normal_kernel_cpu", dt, complex_ok=True)
    _check_std(std)
    arr = self._data
    if arr.size == 0:
        return self
    if dt.is_complex:
        std = std / math.sqrt(2)
        real = arr.view(arr.real.dtype).reshape(arr.shape + (2,)) if arr.flags.c_contiguous else None
        if real is None:
            vals = _normal_values(gen, 2 * arr.size, arr.real.dtype, mean, std, False)
            pairs = vals.astype(arr.real.dtype).reshape(-1, 2)
            return _write(self, pairs[:, 0] + 1j * pairs[:, 1])
        if real.dtype == _F32 and real.size >= 16:
            _normal_fill(gen, real.size, _F32, mean, std, out=real.reshape(-1))
        else:
            real[...] = _normal_values(gen, real.size, real.dtype, mean, std).reshape(real.shape)
        self._bump_version()
        return self
    if arr.dtype == _F32 and arr.size >= 16 and arr.flags.c_contiguous:
        _normal_fill(gen, arr.size, _F32, mean, std, out=arr.reshape(-1))  # straight into the tensor
        self._bump_version()
        return self
    vals = _normal_values(gen, arr.size, arr.dtype, mean, std, arr.flags.c_contiguous)
    return _write(self, vals)


def _fill_uniform(self, low, high, gen):
    dt = self.dtype
    _require_float("check_uniform_bounds", dt, complex_ok=True)
    real_dt = dt.to_real()
    info = _dtype.finfo(real_dt)
    lo, hi = float(info.min), float(info.max)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {real_dt._name}")
    if not lo <= high <= hi:
        raise RuntimeError(f"to is out of bounds for {real_dt._name}")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(low)} > "
                           f"to={_fmt(high)}")
    if high - low > hi:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_KERNEL_NAME[real_dt._name]}>::max(), "
                           f"but found to={_fmt(high)} and from={_fmt(low)} which result in to-from to exceed the "
                           "limit")
    arr = self._data
    if arr.size == 0:
        return self
    if dt.is_complex:
        vals = _uniform_values(gen, 2 * arr.size, real_dt._np, low, high).reshape(-1, 2)
        return _write(self, vals[:, 0] + 1j * vals[:, 1])
    return _write(self, _uniform_values(gen, arr.size, arr.dtype, low, high))


# -------------------------------------------------------------------------------------------------------
# integers: random_ and randint


def _update_from(frm, digits):
    """PyTorch's update_from: nudge `from` up where the float dtype cannot hold from + 1."""
    plus_1 = _float_roundtrip(frm + 1, digits)
    if plus_1 < frm:
        n = builtins.abs(frm + 1).bit_length() - 1
        frm = plus_1 + (1 << (n - digits + 1))
    return frm


def _update_to(to, digits):
    minus_1 = _float_roundtrip(to - 1, digits)
    if minus_1 >= to:
        n = builtins.abs(to - 1).bit_length() - 1
        to = minus_1 - (1 << (n - digits + 1))
    return to


def _float_roundtrip(v, digits):
    dt = {11: np.float16, 8: _dtype.bfloat16._np, 24: np.float32, 53: np.float64}[digits]
    f = float(np.asarray(float(v)).astype(dt))
    return int(f) if math.isfinite(f) else v


def _check_in_range(frm, to_inc, dt):
    if dt.is_floating_point:
        info = _dtype.finfo(dt)
        lo, hi = float(info.min), float(info.max)
        digits = _DIGITS[dt._name]
        for value, label in ((frm, "from"), (to_inc, "to - 1")):
            if not -(1 << digits) <= value <= 1 << digits:
                warnings.warn(f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                              f"{_CPP_NAME[dt._name]} can support discrete uniform distribution only within this "
                              "range. This warning will become an error in version 1.7 release, please fix the code "
                              "in advance", UserWarning, stacklevel=4)
    else:
        lo, hi = (0, 1) if dt is _dtype.bool else (int(np.iinfo(dt._np).min), int(np.iinfo(dt._np).max))
    name = _CPP_NAME[dt._name]
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _random_from_to_values(gen, n, frm, span):
    """`w % span + from` as int64, with a 64-bit w when span >= 2**28 (PyTorch's stream)."""
    if span >= 1 << 28:
        v = gen._words64(n) % np.uint64(span)
    else:
        v = (gen._words(n) % np.uint32(span)).astype(np.uint64)
    return (v + np.uint64(frm & 0xFFFFFFFFFFFFFFFF)).view(np.int64)


def _random_default_values(gen, n, dt):
    """random_() with no bounds: [0, max] for integer dtypes, [0, 2**digits] for floating ones."""
    name = dt._name
    if name == "bool":
        return (gen._words(n) & np.uint32(1)).astype(np.int64)
    if name in ("int64", "float64"):
        mod = (1 << 63) if name == "int64" else (1 << 53) + 1
        return (gen._words64(n) % np.uint64(mod)).view(np.int64)
    mod = (1 << _DIGITS[name]) + 1 if dt.is_floating_point else int(np.iinfo(dt._np).max) + 1
    return (gen._words(n).astype(np.int64)) % mod


def _fill_random(self, frm, to, gen):
    """Tensor.random_(from, to) with PyTorch's checks and stream; to=None means the dtype's maximum."""
    dt = self.dtype
    if dt.is_complex:
        raise _not_implemented("random_from_to_range_calc", dt)
    n = self._data.size
    if to is not None:
        if not frm < to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
        if dt.is_floating_point:
            frm, to = _update_from(frm, _DIGITS[dt._name]), _update_to(to, _DIGITS[dt._name])
            if not frm < to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but "
                                   f"got from={frm} >= to={to}")
        _check_in_range(frm, to - 1, dt)
        if n == 0:
            return self
        vals = _random_from_to_values(gen, n, frm, (to - frm) & 0xFFFFFFFFFFFFFFFF)
    elif frm != -(1 << 63):
        if dt.is_floating_point:
            to_inc = 1 << _DIGITS[dt._name]
            frm = _update_from(frm, _DIGITS[dt._name])
            if not frm < to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted "
                                   f"to dtype, but got from={frm} > to_inc={to_inc}")
        else:
            to_inc = 1 if dt is _dtype.bool else int(np.iinfo(dt._np).max)
        _check_in_range(frm, to_inc, dt)
        if n == 0:
            return self
        vals = _random_from_to_values(gen, n, frm, (to_inc - frm + 1) & 0xFFFFFFFFFFFFFFFF)
    else:
        if dt._name not in ("int64", "float64", "float32", "bfloat16"):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        if n == 0:
            return self
        vals = gen._words64(n).view(np.int64)
    return _write(self, vals)


def _int_arg(value, fn, name, pos):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, builtins.bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not {type(value).__name__}")
    return value


# -------------------------------------------------------------------------------------------------------
# factory functions


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
         requires_grad=False):
    """Uniform samples in [0, 1) (PyTorch's stream)."""
    check_device(device)
    gen = check_generator(generator)
    arr, dt = _new(_size(size, "rand"), dtype if out is None or dtype is not None else out.dtype)
    _fill_uniform(_wrap(arr), 0.0, 1.0, gen)
    return _finish(arr, out, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
          requires_grad=False):
    """Standard normal samples (PyTorch's stream below 16 elements and for float64)."""
    check_device(device)
    gen = check_generator(generator)
    arr, dt = _new(_size(size, "randn"), dtype if out is None or dtype is not None else out.dtype)
    if arr.dtype == _F32 and arr.size >= 16:  # the fill's own buffer becomes the result (arr is never touched)
        arr = _normal_fill(gen, arr.size, _F32, 0.0, 1.0).reshape(arr.shape)
    else:
        _fill_normal(_wrap(arr), 0.0, 1.0, gen)
    return _finish(arr, out, requires_grad)


def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
            requires_grad=False, **kwargs):
    """randint(high, size) or randint(low, high, size) (also as keywords): integers in [low, high), int64 by
    default (PyTorch's stream)."""
    check_device(device)
    gen = check_generator(generator)
    low, high, size = _randint_args(args, kwargs)
    if not isinstance(size, (tuple, list)) and not (isinstance(size, Tensor)):
        raise TypeError(f"randint(): argument 'size' (position {3 if len(args) == 3 else 2}) must be tuple of ints, "
                        f"not {type(size).__name__}")
    arr, dt = _new(_size((size,), "randint"), dtype, _dtype.int64)
    _fill_random(_wrap(arr), low, high, gen)
    return _finish(arr, out, requires_grad)


def _randint_args(args, kwargs):
    names = ("low", "high", "size")
    bound = dict(kwargs)
    unknown = set(bound) - set(names)
    if unknown:
        raise TypeError(f"randint() got an unexpected keyword argument '{unknown.pop()}'")
    positional = list(args)
    if len(positional) == 2 and "size" not in bound and "high" not in bound:  # randint(high, size)
        return 0, _int_arg(positional[0], "randint", "high", 1), positional[1]
    if len(positional) == 1 and "size" in bound and "high" not in bound:  # randint(high, size=...)
        return 0, _int_arg(positional[0], "randint", "high", 1), bound["size"]
    for name, value in zip(names, positional):
        if name in bound:
            raise TypeError(f"randint() got multiple values for argument '{name}'")
        bound[name] = value
    if "high" not in bound or "size" not in bound:
        raise TypeError("randint() missing required arguments: 'high' and 'size'")
    low = _int_arg(bound.get("low", 0), "randint", "low", 1)
    return low, _int_arg(bound["high"], "randint", "high", 2), bound["size"]


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    """A random permutation of 0..n-1 (int64 by default; PyTorch's stream)."""
    check_device(device)
    gen = check_generator(generator)
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        if out is not None:
            raise RuntimeError(f"n must be non-negative, got{n}")
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if out is not None and dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_KERNEL_NAME[dtype._name]} does not match dtype of out parameter "
                           f"({_KERNEL_NAME[out.dtype._name]})")
    dt = out.dtype if out is not None else (_dtype.int64 if dtype is None else dtype)
    if dt.is_complex or dt is _dtype.bool:
        raise _not_implemented("randperm", dt)
    limit, shown = _PERM_LIMIT.get(dt._name, (None, None))
    if limit is not None and n > limit:  # larger n would hold integers the dtype cannot represent
        raise RuntimeError(f"n cannot be greater than {shown} for {_KERNEL_NAME[dt._name]} type.")
    if not dt.is_floating_point and n > 0 and n - 1 > int(np.iinfo(dt._np).max):
        raise RuntimeError(f"value cannot be converted to type {dt._np.name}_t without overflow")
    perm = _permutation(gen, n)
    return _finish(perm.astype(dt._np), out, requires_grad)


# PyTorch's check_supported_max_int_with_precision (bfloat16 is not checked)
_PERM_LIMIT = {"float16": (2049, "2049"), "float32": (2**24 + 1, "2^24+1"), "float64": (2**53 + 1, "2^53+1")}


def _permutation(gen, n):
    """PyTorch's randperm_cpu: for i in 0..n-2, swap slot i with slot i + word_i % (n - i), one 32-bit word per
    step (PyTorch's stream).

    The swaps are sequential, but their effect has a closed form, computed here with a sort and a few gathers
    instead of n Python steps. Step i finalises slot i: it takes the value then in slot t_i = i + z_i. That
    value is t_i's original one unless an earlier step j swapped into t_i (t_j = t_i, j < i); then it is what
    slot j held just before step j, call it A[j]. And A[k] is k's original value unless an earlier step j
    swapped into slot k, in which case A[k] = A[j] for the last such j: a forest whose roots are untouched
    slots, resolved by pointer jumping (a handful of rounds: chains are about log n long)."""
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    m = n - 1
    words = gen._words(m)
    idx = np.arange(n, dtype=np.int64)
    steps = idx[:m]
    if n <= 0xFFFFFFFF:
        target = (words % (n - steps).astype(np.uint32)).astype(np.int64)
    else:
        target = (words.astype(np.int64) % (n - steps))
    target += steps
    # steps grouped by target slot, each group in step order: one sort of (target, step) packed in an int64
    if n < 1 << 31:
        key = target << 32
        key |= steps
        key.sort()
        by_target = key & 0xFFFFFFFF
        key >>= 32
        sorted_target = key
    else:
        by_target = np.lexsort((steps, target))
        sorted_target = target[by_target]
    # the last step before step k that swapped into slot k: its group's last member, or the one before when
    # that is step k itself (a swap of slot k with itself)
    count = np.bincount(target, minlength=n)
    end = np.cumsum(count)
    start = end - count
    last = end - 1
    clipped = np.maximum(last, 0)
    last -= by_target[clipped] == idx
    np.maximum(last, 0, out=clipped)
    source = np.where(last >= start, by_target[clipped], idx)
    # A[k] = A[source[k]] down to a root (source[k] == k)
    active = np.flatnonzero(source != idx)
    while active.size:
        parent = source[active]
        grand = source[parent]
        source[active] = grand
        active = active[grand != parent]
    held = source
    # step i (in target order) takes the value the previous step of its group left there, or the slot's own
    vals = sorted_target.copy()
    after = np.flatnonzero(sorted_target[1:] == sorted_target[:-1])
    vals[after + 1] = held[by_target[after]]
    perm = np.empty(n, np.int64)
    perm[by_target] = vals
    perm[m] = held[m]
    return perm


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    """normal(mean, std) with tensors or floats for either, or normal(mean: float, std: float, size)."""
    gen = check_generator(generator)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), but "
                            "expected (Tensor mean, Tensor std) or (float mean, float std, tuple of ints size)")
        check_device(device)
        _check_std(std)
        arr, dt = _new(_size((size,), "normal"), dtype if out is None or dtype is not None else out.dtype)
        _fill_normal(_wrap(arr), float(mean), float(std), gen)
        return _finish(arr, out, requires_grad)
    if std_t:
        if std.is_complex():
            raise RuntimeError("normal expects standard deviation to be non-complex")
        if std._data.size and not (std._data >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    if mean_t and std_t:  # N(0, 1) samples scaled by std then shifted by mean, in mean's dtype
        shape = broadcast_shapes(mean._data.shape, std._data.shape)
        res = _wrap(np.empty(shape, mean._data.dtype))
        _fill_normal(res, 0.0, 1.0, gen)
        _scale_shift(res, std._data, mean._data)
    elif mean_t:
        _check_std(std)
        res = _wrap(np.empty(mean._data.shape, mean._data.dtype))
        _fill_normal(res, 0.0, float(std), gen)
        _scale_shift(res, None, mean._data)
    else:
        res = _wrap(np.empty(std._data.shape, std._data.dtype))
        _fill_normal(res, 0.0, 1.0, gen)
        _scale_shift(res, std._data, np.asarray(mean, std._data.dtype))
    return finish_out(res, out)


def _scale_shift(res, std, mean):
    """res.mul_(std).add_(mean) in res's dtype, each step rounded (PyTorch's normal(Tensor, Tensor))."""
    arr = res._data
    if std is not None:
        np.multiply(arr, std.astype(arr.dtype), out=arr)
    np.add(arr, mean.astype(arr.dtype), out=arr)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Samples 0/1 with probabilities `input` (or the scalar `p`), in input's dtype."""
    gen = check_generator(generator)
    res = _wrap(np.empty(input._data.shape, input._data.dtype))
    if p is None:
        _bernoulli_tensor(res, input, gen)
    else:
        _bernoulli_scalar(res, p, gen)
    return finish_out(res, out)


def _bernoulli_tensor(self, p, gen):
    """Each element `uniform < p`: a float uniform (one word) for float/half p, a double one for double p
    (PyTorch's stream)."""
    pdt = p.dtype
    if not pdt.is_floating_point:
        raise _not_implemented("bernoulli_tensor_cpu_p_", pdt)
    if self.dtype.is_complex:
        raise _not_implemented("bernoulli_tensor_cpu_self_", self.dtype)
    parr = p._data
    try:
        parr = np.broadcast_to(parr, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({self._data.shape[-1] if self._data.ndim else 1}) "
                           "must match the existing size "
                           f"({parr.shape[-1] if parr.ndim else 1}) at non-singleton dimension "
                           f"{self._data.ndim - 1}.  Target sizes: {list(self._data.shape)}.  Tensor sizes: "
                           f"{list(parr.shape)}") from None
    if self._data.size == 0:
        return self
    pflat = np.ascontiguousarray(_iteration_order(parr, self._data)).reshape(-1)
    if pdt is not _dtype.float64:
        pflat = pflat.astype(_F32)
    if not ((pflat >= 0) & (pflat <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    u = _unit_uniform(gen, pflat.size, pdt is _dtype.float64)
    return _write(self, u < pflat)


def _iteration_order(arr, like):
    """`arr` (shaped like `like`) with its dims permuted as `like` is walked by `_iteration_view`."""
    if like.ndim < 2 or like.flags.c_contiguous:
        return arr
    order = sorted(range(like.ndim), key=lambda d: -builtins.abs(like.strides[d]))
    return arr.transpose(order)


def _bernoulli_scalar(self, p, gen):
    """bernoulli_(p: float): a double uniform per element, `u < p` (PyTorch's stream)."""
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    if self.dtype.is_complex:
        raise _not_implemented("bernoulli_scalar_cpu_", self.dtype)
    n = self._data.size
    if n == 0:
        return self
    return _write(self, _unit_uniform(gen, n, True) < p)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices sampled from the rows of `input` (weights, not necessarily normalised); PyTorch's stream."""
    gen = check_generator(generator)
    arr = input._data
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_KERNEL_NAME[input.dtype._name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if arr.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_categories = arr.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_categories > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if not replacement or num_samples == 1:
        idx = _multinomial_race(arr, num_samples, gen)
    else:
        idx = _multinomial_cdf(arr, num_samples, gen)
    return finish_out(_wrap(idx.reshape(arr.shape[:-1] + (num_samples,))), out)


def _multinomial_race(arr, num_samples, gen):
    """PyTorch's path without replacement (or for one sample): q ~ Exp(1) shaped like the weights, and the
    num_samples largest weight / q win (argmax or topk)."""
    if arr.size and not (np.max(arr) < np.inf and np.min(arr) >= 0):  # NaN fails too
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if arr.size == 0 or (arr.sum(axis=-1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    q = _wrap(np.empty_like(arr))
    exponential_(q, 1.0, generator=gen)
    keys = (arr / q._data).reshape(-1, arr.shape[-1])
    if num_samples == 1:
        return np.argmax(keys, axis=1).astype(np.int64)  # the first of equal maxima, as PyTorch's argmax
    order = np.argsort(-keys, axis=1, kind="stable")
    idx = order[:, :num_samples].astype(np.int64)
    # where equal keys reach the top num_samples (zero weights, or half-precision keys that round equal), their
    # order is the one topk's std::nth_element/sort or std::partial_sort leaves: redo those rows that way
    top = np.take_along_axis(keys, order[:, :num_samples + 1], axis=1)
    for r in np.flatnonzero((top[:, 1:] == top[:, :-1]).any(axis=1)):
        idx[r] = _stl_topk(keys[r].astype(_F64).tolist(), num_samples)
    return idx


def _multinomial_cdf(arr, num_samples, gen):
    """PyTorch's multinomial with replacement: per row a running sum in the weights' type (float for
    half/bfloat16), divided by the total, the last entry set to 1; each sample is the first category whose
    cumulative weight is >= a double uniform."""
    rows = arr.reshape(-1, arr.shape[-1])
    if rows.dtype != _F64:
        rows = rows.astype(_F32)
    bad = ~(rows >= 0) | ~np.isfinite(rows)
    if bad.any():
        first = np.flatnonzero(bad.reshape(-1))[0]
        if not rows.reshape(-1)[first] >= 0:
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    cdf = np.cumsum(rows, axis=1, dtype=rows.dtype)  # sequential, in the row's type
    total = cdf[:, -1:].copy()
    if not (total > 0).all():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cdf /= total
    cdf[:, -1] = 1
    u = _unit_uniform(gen, rows.shape[0] * num_samples, True)
    # the lower bound of each u in its row's (sorted) cdf, which PyTorch's binary search finds: a branchless
    # binary search, vectorised over all samples
    n_cat = rows.shape[1]
    flat_cdf = cdf.reshape(-1).astype(_F64)
    base = np.repeat(np.arange(rows.shape[0], dtype=np.int64) * n_cat, num_samples)
    row_start = base.copy()
    length = n_cat
    while length > 1:
        half = length // 2
        np.add(base, half, out=base, where=flat_cdf[base + half] < u)
        length -= half
    base += flat_cdf[base] < u
    return (base - row_start).reshape(rows.shape[0], num_samples)


def poisson(input, generator=None):
    """Poisson samples with rates `input`, in input's dtype (PyTorch's stream)."""
    gen = check_generator(generator)
    dt = input.dtype
    if not dt.is_floating_point:
        raise _not_implemented("poisson_cpu", dt)
    arr = input._data
    # PyTorch fills a new contiguous tensor, walking it (and the rates) in logical order
    rates = arr.astype(_F64).reshape(-1)
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = np.zeros(arr.shape, arr.dtype)
    if rates.size:
        out.reshape(-1)[...] = _poisson_draws(gen, rates)
    return _wrap(out)


def _poisson_draws(gen, rates):
    """PyTorch's sample_poisson per element in memory order: Knuth's product of double uniforms below rate 10,
    Hoermann's transformed rejection from 10 on. Each element takes a data-dependent number of uniforms, so
    this walks the elements in Python over uniforms drawn in bulk, then rewinds the generator to just past the
    ones used."""
    state = gen.get_state()
    uniforms = _unit_uniform(gen, int(np.minimum(rates, 10).sum() * 1.2) + 2 * rates.size + 16, True).tolist()
    pos = 0

    def more():
        nonlocal uniforms
        uniforms += _unit_uniform(gen, len(uniforms) // 2 + 16, True).tolist()

    def next_uniform():
        nonlocal pos
        if pos == len(uniforms):
            more()
        pos += 1
        return uniforms[pos - 1]

    out = []
    limits = list(map(math.exp, (-np.minimum(rates, 10)).tolist()))  # glibc's exp, as PyTorch's (not NumPy's)
    for lam, limit in zip(rates.tolist(), limits):
        if lam >= 10:
            out.append(_poisson_rejection(lam, next_uniform))
        elif lam == 0:
            out.append(0)
        else:  # the loop inlined: this is where the time goes for small rates
            x, prod = 0, 1.0
            while True:
                if pos == len(uniforms):
                    more()
                prod *= uniforms[pos]
                pos += 1
                if prod <= limit:
                    break
                x += 1
            out.append(x)
    gen.set_state(state)  # rewind, then consume exactly the words used (two per double uniform)
    gen._words(2 * pos)
    return np.array(out, _F64)


def _poisson_rejection(lam, uniform):
    """Hoermann (1993) transformed rejection, as PyTorch's sample_poisson writes it for rate >= 10 (its lgamma is
    glibc's; Python's may differ in the last bit, which matters only on a near-tie of the acceptance test)."""
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - builtins.abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
            return k


# topk's order among equal keys, as libstdc++'s algorithms leave it (aten/src/ATen/native/TopKImpl.h picks
# std::partial_sort when k * 64 <= n, else std::nth_element then std::sort of the first k - 1). Written from
# the algorithms' specification (introselect/introsort with median-of-three pivots and unguarded partitions,
# heap select, insertion sort below 16 elements); only rows with ties come here, so plain Python is fine.
# q is a list of [key, index]; "before" means a larger key.


def _stl_topk(values, k):
    q = [[v, i] for i, v in enumerate(values)]
    n = len(q)
    if k * 64 <= n:
        _stl_partial_sort(q, 0, k, n)
    else:
        _stl_nth_element(q, 0, k - 1, n)
        _stl_sort(q, 0, k - 1)
    return [pair[1] for pair in q[:k]]


def _stl_median_to_first(q, result, a, b, c):
    va, vb, vc = q[a][0], q[b][0], q[c][0]
    if va > vb:
        pick = b if vb > vc else (c if va > vc else a)
    else:
        pick = a if va > vc else (c if vb > vc else b)
    q[result], q[pick] = q[pick], q[result]


def _stl_partition_pivot(q, first, last):
    _stl_median_to_first(q, first, first + 1, first + (last - first) // 2, last - 1)
    pivot, lo, hi = q[first][0], first + 1, last
    while True:
        while q[lo][0] > pivot:
            lo += 1
        hi -= 1
        while pivot > q[hi][0]:
            hi -= 1
        if not lo < hi:
            return lo
        q[lo], q[hi] = q[hi], q[lo]
        lo += 1


def _stl_linear_insert(q, last):
    val = q[last]
    while val[0] > q[last - 1][0]:
        q[last] = q[last - 1]
        last -= 1
    q[last] = val


def _stl_insertion_sort(q, first, last):
    for i in range(first + 1, last):
        if q[i][0] > q[first][0]:
            q[first:i + 1] = [q[i]] + q[first:i]
        else:
            _stl_linear_insert(q, i)


def _stl_adjust_heap(q, first, hole, length, value):
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if q[first + child][0] > q[first + child - 1][0]:
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and q[first + parent][0] > value[0]:
        q[first + hole] = q[first + parent]
        hole, parent = parent, (parent - 1) // 2
    q[first + hole] = value


def _stl_heap_select(q, first, middle, last):
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
        _stl_adjust_heap(q, first, parent, length, q[first + parent])
    for i in range(middle, last):
        if q[i][0] > q[first][0]:
            value, q[i] = q[i], q[first]
            _stl_adjust_heap(q, first, 0, length, value)


def _stl_partial_sort(q, first, middle, last):
    _stl_heap_select(q, first, middle, last)
    while middle - first > 1:
        middle -= 1
        value, q[middle] = q[middle], q[first]
        _stl_adjust_heap(q, first, 0, middle - first, value)


def _stl_nth_element(q, first, nth, last):
    if first == last or nth == last:
        return
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _stl_heap_select(q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _stl_partition_pivot(q, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _stl_insertion_sort(q, first, last)


def _stl_sort(q, first, last):
    if last - first < 2:
        return
    _stl_introsort(q, first, last, 2 * ((last - first).bit_length() - 1))
    if last - first > 16:
        _stl_insertion_sort(q, first, first + 16)
        for i in range(first + 16, last):
            _stl_linear_insert(q, i)
    else:
        _stl_insertion_sort(q, first, last)


def _stl_introsort(q, first, last, depth):
    while last - first > 16:
        if depth == 0:
            _stl_partial_sort(q, first, last, last)
            return
        depth -= 1
        cut = _stl_partition_pivot(q, first, last)
        _stl_introsort(q, cut, last, depth)
        last = cut


def _empty_like(input, dtype, device, memory_format):
    """The result of a `_like` sampler: PyTorch fills `empty_like(input)`, so a transposed input gives a
    transposed result, filled in memory order (and normals take the scalar path there, as it is not
    contiguous)."""
    from .creation import empty_like

    return empty_like(input, dtype=dtype or input.dtype, device=device, memory_format=memory_format)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    gen = check_generator(generator)
    res = _empty_like(input, dtype, device, memory_format)
    _fill_uniform(res, 0.0, 1.0, gen)
    return _finish(res._data, None, requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    gen = check_generator(generator)
    res = _empty_like(input, dtype, device, memory_format)
    _fill_normal(res, 0.0, 1.0, gen)
    return _finish(res._data, None, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """randint_like(input, high) or randint_like(input, low, high), in input's dtype by default."""
    if high is None:
        low, high = 0, low
    gen = check_generator(generator)
    low, high = _int_arg(low, "randint_like", "low", 2), _int_arg(high, "randint_like", "high", 3)
    res = _empty_like(input, dtype, device, memory_format)
    _fill_random(res, low, high, gen)
    return _finish(res._data, None, requires_grad)


def rrelu_noise(x, lower, upper, generator=None):
    """The slopes of rrelu in training (PyTorch's rrelu_with_noise kernel, PyTorch's stream): walking x in logical
    order, each element <= 0 takes a double uniform in [lower, upper) (no fused multiply-add here), rounded to the
    op-math type (float for float16/bfloat16/float32); the others get 1. Returns an array of that type."""
    gen = check_generator(generator)
    op = _F64 if x.dtype == _F64 else _F32
    lo, hi = float(op.type(lower)), float(op.type(upper))
    flat = np.ascontiguousarray(x).reshape(-1)
    negative = flat <= 0
    u = _unit_uniform(gen, int(np.count_nonzero(negative)), True)
    noise = np.ones(flat.shape, op)
    noise[negative] = u * (hi - lo) + lo
    return noise.reshape(x.shape)


# -------------------------------------------------------------------------------------------------------
# in-place samplers on Tensor


def _from_kw(value, kwargs, fn):
    """`from` is a Python keyword, so Tensor.uniform_(from=...)/random_(from=...) arrive through **kwargs."""
    if "from" in kwargs:
        value = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return value


@method()
def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with uniform samples in [from, to) (PyTorch's stream)."""
    from_ = _from_kw(from_, kwargs, "uniform_")
    return _fill_uniform(self, float(from_), float(to), check_generator(generator))


@method()
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std**2) samples."""
    return _fill_normal(self, float(mean), float(std), check_generator(generator))


@method()
def random_(self, *args, generator=None, **kwargs):
    """random_(), random_(to) or random_(from, to): integers in [from, to) (PyTorch's stream)."""
    frm = _from_kw(None, kwargs, "random_") if "from" in kwargs else None
    to = kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    gen = check_generator(generator)
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    if len(args) == 2:
        frm, to = args
    elif len(args) == 1:
        if frm is None and to is None:
            frm, to = 0, args[0]
        else:
            frm = args[0]
    if frm is None and to is None:
        dt = self.dtype
        if dt.is_complex:
            raise _not_implemented("random_kernel_cpu", dt)
        if self._data.size == 0:
            return self
        return _write(self, _random_default_values(gen, self._data.size, dt))
    frm = 0 if frm is None else _int_arg(frm, "random_", "from", 1)
    to = None if to is None else _int_arg(to, "random_", "to", 2)
    return _fill_random(self, frm, to, gen)


@method()
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 samples: probability p (a float) or per element (a tensor broadcast to self)."""
    gen = check_generator(generator)
    if isinstance(p, Tensor):
        return _bernoulli_tensor(self, p, gen)
    return _bernoulli_scalar(self, p, gen)


def _continuous_double(self, gen, transform):
    """The scalar kernels exponential_/cauchy_/geometric_: a double uniform per element (53 bits of a 64-bit
    value) through `transform`, then cast to the tensor's dtype (PyTorch's stream)."""
    n = self._data.size
    if n == 0:
        return self
    return _write(self, transform(_unit_uniform(gen, n, True)))


@method()
def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exponential(lambd) samples."""
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    dt = self.dtype
    if not dt.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_KERNEL_NAME[dt._name]}")
    gen = check_generator(generator)
    return _continuous_double(self, gen, lambda u: -1.0 / lambd * _libm(math.log1p, np.log1p, -u))


@method()
def geometric_(self, p, *, generator=None):
    """Fill with Geometric(p) samples: the number of trials up to the first success (>= 1)."""
    p = float(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    dt = self.dtype
    if dt.is_complex or dt is _dtype.bool:
        raise _not_implemented("geometric_cpu", dt)
    gen = check_generator(generator)
    return _continuous_double(self, gen, lambda u: np.ceil(_libm(math.log, np.log, u) / math.log1p(-p)))


@method()
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std**2)) samples (PyTorch's stream: the scalar double Box-Muller)."""
    mean, std = float(mean), float(std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    dt = self.dtype
    _require_float("log_normal_cpu", dt)
    gen = check_generator(generator)
    n = self._data.size
    if n == 0:
        return self
    return _write(self, _libm(math.exp, np.exp, _normal_scalar_path(gen, n, mean, std)))


@method()
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) samples."""
    median, sigma = float(median), float(sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    dt = self.dtype
    if not dt.is_floating_point:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {_CPP_NAME.get(dt._name, dt._name)}")
    gen = check_generator(generator)
    return _continuous_double(
        self, gen, lambda u: _fma64(np.full_like(u, sigma), _libm(math.tan, np.tan, math.pi * (u - 0.5)), median))


method("bernoulli")(bernoulli)
method("multinomial")(multinomial)
