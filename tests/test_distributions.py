"""ember.distributions against torch.distributions: parameters, moments, log_prob/entropy/cdf, sample and
rsample streams (bit for bit), shapes under expand, gradients, validation errors and the KL table."""

import math

import numpy as np
import pytest
import torch
from harness import _torch_exc_type, assert_same, compare_grad, to_numpy

import ember
import ember.distributions  # noqa: F401  (until ember's lazy modules list "distributions")

EXACT = {"rtol": 0, "atol": 0}
# PyTorch's Wishart.rsample warns on every draw (it redraws samples that pass its check); ember mirrors that
pytestmark = pytest.mark.filterwarnings("ignore:Singular sample detected")


def run(fn, seed=0):
    """fn(m, D) with m = torch then ember and D its distributions module, each from the same seed."""
    out = []
    for m in (torch, ember):
        m.manual_seed(seed)
        try:
            out.append((fn(m, m.distributions), None))
        except Exception as e:  # noqa: BLE001 - exceptions are compared too
            out.append((None, e))
    return out


def check(fn, exact=False, message=None, seed=0, rtol=None, atol=None):
    """Same result (values equal when `exact`) or the same exception type (and message words)."""
    (expected, texc), (actual, eexc) = run(fn, seed)
    if texc is not None:
        assert eexc is not None, f"torch raised {type(texc).__name__}: {texc}; ember returned {actual!r}"
        assert isinstance(eexc, _torch_exc_type(texc)), f"torch: {texc!r}; ember: {eexc!r}"
        if message is True:
            # class reprs in messages name the module: ember.distributions... vs torch.distributions...
            assert str(eexc).replace("ember.", "torch.") == str(texc), f"\n ember: {eexc}\n torch: {texc}"
        elif message:
            assert message in str(texc) and message in str(eexc), f"\n ember: {eexc}\n torch: {texc}"
        return None
    if eexc is not None:
        raise AssertionError(f"ember raised {eexc!r}; torch returned {expected!r}") from eexc
    assert_same(actual, expected, **(EXACT if exact else {"rtol": rtol, "atol": atol}))
    return actual


def t(m, values, dtype=None):
    return m.tensor(values, dtype=getattr(m, dtype) if dtype else None)


SPD = [[2.0, 0.5, 0.1], [0.5, 1.5, 0.3], [0.1, 0.3, 1.0]]
TRIL = np.linalg.cholesky(np.array(SPD)).tolist()

# name -> builder(m, D); parameters are batched and broadcast where the distribution allows it
DISTRIBUTIONS = {
    "normal": lambda m, D: D.Normal(t(m, [[0.0, 1.0, -2.0], [0.5, 0.0, 3.0]]), t(m, [1.0, 0.5, 2.0])),
    "normal_scalar": lambda m, D: D.Normal(0.0, 1.0),
    "normal_f64": lambda m, D: D.Normal(t(m, [0.3, -1.0], "float64"), 2.0),
    "bernoulli_probs": lambda m, D: D.Bernoulli(t(m, [0.1, 0.5, 0.9, 0.3])),
    "bernoulli_logits": lambda m, D: D.Bernoulli(logits=t(m, [[-1.0, 2.0], [0.0, 0.3]])),
    "categorical_probs": lambda m, D: D.Categorical(t(m, [[0.1, 0.2, 0.3, 0.4], [1.0, 1.0, 2.0, 0.0]])),
    "categorical_logits": lambda m, D: D.Categorical(logits=t(m, [0.5, -1.0, 2.0])),
    "onehot": lambda m, D: D.OneHotCategorical(t(m, [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
    "uniform": lambda m, D: D.Uniform(t(m, [0.0, -1.0, 2.0]), t(m, [1.0, 3.0, 2.5])),
    "exponential": lambda m, D: D.Exponential(t(m, [0.5, 1.0, 4.0])),
    "laplace": lambda m, D: D.Laplace(t(m, [0.0, 1.0]), t(m, [[1.0, 2.0], [0.5, 0.1]])),
    "lognormal": lambda m, D: D.LogNormal(t(m, [0.0, 0.5]), t(m, [1.0, 0.3])),
    "mvn_cov": lambda m, D: D.MultivariateNormal(t(m, [[0.0, 1.0, 2.0], [1.0, -1.0, 0.0]]), t(m, SPD)),
    "mvn_prec": lambda m, D: D.MultivariateNormal(t(m, [0.0, 1.0, 2.0]), precision_matrix=t(m, SPD)),
    "mvn_tril": lambda m, D: D.MultivariateNormal(t(m, [0.5, 0.0, -1.0]), scale_tril=t(m, TRIL)),
    "independent": lambda m, D: D.Independent(D.Normal(t(m, [[0.0, 1.0], [2.0, 3.0]]), t(m, [1.0, 2.0])), 1),
    "poisson": lambda m, D: D.Poisson(t(m, [0.5, 3.0, 12.0, 40.0])),
    "binomial": lambda m, D: D.Binomial(10, t(m, [0.1, 0.5, 0.8])),
    "gamma": lambda m, D: D.Gamma(t(m, [0.5, 2.0, 5.0]), t(m, [1.0, 0.5, 2.0])),
    "beta": lambda m, D: D.Beta(t(m, [0.5, 2.0]), t(m, [1.5, 3.0])),
    "dirichlet": lambda m, D: D.Dirichlet(t(m, [[0.5, 1.0, 2.0], [3.0, 1.0, 1.0]])),
    "transformed": lambda m, D: D.TransformedDistribution(
        D.Normal(t(m, [0.0, 1.0]), t(m, [1.0, 0.5])),
        [D.AffineTransform(1.0, t(m, [2.0, -1.0])), D.TanhTransform()]),
    "sigmoid_normal": lambda m, D: D.TransformedDistribution(D.Normal(0.0, t(m, [1.0, 2.0])), D.SigmoidTransform()),
    "multinomial": lambda m, D: D.Multinomial(10, t(m, [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
    "geometric": lambda m, D: D.Geometric(t(m, [0.2, 0.5, 0.9])),
    "cauchy": lambda m, D: D.Cauchy(t(m, [0.0, 1.0, -1.0]), t(m, [1.0, 2.0, 0.5])),
    "halfnormal": lambda m, D: D.HalfNormal(t(m, [1.0, 2.0, 0.5])),
    "halfcauchy": lambda m, D: D.HalfCauchy(t(m, [1.0, 2.0])),
    "gumbel": lambda m, D: D.Gumbel(t(m, [0.0, 1.0, -1.0]), t(m, [1.0, 2.0, 0.5])),
    "chi2": lambda m, D: D.Chi2(t(m, [1.0, 3.0, 10.0])),
    "studentt": lambda m, D: D.StudentT(t(m, [0.5, 2.5, 10.0]), t(m, [0.0, 1.0, -1.0]), 2.0),
    "pareto": lambda m, D: D.Pareto(t(m, [1.0, 2.0, 0.5]), t(m, [3.0, 1.5, 2.5])),
    "weibull": lambda m, D: D.Weibull(t(m, [1.0, 2.0]), t(m, [0.5, 3.0])),
    "mixture": lambda m, D: D.MixtureSameFamily(D.Categorical(t(m, [0.2, 0.5, 0.3])),
                                                D.Normal(t(m, [-1.0, 0.0, 2.0]), t(m, [0.5, 1.0, 0.3]))),
    "mixture_2d": lambda m, D: D.MixtureSameFamily(
        D.Categorical(t(m, [[0.2, 0.8], [0.5, 0.5]])),
        D.Independent(D.Normal(t(m, [[[0.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, -1.0]]]), 1.0), 1)),
    "relaxed_bernoulli": lambda m, D: D.RelaxedBernoulli(t(m, 0.5), t(m, [0.1, 0.5, 0.9])),
    "negbinomial": lambda m, D: D.NegativeBinomial(t(m, [3.0, 10.0, 0.5]), t(m, [0.2, 0.5, 0.7])),
    "contbernoulli": lambda m, D: D.ContinuousBernoulli(t(m, [0.1, 0.4995, 0.8, 0.3])),
    "contbernoulli_logits": lambda m, D: D.ContinuousBernoulli(logits=t(m, [-1.0, 0.001, 2.0])),
    "inversegamma": lambda m, D: D.InverseGamma(t(m, [0.5, 2.0, 5.0]), t(m, [1.0, 0.5, 2.0])),
    "fisher": lambda m, D: D.FisherSnedecor(t(m, [1.0, 3.0, 6.0]), t(m, [2.0, 5.0, 10.0])),
    "kumaraswamy": lambda m, D: D.Kumaraswamy(t(m, [0.5, 2.0, 1.0]), t(m, [2.0, 0.7, 3.0])),
    "logistic_normal": lambda m, D: D.LogisticNormal(t(m, [[0.0, 1.0], [0.5, -1.0]]), t(m, [1.0, 0.5])),
    "lowrank_mvn": lambda m, D: D.LowRankMultivariateNormal(
        t(m, [[0.0, 1.0, 2.0], [1.0, -1.0, 0.0]]), t(m, [[1.0, 0.0], [0.5, 1.0], [0.2, -0.3]]), t(m, [1.0, 0.5, 2.0])),
    "gen_pareto": lambda m, D: D.GeneralizedPareto(t(m, [0.0, 1.0, -1.0]), t(m, [1.0, 2.0, 0.5]),
                                                   t(m, [0.3, 0.0, -0.2])),
    "von_mises": lambda m, D: D.VonMises(t(m, [0.0, 1.0, -2.0]), t(m, [0.5, 4.0, 30.0])),
    "lkj": lambda m, D: D.LKJCholesky(3, t(m, [0.5, 2.0])),
    "wishart": lambda m, D: D.Wishart(t(m, [4.0, 5.0]), t(m, SPD)),
    "wishart_tril": lambda m, D: D.Wishart(3.5, scale_tril=t(m, [[1.0, 0.0], [0.5, 2.0]])),
    "relaxed_onehot": lambda m, D: D.RelaxedOneHotCategorical(t(m, 0.7), t(m, [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
}
NAMES = list(DISTRIBUTIONS)
# the random draws are torch's bit for bit everywhere; these then apply exp/log1p/tanh/matmul, whose last bit
# may differ from torch's vectorized kernels, so their values are compared to 1 ulp (and the generator state after
# sampling exactly)
ULP_SAMPLES = {"laplace", "lognormal", "mvn_cov", "mvn_prec", "mvn_tril", "transformed", "sigmoid_normal", "gumbel",
               "studentt", "pareto", "weibull", "relaxed_bernoulli", "relaxed_onehot", "contbernoulli",
               "contbernoulli_logits", "inversegamma", "fisher", "kumaraswamy", "logistic_normal", "lowrank_mvn",
               "gen_pareto", "von_mises", "lkj", "wishart", "wishart_tril"}

# 1 - |w|^2 under a square root (LKJ's diagonal) and chained matmuls (Wishart) magnify those last bits
LOOSER_SAMPLES = {"lkj": {"rtol": 1e-5, "atol": 1e-5}, "wishart": {"rtol": 1e-6, "atol": 1e-6}}


def check_sample(name, draw, seed=0):
    """draw(m, D) -> a sample; the values equal torch's (to 1 ulp for ULP_SAMPLES) and the generator is left in
    the same state (the next uniform draws are equal)."""
    tol = LOOSER_SAMPLES.get(name, {"rtol": 3e-7, "atol": 1e-7} if name in ULP_SAMPLES else {"exact": True})
    check(lambda m, D: m.rand(3) if draw(m, D) is not None else None, exact=True, seed=seed)
    return check(draw, seed=seed, **tol)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_moments(name):
    build = DISTRIBUTIONS[name]
    check(lambda m, D: (build(m, D).batch_shape, build(m, D).event_shape))
    for attr in ("mean", "variance", "stddev", "mode"):
        check(lambda m, D: getattr(build(m, D), attr), message=True)
    check(lambda m, D: build(m, D).entropy(), atol=1e-5, rtol=1e-5)
    check(lambda m, D: (build(m, D).has_rsample, build(m, D).has_enumerate_support))
    check(lambda m, D: repr(build(m, D)))
    check(lambda m, D: repr(build(m, D).support))


@pytest.mark.parametrize("name", NAMES)
def test_sample_streams_are_torchs(name):
    build = DISTRIBUTIONS[name]
    check_sample(name, lambda m, D: build(m, D).sample((5,)))
    check_sample(name, lambda m, D: build(m, D).sample())
    check_sample(name, lambda m, D: build(m, D).sample((2, 3)))
    check_sample(name, lambda m, D: build(m, D).rsample((4,)))


@pytest.mark.parametrize("name", NAMES)
def test_log_prob_cdf_icdf(name):
    build = DISTRIBUTIONS[name]
    torch.manual_seed(3)  # values from torch's sampler (test_sample_streams_are_torchs compares ember's)
    value = to_numpy(build(torch, torch.distributions).sample((4,)))

    def score(method):
        return lambda m, D: getattr(build(m, D), method)(m.from_numpy(value.copy()) if m is ember
                                                          else torch.from_numpy(value.copy()))

    check(score("log_prob"), rtol=1e-5, atol=1e-5)
    check(score("cdf"), rtol=1e-5, atol=1e-5)
    check(lambda m, D: build(m, D).icdf(m.full(build(m, D).batch_shape, 0.3)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_expand(name):
    build = DISTRIBUTIONS[name]

    def expanded(m, D):
        d = build(m, D)
        return d.expand((2,) + tuple(d.batch_shape))

    check(lambda m, D: (expanded(m, D).batch_shape, expanded(m, D).event_shape, expanded(m, D).mean))
    check_sample(name, lambda m, D: expanded(m, D).sample((3,)))


def test_enumerate_support():
    for name in ("bernoulli_probs", "categorical_probs", "onehot", "binomial"):
        build = DISTRIBUTIONS[name]
        check(lambda m, D: build(m, D).enumerate_support(), exact=True)
        check(lambda m, D: build(m, D).enumerate_support(expand=False), exact=True)


def test_rsample_gradients():
    loc, scale = np.array([0.5, -1.0, 2.0], np.float32), np.array([1.0, 0.3, 2.0], np.float32)

    def seeded(fn):
        def wrapped(m, *args):
            m.manual_seed(0)
            return fn(m, m.distributions, *args)
        return wrapped

    compare_grad(seeded(lambda m, D, a, b: D.Normal(a, b).rsample((4,))), loc, scale)
    compare_grad(seeded(lambda m, D, a, b: D.Laplace(a, b).rsample((4,))), loc, scale)
    compare_grad(seeded(lambda m, D, a, b: D.Uniform(a, a + b).rsample((4,))), loc, scale)
    compare_grad(seeded(lambda m, D, a, b: D.Exponential(b).rsample((2,))), loc, scale)
    compare_grad(seeded(lambda m, D, a, b: D.LogNormal(a, b).rsample((2,))), loc, scale)
    tril = np.array(TRIL, np.float32)
    compare_grad(seeded(lambda m, D, a, L: D.MultivariateNormal(a, scale_tril=L).rsample((2,))), loc, tril,
                 rtol=1e-5, atol=1e-5)
    compare_grad(seeded(lambda m, D, a, b: D.Gamma(b, a.exp()).rsample((3,))), loc, scale,
                 rtol=1e-5, atol=1e-6)
    compare_grad(seeded(lambda m, D, a, b: D.Gamma(b * 9, 1.0).rsample((3,))), loc, scale,
                 rtol=1e-5, atol=1e-6)  # large concentrations take the saddle-point gradient
    compare_grad(seeded(lambda m, D, a, b: D.TransformedDistribution(
        D.Normal(a, b), [D.AffineTransform(0.5, 2.0), D.SigmoidTransform()]).rsample((2,))), loc, scale)


def test_gamma_family_samplers_many_elements():
    """torch._standard_gamma / _sample_dirichlet / binomial streams over varied parameters, both dtypes."""
    rng = np.random.default_rng(0)
    conc = rng.uniform(0.01, 12.0, 300)
    counts, probs = rng.integers(0, 120, 300).astype(float), rng.uniform(0.0, 1.0, 300)
    for dtype in ("float32", "float64"):
        check_sample("gamma", lambda m, D: D.Gamma(t(m, conc.tolist(), dtype), 1.0).sample((2,)))
        check_sample("dirichlet", lambda m, D: D.Dirichlet(t(m, conc.reshape(-1, 3).tolist(), dtype)).sample())
        check_sample("binomial", lambda m, D: D.Binomial(t(m, counts.tolist(), dtype),
                                                         t(m, probs.tolist(), dtype)).sample())


def test_wishart_warns_like_torch():
    for m in (torch, ember):
        with pytest.warns(UserWarning, match="Singular sample detected"):
            m.distributions.Wishart(4.0, m.eye(2)).rsample()


def test_dirichlet_and_beta_rsample_gradients():
    def seeded(fn):
        def wrapped(m, *args):
            m.manual_seed(0)
            return fn(m, m.distributions, *args)
        return wrapped

    conc = np.array([[0.3, 2.0, 7.5], [12.0, 9.0, 0.8], [1.0, 1.0, 1.0]])
    # float64 follows PyTorch's double kernel step for step; float32 runs its float series to within ~1e-5
    compare_grad(seeded(lambda m, D, c: D.Dirichlet(c).rsample((4,))), conc, rtol=1e-12,
                 atol=1e-12)
    compare_grad(seeded(lambda m, D, c: D.Dirichlet(c).rsample((4,))), conc.astype(np.float32),
                 rtol=1e-4, atol=1e-5)
    compare_grad(seeded(lambda m, D, a, b: D.Beta(a, b).rsample((5,))), conc[0], conc[1],
                 rtol=1e-12, atol=1e-12)


def test_gamma_cdf_incomplete_gamma():
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.uniform(1e-3, 5, 200), rng.uniform(5, 300, 200), [0.5, 2.0, 1.0, 3.0]])
    x = np.concatenate([rng.uniform(0, 12, 200), rng.uniform(0, 400, 200), [0.0, np.inf, 1e-8, 50.0]])
    check(lambda m, D: D.Gamma(m.from_numpy(a.copy()) if m is ember else torch.from_numpy(a.copy()), 1.0,
                               validate_args=False).cdf(m.tensor(x.tolist(), dtype=m.float64)), rtol=1e-7, atol=1e-12)

    def grad_of_concentration(m, D):
        c = m.tensor([2.0], requires_grad=True)
        D.Gamma(c, 1.0).cdf(m.tensor([0.5])).sum().backward()

    check(grad_of_concentration, message=True)


def test_log_prob_and_entropy_gradients():
    loc, scale = np.array([0.5, -1.0, 2.0], np.float32), np.array([1.0, 0.3, 2.0], np.float32)
    x = [0.2, 0.1, 1.5]
    compare_grad(lambda m, a, b: m.distributions.Normal(a, b).log_prob(m.tensor(x)), loc, scale)
    compare_grad(lambda m, a, b: m.distributions.Normal(a, b).entropy(), loc, scale)
    compare_grad(lambda m, a, b: m.distributions.Laplace(a, b).log_prob(m.tensor(x)), loc, scale)
    compare_grad(lambda m, a, b: m.distributions.Gamma(b, b + 1).log_prob(m.tensor(x)), loc, scale)
    compare_grad(lambda m, a, b: m.distributions.Gamma(b.detach() + 0.5, b + 1).cdf(m.tensor(x)), loc, scale,
                 rtol=1e-5, atol=1e-6)
    compare_grad(lambda m, a, b: m.distributions.Bernoulli(logits=a).log_prob(m.tensor([1.0, 0.0, 1.0])), loc,
                 scale)
    compare_grad(lambda m, a, b: m.distributions.Categorical(logits=a).log_prob(m.tensor([0, 2])), loc, scale)
    compare_grad(lambda m, a, b: m.distributions.Beta(b, b + 0.5).entropy(), loc, scale,
                 rtol=1e-5, atol=1e-5)
    cov = np.array(SPD, np.float32)
    compare_grad(lambda m, a, c: m.distributions.MultivariateNormal(a, c).log_prob(m.tensor(x)), loc, cov,
                 rtol=1e-4, atol=1e-5)


KL_PAIRS = [
    ("normal", "normal"), ("bernoulli_probs", "bernoulli_logits"), ("categorical_probs", "categorical_probs"),
    ("onehot", "onehot"), ("uniform", "uniform"), ("exponential", "exponential"), ("laplace", "laplace"),
    ("mvn_cov", "mvn_tril"), ("mvn_prec", "mvn_cov"), ("independent", "independent"), ("poisson", "poisson"),
    ("binomial", "binomial"), ("gamma", "gamma"), ("beta", "beta"), ("dirichlet", "dirichlet"),
    ("lognormal", "lognormal"), ("normal", "laplace"), ("laplace", "normal"), ("uniform", "normal"),
    ("exponential", "normal"), ("gamma", "normal"), ("beta", "normal"), ("normal", "uniform"),
    ("uniform", "exponential"), ("exponential", "gamma"), ("gamma", "exponential"), ("uniform", "gamma"),
    ("uniform", "beta"), ("beta", "uniform"), ("beta", "gamma"), ("beta", "exponential"),
    ("bernoulli_probs", "poisson"), ("poisson", "bernoulli_probs"), ("normal", "exponential"),
    ("geometric", "geometric"), ("halfnormal", "halfnormal"), ("gumbel", "gumbel"), ("pareto", "pareto"),
    ("cauchy", "cauchy"), ("exponential", "gumbel"), ("gamma", "gumbel"), ("normal", "gumbel"), ("gumbel", "normal"),
    ("uniform", "gumbel"), ("pareto", "exponential"), ("pareto", "gamma"), ("pareto", "normal"),
    ("uniform", "pareto"), ("normal", "pareto"), ("gumbel", "uniform"), ("chi2", "chi2"), ("chi2", "gamma"),
    ("contbernoulli", "contbernoulli_logits"), ("uniform", "contbernoulli"), ("beta", "contbernoulli"),
    ("contbernoulli_logits", "normal"), ("contbernoulli_logits", "uniform"), ("contbernoulli_logits", "exponential"),
    ("normal", "contbernoulli_logits"), ("lowrank_mvn", "lowrank_mvn"), ("mvn_cov", "lowrank_mvn"),
    ("lowrank_mvn", "mvn_tril"),
]


# the second distribution of a pair, re-parameterized so that p and q differ
def _other(name):
    return {
        "normal": lambda m, D: D.Normal(t(m, [1.0, 0.0, 0.5]), t(m, [2.0, 1.0, 0.5])),
        "bernoulli_logits": lambda m, D: D.Bernoulli(logits=t(m, [0.3, -1.0, 2.0, 0.0])),
        "categorical_probs": lambda m, D: D.Categorical(t(m, [0.4, 0.3, 0.2, 0.1])),
        "onehot": lambda m, D: D.OneHotCategorical(logits=t(m, [0.1, 0.0, -1.0])),
        "uniform": lambda m, D: D.Uniform(t(m, [-1.0, -2.0, 0.5]), t(m, [2.0, 3.0, 4.0])),
        "mvn_tril": lambda m, D: D.MultivariateNormal(t(m, [0.0, 0.0, 1.0]), scale_tril=t(m, TRIL) * 1.5),
        "mvn_cov": lambda m, D: D.MultivariateNormal(t(m, [1.0, 0.0, 1.0]), t(m, SPD) * 0.5),
        "binomial": lambda m, D: D.Binomial(10, t(m, [0.3, 0.5, 0.6])),
        "poisson": lambda m, D: D.Poisson(t(m, [1.0])),
        "exponential": lambda m, D: D.Exponential(t(m, [2.0])),
        "gamma": lambda m, D: D.Gamma(t(m, [1.5]), t(m, [0.7])),
        "beta": lambda m, D: D.Beta(t(m, [2.0, 0.5]), t(m, [1.0, 1.0])),
        "bernoulli_probs": lambda m, D: D.Bernoulli(t(m, [0.3, 0.6, 0.2, 0.9])),
        "geometric": lambda m, D: D.Geometric(logits=t(m, [0.0, 1.0, -2.0])),
        "halfnormal": lambda m, D: D.HalfNormal(t(m, [2.0, 1.0, 1.0])),
        "gumbel": lambda m, D: D.Gumbel(t(m, [1.0, 0.0, 0.5]), t(m, [2.0, 1.0, 0.5])),
        "pareto": lambda m, D: D.Pareto(t(m, [0.5, 2.5, 0.5]), t(m, [1.0, 1.5, 4.0])),
        "cauchy": lambda m, D: D.Cauchy(t(m, [1.0, 0.0, 0.0]), t(m, [0.5, 2.0, 3.0])),
        "chi2": lambda m, D: D.Chi2(t(m, [2.0, 2.0, 5.0])),
        "contbernoulli_logits": lambda m, D: D.ContinuousBernoulli(logits=t(m, [0.5, -0.3, 0.0])),
        "contbernoulli": lambda m, D: D.ContinuousBernoulli(t(m, [0.3, 0.5, 0.9])),
        "lowrank_mvn": lambda m, D: D.LowRankMultivariateNormal(t(m, [0.5, 0.0, 1.0]), t(m, [[0.3], [1.0], [0.0]]),
                                                                t(m, [2.0, 1.0, 0.5])),
    }.get(name, DISTRIBUTIONS[name])


@pytest.mark.parametrize("p,q", KL_PAIRS, ids=["-".join(pq) for pq in KL_PAIRS])
def test_kl_divergence(p, q):
    check(lambda m, D: D.kl_divergence(DISTRIBUTIONS[p](m, D), _other(q)(m, D)), rtol=1e-5, atol=1e-5)


def test_kl_errors_and_registration():
    check(lambda m, D: D.kl_divergence(D.Poisson(t(m, [1.0])), D.Laplace(0.0, 1.0)), message=True)
    check(lambda m, D: D.kl_divergence(D.Poisson(t(m, [1.0])), D.Exponential(1.0)),
          message="The cross KL-divergence between different exponential families cannot")

    class MyNormal(ember.distributions.Normal):
        pass

    p = MyNormal(ember.tensor([0.0]), ember.tensor([1.0]))
    q = ember.distributions.Normal(ember.tensor([1.0]), ember.tensor([2.0]))
    before = ember.distributions.kl_divergence(p, q)  # found through the (Normal, Normal) entry
    assert before.item() == pytest.approx(math.log(2) + 2 / 8 - 0.5, rel=1e-6)

    @ember.distributions.register_kl(MyNormal, ember.distributions.Normal)
    def _kl_mine(p, q):
        return ember.zeros(1)

    assert ember.distributions.kl_divergence(p, q).item() == 0.0


def test_validation_errors():
    check(lambda m, D: D.Normal(t(m, [0.0, 1.0]), t(m, [1.0, -1.0])), message=True)
    check(lambda m, D: D.Bernoulli(t(m, [0.5, 1.5])), message=True)
    check(lambda m, D: D.Bernoulli(), message=True)
    check(lambda m, D: D.Bernoulli(probs=0.5, logits=0.0), message=True)
    check(lambda m, D: D.Categorical(t(m, 0.5)), message=True)
    check(lambda m, D: D.Uniform(t(m, [1.0]), t(m, [0.0])), message=True)
    check(lambda m, D: D.MultivariateNormal(t(m, [0.0, 0.0]), t(m, [[1.0, 2.0], [2.0, 1.0]])), message="Expected")
    check(lambda m, D: D.MultivariateNormal(t(m, [0.0, 0.0])), message=True)
    check(lambda m, D: D.MultivariateNormal(t(m, 0.0), t(m, [[1.0]])), message=True)
    check(lambda m, D: D.Normal(0.0, 1.0).log_prob(1.0), message=True)
    check(lambda m, D: D.Normal(t(m, [0.0, 1.0]), 1.0).log_prob(m.zeros(3)), message=True)
    check(lambda m, D: D.Exponential(t(m, [1.0])).log_prob(t(m, [-1.0])), message=True)
    check(lambda m, D: D.Categorical(logits=m.zeros(3)).log_prob(t(m, [3])), message=True)
    check(lambda m, D: D.Independent(D.Normal(0.0, 1.0), 1), message=True)
    check(lambda m, D: D.Normal(0.0, "a"), message=True)
    check(lambda m, D: D.Geometric(t(m, [0.5, 0.0])), message=True)
    check(lambda m, D: D.ContinuousBernoulli(t(m, [1.5]), validate_args=True), message=True)
    check(lambda m, D: D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(m.zeros(2), 1.0)), message=True)
    check(lambda m, D: D.MixtureSameFamily(D.Categorical(m.ones(3)), D.Normal(m.zeros(2), 1.0)), message=True)
    check(lambda m, D: D.LKJCholesky(1), message=True)
    check(lambda m, D: D.Wishart(1.0, m.eye(3)), message=True)
    check(lambda m, D: D.LowRankMultivariateNormal(m.zeros(3), m.ones(2, 1), m.ones(3)), message=True)
    check(lambda m, D: D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(2)), message=True)
    check(lambda m, D: D.Multinomial(t(m, 3), t(m, [0.5, 0.5])), message=True)
    check(lambda m, D: D.Binomial(t(m, [2.0, 3.0]), t(m, [0.5, 0.5])).entropy(), message=True)
    check(lambda m, D: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"), message=True)
    check(lambda m, D: D.kl_divergence(D.Binomial(3, t(m, [0.5])), D.Binomial(5, t(m, [0.5]))), message=True)
    check(lambda m, D: D.Independent(D.Bernoulli(m.full((2,), 0.5)), 1).enumerate_support(), message=True)
    # with validation off, bad parameters pass and log_prob of values outside the support is computed
    check(lambda m, D: D.Exponential(t(m, [1.0]), validate_args=False).log_prob(t(m, [-1.0])))
    check(lambda m, D: D.Normal(0.0, -1.0, validate_args=False).scale)


def test_set_default_validate_args():
    for m in (torch, ember):
        D = m.distributions
        try:
            D.Distribution.set_default_validate_args(False)
            assert D.Normal(0.0, -1.0).scale.item() == -1.0
        finally:
            D.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            D.Normal(0.0, -1.0)
        with pytest.raises(ValueError):
            D.Distribution.set_default_validate_args(2)


def test_transforms():
    x = [-2.0, -0.5, 0.0, 0.7, 3.0]
    for build in (lambda D, m: D.ExpTransform(), lambda D, m: D.SigmoidTransform(), lambda D, m: D.TanhTransform(),
                  lambda D, m: D.AffineTransform(1.0, -2.0), lambda D, m: D.SoftplusTransform(),
                  lambda D, m: D.AffineTransform(t(m, [0.5]), t(m, [3.0])),
                  lambda D, m: D.ComposeTransform([D.AffineTransform(0.0, 0.5), D.ExpTransform()])):
        def run_transform(m, D, build=build):
            tr = build(D, m)
            xs = t(m, x)
            y = tr(xs)
            return y, tr.inv(y), tr.log_abs_det_jacobian(xs, y), tr.inv.log_abs_det_jacobian(y, xs)

        check(run_transform, rtol=1e-5, atol=1e-5)
        check(lambda m, D, build=build: (repr(build(D, m)), repr(build(D, m).inv), build(D, m).sign,
                                         repr(build(D, m).domain), repr(build(D, m).codomain)))
    check(lambda m, D: D.ExpTransform() == D.ExpTransform())
    check(lambda m, D: D.AffineTransform(0.0, 2.0) == D.AffineTransform(0.0, 2.0))
    check(lambda m, D: D.AffineTransform(0.0, 2.0) == D.AffineTransform(0.0, 3.0))


VECTOR_TRANSFORMS = {
    "softmax": (lambda m, D: D.SoftmaxTransform(), [[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]),
    "stick": (lambda m, D: D.StickBreakingTransform(), [[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]]),
    "lower_cholesky": (lambda m, D: D.LowerCholeskyTransform(), [[0.5, 9.0], [-1.0, 0.2]]),
    "positive_definite": (lambda m, D: D.PositiveDefiniteTransform(), [[0.5, 9.0], [-1.0, 0.2]]),
    "corr_cholesky": (lambda m, D: D.CorrCholeskyTransform(), [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]]),
    "reshape": (lambda m, D: D.ReshapeTransform((2, 3), (3, 2)), [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]]),
    "cat": (lambda m, D: D.CatTransform([D.ExpTransform(), D.SigmoidTransform()], dim=-1, lengths=[1, 2]),
            [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]]),
    "stack": (lambda m, D: D.StackTransform([D.ExpTransform(), D.TanhTransform()], dim=0),
              [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]]),
    "cdf": (lambda m, D: D.CumulativeDistributionTransform(D.Normal(0.0, 2.0)), [[0.5, -1.0, 2.0]]),
}


@pytest.mark.parametrize("name", list(VECTOR_TRANSFORMS))
def test_vector_transforms(name):
    build, x = VECTOR_TRANSFORMS[name]

    def forward(m, D):
        tr = build(m, D)
        xs = t(m, x)
        y = tr(xs)
        out = [y, tr.inv(y)]
        if name not in ("softmax", "lower_cholesky", "positive_definite"):  # torch has no log|det J| for these
            out.append(tr.log_abs_det_jacobian(xs, y))
        return out

    check(forward, rtol=1e-5, atol=1e-6)
    check(lambda m, D: (repr(build(m, D).domain), repr(build(m, D).codomain), build(m, D).bijective))
    check(lambda m, D: (build(m, D).forward_shape(m.Size((2, 3))), build(m, D).inverse_shape(m.Size((2, 3)))))


CONSTRAINTS_TO_TRANSFORM = ["real", "positive", "nonnegative", "unit_interval", "simplex", "lower_cholesky",
                            "positive_definite", "corr_cholesky", "real_vector"]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry(registry):
    for name in CONSTRAINTS_TO_TRANSFORM + ["greater_than", "less_than", "interval"]:
        def build(m, D, name=name):
            c = {"greater_than": lambda: D.constraints.greater_than(1.5), "less_than": lambda: D.constraints.less_than(
                -1.0), "interval": lambda: D.constraints.interval(-2.0, 3.0)}.get(name, lambda: getattr(
                    D.constraints, name))()
            return getattr(D, registry)(c)

        check(lambda m, D, build=build: repr(build(m, D)), message="Cannot transform")
        check(lambda m, D, build=build: build(m, D)(t(m, [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.0, 0.0, 0.4]])),
              rtol=1e-5, atol=1e-6, message="Cannot transform")
    check(lambda m, D: getattr(D, registry)(D.constraints.boolean), message=True)


def test_constraints():
    values = [-1.0, 0.0, 0.5, 1.0, 2.0, float("nan")]
    for name in ("real", "positive", "nonnegative", "unit_interval", "boolean", "nonnegative_integer",
                 "positive_integer"):
        check(lambda m, D, name=name: getattr(D.constraints, name).check(t(m, values)), exact=True)
        check(lambda m, D, name=name: repr(getattr(D.constraints, name)))
    check(lambda m, D: D.constraints.interval(-1.0, 1.0).check(t(m, values)), exact=True)
    check(lambda m, D: D.constraints.half_open_interval(0.0, 1.0).check(t(m, values)), exact=True)
    check(lambda m, D: D.constraints.simplex.check(t(m, [[0.2, 0.8], [0.5, 0.6]])), exact=True)
    check(lambda m, D: D.constraints.lower_cholesky.check(t(m, [TRIL, SPD])), exact=True)
    check(lambda m, D: D.constraints.positive_definite.check(t(m, [SPD, [[1.0, 2.0], [2.0, 1.0]]])) if False
          else D.constraints.positive_definite.check(t(m, SPD)), exact=True)
    check(lambda m, D: D.constraints.independent(D.constraints.positive, 1).check(t(m, [[1.0, 2.0], [1.0, -1.0]])),
          exact=True)
    check(lambda m, D: repr(D.constraints.independent(D.constraints.real, 1)))
    check(lambda m, D: (D.constraints.is_dependent(D.Uniform.support), D.constraints.real.event_dim,
                        D.constraints.simplex.event_dim, D.constraints.boolean.is_discrete))


def test_straight_through_and_perplexity():
    check(lambda m, D: D.OneHotCategoricalStraightThrough(t(m, [0.2, 0.3, 0.5])).rsample((3,)), exact=True)
    check(lambda m, D: D.Categorical(t(m, [0.2, 0.3, 0.5])).perplexity(), rtol=1e-6, atol=1e-6)
    with pytest.warns(FutureWarning):
        check(lambda m, D: D.Normal(t(m, [0.0]), t(m, [1.0])).sample_n(3), exact=True)


def test_vae_reparameterization_step():
    """The usual VAE/policy-gradient pattern: rsample, log_prob, kl to a standard normal, backward."""
    def step(m, D):
        m.manual_seed(5)
        mu = m.tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True)
        log_var = m.tensor([[0.0, -1.0], [0.5, 0.2]], requires_grad=True)
        q = D.Normal(mu, (0.5 * log_var).exp())
        z = q.rsample()
        prior = D.Normal(m.zeros_like(mu), m.ones_like(mu))
        loss = (q.log_prob(z) - prior.log_prob(z)).sum() + D.kl_divergence(q, prior).sum()
        loss.backward()
        return z, loss, mu.grad, log_var.grad

    check(step, rtol=1e-5, atol=1e-6)
