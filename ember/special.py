"""torch.special: special functions under SciPy-style names (kernels in ops/special.py)."""

from .ops import pointwise as _pw
from .ops import special as _sp
from .ops._common import finish_out as _finish_out

__all__ = [
    "erf", "erfc", "erfcx", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1",
    "i1e", "expit", "logit", "xlogy", "xlog1py", "sinc", "log1p", "expm1", "exp2", "round", "ndtr", "ndtri",
    "log_ndtr", "entr", "zeta", "logsumexp", "softmax", "log_softmax", "gammainc", "gammaincc",
]

erf, erfc, erfinv, digamma, polygamma, i0 = _sp.erf, _sp.erfc, _sp.erfinv, _sp.digamma, _sp.polygamma, _sp.i0
erfcx, i0e, i1, i1e, ndtr, ndtri, log_ndtr, zeta = (_sp.erfcx, _sp.i0e, _sp.i1, _sp.i1e, _sp.ndtr, _sp.ndtri,
                                                     _sp.log_ndtr, _sp.zeta)
gammaln = _sp.lgamma
psi = _sp.digamma
expit = _pw.sigmoid
logit, xlogy, sinc, log1p = _pw.logit, _pw.xlogy, _pw.sinc, _pw.log1p
expm1, exp2, round = _pw.expm1, _pw.exp2, _pw.round


def gammainc(input, other, *, out=None):
    from .ops.legacy import igamma

    return _finish_out(igamma(input, other), out)


def gammaincc(input, other, *, out=None):
    from .ops.legacy import igammac

    return _finish_out(igammac(input, other), out)


def multigammaln(input, p, *, out=None):
    return _finish_out(_sp.mvlgamma(input, p), out)


entr, xlog1py = _sp.entr, _sp.xlog1py


def logsumexp(input, dim, keepdim=False, *, out=None):
    from .ops.reduction import logsumexp as _logsumexp

    return _logsumexp(input, dim, keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    from .ops.activation import softmax as _softmax

    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    from .ops.activation import log_softmax as _log_softmax

    return _log_softmax(input, dim, dtype=dtype)
