"""Random sampling: rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson, their `_like` forms and the
in-place Tensor samplers (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_).

Every sampler draws 32-bit words from a `Generator` (ember/_random.py, PyTorch's mt19937) and transforms them
the way PyTorch's CPU kernels do (aten/src/ATen/core/TransformationHelper.h, DistributionsHelper.h,
native/cpu/DistributionTemplates.h), vectorised over whole arrays:
- uniform floats: float32/16/bf16 take one word, `(w & (2**24-1)) * 2**-24`; float64 takes a 64-bit value from two
  words (first word high), `(v & (2**53-1)) * 2**-53`;
- integers (random_, randint): `w % range + from` on one word when range < 2**28, on a 64-bit value otherwise;
- normals: tensors of 16+ contiguous elements use the 16-at-a-time Box-Muller fill, smaller ones the scalar
  double Box-Muller whose second value is cached in the generator.
Streams that match PyTorch's bit for bit are marked "(PyTorch's stream)"; the others (multinomial, randperm,
poisson, bernoulli_ with a scalar p, exponential_, float32/16 normals of 16+ elements) draw from the same
generator with a correct distribution, and are left to issue 9.
"""

import builtins
import math
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

_EXACT_LIBM_LIMIT = 1 << 16


def _libm(math_fn, numpy_fn, x):
    """A float64 function as glibc computes it: NumPy's SIMD versions (SVML on AVX-512) differ from glibc in the
    last bit now and then, so arrays up to 65536 elements go through Python's math module (glibc); larger
    ones take NumPy's speed and may differ from PyTorch in the last bit."""
    if x.size <= _EXACT_LIBM_LIMIT:
        return np.fromiter(map(math_fn, x.ravel().tolist()), _F64, x.size).reshape(x.shape)
    return numpy_fn(x)


def _fma64(a, b, c):
    """a * b + c with one rounding (float64), as the compiler's fused multiply-add gives: Dekker's exact
    product and Knuth's two-sum."""
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
        vals = u
    else:  # fused multiply-add in float32: exact product and one rounding, through float64
        vals = (u.astype(_F64) * float(high32 - low32) + float(low32)).astype(_F32)
    if np_dtype == _F32:
        return vals
    vals = vals.astype(np_dtype)
    high_t, low_t = np.asarray(high, np_dtype), np.asarray(low, np_dtype)
    return np.where(vals == high_t, low_t, vals)


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
    """PyTorch's NormalFill16 over rows of 16 uniforms: the first 8 give the radius, the last 8 the angle."""
    ftype = u.dtype.type
    out = np.empty_like(u)
    if ftype is np.float64:
        radius = np.sqrt(-2.0 * _libm(math.log, np.log, 1.0 - u[:, :8]))
        theta = _TWO_PI * u[:, 8:]
        out[:, :8] = radius * _libm(math.cos, np.cos, theta)
        out[:, 8:] = radius * _libm(math.sin, np.sin, theta)
        return out if (mean, std) == (0.0, 1.0) else _fma64(out, std, mean)
    # float32 (also for float16/bfloat16). PyTorch computes this block with AVX2 polynomial log/sincos, which
    # NumPy's functions do not reproduce bit for bit (issue 9)
    radius = np.sqrt(ftype(-2) * np.log(ftype(1) - u[:, :8]))
    theta = (_TWO_PI * u[:, 8:].astype(_F64)).astype(u.dtype)
    out[:, :8] = radius * np.cos(theta)
    out[:, 8:] = radius * np.sin(theta)
    if (mean, std) != (0.0, 1.0):
        out = (out.astype(_F64) * float(ftype(std)) + float(ftype(mean))).astype(u.dtype)
    return out


def _normal_fill(gen, n, np_dtype, mean, std):
    """PyTorch's normal_fill for 16+ contiguous elements: uniforms for every element, Box-Muller over each full
    block of 16, and for a ragged end 16 fresh uniforms transformed into the last 16 slots. float32/float64 draw
    all n uniforms first; float16/bfloat16 draw only the full blocks' worth before the tail."""
    double = np_dtype == _F64
    full = n // 16 * 16
    first = n if np_dtype in (_F32, _F64) else full
    u = _unit_uniform(gen, first, double)
    data = np.empty(n, u.dtype)
    data[:full] = _box_muller_16(u[:full].reshape(-1, 16), mean, std).reshape(-1)
    if n % 16:
        tail = _unit_uniform(gen, 16, double).reshape(1, 16)
        data[n - 16:] = _box_muller_16(tail, mean, std).reshape(-1)
    return data


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
        real[...] = _normal_values(gen, real.size, real.dtype, mean, std).reshape(real.shape)
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
    """A random permutation of 0..n-1 (int64 by default)."""
    check_device(device)
    gen = check_generator(generator)
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.int64 if dtype is None else dtype
    if not dt.is_floating_point and dt is not _dtype.bool and n > 0 and n - 1 > int(np.iinfo(dt._np).max):
        raise RuntimeError(f"value cannot be converted to type {dt._np.name}_t without overflow")
    perm = gen._numpy().permutation(n)
    return _finish(perm.astype(dt._np), out, requires_grad)


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
    """bernoulli_(p: float). PyTorch uses MKL's stream here on Intel CPUs: ember draws from its generator with
    the same distribution."""
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
    """Indices sampled from the rows of `input` (weights, not necessarily normalised)."""
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
    rows = arr.reshape(-1, n_categories).astype(_F64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n_rows = rows.shape[0]
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = _unit_uniform(gen, n_rows * num_samples, True).reshape(n_rows, num_samples)
        # the first category whose cumulative weight exceeds u (zero-weight categories are never chosen)
        idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        idx = np.minimum(idx, n_categories - 1)
    else:
        # Gumbel/exponential race: weight / Exp(1) keys, the largest win; zero weights only after all others
        e = -np.log1p(-_unit_uniform(gen, rows.size, True)).reshape(rows.shape)
        keys = np.where(rows > 0, rows / e, -1.0 - e)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64).reshape(arr.shape[:-1] + (num_samples,))
    return finish_out(_wrap(idx), out)


def poisson(input, generator=None):
    """Poisson samples with rates `input`, in input's dtype."""
    gen = check_generator(generator)
    dt = input.dtype
    if not dt.is_floating_point:
        raise _not_implemented("poisson_cpu", dt)
    rates = input._data.astype(_F64)
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _wrap(gen._numpy().poisson(rates).astype(input._data.dtype).reshape(rates.shape))


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    return rand(input._data.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad,
                generator=generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    return randn(input._data.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad,
                 generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """randint_like(input, high) or randint_like(input, low, high), in input's dtype by default."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype, device=device,
                   requires_grad=requires_grad, generator=generator)


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
