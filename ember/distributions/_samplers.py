"""Gamma and binomial samplers drawing PyTorch's CPU random stream (torch._standard_gamma, torch.binomial,
torch._sample_dirichlet), and the implicit reparameterization gradients of the standard gamma and the Dirichlet
(torch._standard_gamma_grad, torch._dirichlet_grad).

PyTorch samples these one element at a time in memory order, each element taking a data-dependent number of
double uniforms (53 bits of a 64-bit draw) and double normals (Box-Muller, the sine value cached in the
generator), so this walks the elements in Python over uniforms drawn in bulk (`_Stream`). float32 inputs keep
PyTorch's float32 steps (the boosted alpha and d are rounded to float32 as its `scalar_t` arithmetic does)."""

import math

import ember
from ember._backend import np
from ember._random import check_generator
from ember.ops.random import _unit_uniform

_F32_THIRD = float(np.float32(1.0) / np.float32(3.0))  # PyTorch writes 1.0f / 3.0f
_F32_0331 = float(np.float32(0.0331))


class _Stream:
    """PyTorch's per-call double uniform and double normal draws, served from uniforms drawn in bulk. `close()`
    rewinds the generator and consumes exactly the words used, and leaves the Box-Muller sine value cached in the
    generator as PyTorch does."""

    def __init__(self, gen, expected):
        self.gen = gen
        self.state = gen.get_state()
        self.cached = gen._next_double_normal
        self.buf = _unit_uniform(gen, expected + 16, True).tolist()
        self.pos = 0

    def uniform(self):
        if self.pos == len(self.buf):
            self.buf += _unit_uniform(self.gen, len(self.buf) // 2 + 16, True).tolist()
        self.pos += 1
        return self.buf[self.pos - 1]

    def normal(self):
        if self.cached is not None:
            value, self.cached = self.cached, None
            return value
        u1 = self.uniform()
        u2 = self.uniform()
        radius = math.sqrt(-2.0 * math.log1p(-u2))  # math's functions are glibc's, as PyTorch's
        theta = 2.0 * math.pi * u1
        self.cached = radius * math.sin(theta)
        return radius * math.cos(theta)

    def close(self):
        self.gen.set_state(self.state)
        self.gen._words(2 * self.pos)  # two 32-bit words per double uniform
        self.gen._next_double_normal = self.cached


def _gamma_one(alpha, rng, single):
    """Marsaglia-Tsang with the alpha < 1 boost, as PyTorch's sample_gamma (double accumulation)."""
    f32 = np.float32 if single else float
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= (1.0 - rng.uniform()) ** float(f32(1.0) / f32(alpha))
        alpha = float(f32(alpha) + f32(1.0))
    d = float(f32(alpha) - f32(_F32_THIRD))
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = rng.normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - rng.uniform()
        xx = x * x
        if u < 1.0 - _F32_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def _gammas(alphas, gen, single):
    rng = _Stream(gen, 3 * len(alphas))  # about 2.2 uniforms per gamma on average
    values = [_gamma_one(a, rng, single) for a in alphas]
    rng.close()
    return np.array(values, np.float64)


def standard_gamma(alpha, generator=None):
    """torch._standard_gamma: Gamma(alpha, 1) samples of alpha's shape and dtype (no autograd)."""
    gen = check_generator(generator)
    arr = alpha.detach().numpy()
    single = arr.dtype != np.float64
    out = _gammas(np.ascontiguousarray(arr, np.float64).reshape(-1).tolist(), gen, single)
    out = out.astype(arr.dtype).reshape(arr.shape)
    np.maximum(out, np.finfo(arr.dtype).tiny, out=out)  # PyTorch's floor at the smallest normal
    return ember.from_numpy(out)


def sample_dirichlet(alpha, generator=None):
    """torch._sample_dirichlet: gammas drawn in float64, normalized over the last dim, clamped into
    [tiny, nextafter(1, 0)] of alpha's dtype."""
    gen = check_generator(generator)
    arr = alpha.detach().numpy()
    flat = np.ascontiguousarray(arr, np.float64).reshape(-1).tolist()
    g = _gammas(flat, gen, False).reshape(arr.shape)
    np.maximum(g, np.finfo(np.float64).tiny, out=g)
    out = (g / g.sum(-1, keepdims=True)).astype(arr.dtype)
    dt = arr.dtype
    np.clip(out, np.finfo(dt).tiny, np.nextafter(dt.type(1), dt.type(0)), out=out)
    return ember.from_numpy(out)


def _stirling_tail(k):
    table = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
             0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
             0.00925546218271273, 0.00833056343336287)
    if k < len(table):
        return table[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(count, prob, rng):
    """Count geometric waiting times until they pass `count` (small count * prob)."""
    geom_sum, num = 0.0, 0.0
    logprob = math.log1p(-prob)
    while True:
        geom_sum += math.ceil(math.log(rng.uniform()) / logprob)
        if geom_sum > count:
            return num
        num += 1


def _btrs(count, prob, rng):
    """Hoermann's transformed rejection (BTRS) as PyTorch writes it."""
    stddev = math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        u = rng.uniform() - 0.5
        v = rng.uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m) - _stirling_tail(k) - _stirling_tail(count - k))
        if v <= bound:
            return k


def _binomial_one(count, prob, rng):
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        return _btrs(count, prob, rng) if count * prob >= 10.0 else _binomial_inversion(count, prob, rng)
    if prob > 0.5:
        q = 1.0 - prob
        return count - (_btrs(count, q, rng) if count * q >= 10.0 else _binomial_inversion(count, q, rng))
    return math.nan


def binomial(count, prob, generator=None):
    """torch.binomial for same-shaped float tensors (PyTorch's stream, elements in memory order)."""
    gen = check_generator(generator)
    c = count.detach().numpy()
    p = prob.detach().numpy()
    dt = np.result_type(c.dtype, p.dtype)
    if dt == np.float32:  # the sampler sees scalar_t values: round its float32 steps like PyTorch
        pairs = zip(np.ascontiguousarray(c, np.float32).reshape(-1).tolist(),
                    np.ascontiguousarray(p, np.float32).reshape(-1).tolist())
    else:
        pairs = zip(c.reshape(-1).tolist(), p.reshape(-1).tolist())
    pairs = list(pairs)
    rng = _Stream(gen, 4 * len(pairs))
    out = np.array([_binomial_one(n, q, rng) for n, q in pairs], np.float64)
    rng.close()
    return ember.from_numpy(out.astype(dt).reshape(np.broadcast_shapes(c.shape, p.shape)))


def _digamma_single(x):
    """PyTorch's digamma_one<float, double>: x and its steps stay float32, the sum is double, the result float32."""
    x = np.float32(x)
    result = 0.0
    while x < 10:
        result -= float(np.float32(1) / x)
        x = np.float32(x + np.float32(1))
    if x == 10:
        return float(np.float32(result + 2.25175258906672110764))
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / float(x * x)
        poly = 0.0
        for a in _DIGAMMA_A:
            poly = poly * z + a
        y = z * poly
    return float(np.float32(result + float(np.log(x)) - float(np.float32(0.5) / x) - y))


_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
              -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def _digamma(x, f=np.float64):
    """PyTorch's digamma_one (Cephes) in double (or its float32 variant for f = np.float32, positive x)."""
    if f is np.float32 and x > 0:
        return _digamma_single(x)
    if x == 0:
        return math.inf
    extra = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.inf
        extra = -math.pi / math.tan(math.pi * x)
        x = 1 - x
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + 2.25175258906672110764 + extra
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        poly = 0.0
        for a in _DIGAMMA_A:
            poly = poly * z + a
        y = z * poly
    return result + math.log(x) - 0.5 / x - y + extra


_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
             -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
             0.00085092367, -1.5247877e-07))


def _gamma_grad_one(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) held fixed in the cdf (implicit reparameterization), in double:
    a series for small x, Rice's saddle point for large alpha, a fitted rational function otherwise."""
    if x < 0.8:
        numer, denom = 1.0, alpha
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = x ** alpha
        gamma_pdf = x ** (alpha - 1) * math.exp(-x)
        gamma_cdf = pow_x_alpha * series1
        cdf_alpha = (math.log(x) - _digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
        result = -cdf_alpha / gamma_pdf if gamma_pdf else math.nan
        return 0.0 if math.isnan(result) else result
    if alpha > 8.0:
        if 0.9 * alpha <= x <= 1.1 * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = 1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
            return numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = (x - alpha - alpha * math.log(x / alpha)) ** -1.5
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = math.log(x / alpha) * term23 - math.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        return -stirling * x * term1 / denom
    u, v = math.log(x / alpha), math.log(alpha)
    cv = [_COEF_UV[0][i] + u * (_COEF_UV[1][i] + u * _COEF_UV[2][i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    return math.exp(p / q)


class StandardGamma(ember.autograd.Function):
    """torch._standard_gamma with its implicit reparameterization gradient."""

    @staticmethod
    def forward(ctx, alpha):
        x = standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        a, s = alpha.detach().numpy(), x.detach().numpy()
        g = [_gamma_grad_one(ai, xi) for ai, xi in zip(a.astype(np.float64).reshape(-1).tolist(),
                                                       s.astype(np.float64).reshape(-1).tolist())]
        return grad * ember.from_numpy(np.array(g, np.float64).astype(a.dtype).reshape(a.shape))


# a native ATen op in PyTorch: its graph node carries ATen's name
StandardGamma._backward_cls.__name__ = StandardGamma._backward_cls.__qualname__ = "StandardGammaBackward0"


def _finite_or_zero(v):
    return 0.0 if math.isnan(v) else v


def _log(v, f):
    # double goes through glibc like PyTorch's std::log; float32 through NumPy's logf (may differ in the last bit)
    return math.log(v) if f is np.float64 else np.log(v)


def _pow(a, b, f):
    return float(a) ** float(b) if f is np.float64 else np.power(a, b)


def _beta_grad_alpha_small(x, alpha, beta, f):
    """d x / d alpha for x ~ Beta(alpha, beta) near 0: Taylor series, in the input's precision `f` (PyTorch's
    scalar_t: float32 inputs run these steps in float32)."""
    x, alpha, beta = f(x), f(alpha), f(beta)
    factor = f(_digamma(float(alpha), f)) - f(_digamma(float(alpha + beta), f)) - _log(x, f)
    numer = f(1)
    series = numer / alpha * (factor + f(1) / alpha)
    for i in range(1, 11):
        numer *= (f(i) - beta) * x / f(i)
        denom = alpha + f(i)
        series += numer / denom * (factor + f(1) / denom)
    return _finite_or_zero(float(x * _pow(f(1) - x, -beta, f) * series))


def _beta_grad_beta_small(x, alpha, beta, f):
    """d x / d beta for x ~ Beta(alpha, beta) near 0: Taylor series, in the input's precision `f`."""
    x, alpha, beta = f(x), f(alpha), f(beta)
    factor = f(_digamma(float(alpha + beta), f)) - f(_digamma(float(beta), f))
    numer, betas, dbetas, series = f(1), f(1), f(0), factor / alpha
    for i in range(1, 9):
        numer *= -x / f(i)
        dbetas = dbetas * (beta - f(i)) + betas
        betas = betas * (beta - f(i))
        series += numer / (alpha + f(i)) * (dbetas + factor * betas)
    return _finite_or_zero(float(-_pow(f(1) - x, f(1) - beta, f) * series))


def _beta_grad_alpha_mid(x, alpha, beta):
    """d x / d alpha for large alpha and beta: Rice saddle point expansion."""
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:  # avoid the singularity at x = mean
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (8 * (1 - x) * (135 * beta - 11)))))
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1 = term1_num / (math.sqrt(2 * alpha / beta) * total ** 1.5 * axbx * axbx)
    term2 = 0.5 * math.log(alpha / (total * x))
    term3 = math.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = (beta * math.log(beta / (total * (1 - x))) + alpha * math.log(alpha / (total * x))) ** -1.5
    return stirling * prefactor * (term1 + term2 * (term3 + (term4 if x < mean else -term4)))


# coefficients of PyTorch's rational correction for the Dirichlet gradient ([p or q][i][j][powers of b])
_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def _dirichlet_grad_one(x, alpha, total, f):
    """-(d/d alpha cdf(x; alpha, total - alpha)) / pdf / (1 - x) for x ~ Beta(alpha, total - alpha); the series
    branches run in the input's precision `f`, the others in double, as PyTorch's kernel."""
    beta = float(f(total) - f(alpha))
    boundary = float(f(total) * f(x) * (f(1) - f(x)))
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta, f)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(float(f(1) - f(x)), beta, alpha, f)
    beta = total - alpha
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u, pow_a = (1.0, u, u * u), (1.0, a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p += ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q += ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma(total, f) - _digamma(alpha, f)) / beta
    return p / q * approx


def dirichlet_grad(x, concentration, total):
    """torch._dirichlet_grad for same-shaped tensors (computed in double, returned in x's dtype)."""
    xs, cs, ts = (np.broadcast_to(v.detach().numpy(), x.shape).astype(np.float64).reshape(-1).tolist()
                  for v in (x, concentration, total))
    dtype = x.detach().numpy().dtype
    f = np.float32 if dtype != np.float64 else np.float64
    with np.errstate(all="ignore"):  # NaN results become 0, as PyTorch's
        out = np.array([_dirichlet_grad_one(a, b, c, f) for a, b, c in zip(xs, cs, ts)], np.float64)
    return ember.from_numpy(out.astype(dtype).reshape(tuple(x.shape)))
