"""Tensor attributes, Python protocols and conversions against PyTorch."""

import copy
import pickle

import numpy as np
import pytest
import torch
from harness import ALL_DTYPES, compare, noncontiguous, sample

import ember

SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 3, 1)]
LAYOUTS = ["contiguous", "noncontiguous", "transposed"]


def arrange(shape, dtype, layout):
    arr = sample(shape, dtype)
    if layout == "noncontiguous":
        return noncontiguous(arr)
    if layout == "transposed":
        return np.ascontiguousarray(arr.T).T
    return arr


def dt(m, name):
    return getattr(m, name)


# ---------------------------------------------------------------------------------------------------------
# attributes


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_attributes(shape, layout):
    x = arrange(shape, "float32", layout)
    compare(lambda m, t: (t.shape, t.size(), t.dim(), t.ndim, t.ndimension(), t.numel(), t.nelement(), t.dtype,
                          str(t.device), t.is_contiguous(), t.element_size(), t.nbytes, t.itemsize,
                          t.storage_offset(), t.is_floating_point(), t.is_complex(), t.is_cuda, t.is_leaf,
                          t.requires_grad), x)
    if 0 not in shape:  # the harness builds empty inputs with NumPy's all-zero strides, which torch keeps
        compare(lambda m, t: t.stride(), x)
    else:
        compare(lambda m: m.zeros(shape).stride())
    if shape:
        compare(lambda m, t: (t.size(0), t.size(-1), len(t)), x)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtype_attributes(dtype):
    x = sample((2, 3), dtype)
    compare(lambda m, t: (t.dtype, t.element_size(), t.itemsize, t.nbytes, t.is_floating_point(), t.is_complex(),
                          t.is_signed(), t.type()), x)


def test_attribute_errors():
    x = sample((2, 3))
    for expr in ["t.size(2)", "t.size(-3)", "t.stride(5)", "t.stride(-3)", "m.tensor(1.).size(1)"]:
        compare(lambda m, t: eval(expr), x, message=True)
    compare(lambda m, t: (m.tensor(1.).size(0), m.tensor(1.).size(-1)), x, message=True)


def test_size_object():
    s = ember.zeros(2, 3).shape
    assert isinstance(s, tuple) and repr(s) == "torch.Size([2, 3])" and s.numel() == 6
    assert isinstance(s[1:], ember.Size) and s[1] == 3
    assert pickle.loads(pickle.dumps(s)) == s


# ---------------------------------------------------------------------------------------------------------
# Python scalars and protocols


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_item_and_scalars(dtype, shape):
    x = sample(shape, dtype)
    compare(lambda m, t: t.item(), x)
    compare(lambda m, t: t.tolist(), x)
    if not dtype.startswith("complex"):
        compare(lambda m, t: (int(t), float(t)), x)
        compare(lambda m, t: bool(t), x)
    else:
        compare(lambda m, t: complex(t), x)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 0), (0,)])
def test_tolist(dtype, shape):
    compare(lambda m, t: t.tolist(), sample(shape, dtype))
    compare(lambda m, t: t.tolist(), noncontiguous(sample(shape, dtype)))


@pytest.mark.parametrize("expr", [
    "m.tensor([1, 2]).item()", "int(m.tensor([1, 2]))", "float(m.tensor([]))", "int(m.tensor(float('nan')))",
    "bool(m.tensor([]))", "bool(m.tensor([1, 2]))", "len(m.tensor(1))", "iter(m.tensor(1))",
    "m.tensor(2.5).__index__()", "m.tensor([1, 2]).__index__()", "[1, 2, 3][m.tensor([1])]", "[1, 2, 3][m.tensor(2)]",
    "m.tensor(True).__index__()", "int(m.tensor([2.7]))", "float(m.tensor([[2]]))", "int(m.tensor(-2.7))",
    "bool(m.tensor([0.0]))", "bool(m.tensor(3))", "range(10)[m.tensor(3)]", "m.tensor(1, dtype=m.bfloat16).item()",
    "m.tensor(0.1).item()", "m.tensor(0.1, dtype=m.float16).item()", "m.tensor([1, 2], dtype=m.float16).tolist()",
])
def test_scalar_protocols(expr):
    compare(lambda m: eval(expr), message=True)


@pytest.mark.parametrize("expr", ["f'{m.tensor(2.5):.3f}'", "f'{m.tensor(3):04d}'", "f'{m.tensor(True)}'",
                                  "f'{m.tensor(1.5)}'", "f'{m.tensor([2.5]):.3f}'", "f'{m.tensor([2.5])}'",
                                  "'{:>8.2e}'.format(m.tensor(12345.678))", "f'{m.tensor(2.5, dtype=m.float64):g}'"])
def test_format(expr):
    compare(lambda m: eval(expr), message=True)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (0, 2)])
def test_len_iter(shape):
    x = sample(shape)
    compare(lambda m, t: len(t), x)
    compare(lambda m, t: list(t), x)
    compare(lambda m, t: [r.stride() for r in t], noncontiguous(x))


def test_iteration_yields_views():
    x = ember.zeros(2, 3)
    for row in x:
        row[0] = 1.0
    assert x[:, 0].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------------------------------------
# NumPy interop


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_numpy_shares_memory(dtype):
    t = ember.tensor(sample((2, 3), dtype))
    arr = t.numpy()
    assert arr.dtype == ember.tensor(sample((1,), dtype)).numpy().dtype
    arr[0, 0] = arr[1, 1]
    assert t[0, 0].item() == t[1, 1].item()
    assert np.shares_memory(np.asarray(t), arr)


def test_numpy_requires_grad():
    compare(lambda m: m.tensor([1., 2.], requires_grad=True).numpy(), message=True)
    compare(lambda m: np.asarray(m.tensor([1., 2.], requires_grad=True)), message=True)
    t = ember.tensor([1., 2.], requires_grad=True)
    assert t.numpy(force=True).tolist() == [1., 2.]
    assert t.detach().numpy().tolist() == [1., 2.]


def test_array_protocol():
    t = ember.arange(6.).reshape(2, 3)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).tolist() == t.tolist()
    assert np.array(t, copy=True).base is not t._data
    assert np.asarray(t.t()).strides == t._data.T.strides


# ---------------------------------------------------------------------------------------------------------
# dtype / device conversion


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_to_dtype(src, dst):
    x = sample((2, 3), src)
    compare(lambda m, t: t.to(dt(m, dst)), x)
    compare(lambda m, t: t.to(dt(m, dst)).stride(), x.T)


CONVERSION_METHODS = ["float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool", "cfloat",
                      "cdouble"]


@pytest.mark.parametrize("method", CONVERSION_METHODS)
@pytest.mark.parametrize("src", ["float32", "int64", "bool", "float16", "complex64"])
def test_conversion_methods(method, src):
    x = sample((3, 2), src)
    compare(lambda m, t: getattr(t, method)(), x)
    compare(lambda m, t: getattr(t, method)(), noncontiguous(x))
    compare(lambda m, t: getattr(t, method)(), sample((), src))


@pytest.mark.parametrize("expr", [
    "t.to(float)", "t.to(int)", "t.to(bool)", "t.to('cpu', m.float64)", "t.to(m.float64, True)",
    "t.to(m.float64, False, True)", "t.to(t, True, True) is t", "t.to(m.float32) is t",
    "t.to(m.float32, copy=True) is t",
    "t.to('cuda')", "t.to(device='cpu', dtype=m.int32)", "t.to(m.device('cpu')) is t", "t.to('cpu', copy=True) is t",
    "t.to(foo=1)", "t.to('banana')", "t.to(None) is t", "t.to(m.zeros(1, dtype=m.int8))", "t.to(dtype=m.float16)",
    "t.to('cpu', m.float32, False, True) is t", "t.to(m.float32, non_blocking=True) is t",
    "t.to(m.float32, False, False) is t",
    "t.cpu() is t", "t.cuda()", "t.type()", "t.type('torch.DoubleTensor')", "t.type(m.int32)", "t.type(m.IntTensor)",
    "t.type('foo')", "t.type(m.float32) is t", "t.type_as(m.zeros(1, dtype=m.int16))", "t.to(m.float64).to(t)",
])
def test_to_forms(expr):
    compare(lambda m, t: eval(expr), sample((2, 3)), message=True)


def test_type_cuda_string():
    compare(lambda m: m.zeros(2).type("torch.cuda.FloatTensor"))


def test_to_copy_is_independent():
    t = ember.arange(3.)
    c = t.to(ember.float32, copy=True)
    c[0] = 5
    assert t[0].item() == 0.0


# ---------------------------------------------------------------------------------------------------------
# clone / detach / copy_


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "complex64", "bfloat16"])
def test_clone(layout, dtype):
    x = arrange((3, 4), dtype, layout)
    compare(lambda m, t: t.clone(), x)
    compare(lambda m, t: t.clone().stride(), x)
    compare(lambda m, t: (t.clone().storage_offset(), t.clone().is_contiguous()), x)


def test_clone_strides():
    compare(lambda m: m.arange(6.).reshape(2, 3)[:, ::2].t().clone().stride())
    compare(lambda m: m.zeros(2, 3, 4).permute(2, 0, 1)[:, :, ::2].clone().stride())
    compare(lambda m: m.zeros(2, 3).t().clone(memory_format=m.contiguous_format).stride()
            if hasattr(m, "contiguous_format") else (2, 1))
    compare(lambda m: m.zeros(2, 3).t().contiguous().stride())


def test_clone_independent_detach_shares():
    t = ember.arange(4.)
    c = t.clone()
    d = t.detach()
    t[0] = 9
    assert c[0].item() == 0 and d[0].item() == 9
    d[1] = 7
    assert t[1].item() == 7
    r = ember.tensor([1., 2.], requires_grad=True)
    assert not r.detach().requires_grad and r.detach().is_leaf
    assert np.shares_memory(r.detach().numpy(), r.numpy(force=True))


@pytest.mark.parametrize("dst_shape, src_shape", [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), ()),
                                                  ((2, 3), (2, 1)), ((0, 3), (3,)), ((2, 3), (4,)), ((3,), (2, 3)),
                                                  ((3,), (1, 3)), ((0,), (3,)), ((3,), (0,)), ((2, 3), (3, 2, 3))])
def test_copy_broadcasting(dst_shape, src_shape):
    compare(lambda m, d, s: d.copy_(s), sample(dst_shape, seed=1), sample(src_shape, seed=2), message=True)


@pytest.mark.parametrize("dst", ALL_DTYPES)
@pytest.mark.parametrize("src", ["float32", "int64", "bool", "complex64", "bfloat16", "float16"])
def test_copy_dtypes(dst, src):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda m, d, s: d.copy_(s), sample((2, 3), dst), sample((2, 3), src, low=0, high=3))


def test_copy_cases():
    compare(lambda m: m.zeros(2).copy_(1), message=True)
    compare(lambda m: m.zeros(2).copy_(2.5))
    compare(lambda m: m.zeros(2).copy_([1, 2]), message=True)
    compare(lambda m: m.zeros(2, 1).expand(2, 3).copy_(m.ones(2, 3)), message=True)
    compare(lambda m: m.zeros(2, dtype=m.int32).copy_(m.tensor([1.7, -2.7])))
    compare(lambda m: m.zeros(2, dtype=m.bool).copy_(m.tensor([0.1, 0])))
    # into a non-contiguous destination, from a non-contiguous source
    compare(lambda m, d, s: (d.copy_(s), d.stride()), noncontiguous(sample((2, 3), seed=1)), sample((3, 2), seed=2).T)
    # the written view is seen by its base
    compare(lambda m: (lambda b: (b[:, 1].copy_(m.tensor([7., 8.])), b)[1])(m.zeros(2, 3)))
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        ember.zeros(2).copy_(ember.tensor([1 + 2j, 3j]))


def test_copy_bumps_version():
    t = ember.zeros(3)
    v = t[1:]
    before = t._version
    v.copy_(ember.ones(2))
    assert t._version == before + 1 and v._version == t._version
    assert t.tolist() == [0., 1., 1.]


# ---------------------------------------------------------------------------------------------------------
# transposes and complex views


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "complex64"])
def test_transpose_properties(shape, dtype):
    import warnings

    x = sample(shape, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda m, t: t.T, x)
        compare(lambda m, t: t.T.stride(), x)
        compare(lambda m, t: t.mT, x, message=True)
        compare(lambda m, t: t.H, x, message=True)
        compare(lambda m, t: t.mH, x, message=True)
        compare(lambda m, t: t.adjoint(), x, message=True)


def test_transpose_properties_are_views():
    t = ember.zeros(2, 3)
    t.T[2, 1] = 5
    t.mT[0, 0] = 3
    assert t[1, 2].item() == 5 and t[0, 0].item() == 3
    compare(lambda m: m.zeros(2, 3).mT.stride())
    compare(lambda m: m.zeros(4, 2, 3).mT.stride())
    compare(lambda m: m.zeros(3, 2).H.stride())


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_real_imag(dtype, layout):
    x = arrange((3, 4), dtype, layout)
    compare(lambda m, t: (t.real, t.imag), x)
    compare(lambda m, t: (t.real.stride(), t.imag.stride(), t.real.storage_offset(), t.imag.storage_offset()), x)
    compare(lambda m, t: (t[1:].real.storage_offset(), t[1:].imag.storage_offset()), x)


def test_real_imag_views_and_setters():
    def fn(m):
        t = m.tensor([1 + 2j, 3 - 1j])
        t.real[0] = 10
        t.imag.copy_(m.tensor([5., 6.]))
        u = m.tensor([1 + 2j, 3 - 1j])
        u.real = m.tensor([7., 8.])
        u.imag = 0
        return t, u

    compare(fn)
    compare(lambda m: m.zeros(3).real, message=True)
    compare(lambda m: m.zeros(3).imag, message=True)
    x = ember.zeros(3)
    assert x.real is x


# ---------------------------------------------------------------------------------------------------------
# pickling and deepcopy


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_pickle_roundtrip(dtype):
    t = ember.tensor(sample((2, 3), dtype))
    back = pickle.loads(pickle.dumps(t))
    assert back.dtype == t.dtype and back.shape == t.shape and back.tolist() == t.tolist()
    assert not back.requires_grad


def test_pickle_keeps_requires_grad_and_views():
    t = ember.tensor([1., 2., 3.], requires_grad=True)
    back = pickle.loads(pickle.dumps(t))
    assert back.requires_grad and back.is_leaf and back.detach().tolist() == [1., 2., 3.]
    v = ember.arange(12.).reshape(3, 4).t()[1:]
    back = pickle.loads(pickle.dumps(v))
    assert back.tolist() == v.tolist() and back.shape == v.shape
    nested = pickle.loads(pickle.dumps({"w": ember.ones(2, dtype=ember.bfloat16), "n": [ember.tensor(3)]}))
    assert nested["w"].dtype == ember.bfloat16 and nested["n"][0].item() == 3


def test_deepcopy():
    t = ember.tensor([1., 2.], requires_grad=True)
    c = copy.deepcopy(t)
    assert c is not t and c.requires_grad and c.detach().tolist() == [1., 2.]
    assert not np.shares_memory(c.detach().numpy(), t.detach().numpy())
    t.grad = ember.ones(2)
    c = copy.deepcopy(t)
    assert c.grad is not t.grad and c.grad.tolist() == [1., 1.]
    shared = ember.zeros(2)
    pair = copy.deepcopy([shared, shared])
    assert pair[0] is pair[1]
    c = copy.copy(ember.zeros(2))
    assert c.shape == (2,)
    t.note = "kept"
    assert copy.deepcopy(t).note == "kept"


def test_deepcopy_non_leaf_refused():
    torch_nonleaf = torch.tensor([1.], requires_grad=True) * 2
    with pytest.raises(RuntimeError):
        copy.deepcopy(torch_nonleaf)
    t = ember.tensor([1.], requires_grad=True)
    t.grad_fn = object()  # stands in for a recorded op until autograd lands
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t)


# ---------------------------------------------------------------------------------------------------------
# misc


def test_requires_grad_():
    compare(lambda m: m.tensor([1]).requires_grad_(), message=True)
    compare(lambda m: m.tensor([1.]).requires_grad_())
    compare(lambda m: m.tensor([1.]).requires_grad_(False))
    compare(lambda m: m.tensor([1j]).requires_grad_())


def test_data_attribute():
    t = ember.tensor([1., 2.], requires_grad=True)
    d = t.data
    assert not d.requires_grad
    d[0] = 5
    assert t.detach()[0].item() == 5
    t.data = ember.tensor([7., 8.])
    assert t.detach().tolist() == [7., 8.] and t.requires_grad


def test_storage_offset_of_views():
    compare(lambda m: [v.storage_offset() for v in (m.arange(12).reshape(3, 4)[1], m.arange(12)[5:],
                                                    m.arange(12).reshape(3, 4)[1:, 2:].t(),
                                                    m.arange(12).reshape(3, 4).t()[1])])
