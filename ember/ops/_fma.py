"""Fused multiply-add with one rounding, as the FMA instructions ATen's compiled kernels use (GCC contracts
`a * b + c` in its AVX2/AVX-512 builds): NumPy has no fma, so these emulate it exactly in float64."""

from .._backend import np


def _two_sum(a, b):
    """(a + b rounded, its exact error) for float64 arrays (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fma32(a, b, c):
    """float32 a * b + c rounded once (a, b, c float64 arrays holding float32 values): the product
    is exact in float64; the sum is rounded to float64 and then to float32, and where that double rounding
    lands on a float32 tie the sum's exact error decides the direction."""
    p = a * b
    s, err = _two_sum(p, c)
    r = s.astype(np.float32)
    toward = np.nextafter(r, np.where(s > r, np.float32(np.inf), np.float32(-np.inf)))
    tie = (s == (r.astype(np.float64) + toward.astype(np.float64)) * 0.5) & (err != 0)
    if tie.any():  # the true value lies past the tie: on err's side
        r = np.where(tie & ((err > 0) == (toward > r)), toward, r)
    return r


def fma64(a, b, c):
    """float64 a * b + c with one rounding, up to ties of the final addition: Dekker's exact product and
    TwoSum carry the product's low part and the sum's error into one last addition."""
    split = 134217729.0  # 2**27 + 1
    t = split * a
    a_hi = t - (t - a)
    t = split * b
    b_hi = t - (t - b)
    p = a * b
    p_err = ((a_hi * b_hi - p) + a_hi * (b - b_hi) + (a - a_hi) * b_hi) + (a - a_hi) * (b - b_hi)
    s, s_err = _two_sum(p, c)
    return s + (s_err + p_err)


def fma(a, b, c, dtype):
    """a * b + c rounded once to `dtype` (float32, float64, or a half type: the float32 FMA rounded to it, as
    ATen computes half types in float32); a, b, c arrays or numbers."""
    dt = np.dtype(dtype)
    a64, b64, c64 = (np.asarray(v, np.float64) for v in (a, b, c))
    if dt == np.float64:
        return fma64(*np.broadcast_arrays(a64, b64, c64))
    r = fma32(*np.broadcast_arrays(a64, b64, c64))
    return r if dt == np.float32 else r.astype(dt)
