"""Autograd of the pointwise family, compared with torch: grad_fn names, next_functions, gradients,
gradcheck/gradgradcheck in float64, kink conventions, in-place history and higher-order derivatives."""

import numpy as np
import pytest
import torch
from harness import compare_grad, noncontiguous, sample

import ember

A = sample((3, 4), "float64", seed=1, low=0.2, high=0.9)
B = sample((3, 4), "float64", seed=2, low=0.2, high=0.9)
ROW = sample((4,), "float64", seed=3, low=0.2, high=0.9)
S = sample((2, 3), "float32", seed=4, low=-2, high=2)

UNARY = {
    "neg": lambda m, x: -x, "abs": lambda m, x: (x - 0.5).abs(), "exp": lambda m, x: x.exp(),
    "exp2": lambda m, x: x.exp2(), "expm1": lambda m, x: m.expm1(x), "log": lambda m, x: x.log(),
    "log2": lambda m, x: x.log2(), "log10": lambda m, x: x.log10(), "log1p": lambda m, x: x.log1p(),
    "sqrt": lambda m, x: x.sqrt(), "rsqrt": lambda m, x: x.rsqrt(), "square": lambda m, x: x.square(),
    "sin": lambda m, x: x.sin(), "cos": lambda m, x: x.cos(), "tan": lambda m, x: x.tan(),
    "asin": lambda m, x: x.asin(), "acos": lambda m, x: x.acos(), "atan": lambda m, x: x.atan(),
    "sinh": lambda m, x: x.sinh(), "cosh": lambda m, x: x.cosh(), "tanh": lambda m, x: x.tanh(),
    "asinh": lambda m, x: x.asinh(), "acosh": lambda m, x: (x + 1).acosh(), "atanh": lambda m, x: x.atanh(),
    "sigmoid": lambda m, x: x.sigmoid(), "logit": lambda m, x: x.logit(), "logit_eps": lambda m, x: x.logit(0.3),
    "erf": lambda m, x: x.erf(), "erfc": lambda m, x: x.erfc(), "erfinv": lambda m, x: x.erfinv(),
    "lgamma": lambda m, x: x.lgamma(), "digamma": lambda m, x: x.digamma(),
    "polygamma1": lambda m, x: m.polygamma(1, x), "polygamma2": lambda m, x: x.polygamma(2),
    "mvlgamma": lambda m, x: m.mvlgamma(x + 2, 3), "i0": lambda m, x: x.i0(), "sinc": lambda m, x: x.sinc(),
    "floor": lambda m, x: x.floor(), "ceil": lambda m, x: x.ceil(), "trunc": lambda m, x: x.trunc(),
    "round": lambda m, x: x.round(), "round_decimals": lambda m, x: x.round(decimals=1),
    "frac": lambda m, x: x.frac(), "sign": lambda m, x: x.sign(), "sgn": lambda m, x: x.sgn(),
    "reciprocal": lambda m, x: x.reciprocal(), "nan_to_num": lambda m, x: (x.log() * 1e308 * 10).nan_to_num(),
    "deg2rad": lambda m, x: x.deg2rad(), "rad2deg": lambda m, x: x.rad2deg(), "angle": lambda m, x: (x - 0.5).angle(),
    "relu": lambda m, x: (x - 0.5).relu(), "torch.relu": lambda m, x: m.relu(x - 0.5),
    "torch.relu_": lambda m, x: m.relu_(x - 0.5),
    "clamp": lambda m, x: x.clamp(0.4, 0.7), "clamp_min": lambda m, x: x.clamp(min=0.5),
    "clip_max": lambda m, x: x.clip(max=0.5), "clamp_min_fn": lambda m, x: x.clamp_min(0.5),
    "clamp_max_fn": lambda m, x: m.clamp_max(x, 0.5), "pow2": lambda m, x: x ** 2, "pow_half": lambda m, x: x.pow(0.5),
    "pow0": lambda m, x: x ** 0, "rpow": lambda m, x: 2 ** x, "rpow_fn": lambda m, x: m.pow(3.0, x),
    "rsub": lambda m, x: 2 - x, "rsub_fn": lambda m, x: m.rsub(x, 2, alpha=3), "rdiv": lambda m, x: 2 / x,
    "add_scalar": lambda m, x: x + 2, "radd": lambda m, x: 2 + x, "sub_scalar_alpha": lambda m, x: m.sub(x, 2, alpha=3),
    "mul_scalar": lambda m, x: x * 3, "rmul": lambda m, x: 3 * x, "div_scalar": lambda m, x: x / 3,
    "div_floor_scalar": lambda m, x: m.div(x, 0.3, rounding_mode="floor"), "remainder_scalar": lambda m, x: x % 0.3,
    "fmod_scalar": lambda m, x: m.fmod(x, 0.3), "copysign_scalar": lambda m, x: m.copysign(x, -1.0),
    "xlogy_scalar_other": lambda m, x: m.xlogy(x, 3.0), "xlogy_scalar_self": lambda m, x: m.xlogy(3.0, x),
    "float_power_scalar": lambda m, x: m.float_power(x, 2), "lerp_scalar": lambda m, x: m.lerp(x, x * 2, 0.3),
    "positive": lambda m, x: +(x * 1), "conj_real": lambda m, x: (x * 1).conj(),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_against_torch(name):
    compare_grad(UNARY[name], A)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "abs", "sin", "sqrt", "erf", "relu", "clamp", "pow2"])
def test_unary_float32_noncontiguous(name):
    compare_grad(UNARY[name], noncontiguous(np.abs(S) + 0.1))


BINARY = {
    "add": lambda m, a, b: a + b, "add_alpha": lambda m, a, b: m.add(a, b, alpha=2), "sub": lambda m, a, b: a - b,
    "sub_alpha": lambda m, a, b: a.sub(b, alpha=0.5), "rsub": lambda m, a, b: m.rsub(a, b),
    "mul": lambda m, a, b: a * b, "div": lambda m, a, b: a / b,
    "div_trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"), "pow": lambda m, a, b: a ** b,
    "remainder": lambda m, a, b: m.remainder(a, b), "fmod": lambda m, a, b: m.fmod(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b), "hypot": lambda m, a, b: m.hypot(a, b),
    "xlogy": lambda m, a, b: m.xlogy(a, b), "logaddexp": lambda m, a, b: m.logaddexp(a, b),
    "logaddexp2": lambda m, a, b: m.logaddexp2(a, b), "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b), "fmax": lambda m, a, b: m.fmax(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b), "copysign": lambda m, a, b: m.copysign(a, b - 0.5),
    "float_power": lambda m, a, b: m.float_power(a, b), "lerp": lambda m, a, b: m.lerp(a, b, 0.25),
    "lerp_tensor_weight": lambda m, a, b: m.lerp(a, b * 2, b), "ldexp": lambda m, a, b: m.ldexp(a, b),
    "clamp_tensor": lambda m, a, b: a.clamp(b - 0.2, b + 0.1), "clamp_tensor_min": lambda m, a, b: a.clamp(min=b),
    "clamp_tensor_max": lambda m, a, b: m.clamp(a, max=b), "clamp_min_tensor": lambda m, a, b: a.clamp_min(b),
    "clamp_max_tensor": lambda m, a, b: a.clamp_max(b), "addcmul": lambda m, a, b: m.addcmul(a, a, b, value=2),
    "addcdiv": lambda m, a, b: m.addcdiv(b, a, b, value=-0.5), "nextafter": lambda m, a, b: m.nextafter(a, b),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", ["same", "broadcast", "broadcast_left"])
def test_binary_against_torch(name, shapes):
    a, b = {"same": (A, B), "broadcast": (A, ROW), "broadcast_left": (ROW[None, :1], A)}[shapes]
    compare_grad(BINARY[name], a, b)


@pytest.mark.parametrize("name", ["add", "mul", "div", "pow", "maximum", "atan2"])
def test_binary_mixed_dtypes_and_zero_dim(name):
    compare_grad(BINARY[name], A.astype(np.float32), B)  # float32 input gets a float32 grad
    compare_grad(BINARY[name], A, np.asarray(0.7))  # 0-dim tensor operand
    compare_grad(BINARY[name], np.asarray(0.7), A)


def test_binary_one_operand_without_grad():
    compare_grad(lambda m, a, b: a * b.detach(), A, B)
    compare_grad(lambda m, a, b: a.detach() / b, A, B)
    compare_grad(lambda m, a, b: a.detach() ** b, A, B)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv", "lerp_tensor_weight", "clamp_tensor"])
def test_ternary_broadcasting(name):
    compare_grad(BINARY[name], ROW, A)


def test_scalar_edges():
    x = ember.rand(3, requires_grad=True)
    sig = {"x+2": x + 2, "2-x": 2 - x, "x*2": x * 2, "x**2": x ** 2, "2**x": 2 ** x, "2/x": 2 / x}
    assert type(sig["x+2"].grad_fn).__name__ == "AddBackward0"
    assert sig["x+2"].grad_fn.next_functions[1] == (None, 0)
    assert type(sig["2-x"].grad_fn).__name__ == "RsubBackward1" and len(sig["2-x"].grad_fn.next_functions) == 1
    assert len(sig["x**2"].grad_fn.next_functions) == 1 and len(sig["2**x"].grad_fn.next_functions) == 1
    assert type(sig["2/x"].grad_fn.next_functions[0][0]).__name__ == "ReciprocalBackward0"


def test_not_differentiable():
    for m in (torch, ember):
        x = m.tensor([1.5, 2.5], requires_grad=True)
        ops = (lambda: m.floor_divide(x, x), lambda: x // 2, lambda: m.heaviside(x, x))
        for op in ops:
            y = op()
            assert type(y.grad_fn).__name__ == "NotImplemented"
            assert len(y.grad_fn.next_functions) == (2 if op is not ops[1] else 1)
            with pytest.raises(RuntimeError, match="derivative for aten::"):
                y.sum().backward()
        assert not (x > 1).requires_grad and (x > 1).grad_fn is None


COMPLEX = sample((2, 3), "complex128", seed=5, low=-1, high=1)


@pytest.mark.parametrize("name", ["mul", "div", "add", "sub"])
def test_complex_binary(name):
    compare_grad(BINARY[name], COMPLEX, COMPLEX * 0.5 + 1)
    compare_grad(BINARY[name], COMPLEX, A[:2, :3])  # real operand gets a real gradient


@pytest.mark.parametrize("fn", [lambda m, z: z.exp(), lambda m, z: z.log(), lambda m, z: z.abs(),
                                lambda m, z: z.sgn(), lambda m, z: z.angle(), lambda m, z: z.conj() * 2,
                                lambda m, z: z.sqrt(), lambda m, z: z.sin(), lambda m, z: z.tanh(),
                                lambda m, z: z.reciprocal(), lambda m, z: z ** 2, lambda m, z: z.sigmoid(),
                                lambda m, z: z.conj_physical()])
def test_complex_unary(fn):
    compare_grad(fn, COMPLEX)


def test_complex_parts():
    compare_grad(lambda m, z: m.real(z) * 2 + m.imag(z), COMPLEX)
    compare_grad(lambda m, z: m.imag(z * z), COMPLEX)


def test_out_with_grad_refused():
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        for op in (lambda o: m.add(x, 1, out=o), lambda o: m.exp(x, out=o), lambda o: m.clamp(x, 0, 1, out=o),
                   lambda o: m.erf(x, out=o), lambda o: m.atan2(x, x, out=o)):
            with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
                op(m.empty(2))
        with m.no_grad():
            assert m.add(x, 1, out=m.empty(2)).grad_fn is None


# gradcheck / gradgradcheck in float64 ---------------------------------------------------------------------

def _inputs(*arrays):
    return tuple(ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays)


SMOOTH_UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "sin", "cos",
                "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit",
                "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma1", "mvlgamma", "i0", "sinc", "reciprocal",
                "deg2rad", "rad2deg", "abs", "relu", "pow2", "pow_half", "rpow", "rsub", "rdiv", "frac",
                "div_scalar", "xlogy_scalar_self", "xlogy_scalar_other", "clamp", "neg", "float_power_scalar"]
X = sample((5,), "float64", seed=7, low=0.15, high=0.85)


@pytest.mark.parametrize("name", SMOOTH_UNARY)
def test_gradcheck_unary(name):
    fn = UNARY[name]
    (x,) = _inputs(X)
    assert ember.autograd.gradcheck(lambda t: fn(ember, t), (x,))
    assert ember.autograd.gradgradcheck(lambda t: fn(ember, t), (x,))


SMOOTH_BINARY = ["add", "add_alpha", "sub", "sub_alpha", "rsub", "mul", "div", "pow", "atan2", "hypot", "xlogy",
                 "logaddexp", "logaddexp2", "maximum", "minimum", "fmax", "fmin", "float_power", "lerp",
                 "lerp_tensor_weight", "addcmul", "addcdiv", "ldexp", "remainder", "fmod", "clamp_tensor",
                 "clamp_min_tensor", "clamp_max_tensor", "copysign"]


@pytest.mark.parametrize("name", SMOOTH_BINARY)
def test_gradcheck_binary(name):
    fn = BINARY[name]
    a, b = _inputs(A[:2, :3], B[:1, :3] + 0.05)  # broadcasting, and no ties for maximum/minimum
    assert ember.autograd.gradcheck(lambda s, t: fn(ember, s, t), (a, b))
    assert ember.autograd.gradgradcheck(lambda s, t: fn(ember, s, t), (a, b))


def test_gradcheck_noncontiguous():
    base = ember.tensor(sample((3, 6), "float64", seed=9, low=0.2, high=0.8), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: (t[:, ::2] * t[:, 1::2].exp()).sigmoid(), (base,))
    assert ember.autograd.gradgradcheck(lambda t: t.t().sin() / (t.t() + 1), (base,))


# kinks and ties -------------------------------------------------------------------------------------------

def test_kink_conventions():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    y = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    compare_grad(lambda m, t: t.abs(), x)
    compare_grad(lambda m, t: t.relu(), x)
    compare_grad(lambda m, t: t.clamp(0.0, 1.0), x)  # bounds pass the gradient
    compare_grad(lambda m, t: t.sqrt(), np.array([0.0, 1.0]))  # inf at 0
    compare_grad(lambda m, t: t.sign() + t.round() + t.floor(), x)
    for op in ("maximum", "minimum", "fmax", "fmin"):
        compare_grad(lambda m, a, b, op=op: getattr(m, op)(a, b), x, y)  # ties
    compare_grad(lambda m, a, lo, hi: a.clamp(lo, hi), x, y, y + 0.5)
    compare_grad(lambda m, a, lo, hi: a.clamp(lo, hi), x, y + 0.5, y)  # min > max
    compare_grad(lambda m, t: t ** 0.0 + t.pow(1) + t.pow(3), x)
    compare_grad(lambda m, a, b: a ** b, np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0]))
    compare_grad(lambda m, a, b: m.xlogy(a, b), np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 2.0]))
    compare_grad(lambda m, t: t.copysign(-1.0) + t.sinc() + t.angle(), x)
    compare_grad(lambda m, t: t.logit(), np.array([-0.5, 0.2, 1.5]))
    compare_grad(lambda m, t: (t * np.inf).nan_to_num(), np.array([-1.0, 0.0, 2.0]))


# in-place ---------------------------------------------------------------------------------------------------

INPLACE = {
    "add_": lambda t, o: t.add_(o), "sub_": lambda t, o: t.sub_(o, alpha=2), "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o), "pow_": lambda t, o: t.pow_(o), "iadd": lambda t, o: t.__iadd__(o),
    "imul": lambda t, o: t.__imul__(o), "itruediv": lambda t, o: t.__itruediv__(o), "ipow": lambda t, o: t.__ipow__(2),
    "clamp_": lambda t, o: t.clamp_(0.4, 0.6), "sigmoid_": lambda t, o: t.sigmoid_(), "exp_": lambda t, o: t.exp_(),
    "tanh_": lambda t, o: t.tanh_(), "relu_": lambda t, o: t.sub_(0.5).relu_(), "abs_": lambda t, o: t.abs_(),
    "erf_": lambda t, o: t.erf_(), "lerp_": lambda t, o: t.lerp_(o, 0.3), "addcmul_": lambda t, o: t.addcmul_(o, o),
    "maximum_": lambda t, o: t.clamp_min_(o), "sqrt_": lambda t, o: t.sqrt_(), "neg_": lambda t, o: t.neg_(),
    "polygamma_": lambda t, o: t.polygamma_(1), "float_power_": lambda t, o: t.float_power_(2),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_against_torch(name):
    op = INPLACE[name]

    def fn(m, x, o):
        y = x * 1
        r = op(y, o)
        assert r is y
        return y

    compare_grad(fn, A, B)


@pytest.mark.parametrize("name", ["add_", "mul_", "sigmoid_", "clamp_", "iadd", "exp_"])
def test_inplace_on_leaf_refused(name):
    for m in (torch, ember):
        x = m.rand(3, dtype=m.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            INPLACE[name](x, m.rand(3, dtype=m.float64))
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            INPLACE[name](x[:2], m.rand(2, dtype=m.float64))
        with m.no_grad():
            INPLACE[name](x, m.rand(3, dtype=m.float64))  # allowed without grad
        assert x.grad_fn is None and x._version > 0


def test_inplace_history_rebased():
    for m in (torch, ember):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y.mul_(2)
        assert type(y.grad_fn).__name__ == "MulBackward0"
        assert type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_inplace_graph_matches_torch():
    def fn(m, x, o):
        y = x * 1
        y += o
        y *= 2
        y.sigmoid_()
        return y

    compare_grad(fn, A, B)

    def into_plain(m, x, o):  # a tensor that does not require grad takes the history of what is written in
        y = o.detach().clone()
        y.add_(x)
        return y

    compare_grad(into_plain, A, B)


def test_inplace_into_views():
    def view_of_grad(m, x, o):
        y = x * 1
        y[0].mul_(o[0])  # CopySlices on y
        y[:, 1:].sigmoid_()
        return y

    compare_grad(view_of_grad, A, B)

    def view_of_plain(m, x, o):
        y = m.zeros(3, 4, dtype=m.float64)
        y[1].add_(x[0])
        return y

    compare_grad(view_of_plain, A, B)


def test_inplace_saved_tensor_modified():
    for m in (torch, ember):
        x = m.rand(3, requires_grad=True)
        y = x * 1
        z = y.exp()
        z.add_(1)  # exp saved its output
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_inplace_no_grad_fast_path_unchanged():
    x = ember.ones(3)
    version = x._version
    x += 1
    x.mul_(ember.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [2.0, 4.0, 6.0] and x.grad_fn is None and x._version == version + 2
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        ember.ones(2, dtype=ember.int64).add_(ember.ones(2, requires_grad=True))


# long chains and higher order -------------------------------------------------------------------------------

def test_long_chain_no_recursion():
    x = ember.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 100_000] * 2, rtol=1e-9)
    y = x[0]
    for _ in range(1000):
        y = y * 1.0001
    y.backward()  # 0-dim: the implicit seed
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 100_000 + 1.0001 ** 1000, 1.0001 ** 100_000], rtol=1e-9)


@pytest.mark.parametrize("fn", [lambda m, x: x ** 3, lambda m, x: x.sin() * x.exp(), lambda m, x: x.tanh(),
                                lambda m, x: x.sigmoid() / x, lambda m, x: m.erf(x) * x.log(),
                                lambda m, x: m.atan2(x, x * x + 1), lambda m, x: x.sqrt().reciprocal()])
def test_second_and_third_derivatives(fn):
    values = [0.3, 0.7, 1.4]
    results = []
    for m in (torch, ember):
        x = m.from_numpy(np.array(values)).requires_grad_()
        (g1,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
        (g2,) = m.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = m.autograd.grad(g2.sum(), x)
        results.append([g.detach().numpy() for g in (g1, g2, g3)])
    for t, e in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)


def test_grad_fn_of_float_power_casts():
    compare_grad(lambda m, a, b: m.float_power(a, b), A.astype(np.float32), B.astype(np.float32))


# the float32 erf/erfc kernels (GELU's path) -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_erf_float32_path_against_torch(name, dtype):
    x = np.concatenate([np.linspace(-10, 10, 200_001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-38]])
    e = getattr(ember, name)(ember.from_numpy(x.astype(np.float32)).to(getattr(ember, dtype)))
    t = getattr(torch, name)(torch.from_numpy(x.astype(np.float32)).to(getattr(torch, dtype)))
    assert str(e.dtype) == str(t.dtype)
    torch.testing.assert_close(torch.from_numpy(e.float().numpy()).to(t.dtype), t, equal_nan=True)
