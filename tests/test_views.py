"""Views that share memory (values, strides, and writes in both directions) and the joining/repeating ops,
against PyTorch."""

import warnings

import numpy as np
import pytest
from harness import ALL_DTYPES, compare, noncontiguous, sample

import ember

LAYOUTS = ["contiguous", "noncontiguous", "transposed"]


def arrange(shape, layout, dtype="float32"):
    arr = sample(shape, dtype)
    if layout == "noncontiguous":
        return noncontiguous(arr)
    if layout == "transposed":  # same shape, reversed memory order
        return np.ascontiguousarray(arr.T).T
    return arr


def _pieces(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _write(m, v, start):
    """Overwrite every element of view `v` with distinct values (copy_ broadcasts nothing here)."""
    v.copy_(m.arange(start, start + v.numel()).reshape(v.shape).to(v.dtype))


def check_view(expr, arr, strides=True):
    """The op's result matches torch's (values, dtype, shape, strides, storage offset), a write through the
    view shows in the base, and a write to the base shows in the view."""
    fn = eval(f"lambda m, t: {expr}")
    compare(fn, arr, check_stride=strides, message=True)
    compare(lambda m, t: [p.storage_offset() for p in _pieces(fn(m, t))], arr)

    def view_to_base(m, t):
        for i, piece in enumerate(_pieces(fn(m, t))):
            _write(m, piece, 100 * (i + 1))
        return t

    def base_to_view(m, t):
        result = fn(m, t)
        _write(m, t, 500)
        return result

    compare(view_to_base, arr, message=True)
    compare(base_to_view, arr)


# ---------------------------------------------------------------------------------------------------------
# view-producing ops: (expression of t, shape of t)

VIEW_CASES = [
    ("t.view(-1)", (3, 4)), ("t.view(2, -1)", (3, 4)), ("t.view(4, 3, 1)", (3, 4)), ("t.view(3, 2, 1, 2)", (3, 4)),
    ("t.view(m.Size([6, 2]))", (3, 4)), ("t.view(())", (1, 1)), ("t.view(-1)", ()), ("t.view(1, 1)", ()),
    ("m.zeros(3, 0).view(0, 3)", ()), ("t.view(2, 1, 3)", (1, 2, 3)), ("t.view_as(m.zeros(2, 6))", (3, 4)),
    ("t.reshape(-1)", (3, 4)), ("t.reshape(2, 2, 3)", (3, 4)), ("m.reshape(t, (4, 3))", (3, 4)),
    ("t.reshape_as(m.zeros(12))", (3, 4)), ("t.reshape(())", (1,)),
    ("t.flatten()", (2, 3, 4)), ("t.flatten(1)", (2, 3, 4)), ("t.flatten(0, 1)", (2, 3, 4)), ("t.flatten()", ()),
    ("m.flatten(t, -2, -1)", (2, 3, 4)), ("t.flatten(1, 1)", (2, 3, 4)),
    ("t.unflatten(1, (2, 2))", (3, 4)), ("t.unflatten(1, (-1, 2))", (3, 4)), ("t.unflatten(0, (3, 1))", (3, 4)),
    ("t.squeeze()", (1, 3, 1)), ("t.squeeze(0)", (1, 3, 1)), ("t.squeeze(-1)", (1, 3, 1)), ("t.squeeze(1)", (1, 3, 1)),
    ("t.squeeze((0, 2))", (1, 3, 1)), ("m.squeeze(t, (0, 1))", (3, 4)), ("t.squeeze(0)", ()),
    ("t.unsqueeze(0)", (3, 4)), ("t.unsqueeze(1)", (3, 4)), ("t.unsqueeze(2)", (3, 4)), ("t.unsqueeze(-1)", (3, 4)),
    ("t.unsqueeze(0)", ()), ("m.zeros(0, 2).unsqueeze(-1)", ()),
    ("t.permute(1, 0)", (3, 4)), ("t.permute(2, 0, 1)", (2, 3, 4)), ("m.permute(t, (0, 2, 1))", (2, 3, 4)),
    ("t.permute(())", ()), ("t.transpose(0, 1)", (3, 4)), ("t.transpose(-1, 0)", (2, 3, 4)),
    ("m.swapaxes(t, 0, 2)", (2, 3, 4)), ("t.swapdims(1, 2)", (2, 3, 4)), ("t.t()", (3, 4)), ("t.t()", (3,)),
    ("t.t()", ()), ("m.t(t)", (3, 4)), ("t.movedim(0, -1)", (2, 3, 4)), ("t.movedim((0, 1), (2, 0))", (2, 3, 4)),
    ("m.moveaxis(t, 1, 0)", (2, 3, 4)), ("t.moveaxis(-1, 0)", (2, 3, 4)),
    ("t.expand(2, 3, 4)", (3, 1)), ("t.expand(3, -1)", (1, 4)), ("t.expand(2, 3, 4)", (3, 4)), ("t.expand(3, 1)", ()),
    ("t.expand(1)", ()), ("t.expand(1, 3)", (3,)), ("t.expand(1, 3, 1)", (3, 1)), ("t.expand((2, 3, 4))", (3, 4)),
    ("t.expand_as(m.zeros(2, 3, 4))", (3, 1)), ("m.broadcast_to(t, (2, 3))", (3,)),
    ("t.broadcast_to((5, 1, 4))", (1, 4)),
    ("t.narrow(1, 1, 2)", (3, 4)), ("t.narrow(0, -1, 1)", (3, 4)), ("t.narrow(1, 4, 0)", (3, 4)),
    ("m.narrow(t, 1, m.tensor(1), 2)", (3, 4)),
    ("t.select(0, 1)", (3, 4)), ("t.select(1, -1)", (3, 4)), ("m.select(t, 2, 0)", (2, 3, 4)),
    ("t.unbind()", (3, 4)), ("t.unbind(1)", (3, 4)), ("m.unbind(t, -1)", (2, 3, 4)), ("m.zeros(0, 2).unbind(0)", ()),
    ("t.split(2)", (5, 4)), ("t.split(2, 1)", (3, 4)), ("t.split([1, 3], 1)", (3, 4)), ("t.split(5)", (3, 4)),
    ("m.split(t, [2, 0, 1])", (3, 4)), ("m.zeros(0, 2).split(0)", ()), ("m.zeros(0, 2).split(2)", ()),
    ("t.chunk(2)", (5, 4)), ("t.chunk(2, 1)", (3, 4)), ("t.chunk(3)", (4,)), ("t.chunk(4)", (6,)),
    ("t.chunk(10)", (5,)), ("m.zeros(0).chunk(3)", ()), ("m.chunk(t, 2, -1)", (2, 3, 5)),
    ("t.tensor_split(3, 1)", (3, 4)), ("t.tensor_split([1, 3], 1)", (3, 4)), ("t.tensor_split((5, 2), 1)", (3, 4)),
    ("t.tensor_split(m.tensor(2), 1)", (3, 4)), ("t.tensor_split(m.tensor([1, 2]), 1)", (3, 4)),
    ("t.tensor_split([-1], 1)", (3, 4)), ("m.tensor_split(t, 4)", (7,)),
    ("t.hsplit(2)", (3, 4)), ("t.hsplit([1])", (3, 4)), ("t.hsplit(2)", (6,)), ("t.vsplit(3)", (3, 4)),
    ("m.vsplit(t, [1, 2])", (3, 4)), ("t.dsplit(2)", (2, 2, 4)), ("m.dsplit(t, [1])", (2, 2, 4)),
    ("t.diagonal()", (3, 4)), ("t.diagonal(1)", (3, 4)), ("t.diagonal(-2)", (3, 4)), ("t.diagonal(5)", (3, 4)),
    ("t.diagonal(-5)", (3, 4)), ("t.diagonal(0, -1, 0)", (2, 3, 4)), ("m.diagonal(t, 1, 2, 1)", (2, 3, 4)),
    ("t.diagonal(offset=-1, dim1=1, dim2=2)", (2, 3, 4)),
    ("t.unfold(1, 2, 1)", (3, 4)), ("t.unfold(0, 2, 2)", (3, 4)), ("t.unfold(1, 0, 1)", (3, 4)),
    ("t.unfold(0, 1, 1)", ()), ("t.unfold(-1, 3, 2)", (2, 7)),
    ("t.as_strided((2, 2), (1, 2))", (3, 4)), ("t.as_strided((2, 2), (1, 2), 1)", (3, 4)),
    ("m.as_strided(t, (2,), (1,), None)", (3, 4)), ("t[1].as_strided((2,), (1,))", (3, 4)),
    ("m.as_strided(t[1:], (3, 3), (1, 1), 2)", (3, 4)), ("t.as_strided((3, 2), (0, 1))", (3, 4)),
    ("t[0]", (3, 4)), ("t.contiguous()", (3, 4)),
]


@pytest.mark.parametrize("expr, shape", VIEW_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_view_ops(expr, shape, layout):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_view(expr, arrange(shape, layout))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_view_ops_dtypes(dtype):
    arr = arrange((2, 3, 4), "noncontiguous", dtype)
    for expr in ["t.permute(2, 0, 1)", "t.unsqueeze(1)", "t.diagonal(0, 1, 2)", "t.select(2, 1)",
                 "t.unfold(2, 2, 1)", "t.expand(3, 2, 3, 4)", "t.split(1)", "t.view(2, 3, 2, 2)"]:
        check_view(expr, arr)


def test_as_strided_is_relative_to_storage():
    """as_strided counts storage_offset from the storage's start, not from the view's first element."""
    compare(lambda m: m.arange(12.)[4:].as_strided((2,), (1,), 1))
    compare(lambda m: m.arange(12.)[4:].as_strided((2,), (1,)))
    compare(lambda m: m.arange(12.).reshape(3, 4).t()[1].as_strided((3,), (4,)).storage_offset())
    compare(lambda m: m.as_strided(m.arange(12.).reshape(3, 4)[1:], (2, 2), (4, 1), 0))


VIEW_ERRORS = [
    ("t.t().view(12)", (3, 4)), ("t.view(-1, -1)", (3, 4)), ("t.view(5, -1)", (3, 4)), ("t.view(2, 6.0)", (3, 4)),
    ("t.view(0, -1)", (3, 4)), ("t.view(-1, 0)", (0, 3)), ("t.view(-2, 6)", (3, 4)), ("t[:, ::2].view(6)", (3, 4)),
    ("t.reshape(5)", (3, 4)), ("t.flatten(1, 0)", (3, 4)), ("t.unflatten(1, (3, 2))", (3, 4)),
    ("t.unflatten(1, ())", (3, 4)), ("t.squeeze(2)", (3, 4)), ("t.unsqueeze(3)", (3, 4)), ("t.unsqueeze(1)", ()),
    ("t.permute(0, 0)", (3, 4)), ("t.permute(0)", (3, 4)), ("t.permute(0, 2)", (3, 4)), ("t.transpose(0, 2)", (3, 4)),
    ("t.t()", (2, 3, 4)), ("t.movedim((0, 1), (0,))", (3, 4)), ("t.movedim((0, 0), (0, 1))", (3, 4)),
    ("t.movedim(0, 5)", (3, 4)), ("t.expand(3, 5)", (3, 4)), ("t.expand(4)", (3, 4)), ("t.expand(-1, 3)", (3,)),
    ("t.expand(2, -2)", (1, 3)), ("m.broadcast_to(t, (2, 4))", (3,)),
    ("t.narrow(1, 5, 0)", (3, 4)), ("t.narrow(1, 2, 3)", (3, 4)), ("t.narrow(1, 1, -1)", (3, 4)),
    ("t.narrow(0, 0, 1)", ()), ("t.select(0, 5)", (3, 4)), ("t.select(0, 0)", ()), ("t.select(2, 0)", (3, 4)),
    ("t.unbind()", ()), ("t.split([1, 1], 1)", (3, 4)), ("t.split(0)", (3, 4)), ("t.split(-1)", (3, 4)),
    ("t.chunk(0)", (3, 4)), ("t.tensor_split(0)", (3, 4)), ("t.tensor_split(-1, 1)", (3, 4)),
    ("t.tensor_split(m.tensor([1.5]))", (3, 4)), ("t.hsplit(3)", (3, 4)), ("t.vsplit(2)", (6,)),
    ("t.dsplit(2)", (3, 4)), ("t.diagonal(0, 0, 0)", (3, 4)), ("t.diagonal()", (3,)), ("t.unfold(1, 5, 1)", (3, 4)),
    ("t.unfold(1, 2, 0)", (3, 4)), ("t.unfold(0, 2, 1)", ()), ("t.as_strided((4, 4), (4, 1))", (3, 4)),
    ("t.as_strided((2, 2), (1, 2), -1)", (3, 4)), ("t.as_strided((2,), (-1,), 3)", (3, 4)),
    ("t.as_strided((2, 2), (1,))", (3, 4)),
]


@pytest.mark.parametrize("expr, shape", VIEW_ERRORS)
def test_view_errors(expr, shape):
    fn = eval(f"lambda m, t: {expr}")
    compare(fn, sample(shape), message=True)


def test_reshape_copies_only_when_needed():
    t = ember.arange(12.).reshape(3, 4).clone()
    assert t.reshape(12)._base is t
    copied = t.t().reshape(12)
    assert copied._base is None and copied.is_contiguous()
    copied[0] = 100
    assert t[0, 0].item() == 0
    compare(lambda m: m.zeros(2, 3, 4)[:, ::2].flatten(1).stride())
    compare(lambda m: m.zeros(2, 1, 3)[:, :, ::2].view(2, 2).stride())
    compare(lambda m: m.zeros(2, 1, 3).transpose(0, 1).view(2, 3).stride())
    compare(lambda m: m.zeros(4, 1)[::2].view(2).stride())
    compare(lambda m: m.zeros(0, 3).view(3, 0).stride())
    assert t.flatten(1, 1) is t


def test_view_chain_base_and_version():
    t = ember.zeros(4, 3)
    v = t.t().unsqueeze(0).select(2, 1)
    assert v._base is t
    v.copy_(ember.ones(1, 3))
    assert t[1].tolist() == [1., 1., 1.] and t._version == v._version == 1


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_view_as_real(dtype, layout):
    arr = arrange((3, 4), layout, dtype)
    check_view("m.view_as_real(t)", arr)
    check_view("m.view_as_real(t[1:, 2])", arr)
    check_view("m.view_as_real(t[0, 0])", arr)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_view_as_complex(dtype):
    arr = sample((3, 4, 2), dtype)
    check_view("m.view_as_complex(t)", arr)
    check_view("m.view_as_complex(t[:, 1:])", arr)
    check_view("m.view_as_complex(t[1, 2])", arr)
    check_view("m.view_as_complex(t.view(3, 8)[:, :2])", arr)


@pytest.mark.parametrize("expr", ["m.view_as_real(t)", "m.view_as_complex(t)", "m.view_as_complex(t[:, 1:3])",
                                  "m.view_as_complex(t.long())", "m.view_as_complex(t[:, :2].t())",
                                  "m.view_as_complex(t.view(2, 2, 3)[..., :2])"])
def test_complex_view_errors(expr):
    compare(eval(f"lambda m, t: {expr}"), sample((3, 4)), message=True)


def test_view_dtype():
    compare(lambda m, t: t.view(m.int32), sample((3, 4)), check_stride=True)
    compare(lambda m, t: t.view(m.int16), sample((3, 4)), check_stride=True)
    compare(lambda m, t: t.view(m.float64), sample((3, 4)), check_stride=True)
    compare(lambda m, t: t.view(dtype=m.uint8).shape, sample((3,)))


# ---------------------------------------------------------------------------------------------------------
# joining


JOIN_CASES = [
    "m.cat([a, b])", "m.cat([a, b], 1)", "m.cat([a, b], -1)", "m.cat((a,))", "m.cat([a.t(), b.t()])",
    "m.cat([a.t(), b.t()], 1)", "m.cat([a, b, a], dim=1)", "m.concat([a, b])", "m.concatenate([a, b], axis=1)",
    "m.cat([a, a[:1]])", "m.cat([a, a[:, :0]], 1)", "m.cat([m.tensor([]), a.flatten()])", "m.cat([m.zeros(0), a])",
    "m.cat([a, m.zeros(0, dtype=m.float64)])", "m.cat([m.zeros(0), m.zeros(0)])", "m.cat([m.zeros(0), m.zeros(2, 0)])",
    "m.cat([m.zeros(2, 0), m.zeros(3, 0)])", "m.cat([a.int(), b])", "m.cat([a.to(m.uint8), b.to(m.int8)])",
    "m.cat([a > 0, b])", "m.cat([a.bfloat16(), b.int()])", "m.cat([a.half(), b.bfloat16()])", "m.cat([a, b.cfloat()])",
    "m.cat([a, b], out=m.zeros(1))", "m.cat([m.zeros(0, 3, dtype=m.int64), a])",
    "m.stack([a, b])", "m.stack([a, b], 2)", "m.stack([a, b], -1)", "m.stack([a, b], 1)", "m.stack([a.t(), b.t()])",
    "m.stack([a[0, 0], b[0, 0]])", "m.stack([a.int(), b])", "m.stack((a,))", "m.stack([a, b], out=m.zeros(0))",
    "m.hstack([a, b])", "m.hstack([a[0], b[0]])", "m.hstack([a[0, 0], b[0, 0]])", "m.hstack((a, b))",
    "m.vstack([a, b])", "m.vstack([a[0], b[0]])", "m.row_stack([a[0], b[0]])", "m.vstack([a[0, 0], b[0, 0]])",
    "m.dstack([a, b])", "m.dstack([a[0], b[0]])", "m.dstack([a[0, 0], b[0, 0]])",
    "m.column_stack([a, b])", "m.column_stack([a[0], b[0]])", "m.column_stack([a[:, 0], b])",
    "m.column_stack([a[0, 0], b[0, 0]])",
]


@pytest.mark.parametrize("expr", JOIN_CASES)
@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
def test_joining(expr, layout):
    a, b = arrange((3, 4), layout), noncontiguous(sample((3, 4), seed=5))
    compare(eval(f"lambda m, a, b: {expr}"), a, b, check_stride=True, message=True)


JOIN_ERRORS = [
    "m.cat([a, a[0]])", "m.cat([a, a[:, :3]])", "m.cat([a, a[:2]], 1)", "m.cat([a, a.unsqueeze(2)])", "m.cat([])",
    "m.cat([a[0, 0]])", "m.cat([a, 1])", "m.cat([a, a], 2)", "m.cat(a)", "m.stack([a, a], 3)", "m.stack([a, a[:2]])",
    "m.stack([])", "m.hstack([])", "m.vstack([])", "m.stack([a, 1])", "m.cat([a, a], out=m.zeros(1, dtype=m.int64))",
]


@pytest.mark.parametrize("expr", JOIN_ERRORS)
def test_joining_errors(expr):
    compare(eval(f"lambda m, a: {expr}"), sample((3, 4)), message=True)


def test_cat_size_message():
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1. Expected size 2 but got "
                                           r"size 3 for tensor number 1 in the list\."):
        ember.cat([ember.zeros(2, 2), ember.zeros(3, 2)], 1)


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("uint8", "int8"), ("bool", "int16"), ("float16", "bfloat16"),
                                    ("bool", "bool"), ("int32", "complex64"), ("float64", "float16")])
def test_joining_promotion(dtypes):
    a, b = sample((2, 3), dtypes[0]), sample((2, 3), dtypes[1])
    compare(lambda m, x, y: m.cat([x, y]), a, b)
    compare(lambda m, x, y: m.stack([x, y], 1), a, b)
    compare(lambda m, x, y: m.hstack([x, y, x]), a, b)


@pytest.mark.parametrize("fn", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (0,)])
def test_atleast(fn, shape):
    x = sample(shape)
    compare(lambda m, t: getattr(m, fn)(t), x, check_stride=0 not in shape)
    compare(lambda m, t: getattr(m, fn)(t, t[None]), x)
    compare(lambda m, t: getattr(m, fn)([t]), x)
    compare(lambda m, t: getattr(m, fn)(t) is t, x)
    compare(lambda m: getattr(m, fn)())


def test_atleast_views():
    check_view("m.atleast_3d(t)", sample((3,)))
    check_view("m.atleast_2d(t)", sample(()))


# ---------------------------------------------------------------------------------------------------------
# repeating


REPEAT_CASES = [
    "t.repeat(2, 1)", "t.repeat(2, 2, 1)", "t.repeat((2, 1))", "t.repeat(0, 1)", "t.repeat(1, 3)", "t.repeat(2)",
    "t.repeat(-1, 1)", "t[0, 0].repeat(3)", "t[0, 0].repeat(())", "t.repeat(m.Size([1, 2]))",
    "t.tile((2,))", "t.tile((2, 1, 1))", "m.tile(t[0], (2, 2))", "t.tile(2)", "t.tile(())", "t.tile((0, 2))",
    "m.repeat_interleave(t[0], 2)", "t.repeat_interleave(2)", "t.repeat_interleave(2, dim=1)",
    "t.repeat_interleave(m.tensor([1, 2, 0]), dim=0)", "t.repeat_interleave(m.tensor([1, 2]), dim=0)",
    "t.repeat_interleave(m.tensor([2]), dim=0)", "t.repeat_interleave(m.tensor(2), dim=0)",
    "m.repeat_interleave(m.tensor([1, 2, 3]))", "t.repeat_interleave(-1)",
    "t.repeat_interleave(m.tensor([1, -2, 0]), 0)",
    "t[0, 0].repeat_interleave(3)", "t.repeat_interleave(m.tensor([1., 2, 0]), dim=0)",
    "t.repeat_interleave(2, dim=1, output_size=8)", "m.repeat_interleave(m.tensor([[1, 2]]))",
    "t.repeat_interleave(3, dim=-1)", "m.repeat_interleave(m.tensor([0, 0]))", "t.repeat_interleave(0, dim=0)",
]


@pytest.mark.parametrize("expr", REPEAT_CASES)
@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
def test_repeating(expr, layout):
    compare(eval(f"lambda m, t: {expr}"), arrange((3, 4), layout), check_stride=True, message=True)


@pytest.mark.parametrize("dtype", ["bool", "int8", "bfloat16", "complex128"])
def test_repeating_dtypes(dtype):
    x = sample((2, 3), dtype)
    compare(lambda m, t: t.repeat(2, 1, 2), x)
    compare(lambda m, t: t.repeat_interleave(2, 0), x)
    compare(lambda m, t: t.tile((3,)), x)


def test_repeat_is_a_copy():
    t = ember.zeros(2)
    r = t.repeat(2)
    r.copy_(ember.ones(4))
    assert t.tolist() == [0., 0.]


# ---------------------------------------------------------------------------------------------------------
# meshgrid / broadcast_tensors


MESHGRID_CASES = [
    "m.meshgrid(a, b, indexing='ij')", "m.meshgrid(a, b, indexing='xy')", "m.meshgrid([a, b], indexing='ij')",
    "m.meshgrid(a, indexing='xy')", "m.meshgrid(a[0], b, indexing='ij')", "m.meshgrid(a, b, a, indexing='xy')",
    "m.meshgrid(a, b, a, indexing='ij')", "m.meshgrid((a, b), indexing='xy')", "m.meshgrid(a[:0], b, indexing='ij')",
    "m.meshgrid(a, b.double(), indexing='ij')", "m.meshgrid(a.view(1, 3), indexing='ij')", "m.meshgrid(indexing='ij')",
    "m.meshgrid(a, indexing='foo')",
]


@pytest.mark.parametrize("expr", MESHGRID_CASES)
def test_meshgrid(expr):
    compare(eval(f"lambda m, a, b: {expr}"), sample((3,)), sample((2,), seed=3), check_stride=True,
            message="meshgrid")


def test_meshgrid_default_indexing_warns():
    with pytest.warns(UserWarning, match="indexing argument"):
        grids = ember.meshgrid(ember.arange(3), ember.arange(2))
    assert grids[0].shape == (3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(ember.arange(3), ember.arange(2), indexing="ij")


def test_meshgrid_views():
    check_view("m.meshgrid(t, t[:2], indexing='xy')", sample((3,)))


BROADCAST_CASES = [
    "m.broadcast_tensors(a, b[:1])", "m.broadcast_tensors(a, m.zeros(2, 1, 4))", "m.broadcast_tensors(a, b)",
    "m.broadcast_tensors(a)", "m.broadcast_tensors()", "m.broadcast_tensors(a, b[0, :1], a[0, 0])",
    "m.broadcast_tensors(a, b.t())", "m.broadcast_shapes((2, 1), (3,))", "m.broadcast_shapes((2, 1), (3, 4))",
    "m.broadcast_shapes(3, (2, 1))", "m.broadcast_shapes()", "m.broadcast_shapes((0, 1), (3,))",
]


@pytest.mark.parametrize("expr", BROADCAST_CASES)
def test_broadcasting_ops(expr):
    compare(eval(f"lambda m, a, b: {expr}"), sample((3, 4)), sample((3, 4), seed=2), check_stride=True, message=True)


def test_expanded_views_refuse_writes_but_see_base():
    t = ember.zeros(3)
    e = t.expand(2, 3)
    t.copy_(ember.tensor([1., 2., 3.]))
    assert e.tolist() == [[1., 2., 3.], [1., 2., 3.]]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.copy_(ember.ones(2, 3))


# a view made in no_grad mode: PyTorch forbids in-place writes with grad mode on into it, or into its base or
# a sibling view once the view's history is next read (torch regenerates it then)
def _no_grad_view(m, base_needs_grad):
    a = m.ones(3, requires_grad=True)
    b = a * 1 if base_needs_grad else m.zeros(3)
    with m.no_grad():
        v = b[:2]
    return a, b, v


def _read_view_after(m, case):
    a, b, v = _no_grad_view(m, case.startswith("history"))
    if case == "base_written_then_grad_fn_read":
        b.mul_(m.ones(3, requires_grad=True))
    elif case == "history_base_written_then_grad_fn_read":
        b.mul_(2)
    elif case == "view_written_with_a_value_needing_grad":
        v.add_(m.ones(2, requires_grad=True))
    elif case == "base_written_under_no_grad_is_allowed":
        with m.no_grad():
            b.add_(m.ones(3, requires_grad=True))
    elif case == "written_through_data_is_allowed":
        b = a * 1
        with m.no_grad():
            v = b[:2]
        b.data.mul_(2)
        assert b._version == 0
    return type(v.grad_fn).__name__, v.tolist()


@pytest.mark.parametrize("case", ["base_written_then_grad_fn_read", "history_base_written_then_grad_fn_read",
                                  "view_written_with_a_value_needing_grad", "base_written_under_no_grad_is_allowed",
                                  "written_through_data_is_allowed"])
def test_in_place_writes_around_a_view_made_in_no_grad_mode(case):
    import torch

    outcomes = []
    for m in (torch, ember):
        try:
            outcomes.append(_read_view_after(m, case))
        except RuntimeError as e:
            outcomes.append(("RuntimeError", str(e)))
    assert outcomes[1] == outcomes[0]
    if "allowed" not in case:
        assert outcomes[0][0] == "RuntimeError" and "created in no_grad mode" in outcomes[0][1]


def _use_stale_no_grad_view(m, use):
    b = m.ones(2, 3, requires_grad=True) * 1
    with m.no_grad():
        v = b[:1]
    b.mul_(2)  # the base changes in place with grad mode on: v's history can no longer be regenerated
    if use == "matmul":
        return (v @ m.ones(3, 2)).tolist()
    if use == "exp":
        return v.exp().tolist()
    if use == "cat":
        return m.cat([v, v]).tolist()
    if use == "index":
        return v[0, [0, 1]].tolist()
    if use == "add_into_other":
        return m.zeros(1, 3).add_(v).tolist()
    if use == "under_no_grad":
        with m.no_grad():
            return (v * 3).tolist()
    if use == "detach":
        return v.detach().tolist()
    if use == "repr":
        return repr(v).replace("ember", "torch")
    if use == "requires_grad_false":
        return repr(v.requires_grad_(False))
    raise AssertionError(use)


@pytest.mark.parametrize("use", ["matmul", "exp", "cat", "index", "add_into_other", "under_no_grad", "detach",
                                 "repr", "requires_grad_false"])
def test_using_a_stale_view_made_in_no_grad_mode(use):
    import torch

    outcomes = []
    for m in (torch, ember):
        try:
            outcomes.append(_use_stale_no_grad_view(m, use))
        except RuntimeError as e:
            outcomes.append(("RuntimeError", str(e)))
    assert outcomes[1] == outcomes[0]
