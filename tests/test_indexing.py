"""Indexing against PyTorch: __getitem__/__setitem__ in every form, views sharing memory, and the
index/gather/scatter/mask/where/triangle/flip family, with PyTorch's errors."""

import warnings

import numpy as np
import pytest
from harness import ALL_DTYPES, compare
from harness import sample as _sample

import ember

warnings.filterwarnings("ignore", message=".*non-tuple sequence.*")
warnings.filterwarnings("ignore", message=".*uint8 is now deprecated.*")


def sample(*args, **kwargs):
    """harness.sample, always an array (0-dim shapes included)."""
    return np.asarray(_sample(*args, **kwargs))


def L(m, values, dtype="int64"):
    """An index tensor of library m."""
    return m.tensor(values, dtype=getattr(m, dtype))


# -------------------------------------------------------------------------------------------------------
# __getitem__

GETITEM_CASES = {
    "int": lambda m: 1,
    "neg_int": lambda m: -2,
    "slice": lambda m: slice(1, None),
    "slice_step": lambda m: slice(None, None, 2),
    "slice_oob": lambda m: slice(5, 10),
    "slice_neg_bounds": lambda m: slice(-10, -1),
    "tuple_int_slice": lambda m: (slice(None), 1),
    "ints": lambda m: (1, 2, 3),
    "none": lambda m: None,
    "none_mid": lambda m: (0, None, slice(None), None),
    "ellipsis": lambda m: Ellipsis,
    "ellipsis_int": lambda m: (Ellipsis, 1),
    "int_ellipsis_int": lambda m: (0, Ellipsis, 1),
    "empty_tuple": lambda m: (),
    "true": lambda m: True,
    "false": lambda m: False,
    "int_true": lambda m: (1, True),
    "true_list": lambda m: (True, [0, 1]),
    "list_true_list": lambda m: ([0, 1], True, [0, 1]),
    "tensor_0d_int": lambda m: L(m, 1),
    "tensor_0d_bool": lambda m: m.tensor(True),
    "list": lambda m: [0, 1, 0],
    "list_neg": lambda m: [-1, 0],
    "empty_list": lambda m: [],
    "bool_list": lambda m: [True, False],
    "nested_list_as_tuple": lambda m: [[0, 1], [1, 2]],
    "list_with_slice": lambda m: [0, slice(None)],
    "long_tensor": lambda m: L(m, [1, 0]),
    "int32_tensor": lambda m: L(m, [1, 0], "int32"),
    "tensor_2d": lambda m: L(m, [[0, 1], [1, 1]]),
    "adv_adv": lambda m: ([0, 1], [1, 2]),
    "adv_broadcast": lambda m: ([1, 0], [[0], [1]]),
    "adv_sep": lambda m: ([0, 1], slice(None), [0, 1]),
    "int_slice_adv": lambda m: (0, slice(None), [0, 1]),
    "tensor0d_slice_adv": lambda m: (L(m, 0), slice(None), [0, 1]),
    "slice_adv_adv": lambda m: (slice(None), [0, 2], [1, 3]),
    "adv_none_adv": lambda m: ([0, 1], None, [0, 1]),
    "adv_ellipsis_adv": lambda m: ([0, 1], Ellipsis, [0, 1]),
    "ellipsis_adv_slice": lambda m: (Ellipsis, [0, 1], slice(None)),
    "none_adv_none_adv": lambda m: (None, [0, 1], None, [0, 1]),
    "adv_int_adv": lambda m: ([0, 1], 0, [0, 1]),
    "mask_full": lambda m: m.arange(24).reshape(2, 3, 4) % 3 == 0,
    "mask_1d": lambda m: m.tensor([True, False]),
    "mask_2d": lambda m: m.tensor([[True, False, True], [False, False, True]]),
    "mask_dim1": lambda m: (slice(None), m.tensor([False, True, True])),
    "mask_int": lambda m: (m.tensor([True, False]), 1),
    "mask_list": lambda m: (m.tensor([True, True]), slice(None), [1, 2]),
    "mask_none": lambda m: (0, None, m.tensor([True, False, True])),
    "mask_all_false": lambda m: m.zeros(2, 3, 4, dtype=m.bool),
    "uint8_mask": lambda m: m.tensor([1, 0], dtype=m.uint8),
    "numpy_array": lambda m: np.array([0, 1]),
    "numpy_int": lambda m: np.int64(1),
    "slice_tensor_bounds": lambda m: slice(L(m, 0), L(m, 1)),
    "empty_slice_adv": lambda m: (slice(None), [], [1]),
}


@pytest.mark.parametrize("case", list(GETITEM_CASES))
def test_getitem_forms(case):
    make = GETITEM_CASES[case]
    compare(lambda m, x: x[make(m)], sample((2, 3, 4), "float32"))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("case", ["int", "tuple_int_slice", "adv_sep", "mask_full", "int_slice_adv", "true"])
def test_getitem_dtypes(case, dtype):
    make = GETITEM_CASES[case]
    compare(lambda m, x: x[make(m)], sample((2, 3, 4), dtype))


@pytest.mark.parametrize("case", ["int", "slice_step", "tuple_int_slice", "adv_sep", "mask_dim1", "ellipsis_int",
                                  "int_slice_adv"])
def test_getitem_noncontiguous(case):
    make = GETITEM_CASES[case]
    compare(lambda m, x: x.permute(2, 0, 1)[:, :, ::2].permute(1, 2, 0)[make(m)], sample((4, 2, 6), "float64"))


BASIC = ["int", "neg_int", "slice", "slice_step", "tuple_int_slice", "ints", "none", "none_mid", "ellipsis",
         "ellipsis_int", "empty_tuple", "tensor_0d_int", "numpy_int", "slice_tensor_bounds", "list_with_slice"]


@pytest.mark.parametrize("case", BASIC)
def test_basic_indexing_is_a_view(case):
    make = GETITEM_CASES[case]

    def fn(m, x):
        y = x[make(m)]
        shared = y._base is x
        y.fill_(7) if hasattr(y, "fill_") else y.copy_(m.full_like(y, 7))
        return shared, x

    compare(fn, sample((2, 3, 4), "float32"))


@pytest.mark.parametrize("case", ["list", "mask_full", "adv_sep", "true", "tensor_0d_bool"])
def test_advanced_indexing_copies(case):
    make = GETITEM_CASES[case]

    def fn(m, x):
        y = x[make(m)]
        y.copy_(m.full_like(y, 7))
        return y._base is None, x

    compare(fn, sample((2, 3, 4), "float32"))


def test_write_through_slice_seen_in_base():
    def fn(m, x):
        tail = x[1:]
        tail[0] = 100
        col = x[:, 1]
        col += 1
        return x, tail, col, x._version == tail._version

    compare(fn, sample((3, 4), "float32"))


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (3, 0), (1,), (5,)])
@pytest.mark.parametrize("index", ["none", "ellipsis", "empty_tuple", "true", "false", "tensor_0d_bool", "int",
                                   "slice", "empty_list", "mask"])
def test_getitem_edge_shapes(shape, index):
    make = {**GETITEM_CASES, "mask": lambda m: m.ones((), dtype=m.bool)}[index]
    compare(lambda m, x: x[make(m)], sample(shape, "int32"), message=True)


GETITEM_ERRORS = {
    "int_oob": lambda m: 5,
    "neg_int_oob": lambda m: -3,
    "int_oob_dim1": lambda m: (slice(None), 5),
    "int_oob_after_none": lambda m: (None, 5),
    "int_oob_after_ellipsis": lambda m: (Ellipsis, 7),
    "int_oob_tuple_pos": lambda m: (0, None, None, 9),
    "tensor0d_oob": lambda m: L(m, 5),
    "too_many": lambda m: (0, 0, 0, 0),
    "negative_step": lambda m: slice(None, None, -1),
    "zero_step": lambda m: slice(None, None, 0),
    "float": lambda m: 1.0,
    "float_in_tuple": lambda m: (0, 1.5),
    "float_tensor": lambda m: m.tensor([1.0]),
    "int8_tensor": lambda m: L(m, [1], "int8"),
    "list_oob": lambda m: [0, 2],
    "adv_oob_dim1": lambda m: (slice(None), [0, 5]),
    "adv_oob_second": lambda m: ([0, 1], slice(None), [0, 7]),
    "adv_neg_oob": lambda m: (slice(None), [0, -4]),
    "adv_shape_mismatch": lambda m: ([0, 1], [0, 1, 2]),
    "mask_shape": lambda m: m.tensor([True, False, True]),
    "mask_shape_dim1": lambda m: (slice(None), m.tensor([True, False])),
    "mask_2d_shape": lambda m: m.ones(2, 2, dtype=m.bool),
    "mask_after_none": lambda m: (None, m.tensor([True, False, True])),
    "mask_too_many": lambda m: (m.ones(1, 1, 1, dtype=m.bool), 0),
    "string": lambda m: "a",
}


@pytest.mark.parametrize("case", list(GETITEM_ERRORS))
def test_getitem_errors(case):
    make = GETITEM_ERRORS[case]
    compare(lambda m, x: x[make(m)], sample((2, 3, 4), "float32"), message=case != "string")


@pytest.mark.parametrize("index", [0, -1, 1, slice(None), (0,), (slice(None),), (None, 0)])
def test_getitem_0dim_errors(index):
    compare(lambda m, x: x[index], np.array(2.0, np.float32), message=True)


def test_getitem_empty_dim_oob():
    compare(lambda m, x: x[0], np.zeros((0, 3), np.float32), message=True)
    compare(lambda m, x: x[[0]], np.zeros((0, 3), np.float32), message=True)


# -------------------------------------------------------------------------------------------------------
# __setitem__

SETITEM_CASES = {
    "int_scalar": (lambda m: 0, lambda m: 5),
    "int_row": (lambda m: 1, lambda m: m.tensor([1.0, 2.0, 3.0, 4.0])),
    "slice_broadcast": (lambda m: (slice(None), 1), lambda m: m.tensor([[9.0]])),
    "leading_ones": (lambda m: 0, lambda m: m.ones(1, 1, 3, 4)),
    "ellipsis": (lambda m: Ellipsis, lambda m: 1.5),
    "none": (lambda m: (None, 0), lambda m: m.ones(4)),
    "true": (lambda m: True, lambda m: 2),
    "false": (lambda m: False, lambda m: 2),
    "mask_scalar": (lambda m: "mask", lambda m: 0),
    "mask_values": (lambda m: "mask", lambda m: m.arange(12, dtype=m.float32)[:0] + 0),
    "list_rows": (lambda m: [0, 2], lambda m: m.tensor([[1.0], [2.0]])),
    "repeated_last_wins": (lambda m: ([0, 0, 1], [0, 0, 1]), lambda m: m.tensor([1.0, 2.0, 3.0])),
    "adv_sep": (lambda m: ([0, 1], slice(None), [0, 1]), lambda m: m.tensor([7.0, 8.0, 9.0])),
    "adv_full_shape": (lambda m: (slice(None), [0, 2]), lambda m: m.arange(6.0).reshape(3, 2)),
    "adv_leading_ones": (lambda m: (slice(None), [0, 2]), lambda m: m.ones(1, 1, 3, 2)),
    "int_slice_adv": (lambda m: (0, slice(None), [0, 1]), lambda m: m.tensor([[1.0, 2.0]])),
    "zero_dim_tensor": (lambda m: 1, lambda m: m.tensor(7)),
    "other_dtype": (lambda m: 1, lambda m: m.tensor([1.5, 2.5, -3.7, 0.2], dtype=m.float64)),
    "float_into_int_scalar": (lambda m: 1, lambda m: -2.7),
    "complex_tensor": (lambda m: 1, lambda m: m.tensor([1 + 1j, 2, 3, 4])),
    "bf16_value": (lambda m: 1, lambda m: m.ones(4, dtype=m.bfloat16)),
}


def _setitem(m, x, case):
    idx_fn, val_fn = SETITEM_CASES[case]
    idx = idx_fn(m)
    if isinstance(idx, str):
        idx = x > 0
    val = val_fn(m)
    if case == "mask_values":
        val = m.arange(int((x > 0).sum()), dtype=x.dtype)
    x[idx] = val
    return x


@pytest.mark.parametrize("case", list(SETITEM_CASES))
@pytest.mark.parametrize("dtype", ["float32", "int64", "float16"])
def test_setitem_forms(case, dtype):
    compare(lambda m, x: _setitem(m, x, case), sample((3, 3, 4), dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_setitem_dtypes(dtype):
    def fn(m, x):
        x[0] = 1
        x[:, 1] = x[1, 1].clone()
        x[x != x[0, 0]] = x[0, 0]
        return x

    compare(fn, sample((3, 4), dtype))


def test_setitem_through_views_and_version():
    def fn(m, x):
        v0 = x._version
        y = x[1:]
        y[0, ::2] = -1
        z = x.t()
        z[[0, 1], 0] = m.tensor([5.0, 6.0])
        return x, y, x._version - v0, y._version == x._version

    compare(fn, sample((3, 4), "float32"))


def test_setitem_noncontiguous():
    def fn(m, x):
        y = x.t()[:, ::2]
        y[1] = 3
        y[y > 1] = 0
        y[:, [0]] = m.tensor([[1.0], [2.0], [3.0], [4.0]])
        return x

    compare(fn, sample((6, 4), "float32"))


SETITEM_ERRORS = {
    "oob_int": (lambda m: 5, lambda m: 1.0),
    "oob_list": (lambda m: [5], lambda m: 1.0),
    "negative_step": (lambda m: slice(None, None, -1), lambda m: 1.0),
    "value_too_many_dims": (lambda m: 0, lambda m: m.ones(2, 4)),
    "value_wrong_size": (lambda m: 0, lambda m: m.ones(3)),
    "adv_value_wrong": (lambda m: (slice(None), [0, 2]), lambda m: m.ones(3)),
    "mask_value_wrong": (lambda m: "mask", lambda m: m.ones(1000)),
    "list_value": (lambda m: 0, lambda m: [1.0, 2.0, 3.0, 4.0]),
    "numpy_value": (lambda m: 0, lambda m: np.ones(4)),
    "string_value": (lambda m: 0, lambda m: "a"),
    "none_value": (lambda m: 0, lambda m: None),
    "complex_scalar": (lambda m: 0, lambda m: 2.5j),
    "float_overflow": (lambda m: 0, lambda m: 1e39),
}


@pytest.mark.parametrize("case", list(SETITEM_ERRORS))
def test_setitem_errors(case):
    def fn(m, x):
        idx_fn, val_fn = SETITEM_ERRORS[case]
        idx = idx_fn(m)
        x[x > 0 if isinstance(idx, str) else idx] = val_fn(m)
        return x

    compare(fn, sample((3, 4), "float32"), message=case != "mask_value_wrong")


@pytest.mark.parametrize("dtype,value", [("uint8", 300), ("uint8", -1), ("uint8", -200), ("uint8", -256),
                                         ("int8", -128), ("int8", 128), ("int32", 2 ** 31), ("int64", 2 ** 63),
                                         ("int64", float("inf")), ("int64", float("nan")), ("uint8", -3.5),
                                         ("int32", 2.5e10), ("float16", 1e6), ("bfloat16", 1e39),
                                         ("float32", float("inf")), ("bool", 0.5), ("bool", 1j), ("int64", 1 + 0j),
                                         ("complex64", 1 + 2j)])
def test_setitem_scalar_conversion(dtype, value):
    def fn(m, x):
        x[0] = value
        return x

    compare(fn, sample((3,), dtype), message=True)


def test_setitem_overlap_refused():
    def shift(m, x):
        x[1:] = x[:-1]
        return x

    def same(m, x):
        x[:] = x
        return x

    def adv(m, x):
        x[[0, 1]] = x[1:3]
        return x

    def strided(m, x):
        x[::2] = x[1::2]
        return x

    for fn in (shift, same, adv, strided):
        compare(fn, sample((6,), "float32"), message=True)


def test_setitem_0dim():
    def fn(m, x):
        x[...] = 5
        x[None] = m.tensor([6.0])
        x[()] += 1
        return x

    compare(fn, np.array(1.0, np.float32))


# -------------------------------------------------------------------------------------------------------
# index_select / gather / take / take_along_dim

SHAPES = [(5,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16", "complex64"])
def test_index_select(shape, dtype):
    for dim in range(-len(shape), len(shape)):
        compare(lambda m, x: m.index_select(x, dim, L(m, [0, 1, 1, -1])), sample(shape, dtype))
        compare(lambda m, x: x.index_select(dim, L(m, [1, 0], "int32")), sample(shape, dtype))
    compare(lambda m, x: m.index_select(x, 0, L(m, [], "int64")), sample(shape, dtype))
    compare(lambda m, x: m.index_select(x, 0, L(m, 1)), sample(shape, dtype))


def test_index_select_misc():
    compare(lambda m, x: m.index_select(x, 0, L(m, [0, 0])), np.array(3.0, np.float32))
    compare(lambda m, x: m.index_select(x.t(), 1, L(m, [2, 0])), sample((4, 3)))
    compare(lambda m, x: m.index_select(x, 0, L(m, [1]), out=m.empty(0)), sample((3,)))
    for idx in ([5], [-6]):
        compare(lambda m, x: m.index_select(x, 0, L(m, idx)), sample((5,)), message=True)
    compare(lambda m, x: m.index_select(x, 0, L(m, [[0]])), sample((5,)), message=True)
    compare(lambda m, x: m.index_select(x, 0, m.tensor([0.0])), sample((5,)), message=True)
    compare(lambda m, x: m.index_select(x, 2, L(m, [0])), sample((5,)), message=True)


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "float16"])
def test_gather(dtype):
    x = sample((3, 4), dtype)
    compare(lambda m, x: m.gather(x, 0, L(m, [[0, 1, 2, 0], [2, 2, 1, 0]])), x)
    compare(lambda m, x: x.gather(1, L(m, [[3, 0], [1, 1], [0, 2]])), x)
    compare(lambda m, x: m.gather(x, 1, L(m, [[3], [1]])), x)  # index smaller than input in dim 0
    compare(lambda m, x: m.gather(x, -1, m.zeros(3, 0, dtype=m.int64)), x)
    compare(lambda m, x: m.gather(x.t(), 0, L(m, [[0, 1, 2], [3, 3, 3]])), x)
    compare(lambda m, x: m.gather(x, 0, L(m, [[0, 1]]), out=m.empty(0, dtype=x.dtype)), x)


def test_gather_3d_and_0dim():
    compare(lambda m, x: m.gather(x, 1, m.tensor(np.random.default_rng(0).integers(0, 3, (2, 5, 4)))),
            sample((2, 3, 4)))
    compare(lambda m, x: m.gather(x, 0, L(m, 0)), np.array(2.5, np.float32))
    compare(lambda m, x: m.gather(x, 0, L(m, [0, 0])), np.array(2.5, np.float32))


@pytest.mark.parametrize("case", ["int32_index", "oob", "negative", "ndim", "too_large", "float_index"])  # int32 works
def test_gather_errors(case):
    idx = {"int32_index": lambda m: L(m, [[0]], "int32"), "oob": lambda m: L(m, [[3]]),
           "negative": lambda m: L(m, [[-1]]), "ndim": lambda m: L(m, [0]),
           "too_large": lambda m: m.zeros(2, 5, dtype=m.int64), "float_index": lambda m: m.zeros(1, 1)}[case]
    compare(lambda m, x: m.gather(x, 0, idx(m)), sample((3, 4)), message=True)


@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
def test_take(dtype):
    compare(lambda m, x: m.take(x, L(m, [[0, -1], [5, 11]])), sample((3, 4), dtype))
    compare(lambda m, x: x.t().take(L(m, [0, 1, 2])), sample((3, 4), dtype))
    compare(lambda m, x: m.take(x, L(m, 0)), np.array(True))
    compare(lambda m, x: m.take(x, L(m, [12])), sample((3, 4), dtype), message=True)
    compare(lambda m, x: m.take(x, L(m, [-13])), sample((3, 4), dtype), message=True)
    compare(lambda m, x: m.take(x, L(m, [1], "int32")), sample((3, 4), dtype), message=True)


def test_take_along_dim():
    x = sample((3, 4))
    compare(lambda m, x: m.take_along_dim(x, m.argsort(x, 1) if hasattr(m, "argsort") else L(m, [[3, 2, 1, 0]]), 1), x)
    compare(lambda m, x: m.take_along_dim(x, L(m, [[0, 1, 2, 2]]), 0), x)
    compare(lambda m, x: m.take_along_dim(x, L(m, [[0], [1]]), 1), sample((1, 4)))  # broadcasts input and indices
    compare(lambda m, x: m.take_along_dim(x, L(m, [0, 11, 5])), x)
    compare(lambda m, x: x.take_along_dim(L(m, [[1]]), dim=-1), x)
    compare(lambda m, x: m.take_along_dim(x, L(m, [[-1]]), 1), x)  # negative indices wrap along a dim
    compare(lambda m, x: m.take_along_dim(x, L(m, [12])), x, message=True)
    compare(lambda m, x: m.take_along_dim(x, L(m, [-1])), x, message=True)
    compare(lambda m, x: m.take_along_dim(x, L(m, [[1]], "int32"), 1), x, message=True)
    compare(lambda m, x: m.take_along_dim(x, L(m, [1]), 1), x, message=True)


# -------------------------------------------------------------------------------------------------------
# scatter family


@pytest.mark.parametrize("dtype", ["float32", "int64", "float64", "bfloat16"])
def test_scatter(dtype):
    x = sample((3, 5), dtype)
    idx = lambda m: L(m, [[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])  # noqa: E731
    src = lambda m: m.arange(1, 11).reshape(2, 5).to(getattr(m, dtype))  # noqa: E731
    compare(lambda m, x: m.scatter(x, 0, idx(m), src(m)), x)
    compare(lambda m, x: x.scatter(1, L(m, [[0, 1], [4, 3], [2, 2]]), m.arange(6).reshape(3, 2).to(x.dtype)), x)
    compare(lambda m, x: m.scatter(x, 0, idx(m), 2), x)
    compare(lambda m, x: m.scatter(x, 0, idx(m), value=3), x)
    compare(lambda m, x: m.scatter(x, 1, L(m, [[1], [2]]), src(m)), x)  # index smaller than src and self
    compare(lambda m, x: m.scatter(x, 0, m.zeros(0, 5, dtype=m.int64), src(m)), x)
    if dtype != "bfloat16":
        compare(lambda m, x: m.scatter(x, 0, idx(m), src(m), reduce="add"), x)
        compare(lambda m, x: m.scatter(x, 0, idx(m), src(m), reduce="multiply"), x)
        compare(lambda m, x: m.scatter(x, 0, idx(m), 2, reduce="add"), x)

    def inplace(m, x):
        y = x.scatter_(0, idx(m), src(m))
        return y is x, x

    compare(inplace, x)


def test_scatter_0dim_and_views():
    compare(lambda m, x: m.scatter(x, 0, L(m, 0), m.tensor(5.0)), np.array(1.0, np.float32))

    def through_view(m, x):
        x.t().scatter_(0, L(m, [[1, 0, 2]]), m.tensor([[7.0, 8.0, 9.0]]))
        return x

    compare(through_view, sample((3, 3)))


SCATTER_ERRORS = {
    "int32_index_ok": lambda m, x: m.scatter(x, 0, L(m, [[0]], "int32"), 1.0),
    "float_index": lambda m, x: m.scatter(x, 0, m.zeros(1, 1), 1.0),
    "dtype_mismatch": lambda m, x: m.scatter(x, 0, L(m, [[0]]), m.ones(1, 1, dtype=m.float64)),
    "oob": lambda m, x: m.scatter(x, 0, L(m, [[3]]), 1.0),
    "negative": lambda m, x: m.scatter(x, 0, L(m, [[-1]]), 1.0),
    "ndim": lambda m, x: m.scatter(x, 0, L(m, [0]), 1.0),
    "index_larger_than_src": lambda m, x: m.scatter(x, 0, m.zeros(2, 2, dtype=m.int64), m.ones(1, 1)),
    "bad_reduce": lambda m, x: m.scatter(x, 0, L(m, [[0]]), m.ones(1, 1), reduce="max"),
    "scatter_add_int32": lambda m, x: m.scatter_add(x, 0, L(m, [[0]], "int32"), m.ones(1, 1)),
    "scatter_reduce_max_alias": lambda m, x: m.scatter_reduce(x, 0, L(m, [[0]]), m.ones(1, 1), "max"),
    "scatter_reduce_bad": lambda m, x: m.scatter_reduce(x, 0, L(m, [[0]]), m.ones(1, 1), "foo"),
    "overflow_value": lambda m, x: m.scatter(x, 0, L(m, [[0]]), 1e39),
}


@pytest.mark.parametrize("case", list(SCATTER_ERRORS))
def test_scatter_errors(case):
    compare(SCATTER_ERRORS[case], sample((3, 4)), message=True)


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16"])
def test_scatter_add(dtype):
    x = sample((3, 4), dtype)
    idx = np.random.default_rng(1).integers(0, 3, (5, 4))
    src = sample((5, 4), dtype, seed=2)
    compare(lambda m, x, s: m.scatter_add(x, 0, m.tensor(idx), s), x, src)
    compare(lambda m, x, s: x.scatter_add(1, m.tensor(idx[:3, :2] % 4), s), x, src)

    def inplace(m, x, s):
        return x.scatter_add_(0, m.tensor(idx), s), x

    compare(inplace, x, src)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_scatter_reduce(reduce, include_self, dtype):
    x = sample((3, 4), dtype, low=1, high=4)
    src = sample((6, 4), dtype, seed=3, low=1, high=4)
    idx = np.random.default_rng(4).integers(0, 2, (6, 4))  # row 2 never receives: keeps its values
    compare(lambda m, x, s: m.scatter_reduce(x, 0, m.tensor(idx), s, reduce, include_self=include_self), x, src)
    compare(lambda m, x, s: x.scatter_reduce_(1, m.tensor(idx[:3] % 4), s, reduce=reduce,
                                              include_self=include_self), x, src)


def test_scatter_reduce_nan():
    x = np.array([1.0, np.nan, 3.0], np.float32)
    s = np.array([np.nan, 2.0, 5.0, 0.5], np.float32)
    for reduce in ("amax", "amin", "sum"):
        compare(lambda m, x, s: m.scatter_reduce(x, 0, L(m, [0, 1, 2, 2]), s, reduce), x, s)


# -------------------------------------------------------------------------------------------------------
# index_add / index_copy / index_fill / index_reduce / index_put


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_copy(dtype, dim):
    x = sample((4, 3), dtype)
    n = 5 if dim == 0 else 4
    src_shape = (n, 3) if dim == 0 else (4, n)
    src = sample(src_shape, dtype, seed=5)
    idx = [0, 2, 2, 1, 0][:n] if dim == 0 else [2, 0, 2, 1][:n]
    compare(lambda m, x, s: m.index_add(x, dim, L(m, idx), s), x, src)
    if dtype != "bool":
        compare(lambda m, x, s: x.index_add(dim, L(m, idx, "int32"), s, alpha=2), x, src)
    uniq = [3, 1, 0, 2][:src_shape[dim] if dim != 0 else 4]
    copy_src = np.ascontiguousarray(src[:4] if dim == 0 else src[:, :3])
    compare(lambda m, x, s: m.index_copy(x, dim, L(m, uniq[:s.shape[dim]]), s), x, copy_src)

    def inplace(m, x, s):
        first = s[:1] if dim == 0 else s[:, :1]
        return x.index_add_(dim, L(m, idx), s), x.index_copy_(dim, L(m, idx[:1]), first), x

    compare(inplace, x, src)


INDEX_ERRORS = {
    "add_oob": lambda m, x: x.index_add(0, L(m, [4]), m.ones(1, 3)),
    "add_dtype": lambda m, x: x.index_add(0, L(m, [0]), m.ones(1, 3, dtype=m.float64)),
    "add_count": lambda m, x: x.index_add(0, L(m, [0, 1]), m.ones(1, 3)),
    "add_shape": lambda m, x: x.index_add(0, L(m, [0]), m.ones(1, 2)),
    "add_1d_oob": lambda m, x: x[0].index_add(0, L(m, [-1]), m.ones(1)),
    "add_negative": lambda m, x: x.index_add(1, L(m, [-1]), m.ones(4, 1)),
    "copy_count": lambda m, x: x.index_copy(0, L(m, [0, 1]), m.ones(1, 3)),
    "copy_shape": lambda m, x: x.index_copy(0, L(m, [0]), m.ones(1, 2)),
    "copy_dtype": lambda m, x: x.index_copy(0, L(m, [0]), m.ones(1, 3, dtype=m.float64)),
    "reduce_oob": lambda m, x: x.index_reduce(0, L(m, [-1]), m.ones(1, 3), "prod"),
    "fill_int32": lambda m, x: x.index_fill(0, L(m, [0], "int32"), 1.0),
    "fill_2d_index": lambda m, x: x.index_fill(0, L(m, [[0]]), 1.0),
    "add_float_index": lambda m, x: x.index_add(0, m.tensor([0.0]), m.ones(1, 3)),
    "copy_oob": lambda m, x: x.index_copy(0, L(m, [4]), m.ones(1, 3)),
    "copy_negative": lambda m, x: x.index_copy(0, L(m, [-1]), m.ones(1, 3)),
    "fill_oob": lambda m, x: x.index_fill(0, L(m, [4]), 1.0),
    "fill_value_dims": lambda m, x: x.index_fill(0, L(m, [0]), m.ones(2)),
    "fill_overflow": lambda m, x: x.index_fill(0, L(m, [0]), 1e39),
}


@pytest.mark.parametrize("case", list(INDEX_ERRORS))
def test_index_op_errors(case):
    compare(INDEX_ERRORS[case], sample((4, 3)), message=True)


@pytest.mark.parametrize("dtype", ["float32", "int16", "bool", "complex128"])
def test_index_fill(dtype):
    x = sample((3, 4), dtype)
    compare(lambda m, x: m.index_fill(x, 1, L(m, [0, -1, 0]), 1), x)
    compare(lambda m, x: x.index_fill(0, L(m, []), 0), x)
    compare(lambda m, x: x.index_fill(0, L(m, [2]), m.tensor(1)), x)

    def inplace(m, x):
        return x.index_fill_(0, L(m, [1]), 0), x.t().index_fill_(0, L(m, [1]), 1), x

    compare(inplace, x)
    compare(lambda m, x: m.index_fill(x, 0, L(m, [0]), -1), np.array(5, np.int64))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    x, s = sample((4, 3)), sample((5, 3), seed=6)
    compare(lambda m, x, s: x.index_reduce(0, L(m, [0, 2, 2, 0, 1]), s, reduce, include_self=include_self), x, s)
    xi, si = sample((4, 3), "int32", low=1), sample((5, 3), "int32", seed=6, low=1)
    compare(lambda m, x, s: x.index_reduce_(0, L(m, [0, 2, 2, 0, 1]), s, reduce, include_self=include_self), xi, si)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float16"])
def test_index_put(accumulate, dtype):
    x = sample((3, 4), dtype)
    v = sample((4,), dtype, seed=7)
    compare(lambda m, x, v: m.index_put(x, (L(m, [0, 2, 0, 0]), L(m, [1, 1, 1, 3])), v, accumulate), x, v)
    compare(lambda m, x, v: x.index_put((L(m, [1, 1]),), v[:1], accumulate=accumulate), x, v)
    compare(lambda m, x, v: x.index_put((x > 0,), v[0], accumulate=accumulate), x, v)
    compare(lambda m, x, v: x.index_put((None, L(m, [0, 0])), v[:1], accumulate=accumulate), x, v, message=True)
    compare(lambda m, x, v: x.index_put((L(m, 1), L(m, [0, 0, 3])), v[:3], accumulate=accumulate), x, v)

    def inplace(m, x, v):
        y = x.index_put_((L(m, [2, 2, 2]), L(m, [0, 0, 0])), v[:3], accumulate)
        return y is x, x

    compare(inplace, x, v)


def test_index_put_errors():
    x = sample((3, 4))
    compare(lambda m, x: x.index_put((L(m, [3]),), m.tensor(1.0)), x, message=True)
    compare(lambda m, x: x.index_put((L(m, [0]),), m.tensor(1.0, dtype=m.float64)), x, message=True)
    compare(lambda m, x: x.index_put((L(m, [0, 1]),), m.ones(3)), x, message=True)
    compare(lambda m, x: x.index_put((L(m, [0]), L(m, [0]), L(m, [0])), m.tensor(1.0)), x)


def test_setitem_accumulate_vs_last_wins():
    def fn(m, x):
        a = x.clone()
        a[L(m, [0, 0, 0])] = m.tensor([1.0, 2.0, 3.0])
        b = x.clone().index_put_((L(m, [0, 0, 0]),), m.tensor([1.0, 2.0, 3.0]), accumulate=True)
        return a, b

    compare(fn, sample((4,)))


# -------------------------------------------------------------------------------------------------------
# masks


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_masked_fill(dtype):
    x = sample((3, 4), dtype)
    mask = sample((3, 4), "bool", seed=8)
    compare(lambda m, x, k: m.masked_fill(x, k, 1), x, mask)
    compare(lambda m, x, k: x.masked_fill(k[0], m.tensor(0)), x, mask)  # broadcast mask
    compare(lambda m, x, k: x[:1].masked_fill(k, 1), x, mask)  # broadcast self

    def inplace(m, x, k):
        return x.masked_fill_(k, 0), x.t().masked_fill_(k.t(), 1), x

    compare(inplace, x, mask)


MASK_ERRORS = {
    "float_mask": lambda m, x: x.masked_fill(x, 0.0),
    "uint8_mask": lambda m, x: x.masked_fill(x.to(m.uint8), 0.0),
    "value_dims": lambda m, x: x.masked_fill(x > 0, m.ones(2)),
    "inplace_broadcast": lambda m, x: x[0].masked_fill_(x > 0, 0.0),
    "shape": lambda m, x: x.masked_fill(m.ones(2, dtype=m.bool), 0.0),
    "select_float_mask": lambda m, x: x.masked_select(x),
    "scatter_too_few": lambda m, x: x.masked_scatter(x > -100, m.ones(3)),
    "scatter_dtype": lambda m, x: x.masked_scatter(x > 0, m.ones(12, dtype=m.float64)),
    "value_overflow": lambda m, x: x.to(m.uint8).masked_fill(x > 0, 256),
    "complex_value": lambda m, x: x.masked_fill(x > 0, m.tensor(1j)),
}


@pytest.mark.parametrize("case", list(MASK_ERRORS))
def test_mask_errors(case):
    compare(MASK_ERRORS[case], sample((3, 4)), message=case not in ("scatter_too_few", "shape", "complex_value"))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16"])
def test_masked_select_scatter(dtype):
    x = sample((3, 4), dtype)
    mask = sample((3, 4), "bool", seed=9)
    src = sample((4, 3), dtype, seed=10)
    compare(lambda m, x, k: m.masked_select(x, k), x, mask)
    compare(lambda m, x, k: x.masked_select(k[:, :1]), x, mask)
    compare(lambda m, x, k: x.t().masked_select(k.t()), x, mask)
    compare(lambda m, x, k: m.masked_select(x, m.zeros_like(k)), x, mask)
    compare(lambda m, x, k, s: m.masked_scatter(x, k, s), x, mask, src)
    compare(lambda m, x, k, s: x[0].masked_scatter(k, s), x, mask, src)

    def inplace(m, x, k, s):
        return x.masked_scatter_(k, s), x

    compare(inplace, x, mask, src)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate):
    x, s = sample((3, 4)), sample((4,), seed=11)
    compare(lambda m, x, s: x.put(L(m, [0, -1, 5, 0]), s, accumulate), x, s)

    def inplace(m, x, s):
        x.t().put_(L(m, [1, 2]), s[:2], accumulate=accumulate)
        return x.put_(L(m, [[3, 3]]), s[2:], accumulate), x

    compare(inplace, x, s)
    compare(lambda m, x, s: x.put_(L(m, [12]), s[:1]), x, s, message=True)


# -------------------------------------------------------------------------------------------------------
# where / nonzero / argwhere


@pytest.mark.parametrize("a,b", [("float32", "float32"), ("int32", "float16"), ("int64", 2.5), (3, "int8"),
                                 ("bool", "bool"), (1, 0), (1.0, 0), (True, False), ("float64", "complex64"),
                                 ("uint8", "int8"), ("0d_float64", "float32"), ("bfloat16", 1)])
def test_where_promotion(a, b):
    c = sample((3, 4), "bool", seed=12)

    def operand(m, spec, seed):
        if isinstance(spec, str):
            if spec.startswith("0d_"):
                return m.tensor(sample((), spec[3:], seed=seed))
            arr = sample((3, 4), spec, seed=seed)
            return m.tensor(arr) if arr.dtype != ember.bfloat16._np else m.ones(3, 4, dtype=m.bfloat16) * seed
        return spec

    compare(lambda m, c: m.where(c, operand(m, a, 1), operand(m, b, 2)), c)


def test_where_forms():
    c, x, y = sample((3, 1), "bool"), sample((1, 4)), sample((3, 4), seed=3)
    compare(lambda m, c, x, y: m.where(c, x, y), c, x, y)
    compare(lambda m, c, x, y: x.where(c, y), c, x, y)
    compare(lambda m, c, x, y: m.where(c, x, y, out=m.empty(0)), c, x, y)
    compare(lambda m, c: m.where(c), sample((3, 4), "bool"))
    compare(lambda m, c, x, y: m.where(x, x, y), c, x, y, message=True)
    compare(lambda m, c, x, y: m.where(c[:2], x, y), c, x, y)
    compare(lambda m, x: m.where(x > 0, x, 1e39), sample((3,)), message=True)
    compare(lambda m, x: m.where(x > 0, x, 300), sample((3,), "uint8"), message=True)


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["bool", "float32", "int64", "complex64"])
def test_nonzero(shape, dtype):
    x = sample(shape, dtype, low=-1, high=2)
    compare(lambda m, x: m.nonzero(x), x)
    compare(lambda m, x: x.nonzero(as_tuple=True), x)
    compare(lambda m, x: m.argwhere(x), x)
    compare(lambda m, x: x.argwhere(), x)


def test_nonzero_special():
    compare(lambda m, x: m.nonzero(x), np.array(0.0, np.float32))
    compare(lambda m, x: m.nonzero(x, as_tuple=True), np.array(0.0, np.float32))
    compare(lambda m, x: m.nonzero(x.t()), sample((3, 4), "bool"))
    compare(lambda m, x: m.nonzero(x, out=m.empty(0, dtype=m.int64)), sample((3, 4), "bool"))


# -------------------------------------------------------------------------------------------------------
# triangles, flips, rolls, diagonals


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3), (0, 3), (3, 0)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 5, -5])
@pytest.mark.parametrize("dtype", ["float32", "bool", "int8"])
def test_tril_triu(shape, diagonal, dtype):
    x = sample(shape, dtype)
    compare(lambda m, x: (m.tril(x, diagonal), x.triu(diagonal=diagonal)), x)

    def inplace(m, x):
        return x.clone().tril_(diagonal), x.triu_(diagonal), x

    compare(inplace, x)


def test_tril_triu_misc():
    compare(lambda m, x: m.tril(x.t()), sample((3, 5)))
    compare(lambda m, x: m.triu(x, out=m.empty(0)), sample((3, 5)))
    compare(lambda m, x: m.tril(x), sample((3,)), message=True)
    compare(lambda m, x: x.triu_(), np.array(1.0), message=True)


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 3, 0), (3, 3, 10), (3, 3, -10)])
def test_triangle_indices(row, col, offset):
    compare(lambda m: (m.tril_indices(row, col, offset), m.triu_indices(row, col, offset)))
    compare(lambda m: (m.tril_indices(row, col, offset, dtype=m.int32), m.triu_indices(row, col, dtype=m.int32)))


@pytest.mark.parametrize("dtype", ["float32", "bool", "complex64"])
def test_flip(dtype):
    x = sample((2, 3, 4), dtype)
    compare(lambda m, x: m.flip(x, (0,)), x)
    compare(lambda m, x: m.flip(x, [0, -1]), x)
    compare(lambda m, x: m.flip(x, ()), x)
    compare(lambda m, x: x.flip(1), x)
    compare(lambda m, x: x.flip(0, 2), x)
    compare(lambda m, x: x.permute(2, 0, 1).flip([1]), x)
    compare(lambda m, x: m.fliplr(x), x)
    compare(lambda m, x: m.flipud(x), x)

    def is_copy(m, x):
        y = m.flip(x, [0])
        y.fill_(0) if hasattr(y, "fill_") else y.copy_(m.zeros_like(y))
        return x, y._base is None

    compare(is_copy, x)
    compare(lambda m, x: m.flip(x, 0), x, message=True)
    compare(lambda m, x: m.flip(x, [0, 0]), x, message=True)
    compare(lambda m, x: m.flip(x, [3]), x, message=True)
    compare(lambda m, x: m.fliplr(x), sample((3,), dtype), message=True)
    compare(lambda m, x: m.flipud(x), np.array(1.0), message=True)
    compare(lambda m, x: m.flip(x, [0]), np.array(1.0))


@pytest.mark.parametrize("shifts,dims", [(1, None), (-7, None), (2, 0), ((1, -2), (0, 2)), ([5], [1]), (0, -1),
                                         ((1, 2), None), ((1, 2), 0)])
def test_roll(shifts, dims):
    compare(lambda m, x: m.roll(x, shifts, dims), sample((2, 3, 4)), message=True)
    compare(lambda m, x: x.t().roll(shifts, dims) if dims is None else x.roll(shifts, dims), sample((2, 3, 4)),
            message=True)


def test_roll_edge():
    compare(lambda m, x: m.roll(x, 3), sample((0, 3)))
    compare(lambda m, x: m.roll(x, 3, 0), sample((3, 0)))
    compare(lambda m, x: m.roll(x, 1), np.array(2.0, np.float32))


@pytest.mark.parametrize("offset", [0, 1, -2, 4])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_diag(offset, dtype):
    compare(lambda m, x: m.diag(x, offset), sample((3,), dtype))
    compare(lambda m, x: x.diag(offset), sample((3, 4), dtype))
    compare(lambda m, x: m.diag(x.t(), offset), sample((3, 4), dtype))
    compare(lambda m, x: m.diagflat(x, offset), sample((2, 2), dtype))
    compare(lambda m, x: m.diag_embed(x, offset), sample((2, 3), dtype))
    compare(lambda m, x: x.diag_embed(offset, 0, 2), sample((2, 3), dtype))
    compare(lambda m, x: m.diag_embed(x, offset, dim1=-1, dim2=0), sample((2, 3), dtype))


def test_diag_errors_and_edges():
    compare(lambda m, x: m.diag(x), sample((2, 2, 2)), message=True)
    compare(lambda m, x: m.diag(x), sample((0,)))
    compare(lambda m, x: m.diagflat(x), np.array(3.0, np.float32))
    compare(lambda m, x: m.diag_embed(x, 0, 1, 1), sample((2, 3)), message=True)
    compare(lambda m, x: m.diag_embed(x), sample((4,)))


def test_narrow_copy():
    compare(lambda m, x: m.narrow_copy(x, 1, 1, 2), sample((3, 4)))
    compare(lambda m, x: x.narrow_copy(0, -2, 2), sample((3, 4)))
    compare(lambda m, x: x.narrow_copy(0, 2, 2), sample((3, 4)), message=True)
