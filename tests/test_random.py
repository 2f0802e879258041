"""Random numbers: the generator's state against PyTorch's, bit-identical streams where ember matches PyTorch's
kernels, shapes/dtypes/errors through the harness, and statistical checks for the rest."""

import pickle

import numpy as np
import pytest
import torch
from harness import compare

import ember


@pytest.fixture(autouse=True)
def same_seed_in_both_libraries():
    """Every test starts both default generators from one seed, so results never depend on test order (or on
    which xdist worker ran what before)."""
    torch.manual_seed(1234)
    ember.manual_seed(1234)

SEEDS = [0, 1, 123, 2**40 + 7]
SIZES = [1, 2, 7, 15, 16, 17, 100, 1000]


def _np(t):
    if t.dtype in (torch.bfloat16, ember.bfloat16):
        t = t.float()
    return t.numpy()


def assert_same_stream(fn, seed, *, state=True):
    """fn(module) run after manual_seed(seed) in torch and ember gives identical values and generator state."""
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    expected, actual = fn(torch), fn(ember)
    assert str(actual.dtype) == str(expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(_np(actual), _np(expected))
    if state:
        np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


# --- generator and state -------------------------------------------------------------------------------------


def test_mt19937_reference_word():
    g = ember.Generator().manual_seed(5489)
    assert int(g._words(1)[0]) == 3499211612  # mt19937's first output for the standard seed
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721


def test_seeding_paths_agree():
    """manual_seed seeds NumPy's MT19937 through its legacy seeding hook; the fallback (RandomState's key, for a
    NumPy without the hook) must give the same words, and both torch's."""
    from ember._random import _seed_bitgen

    class NoHook:  # a bit generator without _legacy_seeding
        def __init__(self):
            self.bitgen = np.random.MT19937(0)

        state = property(lambda self: self.bitgen.state, lambda self, s: setattr(self.bitgen, "state", s))

    for seed in (0, 1, 5489, 2**32 - 1, 2**32 + 3, 2**63 + 11):
        fallback = NoHook()
        _seed_bitgen(fallback, seed)
        hooked = np.random.MT19937(0)
        _seed_bitgen(hooked, seed)
        expected = torch.Generator().manual_seed(seed)
        words = [np.random.Generator(b).integers(0, 2**32, 700, dtype=np.uint32, endpoint=False)
                 for b in (fallback.bitgen, hooked)]
        np.testing.assert_array_equal(words[0], words[1])
        torch_words = torch.randint(0, 2**24, (700,), generator=expected, dtype=torch.int64).numpy()
        np.testing.assert_array_equal(words[1] % 2**24, torch_words)


@pytest.mark.parametrize("seed", SEEDS + [2**64 - 1, -1])
def test_state_layout_matches_torch(seed):
    g, tg = ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    assert g.initial_seed() == tg.initial_seed()
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
    for n in (1, 622, 1, 5000, 3):
        ember.rand(n, generator=g)
        torch.rand(n, generator=tg)
        np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
    ember.randn(3, generator=g)  # leaves a cached normal in the state
    torch.randn(3, generator=tg)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
    assert g.get_state().dtype == ember.uint8 and g.get_state().shape == (5056,)


def test_state_from_torch_continues_torch_stream():
    tg = torch.Generator().manual_seed(7)
    torch.randn(5, generator=tg)  # odd count: a normal sample is cached
    g = ember.Generator().set_state(ember.from_numpy(tg.get_state().numpy().copy()))
    np.testing.assert_array_equal(ember.randn(3, generator=g).numpy(), torch.randn(3, generator=tg).numpy())
    np.testing.assert_array_equal(ember.rand(9, generator=g).numpy(), torch.rand(9, generator=tg).numpy())
    # and back: ember's state drives torch
    tg2 = torch.Generator()
    tg2.set_state(torch.from_numpy(g.get_state().numpy().copy()))
    np.testing.assert_array_equal(ember.rand(4, generator=g).numpy(), torch.rand(4, generator=tg2).numpy())


def test_get_set_state_round_trip():
    ember.manual_seed(3)
    ember.rand(10)
    state = ember.get_rng_state()
    a = ember.randn(5)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), ember.randn(5).numpy())
    g = ember.Generator()
    g.set_state(state)
    np.testing.assert_array_equal(a.numpy(), ember.randn(5, generator=g).numpy())


def test_determinism_and_independent_generators():
    ember.manual_seed(11)
    a = ember.rand(20)
    g = ember.Generator().manual_seed(11)
    b = ember.rand(20, generator=g)
    c = ember.rand(20)  # the default generator moved on, untouched by g
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    ember.manual_seed(11)
    np.testing.assert_array_equal(a.numpy(), ember.rand(20).numpy())


def test_seed_functions():
    assert isinstance(ember.manual_seed(5), ember.Generator)
    assert ember.manual_seed(5) is ember.default_generator
    assert ember.initial_seed() == 5
    s = ember.seed()
    assert 0 <= s < 2**64 and ember.initial_seed() == s
    g = ember.Generator()
    assert g.manual_seed(9) is g and g.device == ember.device("cpu")
    s = g.seed()
    assert g.initial_seed() == s
    assert ember.random.initial_seed() == ember.initial_seed()
    ember.random.manual_seed(4)
    assert ember.initial_seed() == 4


def test_generator_pickles():
    g = ember.Generator().manual_seed(4)
    ember.rand(3, generator=g)
    g2 = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(ember.rand(5, generator=g).numpy(), ember.rand(5, generator=g2).numpy())


@pytest.mark.parametrize("bad", [1.5, "3", True])
def test_manual_seed_type_errors(bad):
    with pytest.raises(RuntimeError) as t_err:
        torch.Generator().manual_seed(bad)
    with pytest.raises(RuntimeError) as e_err:
        ember.Generator().manual_seed(bad)
    assert str(e_err.value) == str(t_err.value)


def test_module_manual_seed_takes_int_of_argument():
    for value in (3.7, "3", True):
        torch.manual_seed(value)
        ember.manual_seed(value)
        assert ember.initial_seed() == torch.initial_seed()


def test_manual_seed_overflow():
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            torch.Generator().manual_seed(bad)
        with pytest.raises(ValueError):
            ember.Generator().manual_seed(bad)


def test_set_state_errors():
    compare(lambda m: m.set_rng_state(m.zeros(5, dtype=m.uint8)), message=True)
    compare(lambda m: m.set_rng_state(m.zeros(5056, dtype=m.int64)), message=True)
    compare(lambda m: m.set_rng_state(m.zeros(5056, dtype=m.uint8)), message=True)
    with pytest.raises(TypeError):
        ember.set_rng_state([1, 2])
    with pytest.raises(TypeError):
        ember.rand(3, generator=5)


def test_fork_rng_restores():
    ember.manual_seed(2)
    ember.randn(1)  # a cached normal is part of the state too
    before = ember.get_rng_state().numpy().copy()
    with ember.random.fork_rng():
        ember.rand(100)
        ember.randn(3)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), before)
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    assert not np.array_equal(ember.get_rng_state().numpy(), before)
    with pytest.raises(ZeroDivisionError), ember.random.fork_rng(devices=[]):
        ember.rand(5)
        raise ZeroDivisionError
    ember.set_rng_state(ember.from_numpy(before))


# --- bit-identical streams -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_stream(seed, dtype):
    for n in list(range(1, 21)) + [100, 1000]:
        assert_same_stream(lambda m: m.rand(n, dtype=getattr(m, dtype)), seed)
    assert_same_stream(lambda m: m.rand(3, 4, 5, dtype=getattr(m, dtype)), seed)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("bounds", [(-2, 3), (0.1, 0.7), (5, 5)])
def test_uniform_stream(dtype, bounds):
    for n in SIZES:
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(*bounds), 0)


def test_rand_like_and_noncontiguous_stream():
    x = np.zeros((4, 3), np.float64)
    assert_same_stream(lambda m: m.rand_like(m.from_numpy(x)), 0)
    assert_same_stream(lambda m: m.empty(5, 3).t().uniform_(), 1)  # fills in memory order
    assert_same_stream(lambda m: m.empty(5, 6)[:, ::2].uniform_(), 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bounds", [(0, 10), (-5, 5), (0, 3), (0, 2**28), (0, 2**31), (-(2**40), 2**40),
                                    (0, 2**62)])
def test_randint_stream(seed, bounds):
    for n in (1, 7, 100):
        assert_same_stream(lambda m: m.randint(*bounds, (n,)), seed)
    if bounds[1] <= 2**24:  # float dtypes only hold exact integers up to 2**digits
        assert_same_stream(lambda m: m.randint(*bounds, (2, 5), dtype=m.float32), seed)
    assert_same_stream(lambda m: m.randint(bounds[1], (3,)), seed)
    if bounds[1] <= 2**53:
        assert_same_stream(lambda m: m.randint_like(m.zeros(4, dtype=m.float64), *bounds), seed)
    assert_same_stream(lambda m: m.randint_like(m.zeros(4, dtype=m.int64), *bounds), seed)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                                   "float32", "float64"])
def test_random__stream(dtype):
    for n in (1, 17, 300):
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).random_(), 0)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).random_(2), 1)
        if dtype not in ("bool", "uint8"):
            assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).random_(-3, None), 2)
            assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).random_(-3, 4), 3)
    if dtype in ("int64", "float32", "float64", "bfloat16"):
        assert_same_stream(lambda m: m.empty(9, dtype=getattr(m, dtype)).random_(-(2**63), None), 4)


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_small_and_cached_stream(seed):
    # below 16 elements PyTorch draws pairs in double and caches the second value across calls
    def draws(m):
        parts = [m.randn(3), m.randn(5, dtype=m.float64), m.randn(2, 2), m.randn(1), m.randn(15)]
        return m.from_numpy(np.concatenate([_np(p).reshape(-1).astype(np.float64) for p in parts]))

    assert_same_stream(draws, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_float64_stream(seed):
    for n in SIZES + [12345]:
        assert_same_stream(lambda m: m.randn(n, dtype=m.float64), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=m.float64).normal_(2.0, 3.0), seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_small_normal_float32_stream(seed):
    for n in range(1, 16):
        assert_same_stream(lambda m: m.randn(n), seed)
        assert_same_stream(lambda m: m.normal(1.5, 0.5, (n,)), seed)
    assert_same_stream(lambda m: m.empty(20, 3).t().normal_(), seed)  # non-contiguous: the scalar path


def test_large_normal_float32_stream():
    # the 16-at-a-time fill with PyTorch's AVX2 log/sincos (more in test_random_streams.py)
    for n in (16, 17, 1000):
        assert_same_stream(lambda m: m.randn(n), 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", SEEDS)
def test_bernoulli_and_scalar_kernels_stream(seed, dtype):
    for n in (1, 7, 100):
        assert_same_stream(lambda m: m.bernoulli(m.linspace(0, 1, n, dtype=getattr(m, dtype))), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).bernoulli_(0.3), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).exponential_(2.0), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).cauchy_(1.0, 2.0), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).log_normal_(0.5, 0.7), seed)
        assert_same_stream(lambda m: m.empty(n, dtype=getattr(m, dtype)).geometric_(0.3), seed)


def test_normal_tensor_overloads_small_stream():
    mean, std = np.arange(6, dtype=np.float32).reshape(2, 3), np.full((3,), 2.0, np.float32)
    assert_same_stream(lambda m: m.normal(m.from_numpy(mean), m.from_numpy(std)), 0)
    assert_same_stream(lambda m: m.normal(m.from_numpy(mean), 0.5), 1)
    assert_same_stream(lambda m: m.normal(2.0, m.from_numpy(std)), 2)


# --- shapes, dtypes and errors against torch -------------------------------------------------------------------

SHAPE_DTYPE_CASES = [
    lambda m: m.rand(2, 3), lambda m: m.rand((2, 3)), lambda m: m.rand([]), lambda m: m.rand(0, 3),
    lambda m: m.rand(m.Size([2])), lambda m: m.rand(2, dtype=m.float64), lambda m: m.randn(4, 5),
    lambda m: m.randn(2, dtype=m.float16), lambda m: m.randn(3, dtype=m.complex64).abs() * 0,
    lambda m: m.rand(3, dtype=m.complex128).abs() * 0,
    lambda m: m.randint(5, (3,)), lambda m: m.randint(2, 5, (3,)), lambda m: m.randint(3, size=(2,)),
    lambda m: m.randint(low=1, high=3, size=(2,)), lambda m: m.randint(0, 2, (3,), dtype=m.bool) | True,
    lambda m: m.randint(5, (3,), dtype=m.float32) * 0, lambda m: m.randperm(5).sort().values,
    lambda m: m.randperm(5, dtype=m.float32).sort().values, lambda m: m.randperm(0),
    lambda m: m.normal(0.0, 1.0, (2, 3)) * 0, lambda m: m.normal(0.0, 1.0, size=(2, 3)) * 0,
    lambda m: m.normal(m.zeros(2, 1), m.ones(3)) * 0, lambda m: m.normal(m.zeros(3, dtype=m.float64), 1.0) * 0,
    lambda m: m.normal(m.zeros(3), m.ones(3, dtype=m.float64)) * 0, lambda m: m.normal(0.0, m.ones(2)) * 0,
    lambda m: m.bernoulli(m.full((3,), 0.5)) * 0, lambda m: m.bernoulli(m.zeros(3, dtype=m.float64)),
    lambda m: m.bernoulli(m.zeros(3), 0.0), lambda m: m.bernoulli(m.zeros(3, dtype=m.int64), p=1.0),
    lambda m: m.zeros(3, dtype=m.int64).bernoulli_(0.5) * 0, lambda m: m.zeros(3).bernoulli_(m.ones(1)),
    lambda m: m.multinomial(m.ones(3), 2) * 0, lambda m: m.multinomial(m.ones(3), 4, True) * 0,
    lambda m: m.multinomial(m.ones(2, 3), 3).sort().values, lambda m: m.multinomial(m.tensor([0.0, 1, 0]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 5, 0]), 3, replacement=True),
    lambda m: m.poisson(m.zeros(3)), lambda m: m.poisson(m.ones(3, dtype=m.float16)) * 0,
    lambda m: m.randn_like(m.zeros(3, dtype=m.float64)) * 0, lambda m: m.randint_like(m.zeros(3), 5) * 0,
    lambda m: m.randint_like(m.zeros(3, dtype=m.int32), 1), lambda m: m.rand(2, 3, requires_grad=True).shape,
    lambda m: m.zeros(3, dtype=m.int32).geometric_(0.5) * 0, lambda m: m.zeros(3, dtype=m.bool).random_() & False,
    lambda m: m.empty(3).exponential_(lambd=2.0) * 0,
]


@pytest.mark.parametrize("case", range(len(SHAPE_DTYPE_CASES)))
def test_shapes_and_dtypes(case):
    compare(lambda m: SHAPE_DTYPE_CASES[case](m))


def test_requires_grad_and_out():
    assert ember.rand(2, requires_grad=True).requires_grad
    out = ember.empty(0, dtype=ember.float64)
    res = ember.rand(3, out=out)
    assert res is out and out.shape == (3,) and out.dtype == ember.float64
    compare(lambda m: m.randint(3, (2,), requires_grad=True))


ERROR_CASES = [
    lambda m: m.rand(3, dtype=m.int64), lambda m: m.randn(3, dtype=m.int32), lambda m: m.rand(-1),
    lambda m: m.randint(5, 5, (3,)), lambda m: m.randint(6, 5, (3,)), lambda m: m.randint(300, (3,), dtype=m.uint8),
    lambda m: m.randint(-1, 5, (3,), dtype=m.uint8), lambda m: m.randint(5, 3), lambda m: m.randperm(-1),
    lambda m: m.randperm(300, dtype=m.uint8),
    lambda m: m.normal(m.zeros(3, dtype=m.int64), m.ones(3)), lambda m: m.normal(m.zeros(3), -m.ones(3)),
    lambda m: m.normal(0.0, -1.0, (2,)), lambda m: m.normal(m.zeros(3), m.ones(2)),
    lambda m: m.bernoulli(m.full((3,), 1, dtype=m.int64)), lambda m: m.bernoulli(m.full((3,), 1.5)),
    lambda m: m.zeros(3).bernoulli_(1.5), lambda m: m.zeros(3).bernoulli_(m.full((2,), 0.5)),
    lambda m: m.multinomial(m.ones(3), 4), lambda m: m.multinomial(m.ones(2, 2, 3), 2),
    lambda m: m.multinomial(m.ones(3, dtype=m.int64), 2), lambda m: m.multinomial(-m.ones(3), 2),
    lambda m: m.multinomial(m.zeros(3), 2), lambda m: m.multinomial(m.ones(3), 0),
    lambda m: m.multinomial(m.ones(0), 1), lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1),
    lambda m: m.poisson(m.ones(3, dtype=m.int64)), lambda m: m.poisson(-m.ones(3)),
    lambda m: m.rand_like(m.zeros(3, dtype=m.int64)),
    lambda m: m.zeros(3).uniform_(2, 1), lambda m: m.zeros(3, dtype=m.int64).uniform_(),
    lambda m: m.zeros(3).normal_(0, -1), lambda m: m.zeros(3, dtype=m.int64).normal_(),
    lambda m: m.zeros(3).random_(5, 3), lambda m: m.zeros(3, dtype=m.uint8).random_(300),
    lambda m: m.zeros(3).exponential_(0), lambda m: m.zeros(3, dtype=m.int64).exponential_(),
    lambda m: m.zeros(3).geometric_(1), lambda m: m.zeros(3).log_normal_(1, 0),
    lambda m: m.zeros(3, dtype=m.int64).log_normal_(), lambda m: m.zeros(3).cauchy_(0, 0),
    lambda m: m.zeros(3, dtype=m.int64).cauchy_(),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors(case):
    compare(lambda m: ERROR_CASES[case](m), message=True if case not in (7,) else False)


# --- statistics (10**5 samples) --------------------------------------------------------------------------------

N = 100_000


def _moments(t):
    x = _np(t).astype(np.float64)
    return x.mean(), x.var()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_uniform_and_normal_moments(dtype):
    ember.manual_seed(0)
    dt = getattr(ember, dtype)
    mean, var = _moments(ember.rand(N, dtype=dt))
    assert abs(mean - 0.5) < 0.01 and abs(var - 1 / 12) < 0.005
    mean, var = _moments(ember.randn(N, dtype=dt))
    assert abs(mean) < 0.02 and abs(var - 1) < 0.03
    mean, var = _moments(ember.empty(N, dtype=dt).normal_(3.0, 2.0))
    assert abs(mean - 3) < 0.05 and abs(var - 4) < 0.15


def test_other_distribution_moments():
    ember.manual_seed(1)
    mean, var = _moments(ember.randint(0, 10, (N,)))
    assert abs(mean - 4.5) < 0.05 and abs(var - 8.25) < 0.15
    mean, var = _moments(ember.empty(N).exponential_(2.0))
    assert abs(mean - 0.5) < 0.01 and abs(var - 0.25) < 0.01
    mean, var = _moments(ember.empty(N).geometric_(0.25))
    assert abs(mean - 4) < 0.05 and abs(var - 12) < 0.5
    x = ember.empty(N, dtype=ember.float64).log_normal_(0.0, 0.5)
    assert abs(np.log(x.numpy()).mean()) < 0.01 and abs(np.log(x.numpy()).std() - 0.5) < 0.01
    c = ember.empty(N, dtype=ember.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1) < 0.05 and abs(np.percentile(c, 75) - np.percentile(c, 25) - 4) < 0.15
    mean, _ = _moments(ember.bernoulli(ember.full((N,), 0.3)))
    assert abs(mean - 0.3) < 0.01
    mean, _ = _moments(ember.empty(N).bernoulli_(0.7))
    assert abs(mean - 0.7) < 0.01
    mean, var = _moments(ember.poisson(ember.full((N,), 4.0)))
    assert abs(mean - 4) < 0.05 and abs(var - 4) < 0.15
    mean, var = _moments(ember.normal(ember.full((N,), 2.0), ember.full((N,), 3.0)))
    assert abs(mean - 2) < 0.05 and abs(var - 9) < 0.3


def test_randperm_is_a_permutation():
    ember.manual_seed(0)
    for n in (1, 5, 1000):
        p = ember.randperm(n).numpy()
        np.testing.assert_array_equal(np.sort(p), np.arange(n))
    firsts = np.array([ember.randperm(4).numpy()[0] for _ in range(4000)])
    assert np.all(np.abs(np.bincount(firsts, minlength=4) / 4000 - 0.25) < 0.03)


def test_multinomial_frequencies():
    ember.manual_seed(0)
    w = ember.tensor([1.0, 2.0, 0.0, 7.0])
    s = ember.multinomial(w, N, replacement=True).numpy()
    np.testing.assert_allclose(np.bincount(s, minlength=4) / N, [0.1, 0.2, 0.0, 0.7], atol=0.01)
    # without replacement: the first draw follows the weights, rows never repeat an index
    rows = ember.multinomial(w.expand(20000, 4).contiguous(), 3).numpy()
    assert all(len(set(r)) == 3 for r in rows[:200])
    np.testing.assert_allclose(np.bincount(rows[:, 0], minlength=4) / 20000, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    assert (rows[:, 2] == 2).all() or (rows[:, :2] != 2).all()  # zero weight only after every positive one
