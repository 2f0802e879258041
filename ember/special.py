"""torch.special: special functions under SciPy-style names (kernels in ops/special.py)."""

from .ops import pointwise as _pw
from .ops import special as _sp
from .ops._common import Tensor as _Tensor
from .ops._common import finish_out as _finish_out
from .ops._common import np as _np
from .ops._common import wrap as _wrap

__all__ = [
    "erf", "erfc", "erfcx", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1",
    "i1e", "expit", "logit", "xlogy", "xlog1py", "sinc", "log1p", "expm1", "exp2", "round", "ndtr", "ndtri",
    "log_ndtr", "entr", "zeta",
]

erf, erfc, erfinv, digamma, polygamma, i0 = _sp.erf, _sp.erfc, _sp.erfinv, _sp.digamma, _sp.polygamma, _sp.i0
erfcx, i0e, i1, i1e, ndtr, ndtri, log_ndtr, zeta = (_sp.erfcx, _sp.i0e, _sp.i1, _sp.i1e, _sp.ndtr, _sp.ndtri,
                                                     _sp.log_ndtr, _sp.zeta)
gammaln = _sp.lgamma
psi = _sp.digamma
expit = _pw.sigmoid
logit, xlogy, sinc, log1p = _pw.logit, _pw.xlogy, _pw.sinc, _pw.log1p
expm1, exp2, round = _pw.expm1, _pw.exp2, _pw.round


def multigammaln(input, p, *, out=None):
    return _finish_out(_sp.mvlgamma(input, p), out)


def entr(input, *, out=None):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0."""
    def kernel(x):
        with _np.errstate(all="ignore"):
            r = -x * _np.log(x)
        return _np.where(x == 0, 0.0, _np.where(x < 0, -_np.inf, r))

    return _sp.apply_kernel(kernel, input, out, "entr")


def xlog1py(input, other, *, out=None):
    """x * log1p(y), 0 where x == 0 (unless y is NaN)."""
    dt = _pw.promote_operands(input, other)
    if dt._category < 2:
        dt = _pw._dtype.get_default_dtype()
    x = _np.asarray(input._data if isinstance(input, _Tensor) else input, _np.float64)
    y = _np.asarray(other._data if isinstance(other, _Tensor) else other, _np.float64)
    with _np.errstate(all="ignore"):
        r = _np.where((x == 0) & ~_np.isnan(y), 0.0, x * _np.log1p(y))
    return _finish_out(_wrap(_np.asarray(r).astype(dt._np)), out)
