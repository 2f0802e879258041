"""repr/str of tensors must match PyTorch's character for character (same NumPy data in both libraries)."""

import math
import time

import numpy as np
import pytest
import torch
from harness import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, noncontiguous, np_dtype, tensor_of

import ember

DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


@pytest.fixture(autouse=True)
def restore_print_state():
    yield
    torch.set_printoptions(profile="default")
    ember.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    ember.set_default_dtype(ember.float32)


def check(arr, requires_grad=False):
    e, t = tensor_of(ember, arr, requires_grad), tensor_of(torch, arr, requires_grad)
    expected = repr(t)
    assert repr(e) == expected, f"\nember:\n{e!r}\ntorch:\n{expected}"
    assert str(e) == str(t)


# ---------------------------------------------------------------------------------------------------------
# data

def floats(kind, shape, seed=0):
    """float64 data of a named character: magnitudes, integer values, special values."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    if kind == "normal":
        v = rng.standard_normal(n)
    elif kind.startswith("scale"):  # e.g. scale1e-6: normal values times that scale
        v = rng.standard_normal(n) * float(kind[5:])
    elif kind == "mixed":  # magnitudes spanning many decades -> scientific notation
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
    elif kind == "ratio":  # ratio just past 1000 but every magnitude moderate
        v = rng.uniform(0.01, 11, n) * rng.choice([-1, 1], n)
    elif kind == "ints":
        v = rng.integers(-100, 100, n).astype(np.float64)
    elif kind == "bigints":
        v = rng.integers(-10**6, 10**6, n).astype(np.float64)
    elif kind == "hugeints":  # integer-valued, above 1e8: scientific
        v = rng.integers(-10**6, 10**6, n).astype(np.float64) * 1e6
    elif kind == "special":
        v = rng.standard_normal(n) * 100
        v[rng.random(n) < 0.3] = np.nan
        v[rng.random(n) < 0.2] = np.inf
        v[rng.random(n) < 0.2] = -np.inf
        v[rng.random(n) < 0.2] = -0.0
    elif kind == "intspecial":
        v = rng.integers(-5, 5, n).astype(np.float64)
        v[rng.random(n) < 0.4] = np.nan
        v[rng.random(n) < 0.3] = -np.inf
    elif kind == "zeros":
        v = np.zeros(n)
        v[rng.random(n) < 0.5] = -0.0
    elif kind == "nonfinite":
        v = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0], n)
    elif kind == "rounding":  # values whose rounding adds a digit (9.99996 -> 10.0000)
        v = rng.choice([9.99996, -9.99996, 99.99995, 0.5, 1.25, 2.5e-5, 123456.78], n)
    elif kind == "tiny":
        v = rng.standard_normal(n) * 1e-30
    else:
        raise ValueError(kind)
    return v.reshape(shape)


def complex_of(real, imag, dtype):
    out = np.empty(np.shape(real), dtype)  # real + 1j * imag would turn an infinite imag into a nan real
    out.real, out.imag = real, imag
    return out


def data(kind, shape, dtype, seed=0):
    """An array of an ember dtype name."""
    if dtype == "bool":
        return np.random.default_rng(seed).random(shape) > 0.5
    if dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        lo, hi = (max(info.min, -10**9), min(info.max, 10**9)) if kind == "wide" else (max(info.min, -50), 50)
        return np.random.default_rng(seed).integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype.startswith("complex"):
            return complex_of(floats(kind, shape, seed), floats(kind, shape, seed + 1), dtype)
        return floats(kind, shape, seed).astype(np_dtype(dtype))


FLOAT_KINDS = ["normal", "scale1e-6", "scale1e-3", "scale10", "scale1e3", "scale1e5", "scale1e9", "mixed",
               "ratio", "ints", "bigints", "hugeints", "special", "intspecial", "zeros", "nonfinite", "rounding",
               "tiny"]
SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 2, 2, 3), (1, 1, 1)]


# ---------------------------------------------------------------------------------------------------------
# values and layouts

@pytest.mark.parametrize("kind", FLOAT_KINDS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"])
def test_float_kinds(kind, dtype):
    for seed, shape in enumerate([(), (7,), (3, 5), (2, 3, 4)]):
        check(data(kind, shape, dtype, seed))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_each_dtype_and_shape(dtype, shape):
    check(data("normal", shape, dtype))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_wide_integers(dtype):
    check(data("wide", (4, 6), dtype))
    check(np.array([np.iinfo(dtype).min, np.iinfo(dtype).max], dtype))


@pytest.mark.parametrize("values", [
    [0.0], [-0.0], [1.0, -0.0], [0.1, -0.0], [1e-5, 0.0], [1e8, 1.0], [1.0e8 + 1], [1e9], [1000.0, 1.0],
    [1000.5, 1.0], [1.0, 1001.0], [1e-4], [0.99999e-4], [np.nan], [np.inf, -np.inf], [1.0, np.inf],
    [0.5, np.nan], [1e10, np.nan], [5e-324], [1.7e308, -1.7e308], [123456789.0], [-1.5, 2.25, 3.125],
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_edge_values(values, dtype):
    with np.errstate(over="ignore"):
        arr = np.array(values).astype(dtype)
    check(arr)
    check(arr[0])


def test_complex_signs():
    real = np.array([1.0, -1.0, 0.0, -0.0, np.nan, np.inf, 2.5, -0.0])
    imag = np.array([-0.0, 0.0, -2.0, np.nan, -np.inf, 1e-7, -1e5, -0.0])
    for dtype in ("complex64", "complex128"):
        arr = complex_of(real, imag, dtype)
        check(arr)
        for v in arr:
            check(np.asarray(v))


@pytest.mark.parametrize("view", [
    lambda: noncontiguous(data("normal", (4, 5), "float32")),
    lambda: data("mixed", (6, 5), "float64").T,
    lambda: data("normal", (50, 60), "float32")[::3, 1::4],
    lambda: data("normal", (80, 60), "complex64")[1::2, 3:],
])
def test_noncontiguous(view):
    arr = view()  # both libraries wrap the same strided NumPy view
    assert repr(ember.from_numpy(arr)) == repr(torch.from_numpy(arr))


# ---------------------------------------------------------------------------------------------------------
# empty tensors

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)])
def test_empty(dtype, shape):
    check(np.zeros(shape, np_dtype(dtype)))


def test_empty_with_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    for dtype in ("float32", "float64", "complex128", "int64"):
        check(np.zeros((0,), dtype))
        check(np.zeros((0, 2), dtype))


# ---------------------------------------------------------------------------------------------------------
# summarisation and wrapping

@pytest.mark.parametrize("shape", [(1001,), (1000,), (2000,), (40, 30), (5, 300), (300, 5), (11, 11, 11),
                                   (4, 5, 6, 10), (1, 1001), (1001, 1), (7, 2, 100)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "complex64", "bfloat16"])
def test_summarised(shape, dtype):
    check(data("normal", shape, dtype))


@pytest.mark.parametrize("kind", ["normal", "mixed", "ints", "special"])
def test_summarised_formatter_sees_only_shown_values(kind):
    arr = data(kind, (50, 50), "float64")
    arr[3:-3, :] = 1e12  # hidden values must not change the style or the width
    arr[:, 3:-3] = np.nan
    check(arr)


@pytest.mark.parametrize("shape", [(30,), (100,), (3, 40), (2, 3, 25), (999,)])
@pytest.mark.parametrize("kind", ["normal", "mixed", "bigints"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "complex128"])
def test_wrapping(shape, kind, dtype):
    check(data(kind if dtype != "int64" else "wide", shape, dtype))


def test_large_tensor_prints_fast():
    arr = data("normal", (1000, 1000), "float32")
    e, t = tensor_of(ember, arr), tensor_of(torch, arr)
    assert repr(e) == repr(t)
    start = time.perf_counter()
    for _ in range(20):
        repr(e)
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.005, f"repr of a 1000x1000 tensor took {per_call * 1e3:.2f} ms"


# ---------------------------------------------------------------------------------------------------------
# suffixes

@pytest.mark.parametrize("dtype", FLOAT_DTYPES + ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0,), (40, 40)])
def test_requires_grad(dtype, shape):
    check(data("normal", shape, dtype), requires_grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128", "float16", "int64", "int32"])
def test_default_dtype_float64(dtype):
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    check(data("normal", (2, 3), dtype))
    check(data("normal", (), dtype))


def test_grad_fn_suffix():
    AddBackward0 = type("AddBackward0", (), {})
    arr = data("normal", (2, 3), "float32")
    t = tensor_of(torch, arr, requires_grad=True) + 1
    e = tensor_of(ember, arr) + 1
    e.requires_grad = True
    e.grad_fn = AddBackward0()
    assert repr(e) == repr(t)
    t64 = tensor_of(torch, arr.astype(np.float64), requires_grad=True) * 2
    e64 = tensor_of(ember, arr.astype(np.float64)) * 2
    e64.requires_grad = True
    e64.grad_fn = type("MulBackward0", (), {})()
    assert repr(e64) == repr(t64)


def test_suffixes_wrap_onto_new_lines():
    # a last line close to the width pushes dtype and requires_grad onto lines of their own
    for n in range(1, 12):
        check(np.arange(n, dtype=np.float64) * 1.5, requires_grad=True)
        check(np.arange(n, dtype=np.int16))
    torch.set_printoptions(linewidth=30)
    ember.set_printoptions(linewidth=30)
    check(data("normal", (3,), "float64"), requires_grad=True)
    check(np.zeros((0, 4), np.float16), requires_grad=True)


def test_subclass_prefix():
    class Mine(ember.Tensor):
        pass

    ember_mine = Mine
    ember_subclass = ember.Tensor

    class Mine(torch.Tensor):  # noqa: F811 - the same class name in both libraries
        pass

    arr = data("normal", (2, 2), "float64")
    e = tensor_of(ember, arr)
    from ember._tensor import _wrap_as
    assert issubclass(ember_mine, ember_subclass)
    assert repr(_wrap_as(ember_mine, e._data)) == repr(tensor_of(torch, arr).as_subclass(Mine))


# ---------------------------------------------------------------------------------------------------------
# print options

OPTION_SETS = [
    dict(precision=2), dict(precision=0), dict(precision=8), dict(precision=1, sci_mode=True),
    dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5), dict(threshold=0), dict(threshold=math.inf),
    dict(edgeitems=1, threshold=10), dict(edgeitems=0, threshold=10), dict(edgeitems=5, threshold=20),
    dict(linewidth=40), dict(linewidth=200), dict(linewidth=5), dict(profile="short"), dict(profile="full"),
    dict(profile="short", precision=6), dict(profile="full", linewidth=120),
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_printoptions(options):
    torch.set_printoptions(**options)
    ember.set_printoptions(**options)
    for seed, (kind, shape, dtype) in enumerate([
        ("normal", (), "float32"), ("normal", (7,), "float32"), ("mixed", (12,), "float64"),
        ("ints", (4, 9), "float32"), ("normal", (30, 40), "float32"), ("special", (3, 4, 5), "float64"),
        ("normal", (25,), "complex64"), ("wide", (6, 7), "int64"), ("normal", (5, 5), "bool"),
        ("zeros", (4,), "float32"), ("normal", (0, 2), "float32"), ("normal", (3, 4), "bfloat16"),
        ("mixed", (2, 30), "complex128"),
    ]):
        check(data(kind, shape, dtype, seed))
        check(data(kind, shape, dtype, seed), requires_grad=dtype in ("float32", "float64"))


def test_get_printoptions_roundtrip():
    assert ember._printing.get_printoptions() == DEFAULTS
    ember.set_printoptions(precision=6, linewidth=100, sci_mode=True)
    saved = ember._printing.get_printoptions()
    assert saved == dict(DEFAULTS, precision=6, linewidth=100, sci_mode=True)
    ember.set_printoptions(profile="full")
    assert ember._printing.get_printoptions() == dict(DEFAULTS, threshold=math.inf)  # sci_mode reset to None
    ember.set_printoptions(**saved)
    assert ember._printing.get_printoptions() == saved
    ember.set_printoptions(profile="default")
    assert ember._printing.get_printoptions() == DEFAULTS
    torch.set_printoptions(precision=6, linewidth=100, sci_mode=True)
    from torch._tensor_str import get_printoptions as torch_get_printoptions
    assert torch_get_printoptions() == saved


def test_printoptions_context_manager():
    from ember._printing import printoptions
    arr = np.array([1.23456789, 2.0])
    with printoptions(precision=2):
        assert repr(tensor_of(ember, arr)) == "tensor([1.23, 2.00], dtype=torch.float64)"
    check(arr)


@pytest.mark.parametrize("seed", range(8))
def test_random_combinations(seed):
    """Random shapes, data characters, dtypes and options together."""
    rng = np.random.default_rng(1000 + seed)
    for case in range(40):
        options = dict(precision=int(rng.integers(0, 9)), threshold=int(rng.choice([0, 3, 50, 1000, 10**6])),
                       edgeitems=int(rng.integers(0, 5)), linewidth=int(rng.choice([1, 20, 60, 80, 150])),
                       sci_mode=rng.choice([None, True, False]))
        torch.set_printoptions(**options)
        ember.set_printoptions(**options)
        shape = tuple(int(n) for n in rng.integers(0, 9, rng.integers(0, 5)))
        dtype = str(rng.choice(ALL_DTYPES))
        kind = str(rng.choice(FLOAT_KINDS + ["wide"])) if dtype not in INT_DTYPES else "wide"
        if kind == "wide" and dtype not in INT_DTYPES:
            kind = "normal"
        check(data(kind, shape, dtype, seed * 100 + case), requires_grad=dtype in FLOAT_DTYPES and case % 3 == 0)
