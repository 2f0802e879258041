"""Special functions: error functions, gamma family, Bessel I0/I1, normal distribution helpers.

NumPy has none of these and ember may not depend on SciPy, so each is a vectorised NumPy kernel working in
float64 (accurate to float64 precision) whose result is rounded to the tensor's dtype; erf and erfc also have
float32 kernels (a few ulp, ~15x faster) used for float32/float16/bfloat16 tensors, GELU's path. The kernels are plain
array functions (`erf_kernel(arr) -> arr`) so that other modules can reuse them; the public functions below
apply PyTorch's dtype rules (integer and bool inputs give the default dtype; complex is not implemented).

Sources of the formulas: W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp.
1969 (erf/erfc/erfcx); the Cephes Math Library (digamma's asymptotic series, Hurwitz zeta by Euler-Maclaurin,
the Chebyshev expansions of I0/I1 and the ndtri rational approximations), as PyTorch uses them; Stirling's
series with upward shifts for lgamma.
"""

import math

from .. import _dtype
from .._backend import np
from ..autograd.grad_mode import state as _grad_state
from ._common import (
    AddBackward1,
    MulBackward1,
    Node,
    Tensor,
    finish_out,
    method,
    needs_grad,
    promote_operands,
    record,
    sum_to_shape,
    with_number,
    wrap,
)

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0"]

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_HALF = (np.dtype(np.float16), _dtype.bfloat16._np)
_SQRT_PI_INV = 0.56418958354775628695  # 1/sqrt(pi)
_LOG_SQRT_2PI = 0.91893853320467274178  # log(sqrt(2*pi))


def _horner(x, coeffs):
    """Polynomial with coefficients given highest power first."""
    r = np.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        r *= x
        r += c
    return r


def _chebyshev(x, coeffs):
    """Clenshaw's recurrence for a Chebyshev series (Cephes' chbevl)."""
    b0 = np.full_like(x, coeffs[0])
    b1 = np.zeros_like(x)
    b2 = b1
    for c in coeffs[1:]:
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


# -------------------------------------------------------------------------------------------------------
# error functions (Cody 1969)

_ERF_NUM = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
            3.20937758913846947e03)
_ERF_DEN = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERFC_MID_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
                 2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
                 1.23033935479799725e03)
_ERFC_MID_DEN = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
                 1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03,
                 1.23033935480374942e03)
_ERFC_BIG_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
                 1.60837851487422766e-2, 6.58749161529837803e-4)
_ERFC_BIG_DEN = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
                 6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF_SMALL = 0.46875


def _erf_small(x):
    """erf(x) for |x| <= 0.46875."""
    x2 = x * x
    return x * _horner(x2, _ERF_NUM) / _horner(x2, _ERF_DEN)


def _erfcx_pos(y):
    """exp(y^2) erfc(y) for y > 0.46875 (1-d array): each range is evaluated on its own elements only."""
    out = np.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    out[mid] = _horner(ym, _ERFC_MID_NUM) / _horner(ym, _ERFC_MID_DEN)
    big = ~mid
    yb = y[big]
    with np.errstate(all="ignore"):
        inv2 = 1.0 / (yb * yb)
        out[big] = (_SQRT_PI_INV - inv2 * _horner(inv2, _ERFC_BIG_NUM) / _horner(inv2, _ERFC_BIG_DEN)) / yb
    return out


def _erfc_pos(y):
    """erfc(y) for y > 0.46875: exp(-y^2) split in two factors so that y^2 loses no bits (Cody's trick)."""
    y = np.minimum(y, 30.0)  # erfc(30) underflows to 0; keeps inf out of the split below
    r = _erfcx_pos(y)
    y16 = np.trunc(y * 16.0) / 16.0
    with np.errstate(all="ignore"):
        return np.exp(-y16 * y16) * np.exp(-(y - y16) * (y + y16)) * r


def _split(x):
    """Flattened float64 x, |x|, and the mask of the central range |x| <= 0.46875."""
    x = np.asarray(x, _F64).reshape(-1)
    y = np.abs(x)
    return x, y, y <= _ERF_SMALL


def erf_kernel(x):
    shape = np.shape(x)
    x, y, small = _split(x)
    out = np.empty_like(x)
    out[small] = _erf_small(x[small])
    tail = ~small
    out[tail] = np.copysign(1.0 - _erfc_pos(y[tail]), x[tail])
    return out.reshape(shape)


def erfc_kernel(x):
    shape = np.shape(x)
    x, y, small = _split(x)
    out = np.empty_like(x)
    out[small] = 1.0 - _erf_small(x[small])
    tail = ~small
    r = _erfc_pos(y[tail])
    out[tail] = np.where(x[tail] < 0, 2.0 - r, r)
    return out.reshape(shape)


def erfcx_kernel(x):
    shape = np.shape(x)
    x, y, small = _split(x)
    out = np.empty_like(x)
    xs = x[small]
    out[small] = np.exp(xs * xs) * (1.0 - _erf_small(xs))
    tail = ~small
    xt = x[tail]
    r = _erfcx_pos(y[tail])
    with np.errstate(all="ignore"):
        out[tail] = np.where(xt < 0, 2.0 * np.exp(xt * xt) - r, r)
    return out.reshape(shape)


# float32 kernels: float32 arithmetic only, a few whole-array passes (the float64 kernels above are ~20x slower).
# The coefficients are weighted minimax fits (Lawson's algorithm, fitted in float64 against the kernels above):
#   erf(x)  = tanh(x P(x^2)) for |x| <= 3.95 (P approximates atanh(erf(x))/x; erf rounds to +-1 beyond),
#             within 3 ulp of the correctly rounded value;
#   erfc(y) = t exp(-y^2 + Q(t)), t = 1 / (1 + y/2), y = |x| <= 10.1 (erfc underflows beyond), with y^2 split
#             as yh^2 + (y - yh)(y + yh), yh = y truncated to 1/16ths, so that exp(-y^2) keeps its precision;
#             within 5e-7 relative error; erfc(-y) = 2 - erfc(y).
_ERF32_P = tuple(np.float32(c) for c in (
    1.128379246850873, 0.10276986725658215, -0.00019529563158128372, -0.000614831188915274, 8.459347972813869e-05,
    -4.7939355179013235e-06, 2.7508265603718487e-08, 5.424150581942129e-09))
_ERFC32_Q = tuple(np.float32(c) for c in (
    -1.2654439613584654, 0.9985431619491059, 0.3874699186153069, 0.030387385720077507, 0.014293139060629352,
    -0.10579424199319257, -0.6644085814541846, 1.1321977281059936, -0.6701907136557663, 0.14294621073797978))


def _pin_erfc32_at_zero(coeffs):
    """Replace the constant term so that Q(1) evaluates to exactly 0 in float32 Horner order: erfc(0) == 1."""
    acc = coeffs[-1]
    for c in coeffs[-2:0:-1]:
        acc = np.float32(acc + c)
    return (np.float32(-acc),) + coeffs[1:]


_ERFC32_Q = _pin_erfc32_at_zero(_ERFC32_Q)


def _horner_into(acc, x, coeffs):
    """acc = polynomial(x) with coefficients lowest power first, written into the buffer acc."""
    acc.fill(coeffs[-1])
    for c in coeffs[-2::-1]:
        np.multiply(acc, x, out=acc)
        np.add(acc, c, out=acc)
    return acc


_BLOCK = 65536  # elements per block: each pass's temporaries stay in the L2 cache (about 2x faster on 1M)


def _blockwise(block_kernel, x):
    """Apply a kernel of 1-d float32 blocks to a whole array, block by block."""
    x = np.asarray(x, _F32)
    flat = x.reshape(-1)
    if flat.size <= _BLOCK:
        return block_kernel(flat).reshape(x.shape)
    out = np.empty(flat.shape, _F32)
    for start in range(0, flat.size, _BLOCK):
        out[start:start + _BLOCK] = block_kernel(flat[start:start + _BLOCK])
    return out.reshape(x.shape)


def erf_kernel_f32(x):
    return _blockwise(_erf_block_f32, x)


def erfc_kernel_f32(x):
    return _blockwise(_erfc_block_f32, x)


def _erf_block_f32(x):
    xc = np.clip(x, np.float32(-3.95), np.float32(3.95))  # NaN passes through
    s = np.multiply(xc, xc)
    p = _horner_into(np.empty_like(s), s, _ERF32_P)
    np.multiply(p, xc, out=p)
    return np.tanh(p, out=p)


def _erfc_block_f32(x):
    f = np.float32
    y = np.abs(x)
    np.minimum(y, f(10.1), out=y)  # NaN passes through
    t = np.multiply(y, f(0.5))
    np.add(t, f(1), out=t)
    np.reciprocal(t, out=t)
    q = _horner_into(np.empty_like(t), t, _ERFC32_Q)
    yh = np.multiply(y, f(16))
    np.trunc(yh, out=yh)
    np.multiply(yh, f(1 / 16), out=yh)
    low = np.subtract(y, yh)  # exact
    np.add(y, yh, out=y)
    np.multiply(low, y, out=low)
    np.subtract(q, low, out=q)
    np.exp(q, out=q)
    np.multiply(yh, yh, out=yh)  # exact: yh has few significant bits
    np.negative(yh, out=yh)
    np.exp(yh, out=yh)
    np.multiply(q, yh, out=q)
    np.multiply(q, t, out=q)
    # erfc(-y) = 2 - erfc(y), blended without a masked select
    neg = np.less(x, 0).astype(_F32)
    np.multiply(neg, f(2) - f(2) * q, out=neg)
    return np.add(q, neg, out=q)


# erfinv: a rational first guess (the one PyTorch uses) refined by Newton steps on erf
_ERFINV_A = (-0.140543331, 0.914624893, -1.645349621, 0.886226899)
_ERFINV_B = (0.012229801, -0.329097515, 1.442710462, -2.118377725, 1.0)
_ERFINV_C = (1.641345311, 3.429567803, -1.624906493, -1.970840454)
_ERFINV_D = (1.637067800, 3.543889200, 1.0)


def erfinv_kernel(y):
    y = np.asarray(y, _F64)
    a = np.abs(y)
    with np.errstate(all="ignore"):
        central = a <= 0.7
        z = y * y
        guess_c = y * _horner(z, _ERFINV_A) / _horner(z, _ERFINV_B)
        t = np.sqrt(-np.log((1.0 - np.where(central, 0.0, a)) / 2.0))
        guess_t = np.copysign(_horner(t, _ERFINV_C), y) / _horner(t, _ERFINV_D)
        x = np.where(central, guess_c, guess_t)
        # Newton steps; in the tails on erfc(|x|) = 1 - |y| (exact), where erf(x) - y would cancel
        target = 1.0 - a
        for _ in range(3):
            slope = 2.0 * _SQRT_PI_INV * np.exp(-x * x)
            x_abs = np.abs(x)
            tail = x_abs + (erfc_kernel(x_abs) - target) / slope
            x = np.where(central, x - (erf_kernel(x) - y) / slope, np.copysign(tail, y))
    x = np.where(a == 1.0, np.copysign(np.inf, y), x)
    return np.where(a > 1.0, np.nan, x)


# -------------------------------------------------------------------------------------------------------
# gamma family

_SHIFT_TO = 10.0  # arguments are shifted up to here before the asymptotic series take over


def _sinpi_abs(x):
    """|sin(pi x)| with the argument reduced first, so that integers give exactly 0."""
    return np.abs(np.sin(np.pi * (x - np.round(x))))


# Stirling's series for lgamma: B_2k / (2k (2k-1)) in powers of 1/z^2, highest first
_STIRLING = (1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12)


def _lgamma_positive(z):
    """lgamma for z >= 0 (0 gives inf)."""
    prod = np.ones_like(z)
    z = z.copy()
    for _ in range(int(_SHIFT_TO)):
        low = z < _SHIFT_TO
        if not low.any():
            break
        np.multiply(prod, z, out=prod, where=low)
        np.add(z, 1.0, out=z, where=low)
    with np.errstate(all="ignore"):
        inv = 1.0 / z
        series = inv * _horner(inv * inv, _STIRLING)
        return (z - 0.5) * np.log(z) - z + _LOG_SQRT_2PI + series - np.log(np.abs(prod))


def lgamma_kernel(x):
    x = np.asarray(x, _F64)
    negative = x < 0
    z = np.where(negative, 1.0 - x, x)
    out = _lgamma_positive(np.where(np.isinf(z), _SHIFT_TO, z))
    if negative.any():
        with np.errstate(all="ignore"):
            reflected = np.log(np.pi / _sinpi_abs(x)) - out
        out = np.where(negative, reflected, out)
    return np.where(np.isinf(x), np.inf, np.where((x == 1.0) | (x == 2.0), 0.0, out))


# digamma's asymptotic series: B_2k / (2k) in powers of 1/z^2, highest first (Cephes' table)
_PSI_SERIES = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
               -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
               8.33333333333333333333e-2)


def _digamma_positive(z):
    acc = np.zeros_like(z)
    z = z.copy()
    with np.errstate(all="ignore"):
        for _ in range(int(_SHIFT_TO)):
            low = z < _SHIFT_TO
            if not low.any():
                break
            np.subtract(acc, 1.0 / z, out=acc, where=low)
            np.add(z, 1.0, out=z, where=low)
        inv2 = 1.0 / (z * z)
        return acc + np.log(z) - 0.5 / z - inv2 * _horner(inv2, _PSI_SERIES)


def digamma_kernel(x):
    x = np.asarray(x, _F64)
    negative = x < 0
    z = np.where(negative, 1.0 - x, x)
    out = _digamma_positive(np.where(np.isinf(z) | (z == 0), _SHIFT_TO, z))
    if negative.any():
        with np.errstate(all="ignore"):
            reflected = out - np.pi / np.tan(np.pi * np.fmod(x, 1.0))
        out = np.where(negative, np.where(x == np.trunc(x), np.nan, reflected), out)
    out = np.where(x == np.inf, np.inf, np.where(x == -np.inf, np.nan, out))
    return np.where(x == 0, np.copysign(np.inf, -x), out)


def trigamma_kernel(x):
    """psi'(x) by reflection below 0.5, six upward steps and the asymptotic series (PyTorch's method)."""
    x = np.asarray(x, _F64)
    with np.errstate(all="ignore"):
        reflect = x < 0.5
        s = np.sin(np.pi * x)
        result = np.where(reflect, -(np.pi * np.pi) / (s * s), 0.0)
        z = np.where(reflect, 1.0 - x, x)
        for _ in range(6):
            result += 1.0 / (z * z)
            z = z + 1.0
        ixx = 1.0 / (z * z)
        result += (1.0 + 1.0 / (2.0 * z) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / z
        return np.where(reflect, -result, result)


# Euler-Maclaurin coefficients (2k)! / B_2k for the Hurwitz zeta tail (Cephes)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17,
           -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


def zeta_kernel(x, q):
    """Hurwitz zeta(x, q) = sum_k (k + q)^-x (Cephes' algorithm, vectorised)."""
    x, q = (arr.copy() for arr in np.broadcast_arrays(np.asarray(x, _F64), np.asarray(q, _F64)))
    with np.errstate(all="ignore"):
        s = np.power(q, -x)
        a = q.copy()
        b = np.zeros_like(s)
        for _ in range(9):
            a += 1.0
            b = np.power(a, -x)
            s += b
        low = np.flatnonzero((a <= 9.0) & np.isfinite(a))  # Cephes keeps summing until the shifted argument passes 9
        if low.size:
            a_low, b_low, s_low, x_low = a.flat[low], b.flat[low], s.flat[low], x.flat[low]
            steps = int(min(math.ceil(9.0 - np.nanmin(a_low)) + 1, 100000))
            for _ in range(steps):
                more = a_low <= 9.0
                if not more.any():
                    break
                np.add(a_low, 1.0, out=a_low, where=more)
                b_low = np.where(more, np.power(a_low, -x_low), b_low)
                np.add(s_low, b_low, out=s_low, where=more)
            a.flat[low], b.flat[low], s.flat[low] = a_low, b_low, s_low
        w = a
        s += b * w / (x - 1.0) - 0.5 * b
        fact = np.ones_like(s)
        k = 0.0
        done = np.zeros(s.shape, bool)
        for coeff in _ZETA_A:
            fact *= x + k
            b = b / w
            t = fact * b / coeff
            s = np.where(done, s, s + t)
            done |= np.abs(t / s) < _MACHEP
            k += 1.0
            fact *= x + k
            b = b / w
            k += 1.0
        s = np.where((q <= 0) & (x != np.floor(x)), np.nan, s)
        s = np.where((q <= 0) & (q == np.floor(q)), np.inf, s)
        s = np.where(x < 1, np.nan, s)
        return np.where(x == 1, np.inf, s)


def polygamma_kernel(n, x):
    if n == 0:
        return digamma_kernel(x)
    if n == 1:
        return trigamma_kernel(x)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.exp(math.lgamma(n + 1.0)) * zeta_kernel(float(n + 1), x)


# -------------------------------------------------------------------------------------------------------
# modified Bessel functions of the first kind (Cephes' Chebyshev expansions of exp(-x) I(x))

_I0E_A = (-4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
          1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
          -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
          9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
          -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
          1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
          -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
          1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
          -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
          1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0E_B = (-7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
          3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
          1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
          -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
          7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
          -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
          3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
          2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
          8.04490411014108831608e-1)
_I1E_A = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
          -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
          3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
          -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
          9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
          -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
          4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
          -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
          2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
          -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1E_B = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
          -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
          -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
          4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
          -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
          3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
          -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
          -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
          7.78576235018280120474e-1)


def _bessel_scaled(x, coeffs_a, coeffs_b):
    """exp(-|x|) I(|x|) from the two Chebyshev expansions (|x| <= 8 and its inverted tail)."""
    y = np.abs(np.asarray(x, _F64))
    near = y <= 8.0
    with np.errstate(all="ignore"):
        inner = _chebyshev(y / 2.0 - 2.0, coeffs_a)
        outer = _chebyshev(32.0 / y - 2.0, coeffs_b) / np.sqrt(y)
    return y, np.where(near, inner, outer), near


def i0e_kernel(x):
    return _bessel_scaled(x, _I0E_A, _I0E_B)[1]


def i0_kernel(x):
    y, scaled, _ = _bessel_scaled(x, _I0E_A, _I0E_B)
    with np.errstate(all="ignore"):
        return np.exp(y) * scaled


def i1e_kernel(x):
    y, scaled, near = _bessel_scaled(x, _I1E_A, _I1E_B)
    return np.copysign(np.where(near, scaled * y, scaled), x)


def i1_kernel(x):
    y, scaled, near = _bessel_scaled(x, _I1E_A, _I1E_B)
    with np.errstate(all="ignore"):
        out = np.exp(y) * np.where(near, scaled * y, scaled)
    return np.copysign(out, x)


# -------------------------------------------------------------------------------------------------------
# normal distribution

_SQRT_HALF = 0.70710678118654752440


def ndtr_kernel(x):
    # PyTorch's formula (1 + erf) / 2, which rounds the far left tail to 0
    return 0.5 * (1.0 + erf_kernel(np.asarray(x, _F64) * _SQRT_HALF))


def log_ndtr_kernel(x):
    x = np.asarray(x, _F64)
    t = x * _SQRT_HALF
    with np.errstate(all="ignore"):
        left = np.log(erfcx_kernel(-t) / 2.0) - t * t
        right = np.log1p(-erfc_kernel(t) / 2.0)
    return np.where(x < -1.0, left, right)


# Cephes ndtri: rational approximations in three ranges
_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_M2 = 0.13533528323661269189  # exp(-2)


def ndtri_kernel(p):
    p = np.asarray(p, _F64)
    with np.errstate(all="ignore"):
        upper = p > 1.0 - _EXP_M2
        y = np.where(upper, 1.0 - p, p)
        centre = y > _EXP_M2
        c = y - 0.5
        c2 = c * c
        central = (c + c * (c2 * _horner(c2, _NDTRI_P0) / _horner(c2, _NDTRI_Q0))) * 2.50662827463100050242
        x = np.sqrt(-2.0 * np.log(np.where(centre, 0.5, y)))
        x0 = x - np.log(x) / x
        z = 1.0 / x
        x1 = np.where(x < 8.0, z * _horner(z, _NDTRI_P1) / _horner(z, _NDTRI_Q1),
                      z * _horner(z, _NDTRI_P2) / _horner(z, _NDTRI_Q2))
        tail = x0 - x1
        out = np.where(centre, central, np.where(upper, tail, -tail))
    out = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, out))
    return np.where((p < 0) | (p > 1), np.nan, out)


# -------------------------------------------------------------------------------------------------------
# tensor-level functions


def _float_dtype(arr, kernel_name):
    """The result dtype of a real special function: integers and bool give the default dtype."""
    kind = arr.dtype.kind
    if kind in "biu":
        return _dtype.get_default_dtype()._np
    if kind == "c":
        label = "ComplexFloat" if arr.dtype.itemsize == 8 else "ComplexDouble"
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{label}\'')
    return arr.dtype


def apply_kernel(kernel, input, out, kernel_name, node=None, kernel32=None):
    """Run a float64 kernel on a tensor and round the result to PyTorch's result dtype (float32 and half inputs
    use `kernel32` in float32 where there is one), recording `node(input, result)` for autograd."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{kernel_name.removesuffix('_cpu')}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    arr = input._data
    dt = _float_dtype(arr, kernel_name)
    if kernel32 is not None and (dt == _F32 or dt in _HALF):
        res = kernel32(arr.astype(_F32, copy=False))
    else:
        res = kernel(arr.astype(_F64, copy=False))
    result = wrap(np.asarray(res).astype(dt, copy=False))
    if out is not None:
        if needs_grad(input, out):
            raise RuntimeError(f"{kernel_name.removesuffix('_cpu')}(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments requires grad.")
        return finish_out(result, out)
    if node is not None and input.requires_grad and _grad_state.enabled:
        record(node(input, result), (input,), result)
    return result


def _make_special(name, kernel, kernel_name=None, node=None, kernel32=None):
    def fn(input, *, out=None):
        return apply_kernel(kernel, input, out, kernel_name or name, node, kernel32)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, *, out=None) -> Tensor, elementwise."
    return fn


# -------------------------------------------------------------------------------------------------------
# autograd nodes (formulas with Tensor methods, so that create_graph records them again)

_TWO_OVER_SQRT_PI = 2.0 * _SQRT_PI_INV
_SQRT_PI_HALF = 0.88622692545275801365  # sqrt(pi) / 2


class _SpecialBackward(Node):
    def __init__(self, input, result):
        self.input = self.save(input)


class ErfBackward0(_SpecialBackward):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class ErfcBackward0(_SpecialBackward):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


class ErfinvBackward0(Node):
    def __init__(self, input, result):
        self.result = self.save(result, is_output=True)

    def backward(self, grad):
        r = self.result.unpack()
        return grad * (r * r).exp() * _SQRT_PI_HALF


class LgammaBackward0(_SpecialBackward):
    def backward(self, grad):
        return grad * self.input.unpack().digamma()


class DigammaBackward0(_SpecialBackward):
    def backward(self, grad):
        return grad * polygamma(1, self.input.unpack())


class PolygammaBackward0(Node):
    def __init__(self, n, input):
        self.n, self.input = n, self.save(input)

    def backward(self, grad):
        return grad * polygamma(self.n + 1, self.input.unpack())


class PolygammaBackward1(PolygammaBackward0):
    """The node of the in-place Tensor.polygamma_ (PyTorch's other overload)."""


def polygamma_inplace_result(n, input):
    return apply_kernel(lambda a: polygamma_kernel(n, a), input, None, "polygamma",
                        lambda x, result: PolygammaBackward1(n, x))


class I0Backward0(_SpecialBackward):
    def backward(self, grad):
        return grad * i1(self.input.unpack())


class SpecialI1Backward0(_SpecialBackward):
    def backward(self, grad):
        # i1'(x) = i0(x) - i1(x) / x, 1/2 at 0
        from .indexing import where

        x = self.input.unpack()
        return grad * where(x == 0, 0.5, x.i0() - i1(x) / x)


class MvlgammaBackward0(Node):
    def __init__(self, input, p):
        self.input, self.p = self.save(input), p

    def backward(self, grad):
        x, p = self.input.unpack(), self.p
        offsets = wrap((-np.arange(p, dtype=np.float64)[::-1] / 2.0).astype(x._data.dtype))  # -(p-1)/2 .. 0
        return grad * (x.unsqueeze(-1) + offsets).digamma().sum(-1)


erf = method()(_make_special("erf", erf_kernel, node=ErfBackward0, kernel32=erf_kernel_f32))
erfc = method()(_make_special("erfc", erfc_kernel, node=ErfcBackward0, kernel32=erfc_kernel_f32))
erfinv = method()(_make_special("erfinv", erfinv_kernel, "erfinv_cpu", node=ErfinvBackward0))
lgamma = method()(_make_special("lgamma", lgamma_kernel, node=LgammaBackward0))
digamma = method()(_make_special("digamma", digamma_kernel, node=DigammaBackward0))
i0 = method()(_make_special("i0", i0_kernel, node=I0Backward0))
class _SpecialResultBackward(Node):
    def __init__(self, input, result):
        self.input, self.result = self.save(input), self.save(result, is_output=True)


class SpecialErfcxBackward0(_SpecialResultBackward):
    def backward(self, grad):  # erfcx'(x) = 2 x erfcx(x) - 2 / sqrt(pi)
        return (self.input.unpack() * self.result.unpack() * 2.0 - _TWO_OVER_SQRT_PI) * grad


class SpecialI0EBackward0(_SpecialResultBackward):
    def backward(self, grad):  # i0e'(x) = i1e(x) - sgn(x) i0e(x)
        x = self.input.unpack()
        return grad * (i1e(x) - x.sgn() * self.result.unpack())


class SpecialI1EBackward0(_SpecialResultBackward):
    def backward(self, grad):  # i1e'(x) = i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 at 0
        from .indexing import where

        x, r = self.input.unpack(), self.result.unpack()
        return grad * where(x == 0, 0.5, i0e(x) - r * (x.sgn() + x.reciprocal()))


class SpecialNdtriBackward0(_SpecialResultBackward):
    def backward(self, grad):  # 1 / ndtr'(ndtri(p)) = sqrt(2 pi) exp(r^2 / 2)
        r = self.result.unpack()
        return grad * math.sqrt(2 * math.pi) * (r.square() / 2).exp()


class SpecialLogNdtrBackward0(_SpecialResultBackward):
    def backward(self, grad):  # exp(-x^2/2) / sqrt(2 pi) / ndtr(x), with ndtr(x) = exp(result)
        x, r = self.input.unpack(), self.result.unpack()
        return grad / math.sqrt(2 * math.pi) * (r + x.pow(2) / 2).neg().exp()


erfcx = _make_special("erfcx", erfcx_kernel, node=SpecialErfcxBackward0)
i0e = _make_special("i0e", i0e_kernel, node=SpecialI0EBackward0)
i1 = _make_special("i1", i1_kernel, node=SpecialI1Backward0)
i1e = _make_special("i1e", i1e_kernel, node=SpecialI1EBackward0)
ndtri = _make_special("ndtri", ndtri_kernel, node=SpecialNdtriBackward0)
log_ndtr = _make_special("log_ndtr", log_ndtr_kernel, node=SpecialLogNdtrBackward0)
_ndtr_kernel_only = _make_special("ndtr", ndtr_kernel)


def ndtr(input, *, out=None):
    """The standard normal CDF. Recorded as torch composes it, (1 + erf(x / sqrt 2)) * 0.5."""
    if out is None and isinstance(input, Tensor) and needs_grad(input):
        scaled = with_number(input, math.sqrt(0.5), MulBackward1)
        return with_number(with_number(erf(scaled), 1, AddBackward1), 0.5, MulBackward1)
    return _ndtr_kernel_only(input, out=out)


class SpecialEntrBackward0(_SpecialBackward):
    def backward(self, grad):  # d(-x log x)/dx = -(1 + log x)
        return grad * -(self.input.unpack().log() + 1)


def entr(input, *, out=None):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0."""
    def kernel(x):
        with np.errstate(all="ignore"):
            r = -x * np.log(x)
        return np.where(x == 0, 0.0, np.where(x < 0, -np.inf, r))

    return apply_kernel(kernel, input, out, "entr", SpecialEntrBackward0)


class SpecialXlog1PyBackward0(Node):
    """x * log1p(y): d/dx = log1p(y), d/dy = x / (1 + y). Backward1/2: the number-and-tensor overloads."""

    def __init__(self, x, y):
        self.x, self.y = self.save(x), self.save(y)

    def backward(self, grad):
        x, y = self.x.unpack(), self.y.unpack()
        x_is_tensor, y_is_tensor = isinstance(x, Tensor), isinstance(y, Tensor)
        needs = iter(self.needs_input_grad)  # one edge per tensor operand
        need_x, need_y = x_is_tensor and next(needs), y_is_tensor and next(needs)
        gx = sum_to_shape(grad * (y.log1p() if y_is_tensor else math.log1p(y)), x.shape) if need_x else None
        gy = sum_to_shape(grad * x / (y + 1), y.shape) if need_y else None
        grads = tuple(g for g, is_tensor in ((gx, x_is_tensor), (gy, y_is_tensor)) if is_tensor)
        return grads if len(grads) > 1 else grads[0]


class SpecialXlog1PyBackward1(SpecialXlog1PyBackward0):  # xlog1py(number, tensor)
    pass


class SpecialXlog1PyBackward2(SpecialXlog1PyBackward0):  # xlog1py(tensor, number)
    pass


def xlog1py(input, other, *, out=None):
    """x * log1p(y), 0 where x == 0 (unless y is NaN)."""
    dt = promote_operands(input, other)
    if dt._category < 2:
        dt = _dtype.get_default_dtype()
    x = np.asarray(input._data if isinstance(input, Tensor) else input, np.float64)
    y = np.asarray(other._data if isinstance(other, Tensor) else other, np.float64)
    with np.errstate(all="ignore"):
        r = np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))
    result = wrap(np.asarray(r).astype(dt._np))
    if out is None and needs_grad(input, other):
        tensors = tuple(t for t in (input, other) if isinstance(t, Tensor))
        node_cls = (SpecialXlog1PyBackward0 if len(tensors) == 2 else
                    SpecialXlog1PyBackward1 if isinstance(other, Tensor) else SpecialXlog1PyBackward2)
        record(node_cls(input, other), tensors, result)
    return finish_out(result, out)


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma, elementwise."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return apply_kernel(lambda a: polygamma_kernel(n, a), input, out, "polygamma",
                        lambda x, result: PolygammaBackward0(n, x))


def _polygamma_method(self, n):
    return polygamma(n, self)


Tensor.polygamma = _polygamma_method


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension p, elementwise."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    arr = input._data
    if arr.dtype.kind not in "f" and arr.dtype != _dtype.bfloat16._np:
        raise RuntimeError("mvlgamma is not implemented for " + str(input.dtype))
    x = arr.astype(_F64)
    if not np.all(x > (p - 1) / 2):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    total = lgamma_kernel(x[..., None] - np.arange(p) / 2.0).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    result = wrap(np.asarray(total).astype(arr.dtype))
    if input.requires_grad and _grad_state.enabled:
        record(MvlgammaBackward0(input, p), (input,), result)
    return result


Tensor.mvlgamma = mvlgamma


class SpecialZetaBackward0(Node):
    """zeta(x, q): d/dq = -x zeta(x + 1, q); torch has no derivative in x either."""

    def __init__(self, x, q):
        self.x, self.q = self.save(x), self.save(q)

    def backward(self, grad):
        x, q = self.x.unpack(), self.q.unpack()
        needs = self.needs_input_grad
        if needs[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, grad * -x * zeta(x + 1, q)


class SpecialZetaBackward1(SpecialZetaBackward0):  # zeta(number, tensor): the edge is q's only
    def backward(self, grad):
        x, q = self.x.unpack(), self.q.unpack()
        return grad * -x * zeta(x + 1, q)


class SpecialZetaBackward2(Node):  # zeta(tensor, number)
    def __init__(self, x, q):
        pass

    def backward(self, grad):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")


def zeta(input, other, *, out=None):
    """Hurwitz zeta(x, q) elementwise (either argument may be a Python number)."""
    dt = promote_operands(input, other)
    if dt._category < 2:
        dt = _dtype.get_default_dtype()
    x = input._data if isinstance(input, Tensor) else input
    q = other._data if isinstance(other, Tensor) else other
    result = wrap(np.asarray(zeta_kernel(x, q)).astype(dt._np))
    if out is None and needs_grad(input, other):
        if not isinstance(other, Tensor):
            record(SpecialZetaBackward2(input, other), (input,), result)
        elif not isinstance(input, Tensor):
            record(SpecialZetaBackward1(input, other), (other,), result)
        else:
            record(SpecialZetaBackward0(input, other), (input, other), result)
    return finish_out(result, out)
