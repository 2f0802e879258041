"""PyTorch's type promotion, proved against torch over every dtype pair, operand layout and op; broadcasting
properties with hypothesis."""

import numpy as np
import pytest
import torch
from harness import ALL_DTYPES, assert_same, np_dtype, to_ember_dtype, to_torch_dtype
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import ember

OPS = {
    "add": lambda m, a, b: m.add(a, b),
    "mul": lambda m, a, b: m.mul(a, b),
    "div": lambda m, a, b: m.div(a, b),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
    "pow": lambda m, a, b: m.pow(a, b),
    "lt": lambda m, a, b: m.lt(a, b),
    "bitwise_and": lambda m, a, b: m.bitwise_and(a, b),
    "sub_operator": lambda m, a, b: a - b,
}
SCALARS = {"bool": True, "int": 3, "float": 1.5, "complex": 1 + 2j}


def values(dtype, shape):
    """Small positive values (so pow and floor_divide stay defined) of an ember dtype name."""
    arr = np.arange(1, 1 + int(np.prod(shape, dtype=int))).reshape(shape) % 3 + 1
    if dtype == "bool":
        return (arr % 2).astype(bool)
    return arr.astype(np_dtype(dtype))


def check(op, a, b):
    """None if ember matches torch (result dtype and values, or exception type), else a description."""
    (expected, texc), (actual, eexc) = _run(op, a, b)
    if texc is not None and "ComplexHalf" in str(texc):
        return None  # ember has no ComplexHalf dtype; documented gap
    if texc is not None or eexc is not None:
        if texc is None or eexc is None or not isinstance(eexc, _builtin(texc)):
            return f"torch: {texc!r} / ember: {eexc!r}"
        return None
    if expected.dtype == torch.complex32:
        return None  # ember has no ComplexHalf dtype (float16 with a complex scalar); documented gap
    try:
        assert_same(actual, expected)
    except AssertionError as e:
        return str(e).splitlines()[0]
    return None


def _run(op, a, b):
    out = []
    for m in (torch, ember):
        try:
            out.append((op(m, _make(m, a), _make(m, b)), None))
        except Exception as e:  # noqa: BLE001 - exceptions are compared
            out.append((None, e))
    return out


def _make(m, spec):
    """spec: ('tensor', dtype, shape) or ('scalar', value)."""
    if spec[0] == "scalar":
        return spec[1]
    _, dtype, shape = spec
    arr = values(dtype, shape)
    if m is ember:
        return ember.from_numpy(arr.copy())
    if dtype == "bfloat16":
        return torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(arr.copy())


def _builtin(e):
    for base in type(e).__mro__:
        if base.__module__ == "builtins":
            return base
    return type(e)


LAYOUTS = ["tensor-tensor", "tensor-0dim", "0dim-tensor", "0dim-0dim"] + [f"tensor-{k}" for k in SCALARS] + \
    [f"{k}-tensor" for k in ("int", "float")]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("op_name", sorted(OPS))
def test_promotion_every_dtype_pair(op_name, layout):
    op = OPS[op_name]
    left, right = layout.split("-")
    mismatches = []
    if left in SCALARS or right in SCALARS:
        pairs = [(d, None) for d in ALL_DTYPES]
    else:
        pairs = [(d1, d2) for d1 in ALL_DTYPES for d2 in ALL_DTYPES]
    for d1, d2 in pairs:
        def spec(side, dtype):
            if side in SCALARS:
                return ("scalar", SCALARS[side])
            return ("tensor", dtype, (2, 3) if side == "tensor" else ())

        if left in SCALARS:
            a, b = spec(left, None), spec(right, d1)
        else:
            a, b = spec(left, d1), spec(right, d2 if d2 is not None else d1)
        problem = check(op, a, b)
        if problem:
            mismatches.append(f"{d1},{d2}: {problem}")
    assert mismatches == []


def test_promote_types_result_type_can_cast_all_pairs():
    mismatches = []
    for n1 in ALL_DTYPES:
        for n2 in ALL_DTYPES:
            e1, e2 = getattr(ember, n1), getattr(ember, n2)
            t1, t2 = getattr(torch, n1), getattr(torch, n2)
            if str(ember.promote_types(e1, e2)) != str(torch.promote_types(t1, t2)):
                mismatches.append(("promote_types", n1, n2))
            if ember.can_cast(e1, e2) != torch.can_cast(t1, t2):
                mismatches.append(("can_cast", n1, n2))
            for s1, s2 in [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())]:
                ea, eb = ember.ones(s1, dtype=e1), ember.ones(s2, dtype=e2)
                ta, tb = torch.ones(s1, dtype=t1), torch.ones(s2, dtype=t2)
                expected = torch.result_type(ta, tb)
                if expected != torch.complex32 and str(ember.result_type(ea, eb)) != str(expected):
                    mismatches.append(("result_type", n1, n2, s1, s2))
        for scalar in SCALARS.values():
            e = ember.ones(2, dtype=getattr(ember, n1))
            t = torch.ones(2, dtype=getattr(torch, n1))
            expected = torch.result_type(t, scalar)
            if expected != torch.complex32 and str(ember.result_type(e, scalar)) != str(expected):
                mismatches.append(("result_type scalar", n1, scalar))
    assert mismatches == []
    assert to_ember_dtype(to_torch_dtype(ember.float32)) is ember.float32


def test_promotion_with_float64_default():
    for m in (ember, torch):
        m.set_default_dtype(m.float64)
    try:
        for dtype in ["int64", "bool", "uint8"]:
            for op in [lambda m, x: x + 1.5, lambda m, x: x / 2, lambda m, x: x * (1 + 1j), lambda m, x: m.exp(x)]:
                (expected, _), (actual, _) = _run(lambda m, a, b: op(m, a), ("tensor", dtype, (3,)), None)
                assert_same(actual, expected)
    finally:
        for m in (ember, torch):
            m.set_default_dtype(m.float32)


@settings(max_examples=60, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
def test_broadcast_shapes_match_torch(shapes):
    sa, sb = shapes.input_shapes
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    result = ember.from_numpy(a) + ember.from_numpy(b)
    assert tuple(result.shape) == tuple((torch.from_numpy(a) + torch.from_numpy(b)).shape) == shapes.result_shape
    assert tuple(ember.mul(ember.from_numpy(a), ember.from_numpy(b)).shape) == shapes.result_shape
    assert tuple(ember.maximum(ember.from_numpy(a), ember.from_numpy(b)).shape) == shapes.result_shape


@settings(max_examples=60, deadline=None)
@given(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5), st.data())
def test_non_broadcastable_shapes_raise(shape_a, data):
    dim = data.draw(st.integers(0, len(shape_a) - 1))
    size = data.draw(st.integers(2, 6).filter(lambda s: s != shape_a[dim]))
    shape_b = list(shape_a)
    if shape_a[dim] == 1:
        return  # a size-1 dimension broadcasts with anything
    shape_b[dim] = size
    a, b = np.ones(shape_a, np.float32), np.ones(tuple(shape_b), np.float32)
    errors = []
    for m in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            m.from_numpy(a) + m.from_numpy(b)
        errors.append(str(info.value))
    assert "must match the size of tensor b" in errors[1] and "at non-singleton dimension" in errors[1]
    assert errors[0] == errors[1]
