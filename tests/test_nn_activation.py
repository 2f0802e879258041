"""Activations and softmax family of ember.nn.functional and their modules, against PyTorch: values over
dtypes and layouts, grad_fn names and gradients, gradcheck/gradgradcheck in float64, in-place forms, reprs."""

import warnings

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, noncontiguous, sample

import ember
from ember.autograd import gradcheck


def gradgradcheck(fn, inputs):
    def forced(*xs):  # the numerical pass of gradgradcheck must still build graphs
        with ember.enable_grad():
            return fn(*xs)

    return ember.autograd.gradgradcheck(forced, inputs)


def F(m):
    return m.nn.functional


# name -> fn(m, x); values near the kinks are avoided by the sample data (uniform floats)
UNARY = {
    "relu": lambda m, x: F(m).relu(x),
    "relu6": lambda m, x: F(m).relu6(x * 2),
    "leaky_relu": lambda m, x: F(m).leaky_relu(x),
    "leaky_relu_slope": lambda m, x: F(m).leaky_relu(x, 0.2),
    "elu": lambda m, x: F(m).elu(x),
    "elu_alpha": lambda m, x: F(m).elu(x, 0.5),
    "selu": lambda m, x: F(m).selu(x),
    "celu": lambda m, x: F(m).celu(x, 1.5),
    "gelu": lambda m, x: F(m).gelu(x),
    "gelu_tanh": lambda m, x: F(m).gelu(x, approximate="tanh"),
    "silu": lambda m, x: F(m).silu(x),
    "mish": lambda m, x: F(m).mish(x),
    "hardtanh": lambda m, x: F(m).hardtanh(x),
    "hardtanh_range": lambda m, x: F(m).hardtanh(x, -2.0, 0.5),
    "hardsigmoid": lambda m, x: F(m).hardsigmoid(x * 2),
    "hardswish": lambda m, x: F(m).hardswish(x * 2),
    "softplus": lambda m, x: F(m).softplus(x),
    "softplus_beta": lambda m, x: F(m).softplus(x * 10, beta=2, threshold=5),
    "softsign": lambda m, x: F(m).softsign(x),
    "tanhshrink": lambda m, x: F(m).tanhshrink(x),
    "threshold": lambda m, x: F(m).threshold(x, 0.1, 20.0),
    "logsigmoid": lambda m, x: F(m).logsigmoid(x),
    "hardshrink": lambda m, x: F(m).hardshrink(x),
    "softshrink": lambda m, x: F(m).softshrink(x),
    "sigmoid": lambda m, x: F(m).sigmoid(x),
    "tanh": lambda m, x: F(m).tanh(x),
    "rrelu_eval": lambda m, x: F(m).rrelu(x),
    "glu": lambda m, x: F(m).glu(x, 0),
    "glu_last": lambda m, x: F(m).glu(x),
    "softmax0": lambda m, x: F(m).softmax(x, 0),
    "softmax_last": lambda m, x: F(m).softmax(x, -1),
    "log_softmax0": lambda m, x: F(m).log_softmax(x, 0),
    "log_softmax_last": lambda m, x: F(m).log_softmax(x, -1),
    "softmin": lambda m, x: F(m).softmin(x, -1),
}
# ops composed of other ember ops in PyTorch too: their graph depends on the pointwise family
COMPOSITE = {"softsign", "tanhshrink", "sigmoid", "tanh", "softmin"}
SHAPES = [(4, 6), (2, 3, 4), (6,)]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_values_float32(name, shape):
    x = sample(shape, "float32", low=-3, high=3)
    compare(UNARY[name], x)
    compare(UNARY[name], noncontiguous(x))


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_values_dtypes(name, dtype):
    compare(UNARY[name], sample((4, 6), dtype, low=-3, high=3))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_empty(name):
    compare(UNARY[name], np.zeros((0, 4), np.float32))


def test_large_inputs_are_stable():
    x = np.array([[-1e4, 0.0, 1e4], [80.0, 90.0, 100.0]], np.float32)
    for fn in ("softmax", "log_softmax", "softplus", "logsigmoid", "silu", "mish", "elu", "selu", "gelu"):
        compare(lambda m, t, fn=fn: getattr(F(m), fn)(t, 1) if "softmax" in fn else getattr(F(m), fn)(t), x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_grad_against_torch(name):
    x = sample((4, 6), "float64", low=-3, high=3)
    compare_grad(UNARY[name], x, check_graph=name not in COMPOSITE)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_grad_float32_noncontiguous(name):
    compare_grad(UNARY[name], noncontiguous(sample((2, 6), "float32", low=-3, high=3)),
                 check_graph=name not in COMPOSITE)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck(name):
    x = ember.tensor(sample((2, 4), "float64", seed=3, low=-2.5, high=2.5), requires_grad=True)
    fn = UNARY[name]
    assert gradcheck(lambda t: fn(ember, t), (x,))
    assert gradgradcheck(lambda t: fn(ember, t), (x,))


def test_prelu():
    x = sample((2, 3, 4), "float64")
    compare_grad(lambda m, t, w: F(m).prelu(t, w), x, np.array([0.25, -0.5, 2.0]), check_graph=False)
    compare_grad(lambda m, t, w: F(m).prelu(t, w), x, np.array([0.1]), check_graph=False)
    xe = ember.tensor(sample((2, 3), "float64"), requires_grad=True)
    we = ember.tensor([0.3, 0.1, 0.2], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: ember.nn.functional.prelu(a, b), (xe, we))
    compare(lambda m, t: F(m).prelu(t, m.ones(4)), sample((2, 3), "float32"))  # channel mismatch
    compare(lambda m, t: F(m).prelu(t, m.ones(3)), sample((2, 3), "float64"), message=True)  # no promotion


def test_prelu_graph_name():
    x = ember.randn(2, 3, requires_grad=True)
    y = ember.nn.functional.prelu(x, ember.nn.Parameter(ember.ones(3)))
    assert type(y.grad_fn).__name__ == "PreluKernelBackward0"


@pytest.mark.parametrize("name,kwargs", [("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
                                         ("selu", {}), ("celu", {}), ("silu", {}), ("mish", {}), ("hardtanh", {}),
                                         ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}), ("rrelu", {}),
                                         ("threshold", {"threshold": 0.2, "value": -1.0})])
def test_inplace(name, kwargs):
    x = sample((3, 4), "float64", low=-3, high=3)

    def fn(m, t):
        y = t * 1.0
        out = getattr(F(m), name)(y, inplace=True, **kwargs)
        assert out is y
        return y

    compare_grad(fn, x, check_graph=False)
    compare(lambda m, t: getattr(F(m), name)(t, inplace=True, **kwargs), x)  # no grad: writes into t


def test_inplace_leaf_refused():
    compare(lambda m, t: F(m).relu(t, inplace=True), sample((3,), "float32"), requires_grad=True)


def test_relu_integer_and_bool():
    compare(lambda m, t: F(m).relu(t), sample((5,), "int64"))
    compare(lambda m, t: F(m).relu(t), sample((5,), "bool"))
    compare(lambda m, t: F(m).elu(t), sample((5,), "int64"))


def test_glu_errors():
    compare(lambda m, t: F(m).glu(t, 0), sample((3, 4), "float32"), message=True)
    compare(lambda m, t: F(m).gelu(t, approximate="foo"), sample((3,), "float32"))


def test_softmax_dtype_and_implicit_dim():
    x = sample((2, 3, 4), "float32")
    compare(lambda m, t: F(m).softmax(t, 1, dtype=m.float64), x)
    compare(lambda m, t: F(m).log_softmax(t, -1, dtype=m.float64), x)
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        arr = sample(shape, "float32")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compare(lambda m, t: m.nn.Softmax()(t), arr)
        messages = [str(w.message) for w in caught]
        assert len(messages) == 2 and messages[0] == messages[1]
        assert "Implicit dimension choice for softmax" in messages[0]


def test_softmax_0d_and_dim_errors():
    compare(lambda m, t: F(m).softmax(t, 0), np.array(2.0, np.float32))
    compare(lambda m, t: F(m).log_softmax(t, -1), np.array(2.0, np.float32))
    compare(lambda m, t: F(m).softmax(t, 2), sample((2, 3), "float32"))
    compare(lambda m, t: F(m).softmax(t, 1), sample((2, 3), "int64"))


def test_softmax_double_backward_graph():
    x = sample((3, 5), "float64")
    for fn in ("softmax", "log_softmax"):
        xe = ember.tensor(x, requires_grad=True)
        assert gradgradcheck(lambda t, fn=fn: getattr(ember.nn.functional, fn)(t, 1) * ember.arange(5.0), (xe,))


MODULES = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {}), ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}),
    ("ELU", (), {}), ("ELU", (0.5, True), {}), ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (), {}),
    ("CELU", (2.0,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Mish", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2, 2, True), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Softplus", (), {}), ("Softplus", (2, 10), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20, True), {}),
    ("GLU", (), {}), ("GLU", (1,), {}), ("LogSigmoid", (), {}), ("Softmax", (1,), {}), ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (1,), {}), ("Softmin", (0,), {}), ("Softmax2d", (), {}), ("Hardshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("RReLU", (), {}), ("Softmax", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_repr_and_state(name, args, kwargs):
    e = getattr(ember.nn, name)(*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]


@pytest.mark.parametrize("name,args,kwargs", [m for m in MODULES if m[0] not in ("Softmax2d", "RReLU")
                                              and not (m[0] == "Softmax" and not m[1] and not m[2])
                                              and not (m[0] == "PReLU" and m[1])])
def test_module_forward(name, args, kwargs):
    x = sample((2, 4, 6), "float32", low=-3, high=3)

    def fn(m, t):
        mod = getattr(m.nn, name)(*args, **kwargs)
        return mod(t * 1.0)

    compare_grad(fn, x, check_graph=False)


def test_softmax2d_and_rrelu_modules():
    x = sample((2, 3, 4, 5), "float32")
    compare(lambda m, t: m.nn.Softmax2d()(t), x)
    compare(lambda m, t: m.nn.Softmax2d()(t), sample((3, 4), "float32"))
    compare(lambda m, t: m.nn.RReLU().eval()(t), x)
    torch.manual_seed(0)
    ember.manual_seed(0)
    y = ember.nn.RReLU()(ember.tensor(x))  # training: slopes drawn in [lower, upper] for negative entries
    neg = x < 0
    ratio = y.numpy()[neg] / x[neg]
    assert (ratio >= 1 / 8 - 1e-6).all() and (ratio <= 1 / 3 + 1e-6).all()
    assert np.array_equal(y.numpy()[~neg], x[~neg])


def test_prelu_module_parameters():
    e, t = ember.nn.PReLU(3), torch.nn.PReLU(3)
    assert np.array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    x = sample((2, 3, 4), "float64")
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e.double()
    t.double()
    e(xe).sum().backward()
    t(xt).sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy())
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_keeps_negative_zero_and_nan(inplace):
    values = [-0.0, 0.0, float("nan"), -1.0, 2.0, -float("inf")]
    results = []
    for m in (torch, ember):
        x = m.tensor(values)
        y = m.nn.functional.relu(x, inplace=inplace)
        results.append((y.tolist(), np.signbit(y.numpy()).tolist()))
    assert str(results[1]) == str(results[0])
