"""The regularized lower incomplete gamma function P(a, x) (torch.special.gammainc), which Gamma.cdf needs and
ember does not have elsewhere yet: a series for x < a + 1, Lentz's continued fraction for the complement beyond,
in float64 over whole arrays. Its gradient flows to x only, as PyTorch's (d/da is not implemented there either)."""

import math

import ember
from ember._backend import np

_TINY = 1e-300
_EPS = np.finfo(np.float64).eps


def _log_prefactor(a, x):
    """log(x^a e^-x / Gamma(a))."""
    lgamma = np.frompyfunc(math.lgamma, 1, 1)(a).astype(np.float64) if a.size else a
    with np.errstate(divide="ignore", invalid="ignore"):
        return a * np.log(x) - x - lgamma


def _series(a, x):
    term = 1.0 / a
    total = term.copy()
    for n in range(1, 2000):
        term = term * x / (a + n)
        total += term
        if np.all(np.abs(term) <= np.abs(total) * _EPS):
            break
    return total * np.exp(_log_prefactor(a, x))


def _continued_fraction(a, x):
    """Q(a, x) = 1 - P(a, x) by the modified Lentz method."""
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 2000):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1.0) <= _EPS):
            break
    return np.exp(_log_prefactor(a, x)) * h


def _gammainc(a, x):
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    out[(x == 0) & (a > 0)] = 0.0
    out[(a == 0) & (x > 0)] = 1.0
    out[(x == np.inf) & (a > 0)] = 1.0
    low = ok & (x < a + 1)
    high = ok & ~low
    if low.any():
        out[low] = _series(a[low], x[low])
    if high.any():
        out[high] = 1.0 - _continued_fraction(a[high], x[high])
    return out


def _gammaincc(a, x):
    """Q(a, x) = 1 - P(a, x), from the continued fraction where it converges (no cancellation there)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = 1.0 - _gammainc(a, x)
    high = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x) & (x >= a + 1)
    if high.any():
        out[high] = _continued_fraction(a[high], x[high])
    return out


def _regularized_gamma_op(name, values, sign):
    """An autograd Function computing `values(a, x)` (P or Q) whose gradient flows to x only, as PyTorch's
    igamma/igammac: d/dx = sign * x^(a-1) e^-x / Gamma(a); its node carries ATen's name."""

    class RegularizedGamma(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, x):
            ctx.save_for_backward(a, x)
            dtype = ember.promote_types(a.dtype, x.dtype)
            return ember.from_numpy(values(a.detach().numpy(), x.detach().numpy())).to(dtype)

        @staticmethod
        def backward(ctx, grad):
            a, x = ctx.saved_tensors
            if ctx.needs_input_grad[0]:
                raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
            an, xn = np.broadcast_arrays(a.detach().numpy().astype(np.float64),
                                         x.detach().numpy().astype(np.float64))
            density = np.exp(_log_prefactor(an, xn)) / xn
            grad_x = (grad if sign > 0 else -grad) * ember.from_numpy(density).to(grad.dtype)
            return None, grad_x.sum_to_size(tuple(x.shape))

    RegularizedGamma._backward_cls.__name__ = RegularizedGamma._backward_cls.__qualname__ = \
        f"{name.capitalize()}Backward0"
    return RegularizedGamma


Igamma = _regularized_gamma_op("igamma", _gammainc, 1)


def gammainc(a, x):
    """torch.special.gammainc(a, x) for tensors a and x."""
    return Igamma.apply(a, x)


Igammac = _regularized_gamma_op("igammac", _gammaincc, -1)


def gammaincc(a, x):
    """torch.special.gammaincc(a, x) for tensors a and x."""
    return Igammac.apply(a, x)
