"""Bit-identical random streams, second part: randperm (and the data utilities built on it), float32 normals of
16+ elements (PyTorch's AVX2 Box-Muller), multinomial, poisson, uniform_ edge cases and a short training run
with dropout and a shuffled DataLoader. Every comparison is exact: values and the generator state afterwards."""

import numpy as np
import pytest
import torch
from harness import compare

import ember

SEEDS = [0, 1, 123, 2**40 + 7]
SIZES = [1, 7, 16, 17, 1000, 100000]


def _np(t):
    t = t.detach()
    if t.dtype in (torch.bfloat16, ember.bfloat16, torch.float16, ember.float16):
        t = t.float()
    return t.numpy()


def assert_same_stream(fn, seed, generator=False):
    """fn(module[, generator]) after seeding gives identical values and leaves identical generator state."""
    if generator:
        tg, eg = torch.Generator().manual_seed(seed), ember.Generator().manual_seed(seed)
        expected, actual = fn(torch, tg), fn(ember, eg)
        states = eg.get_state(), tg.get_state()
    else:
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        expected, actual = fn(torch), fn(ember)
        states = ember.get_rng_state(), torch.get_rng_state()
    assert str(actual.dtype) == str(expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(_np(actual), _np(expected))
    np.testing.assert_array_equal(states[0].numpy(), states[1].numpy())


# --- randperm ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_randperm_stream(seed):
    for n in list(range(40)) + SIZES[2:]:
        assert_same_stream(lambda m: m.randperm(n), seed)
    assert_same_stream(lambda m, g: m.randperm(60000, generator=g), seed, generator=True)


@pytest.mark.parametrize("dtype,n", [("int32", 1000), ("int16", 32768), ("int8", 128), ("uint8", 256),
                                     ("float32", 5000), ("float64", 300), ("float16", 2049), ("bfloat16", 3000)])
def test_randperm_dtypes_stream(dtype, n):
    assert_same_stream(lambda m: m.randperm(n, dtype=getattr(m, dtype)), 5)


def test_randperm_out_and_consecutive_calls():
    def draws(m):
        out = m.empty(3, dtype=m.int32)
        res = m.randperm(17, out=out)
        assert res is out
        return m.cat([out.long(), m.randperm(5), m.randperm(1), m.randperm(33)])

    assert_same_stream(draws, 9)


RANDPERM_ERRORS = [
    lambda m: m.randperm(-2), lambda m: m.randperm(-1, out=m.empty(0, dtype=m.int64)),
    lambda m: m.randperm(257, dtype=m.uint8), lambda m: m.randperm(2050, dtype=m.float16),
    lambda m: m.randperm(2**24 + 2, dtype=m.float32), lambda m: m.randperm(3, dtype=m.bool),
    lambda m: m.randperm(3, dtype=m.complex64), lambda m: m.randperm(4, out=m.empty(4), dtype=m.int64),
]


@pytest.mark.parametrize("case", range(len(RANDPERM_ERRORS)))
def test_randperm_errors(case):
    compare(lambda m: RANDPERM_ERRORS[case](m), message=True)


# --- the data utilities that shuffle with randperm ---------------------------------------------------------------


def _loader_order(m, **kwargs):
    from importlib import import_module

    data = import_module(f"{m.__name__}.utils.data")
    m.manual_seed(0)
    loader = data.DataLoader(data.TensorDataset(m.arange(103)), batch_size=8, **kwargs)
    order = []
    for _ in range(3):  # epochs, with other draws in between
        order += [b[0].tolist() for b in loader]
        order.append(m.rand(2).tolist())
    return order


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(shuffle=True, drop_last=True)])
def test_shuffled_dataloader_order(kwargs):
    assert _loader_order(ember, **kwargs) == _loader_order(torch, **kwargs)


def test_samplers_and_random_split():
    def draws(m):
        from importlib import import_module

        data = import_module(f"{m.__name__}.utils.data")
        m.manual_seed(3)
        out = [list(data.RandomSampler(range(50))), list(data.RandomSampler(range(50), replacement=True,
                                                                             num_samples=70)),
               list(data.RandomSampler(range(10), num_samples=25)),
               list(data.SubsetRandomSampler([5, 7, 9, 11, 13])),
               list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 20)),
               list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False))]
        out += [list(s) for s in data.random_split(range(30), [0.3, 0.7])]
        out += [list(s) for s in data.random_split(range(30), [10, 20], generator=m.Generator().manual_seed(1))]
        return out + [m.rand(3).tolist()]

    assert draws(ember) == draws(torch)


# --- float32 normals: the 16-at-a-time AVX2 fill -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("seed", SEEDS)
def test_normal_fill_stream(seed, dtype):
    for n in SIZES + [33]:
        assert_same_stream(lambda m: m.randn(n, dtype=getattr(m, dtype)), seed)
    for mean, std in ((1.5, 0.3), (-2.0, 7.0), (0.0, 1e-3)):
        assert_same_stream(lambda m: m.empty(1000, dtype=getattr(m, dtype)).normal_(mean, std), seed)


def test_normal_fill_large_and_generator():
    assert_same_stream(lambda m, g: m.randn(1_000_000, generator=g), 0, generator=True)
    assert_same_stream(lambda m, g: m.randn(4, 250, 3, generator=g), 1, generator=True)
    # more than one chunk of 4096 rows with a ragged end: into a new buffer (randn) and into the tensor (normal_)
    assert_same_stream(lambda m, g: m.randn(70_001, generator=g), 2, generator=True)
    assert_same_stream(lambda m, g: m.empty(70_001).normal_(0.5, 2.0, generator=g), 3, generator=True)
    assert_same_stream(lambda m, g: m.empty(70_000, dtype=m.float16).normal_(generator=g), 4, generator=True)


def test_normal_overloads_and_like_stream():
    mean = np.arange(40, dtype=np.float32).reshape(2, 20)
    std = np.full(20, 2.0, np.float32)
    assert_same_stream(lambda m: m.normal(m.from_numpy(mean), m.from_numpy(std)), 0)
    assert_same_stream(lambda m: m.normal(m.from_numpy(mean), 0.5), 1)
    assert_same_stream(lambda m: m.normal(2.0, m.from_numpy(std)), 2)
    assert_same_stream(lambda m: m.normal(1.0, 3.0, (5, 40)), 3)
    assert_same_stream(lambda m: m.randn_like(m.zeros(7, 9)), 4)
    assert_same_stream(lambda m: m.view_as_real(m.randn(20, dtype=m.complex64)), 5)


def test_like_samplers_keep_layout_stream():
    # PyTorch fills empty_like(input): a transposed input gives a transposed result, filled in memory order
    for fn in (lambda m, x: m.randn_like(x), lambda m, x: m.rand_like(x), lambda m, x: m.randint_like(x, -3, 9),
               lambda m, x: m.randn_like(x, memory_format=m.contiguous_format)):
        assert_same_stream(lambda m: fn(m, m.zeros(20, 30).t()), 0)
        assert_same_stream(lambda m: fn(m, m.zeros(20, 30)[:, ::2].t()), 1)
        assert tuple(fn(ember, ember.zeros(20, 30).t()).stride()) == tuple(fn(torch, torch.zeros(20, 30).t()).stride())


@pytest.mark.parametrize("init", ["normal_", "trunc_normal_", "xavier_normal_", "kaiming_normal_"])
def test_normal_inits_stream(init):
    for shape in ((30, 20), (8, 3, 5, 5), (17,)):
        if init in ("xavier_normal_", "kaiming_normal_") and len(shape) < 2:
            continue
        assert_same_stream(lambda m: getattr(m.nn.init, init)(m.empty(*shape)), 7)


def test_default_module_inits_stream():
    def params(m):
        m.manual_seed(0)
        mods = [m.nn.Linear(50, 30), m.nn.Conv2d(3, 8, 3), m.nn.Embedding(100, 16), m.nn.LSTM(10, 20, 2),
                m.nn.GRU(6, 8), m.nn.MultiheadAttention(16, 4), m.nn.LayerNorm(5), m.nn.BatchNorm1d(4)]
        return m.cat([p.detach().reshape(-1) for mod in mods for p in mod.parameters()])

    np.testing.assert_array_equal(params(ember).numpy(), params(torch).numpy())


def _words_feeding_torch(words):
    """A torch generator whose next 623 words are `words` (the state's key holds their untempered values)."""
    x = _untemper(np.asarray(words, np.uint32))
    state = torch.Generator().manual_seed(0).get_state().numpy().copy()
    state[24:24 + 624 * 8] = x.astype(np.uint64).view(np.uint8)
    state[8:12] = np.array([624], np.int32).view(np.uint8)  # left: no twist for 623 words
    state[16:24] = 0  # next
    g = torch.Generator()
    g.set_state(torch.from_numpy(state))
    return g


def test_normal_fill_over_chosen_uniforms():
    """Drive both kernels with chosen uniforms: the edges of [0, 1) and a wide random sample of the 2**24 grid,
    for the radius (log) half and the angle (sin/cos) half."""
    rng = np.random.RandomState(0)
    grid = np.concatenate([np.arange(4096), np.arange(2**24 - 4096, 2**24), rng.randint(0, 2**24, 600_000)])
    grid = grid[:grid.size // 608 * 608].astype(np.uint32).reshape(-1, 608)
    for row in grid:
        words = np.zeros(624, np.uint32)
        words[:608] = row
        expected = torch.randn(608, generator=_words_feeding_torch(words)).numpy()
        g = ember.Generator().set_state(ember.from_numpy(_words_feeding_torch(words).get_state().numpy().copy()))
        np.testing.assert_array_equal(ember.randn(608, generator=g).numpy(), expected)


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.0, 0.02), (0.0, 1e-44), (0.0, 0.0), (0.0, float("inf")),
                                      (1.5, 1.0), (-0.0, 2.0)])
def test_normal_fill_signed_zeros(mean, std):
    """Zeros keep PyTorch's sign: the word 0 gives a zero radius (the FMA with mean 0 makes +0 of it), a tiny std
    underflows products to -0 (which the FMA keeps). Compared bit for bit, as == would not tell -0 from +0."""
    rng = np.random.RandomState(1)
    words = rng.randint(0, 2**32, 624, dtype=np.uint64).astype(np.uint32)
    words[:608].reshape(-1, 16)[::3, :8] = 0
    expected = torch.empty(608).normal_(mean, std, generator=_words_feeding_torch(words)).numpy()
    g = ember.Generator().set_state(ember.from_numpy(_words_feeding_torch(words).get_state().numpy().copy()))
    actual = ember.empty(608).normal_(mean, std, generator=g).numpy()
    np.testing.assert_array_equal(actual.view(np.int32), expected.view(np.int32))


def _untemper(y):
    """mt19937's state words whose tempered outputs are y (uint32 arrays of any shape)."""
    y = y ^ (y >> np.uint32(18))
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    x = y.copy()
    for _ in range(5):
        x = y ^ ((x << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = x.copy()
    for _ in range(3):
        x = y ^ (x >> np.uint32(11))
    return x


def _torch_fill16(blocks):
    """torch.randn over rows of 16 chosen words, 38 rows (608 words) per generator state."""
    rows = blocks.shape[0]
    calls = -(-rows // 38)
    padded = np.zeros((calls, 624), np.uint32)
    padded[:, :608] = np.concatenate([blocks, np.zeros((calls * 38 - rows, 16), np.uint32)]).reshape(calls, 608)
    keys = _untemper(padded).astype(np.uint64).view(np.uint8)
    state = torch.Generator().manual_seed(0).get_state().numpy().copy()
    state[8:12] = np.array([624], np.int32).view(np.uint8)  # left: no twist for 623 words
    state[16:24] = 0  # next
    g, out = torch.Generator(), np.empty((padded.shape[0], 608), np.float32)
    for i, key in enumerate(keys):
        state[24:24 + 624 * 8] = key
        g.set_state(torch.from_numpy(state))
        out[i] = torch.randn(608, generator=g).numpy()
    return out.reshape(-1, 16)[:rows]


@pytest.mark.slow
def test_normal_kernel_exhaustive():
    """Each of the 2**24 possible uniforms through the radius half (the angle word 0: cos 1, sin 0) and through the
    angle half (with a radius of exactly 1), against PyTorch: the float32 kernel's emulated roundings are then
    proven right for every input, including the steps that skip the midpoint check (_fma_unchecked)."""
    from ember.ops.random import _normal16_float

    radius_one = None
    for half in (0, 1):
        for start in range(0, 2**24, 2**20):
            blocks = np.zeros((2**17, 16), np.uint32)
            blocks[:, 8 * half:8 * half + 8] = np.arange(start, start + 2**20, dtype=np.uint32).reshape(-1, 8)
            if half:
                blocks[:, :8] = radius_one
            expected = _torch_fill16(blocks)
            actual = np.empty_like(expected)
            _normal16_float(blocks, actual, 0.0, 1.0)
            np.testing.assert_array_equal(actual.view(np.int32), expected.view(np.int32))
            if radius_one is None and (expected[:, :8] == 1).any():
                radius_one = blocks[:, :8][expected[:, :8] == 1][0]
        assert radius_one is not None


# --- multinomial ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_multinomial_stream(seed, dtype):
    w = np.random.RandomState(seed).rand(5, 37) + 0.05
    w[:, 3] = 0  # a zero weight is never drawn with replacement
    for k in (1, 2, 10, 500):
        assert_same_stream(lambda m: m.multinomial(m.tensor(w, dtype=getattr(m, dtype)), k, True), seed)
        assert_same_stream(lambda m: m.multinomial(m.tensor(w[0], dtype=getattr(m, dtype)), k, True), seed)
    for k in (1, 2, 10, 36):
        assert_same_stream(lambda m: m.multinomial(m.tensor(w, dtype=getattr(m, dtype)), k), seed)
        assert_same_stream(lambda m, g: m.multinomial(m.tensor(w[1], dtype=getattr(m, dtype)), k, generator=g),
                           seed, generator=True)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_multinomial_tied_keys_stream(dtype):
    """Without replacement PyTorch ranks weight / Exp(1) with topk; where keys tie (zero weights drawn after
    every positive one, half-precision keys that round equal) their order is what std::nth_element/std::sort or
    std::partial_sort leave, which ember reproduces."""
    w = np.random.RandomState(0).rand(5, 37)
    w[:, 3] = 0
    w[:, 10:20] = 0
    for seed in range(3):
        for k in (10, 30, 37):
            assert_same_stream(lambda m: m.multinomial(m.tensor(w, dtype=getattr(m, dtype)), k), seed)
    for n, k in ((29, 12), (300, 4), (3000, 40)):  # nth_element + sort, and partial_sort (k * 64 <= n)
        weights = np.zeros(n)
        weights[[2, 8]] = 1
        assert_same_stream(lambda m: m.multinomial(m.tensor(weights, dtype=getattr(m, dtype)), k), n)


MULTINOMIAL_ERRORS = [
    lambda m: m.multinomial(m.tensor([1.0, -1, 2]), 2, True), lambda m: m.multinomial(m.tensor([1.0, -1, 2]), 1),
    lambda m: m.multinomial(m.tensor([1.0, float("nan"), 2]), 2, True),
    lambda m: m.multinomial(m.tensor([1.0, float("inf"), 2]), 2, True),
    lambda m: m.multinomial(m.tensor([1.0, float("nan"), 2]), 2), lambda m: m.multinomial(m.zeros(2), 3, True),
    lambda m: m.multinomial(m.tensor([[1.0, 1], [0, 0]]), 1), lambda m: m.multinomial(m.ones(1, 2**24 + 1), 1),
]


@pytest.mark.parametrize("case", range(len(MULTINOMIAL_ERRORS)))
def test_multinomial_errors(case):
    compare(lambda m: MULTINOMIAL_ERRORS[case](m), message=True)


# --- poisson ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_poisson_stream(seed, dtype):
    rates = np.random.RandomState(seed).rand(1000) * 30  # both of PyTorch's methods (below and from 10)
    rates[::97] = 0
    assert_same_stream(lambda m: m.poisson(m.tensor(rates, dtype=getattr(m, dtype))), seed)
    assert_same_stream(lambda m: m.poisson(m.full((7, 3), 4.0, dtype=getattr(m, dtype))), seed)
    assert_same_stream(lambda m, g: m.poisson(m.full((50,), 1000.0, dtype=getattr(m, dtype)), g), seed,
                       generator=True)
    assert_same_stream(lambda m: m.poisson(m.full((4, 6), 2.5, dtype=getattr(m, dtype)).t()), seed)


# --- uniform_ ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [(1000, 1000.001), (1e6, 1e6 + 1), (-1e-3, 1e-3), (1.0, 1.0000001)])
def test_uniform_rounding_up_to_high_gives_low(bounds):
    # float32 rounds some values up to `to`; PyTorch returns `from` for those, keeping [from, to)
    for dtype in ("float32", "float64", "bfloat16"):
        if dtype == "bfloat16" and bounds[0] >= 1000:
            continue
        assert_same_stream(lambda m: m.empty(100000, dtype=getattr(m, dtype)).uniform_(*bounds), 0)


# --- a short training run --------------------------------------------------------------------------------------------


def _lenet_run(m):
    from importlib import import_module

    nn, data = m.nn, import_module(f"{m.__name__}.utils.data")
    m.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Dropout(0.5), nn.Linear(120, 84), nn.ReLU(),
        nn.Dropout(0.2), nn.Linear(84, 10))
    images = m.randn(48, 1, 28, 28)
    labels = m.randint(0, 10, (48,))
    loader = data.DataLoader(data.TensorDataset(images, labels), batch_size=16, shuffle=True)
    opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for x, y in loader:  # 3 steps
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_lenet_dropout_shuffled_training_matches():
    """manual_seed(0); LeNet with Dropout; 3 SGD steps over a shuffled DataLoader: the same initial weights,
    data, batch order and dropout masks, so the parameters agree to float32 rounding of the arithmetic."""
    ember_losses, ember_params = _lenet_run(ember)
    torch_losses, torch_params = _lenet_run(torch)
    np.testing.assert_allclose(ember_losses, torch_losses, rtol=1e-5)
    for a, b in zip(ember_params, torch_params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


def test_topk_tie_order_matches_torch():
    """The libstdc++ ordering used for tied multinomial keys, against torch.topk itself on tie-heavy rows."""
    from ember.ops.random import _stl_topk

    rng = np.random.RandomState(1)
    for trial in range(600):
        n = rng.randint(1, 300)
        k = rng.randint(1, n + 1)
        values = [rng.randint(0, 3, n), np.where(rng.rand(n) < 0.8, 0, rng.rand(n)),
                  rng.randint(0, max(2, n // 3), n)][trial % 3].astype(np.float32)
        expected = torch.topk(torch.from_numpy(values), k).indices.tolist()
        assert _stl_topk(values.astype(np.float64).tolist(), k) == expected
