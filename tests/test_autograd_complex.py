"""Autograd of complex tensors, compared with torch: gradients for complex seed gradients (torch's conjugate
Wirtinger convention), grad_fn names, and gradcheck/gradgradcheck checking real and imaginary perturbations."""

import numpy as np
import pytest
import torch
from harness import compare_grad, noncontiguous, sample

import ember


def c(shape, seed, low=-2, high=2):
    return sample(shape, "complex128", seed=seed, low=low, high=high)


Z, W = c((2, 3), 1), c((2, 3), 2)
R = sample((2, 3), "float64", seed=3, low=-2, high=2)
M1, M2 = c((2, 3), 4), c((3, 2), 5)

# name -> (fn(m, *tensors), inputs)
CASES = {
    "add": (lambda m, a, b: a + b, (Z, W)),
    "add_real_operand": (lambda m, a, b: a + b, (Z, R)),
    "sub_alpha": (lambda m, a, b: m.sub(a, b, alpha=2), (Z, W)),
    "mul": (lambda m, a, b: a * b, (Z, W)),
    "mul_real_operand": (lambda m, a, b: a * b, (R, Z)),
    "mul_complex_scalar": (lambda m, a: a * (2 - 1j), (Z,)),
    "div": (lambda m, a, b: a / b, (Z, W)),
    "div_real_operand": (lambda m, a, b: a / b, (R, Z)),
    "exp": (lambda m, a: a.exp(), (Z,)),
    "log": (lambda m, a: a.log(), (Z,)),
    "abs": (lambda m, a: a.abs(), (Z,)),
    "angle": (lambda m, a: a.angle(), (Z,)),
    "real": (lambda m, a: m.real(a), (Z,)),
    "imag": (lambda m, a: m.imag(a), (Z,)),
    "conj": (lambda m, a: a.conj() * 1, (Z,)),
    "conj_physical": (lambda m, a: m.conj_physical(a), (Z,)),
    "matmul": (lambda m, a, b: a @ b, (M1, M2)),
    "matmul_vector": (lambda m, a, b: a @ b, (M1, c((3,), 6))),
    "sum": (lambda m, a: a.sum(), (Z,)),
    "sum_dim": (lambda m, a: a.sum(1), (Z,)),
    "mean": (lambda m, a: a.mean(), (Z,)),
    "mean_dim": (lambda m, a: a.mean(0, keepdim=True), (Z,)),
    "view_as_real": (lambda m, a: m.view_as_real(a), (Z,)),
    "view_as_complex": (lambda m, a: m.view_as_complex(a), (sample((2, 3, 2), "float64", seed=7),)),
    "pow_scalar": (lambda m, a: a ** 2, (Z,)),
    "sqrt": (lambda m, a: a.sqrt(), (Z,)),
    "tanh": (lambda m, a: a.tanh(), (Z,)),
    "sigmoid": (lambda m, a: a.sigmoid(), (Z,)),
    "reciprocal": (lambda m, a: a.reciprocal(), (Z,)),
    "prod": (lambda m, a: a.prod(1), (Z,)),
    "vdot": (lambda m, a, b: m.vdot(a, b), (c((3,), 8), c((3,), 9))),
    "linalg_vector_norm": (lambda m, a: m.linalg.vector_norm(a), (Z,)),
    "sgn": (lambda m, a: a.sgn(), (Z,)),
    "select_real_of_sum": (lambda m, a: m.real(a.sum()), (Z,)),  # real() of a 0-dim tensor
    "inv": (lambda m, a: m.linalg.inv(a), (c((2, 2), 10),)),
    "det": (lambda m, a: m.linalg.det(a), (c((2, 2), 11),)),
}


def _leaves(m, arrays):
    from harness import tensor_of

    return [tensor_of(m, a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("name", CASES)
def test_complex_gradients_match_torch(name):
    fn, arrays = CASES[name]
    compare_grad(fn, *arrays)


@pytest.mark.parametrize("name", CASES)
def test_complex_gradcheck(name):
    fn, arrays = CASES[name]
    inputs = _leaves(ember, arrays)
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), inputs)


@pytest.mark.parametrize("name", ["mul", "div", "exp", "abs", "matmul", "sum", "real"])
def test_complex_gradgradcheck(name):
    fn, arrays = CASES[name]
    inputs = _leaves(ember, arrays)
    assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), inputs)


def test_complex_noncontiguous_input():
    compare_grad(lambda m, a: (a * a.conj()).exp(), noncontiguous(c((3, 4), 12, low=-1, high=1)))
    assert ember.autograd.gradcheck(lambda a: a.exp() * a, _leaves(ember, [noncontiguous(c((3, 4), 13))]))


def _wrong_functions(m):
    class SquareNoConj(m.autograd.Function):  # torch's convention needs conj(2z): this backward is wrong
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, grad):
            (z,) = ctx.saved_tensors
            return grad * 2 * z

    class RealTimesI(m.autograd.Function):  # complex -> real with a gradient rotated by i
        @staticmethod
        def forward(ctx, z):
            return m.real(z).clone()

        @staticmethod
        def backward(ctx, grad):
            return grad * 1j

    return SquareNoConj.apply, RealTimesI.apply


@pytest.mark.parametrize("which", [0, 1, 2])
def test_complex_gradcheck_catches_wrong_formulas_with_torchs_message(which):
    messages = []
    for m in (torch, ember):
        square, real_i = _wrong_functions(m)
        fn = [square, real_i, lambda z: (m.real(z) * 2, square(z))][which]
        z = m.tensor([1 + 2j, -0.5 + 1j], dtype=m.complex128, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            m.autograd.gradcheck(fn, (z,))
        assert type(info.value).__name__ == "GradcheckError"
        assert not m.autograd.gradcheck(fn, (z,), raise_exception=False)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_gradcheck_of_a_function_with_no_differentiable_output():
    for m in (torch, ember):
        x = m.tensor([0.5, 1.5], dtype=m.float64, requires_grad=True)
        assert m.autograd.gradcheck(lambda t: t.detach() * 0 + 1, (x,))
        with pytest.raises(RuntimeError, match="Numerical gradient for function expected to be zero"):
            m.autograd.gradcheck(lambda t: t.detach() * 2, (x,))


def test_complex_inputs_keep_their_values():
    z = ember.tensor(np.array([1 + 2j, 3 - 1j]), requires_grad=True)
    before = z.detach().clone()
    ember.autograd.gradcheck(lambda t: t.exp(), (z,))
    assert ember.equal(z.detach(), before)


def test_complex_gradgradcheck_catches_a_missing_second_derivative():
    class SquareDetached(ember.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, grad):
            (z,) = ctx.saved_tensors
            return grad * 2 * z.conj().detach()  # right first derivative, no second one

    z = ember.tensor([1 + 2j, -0.5 + 1j], dtype=ember.complex128, requires_grad=True)
    assert ember.autograd.gradcheck(SquareDetached.apply, (z,))
    assert not ember.autograd.gradgradcheck(SquareDetached.apply, (z,), raise_exception=False)
