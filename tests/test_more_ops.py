"""Ops PyTorch users reached for and ember lacked: rot90, renorm, block_diag, the trapezoid rule, distances,
LU, complex/polar gradients, special softmaxes, margin losses, gumbel_softmax and rrelu's training noise.
Differential against torch (values, dtypes, grad_fn graphs, gradients, errors) plus gradcheck in float64."""

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, graph_signature, sample

import ember
from ember.autograd import gradcheck


def gradgradcheck(fn, inputs):
    """ember.autograd.gradgradcheck with `fn` run in grad mode (its numerical pass runs under no_grad)."""

    def forced(*xs):
        with ember.enable_grad():
            return fn(*xs)

    return ember.autograd.gradgradcheck(forced, inputs)


def f64(*shape, seed=0):
    return sample(shape, "float64", seed=seed, low=-1, high=1)


def leaf(arr):
    return ember.tensor(arr, requires_grad=True)


# -------------------------------------------------------------------------------------------------------
# ravel, rot90


@pytest.mark.parametrize("transposed", [False, True])
def test_ravel(transposed):
    x = sample((3, 4))
    compare_grad(lambda m, t: (t.t() if transposed else t).ravel(), x)
    compare(lambda m, t: m.ravel(t), sample((), "int64"))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 6])
@pytest.mark.parametrize("dims", [(0, 1), (2, 0), (-1, 1)])
def test_rot90(k, dims):
    x = sample((2, 3, 4))
    compare(lambda m, t: m.rot90(t, k, dims), x, check_stride=True)
    compare_grad(lambda m, t: t.rot90(k, dims), x)


@pytest.mark.parametrize("args", [(1, [0]), (1, [0, 0]), (1, [0, 2]), (1, [-3, 0])])
def test_rot90_errors(args):
    compare(lambda m, t: m.rot90(t, *args), sample((3, 4)), message=True)
    compare(lambda m, t: m.rot90(t), sample((4,)), message=True)


# -------------------------------------------------------------------------------------------------------
# renorm


@pytest.mark.parametrize("p", [1, 2, 3.5, float("inf")])
@pytest.mark.parametrize("dim", [0, -1])
def test_renorm(p, dim):
    x = sample((3, 4, 2), "float64")
    compare_grad(lambda m, t: t.renorm(p, dim, 4.0), x)
    compare(lambda m, t: m.renorm(t, p, dim, 4.0), x.astype(np.float32))
    compare(lambda m, t: m.renorm(t, p, dim, 4.0), x.astype(np.float16))
    compare(lambda m, t: t.renorm_(p, dim, 4.0), x)


def test_renorm_gradcheck():
    x = leaf(f64(3, 4) * 3)
    assert gradcheck(lambda t: ember.renorm(t, 2, 0, 1.5), (x,))
    assert gradgradcheck(lambda t: ember.renorm(t, 3, 1, 1.5), (x,))


@pytest.mark.parametrize("args", [(0, 0, 1.0), (-1, 0, 1.0), (2, 0, -1.0), (2, 2, 1.0)])
def test_renorm_errors(args):
    compare(lambda m, t: m.renorm(t, *args), sample((3, 4)), message=True)
    compare(lambda m, t: m.renorm(t, 2, 0, 1.0), sample((4,)), message=True)
    compare(lambda m, t: m.renorm(t, 2, 0, 1.0), sample((3, 4), "int64"), message=True)


# -------------------------------------------------------------------------------------------------------
# block_diag, cartesian_prod, combinations


def test_block_diag():
    compare_grad(lambda m, a, b, c: m.block_diag(a, b, c), sample((2, 3), "float64"), sample((4,), "float64"),
                 sample((), "float64"))
    compare(lambda m, a, b, c: m.block_diag(a, b, c), sample((), "int64"), sample((4,), "int32"), sample((2, 2)))
    compare(lambda m: m.block_diag())
    compare(lambda m, a: m.block_diag(a), sample((2, 2, 2)), message=True)


def test_block_diag_gradcheck():
    a, b = leaf(f64(2, 3)), leaf(f64(3))
    assert gradcheck(lambda x, y: ember.block_diag(x, y), (a, b))


def test_cartesian_prod():
    compare_grad(lambda m, a, b: m.cartesian_prod(a, b), sample((4,)), sample((3,), seed=1))
    compare_grad(lambda m, a, b, c: m.cartesian_prod(a, b, c), sample((2,)), sample((3,)), sample((2,)))
    compare(lambda m, a: m.cartesian_prod(a) is a, sample((4,)))
    compare(lambda m, a: m.cartesian_prod(a), sample((2, 2)), message=True)
    compare(lambda m: m.cartesian_prod(), message=True)


@pytest.mark.parametrize("r", [0, 1, 2, 3, 6])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations(r, with_replacement):
    x = sample((4,))
    if r:
        compare_grad(lambda m, t: m.combinations(t, r, with_replacement), x)
    else:
        compare(lambda m, t: m.combinations(t, r, with_replacement), x)
    compare(lambda m, t: m.combinations(t, -1), x, message=True)
    compare(lambda m, t: m.combinations(t), sample((2, 2)), message=True)


# -------------------------------------------------------------------------------------------------------
# trapezoid rule


@pytest.mark.parametrize("fn", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid(fn):
    y = sample((3, 5))
    compare_grad(lambda m, t: getattr(m, fn)(t), y)
    compare_grad(lambda m, t: getattr(m, fn)(t, dx=0.5, dim=0), y)
    compare_grad(lambda m, t, x: getattr(m, fn)(t, x), y, sample((5,), seed=1))
    compare_grad(lambda m, t, x: getattr(m, fn)(t, x, dim=0), y, sample((3, 1), seed=1))
    compare_grad(lambda m, t, x: getattr(m, fn)(t, x, dim=0), sample((2, 3, 4)), sample((3, 4), seed=1))
    compare(lambda m, t: getattr(m, fn)(t), sample((5,), "int64"))
    compare(lambda m, t: getattr(m, fn)(t, dx=2), sample((2, 5), "int32"))
    compare(lambda m, t: getattr(m, fn)(t), sample((3, 0)))
    compare(lambda m, t: getattr(m, fn)(t.bool()), y, message=True)
    compare(lambda m, t: getattr(m, fn)(t, dx=1j), y, message="dx")
    compare(lambda m, t, x: getattr(m, fn)(t, x), y, sample((4,)), message=True)
    compare(lambda m, t: getattr(m, fn)(t, dim=2), y, message=True)
    compare(lambda m, t: getattr(m, fn)(t), sample(()), message=True)


def test_trapezoid_gradcheck():
    y, x = leaf(f64(3, 5)), leaf(f64(5, seed=1))
    assert gradcheck(lambda a, b: ember.trapezoid(a, b), (y, x))
    assert gradcheck(lambda a, b: ember.cumulative_trapezoid(a, b), (y, x))


# -------------------------------------------------------------------------------------------------------
# dist, cdist, pdist


@pytest.mark.parametrize("p", [0, 1, 2, 3, -1.5, float("inf"), float("-inf")])
def test_dist(p):
    a, b = sample((3, 4), "float64"), sample((4,), "float64", seed=1)
    grad_check = compare if p == 0 else compare_grad  # torch's backward of dist(p=0) fails (undefined grad)
    grad_check(lambda m, x, y: m.dist(x, y, p), a, b)
    grad_check(lambda m, x, y: x.dist(y, p), a.astype(np.float32), b.astype(np.float32))
    compare(lambda m, x, y: m.dist(x, y, p), a.astype(np.float16), b.astype(np.float16))


def test_dist_promotion_and_errors():
    compare(lambda m, x, y: m.dist(x, y), sample((3, 4)), sample((4,), "int64"))
    compare(lambda m, x, y: m.dist(x, y), sample((3, 4), "int64"), sample((4,), "int64"), message=True)
    compare(lambda m, x, y: m.dist(x, y), sample((3, 4)), sample((2, 4)), message=True)
    assert gradcheck(lambda x, y: ember.dist(x, y, 3), (leaf(f64(3, 4)), leaf(f64(4, seed=1))))
    assert gradgradcheck(lambda x, y: ember.dist(x, y), (leaf(f64(3, 4)), leaf(f64(4, seed=1))))


@pytest.mark.parametrize("p", [0, 1, 2, 0.5, 3, float("inf")])
def test_cdist(p):
    a, b = sample((3, 4), "float64"), sample((5, 4), "float64", seed=1)
    compare_grad(lambda m, x, y: m.cdist(x, y, p), a, b)
    compare_grad(lambda m, x, y: m.cdist(x, y, p), sample((2, 1, 3, 4)), sample((3, 2, 4), seed=1))


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist",
                                  "use_mm_for_euclid_dist_if_necessary"])
def test_cdist_compute_mode(mode):
    a, b = sample((30, 4), "float64"), sample((5, 4), "float64", seed=1)
    compare_grad(lambda m, x, y: m.cdist(x, y, compute_mode=mode), a, b)
    compare_grad(lambda m, x, y: m.cdist(x, y, compute_mode=mode), a[:3], b)


def test_cdist_errors():
    x = sample((3, 4))
    compare(lambda m, a, b: m.cdist(a, b), x[0], x, message=True)
    compare(lambda m, a, b: m.cdist(a, b), x, x[:, :3], message=True)
    compare(lambda m, a: m.cdist(a, a, p=-1), x, message=True)
    compare(lambda m, a: m.cdist(a, a), x.astype(np.int64), message=True)
    compare(lambda m, a: m.cdist(a, a), x.astype(np.float16), message=True)
    compare(lambda m, a: m.cdist(a, a, compute_mode="foo"), x, message=True)
    compare(lambda m, a, b: m.cdist(a, b), x, x.astype(np.float64), message=True)
    compare(lambda m, a, b: m.cdist(a, b), sample((2, 3, 4)), sample((3, 5, 4)), message=True)
    a, b = leaf(f64(3, 4)), leaf(f64(5, 4, seed=1))
    for p in (1, 2, 3):
        assert gradcheck(lambda x, y: ember.cdist(x, y, p), (a, b))


@pytest.mark.parametrize("p", [0, 1, 2, 0.5, 3, float("inf")])
def test_pdist(p):
    x = sample((5, 3), "float64")
    compare_grad(lambda m, t: m.pdist(t, p), x)
    compare_grad(lambda m, t: m.nn.functional.pdist(t, p), x.astype(np.float32))
    if p in (1, 2, 3):
        assert gradcheck(lambda t: ember.pdist(t, p), (leaf(f64(4, 3)),))


def test_pdist_errors():
    compare(lambda m, t: m.pdist(t), sample((1, 3)))
    compare(lambda m, t: m.pdist(t), sample((4,)), message=True)
    compare(lambda m, t: m.pdist(t, -1), sample((3, 4)), message=True)
    compare(lambda m, t: m.pdist(t), sample((3, 4), "int64"), message=True)
    compare(lambda m, t: m.pdist(t), sample((3, 4), "float16"), message=True)


# -------------------------------------------------------------------------------------------------------
# complex, polar


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_complex_polar_grad(dtype):
    a, b = sample((3, 4), dtype), sample((4,), dtype, seed=1)
    compare_grad(lambda m, x, y: m.complex(x, y), a, b)
    compare_grad(lambda m, x, y: m.polar(x, y), a, b)
    compare_grad(lambda m, x, y: m.polar(x, y).abs().sum() + m.complex(x, y).angle().sum(), a, b)


def test_complex_polar_gradcheck():
    a, b = leaf(f64(3) + 1.5), leaf(f64(3, seed=1))  # abs > 0: torch's polar gradient assumes it
    assert gradcheck(lambda x, y: ember.complex(x, y), (a, b))
    assert gradcheck(lambda x, y: ember.polar(x, y), (a, b))
    assert gradgradcheck(lambda x, y: ember.polar(x, y), (a, b))


def test_complex_polar_errors():
    x = sample((3,))
    for fn in ("complex", "polar"):
        compare(lambda m, a, b: getattr(m, fn)(a, b), x, x.astype(np.float64), message=True)
        compare(lambda m, a, b: getattr(m, fn)(a, b), x, x.astype(np.int64), message=True)
        compare(lambda m, a: getattr(m, fn)(a, a, out=m.empty(3, dtype=m.complex64)), x, requires_grad=True,
                message=True)
    compare(lambda m, a: m.polar(a, a), x.astype(np.float16), message=True)
    compare(lambda m, a: m.complex(a, a * m.inf), x)  # no NaN real parts from inf * 1j


# -------------------------------------------------------------------------------------------------------
# torch.special: softmaxes, logsumexp, entr and xlog1py gradients


def test_special_softmaxes():
    x = sample((3, 4))
    compare_grad(lambda m, t: m.special.softmax(t, 0), x)
    compare_grad(lambda m, t: m.special.log_softmax(t, 1, dtype=m.float64), x)
    compare_grad(lambda m, t: m.special.logsumexp(t, (0, 1), True), x)
    compare(lambda m, t: m.special.logsumexp(t, 1), sample((3, 4), "int64"))
    compare(lambda m, t: m.special.softmax(t, 0), sample((3, 4), "int64"), message=True)
    compare(lambda m, t: m.special.log_softmax(t, -1), sample((3, 4), "int64"), message=True)


def test_special_entr_xlog1py_grad():
    x = sample((3, 4), low=0.1, high=3)
    compare_grad(lambda m, t: m.special.entr(t), x)
    compare_grad(lambda m, t, u: m.special.xlog1py(t, u), x, sample((4,), low=0.1, high=3, seed=1))


# -------------------------------------------------------------------------------------------------------
# rrelu in training: PyTorch's noise stream


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_training_matches_torch(dtype):
    x = sample((4, 5), dtype)
    for m in (torch, ember):
        m.manual_seed(7)
    compare_grad(lambda m, t: m.nn.functional.rrelu(t, 0.1, 0.4, training=True), x)
    for m in (torch, ember):
        m.manual_seed(8)
    compare(lambda m, t: m.nn.functional.rrelu(t.clone(), training=True, inplace=True), x)
    compare(lambda m, t: m.nn.RReLU()(t), x)


# -------------------------------------------------------------------------------------------------------
# multi-class hinge losses, gumbel_softmax


MULTILABEL_TARGET = np.array([[3, 0, -1, 1, 2], [0, -1, 2, 2, 2], [1, 2, 3, 4, 0], [4, 4, -1, -1, -1]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multi_margin_loss(reduction, dtype):
    x, t, w = sample((4, 5), dtype, low=-1, high=1), np.array([1, 0, 4, 4]), sample((5,), dtype, low=0, high=1)
    compare_grad(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(t), reduction=reduction), x)
    compare_grad(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(t), p=2, margin=0.7, weight=m.tensor(w),
                                                                reduction=reduction), x)
    compare_grad(lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(2), reduction=reduction), x[0])
    compare_grad(lambda m, a: m.nn.MultiMarginLoss(p=2, margin=2.0, reduction=reduction)(a, m.tensor(t)), x)


def test_multi_margin_loss_errors():
    x, t = sample((3, 5)), np.array([1, 0, 4])
    F = "multi_margin_loss"
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t), p=3), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t[:2])), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t).float()), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t) + 5), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t), weight=m.ones(3)), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t)), x.astype(np.int64), message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t), reduction="foo"), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a[:, :, None], m.tensor(t)), x, message=True)
    # an empty batch: torch's mean and sum of it read uninitialised memory, so only 'none' is comparable
    compare(lambda m, a: getattr(m.nn.functional, F)(a[:0], m.tensor(t[:0]), reduction="none"), x)
    compare(lambda m, a, w: getattr(m.nn.functional, F)(a, m.tensor(t), weight=w), x, x[0], requires_grad=True,
            message=True)
    compare(lambda m: repr(m.nn.MultiMarginLoss()))
    compare(lambda m: m.nn.MultiMarginLoss(weight=m.ones(2, 2)), message=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(reduction):
    x = sample((4, 5), "float64", low=-1, high=1)
    t = MULTILABEL_TARGET
    compare_grad(lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor(t), reduction=reduction), x)
    compare_grad(lambda m, a: m.nn.MultiLabelMarginLoss(reduction=reduction)(a, m.tensor(t[0])), x[0])
    compare_grad(lambda m, a: m.nn.MultiLabelMarginLoss(reduction=reduction)(a, m.tensor(t)),
                 x.astype(np.float32))


def test_multilabel_margin_loss_errors():
    x, t = sample((4, 5)), MULTILABEL_TARGET
    F = "multilabel_margin_loss"
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t[:2])), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t).float()), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t) + 5), x, message=True)
    compare(lambda m, a: getattr(m.nn.functional, F)(a, m.tensor(t[:, :4])), x, message=True)
    compare(lambda m: repr(m.nn.MultiLabelMarginLoss()))


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_matches_torch(hard):
    x = sample((3, 6))
    for m in (torch, ember):
        m.manual_seed(5)
    compare_grad(lambda m, a: m.nn.functional.gumbel_softmax(a, tau=0.5, hard=hard), x)
    for m in (torch, ember):
        m.manual_seed(6)
    compare(lambda m, a: m.nn.functional.gumbel_softmax(a, dim=0), x)


# -------------------------------------------------------------------------------------------------------
# LU: factor, unpack, solve; cholesky_solve


LU_SHAPES = [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 1, 4, 2)]


@pytest.mark.parametrize("shape", LU_SHAPES)
def test_lu_factor_values(shape):
    a = sample(shape, "float64")
    compare(lambda m, x: m.linalg.lu_factor_ex(x), a)
    compare(lambda m, x: m.linalg.lu_factor(x), a.astype(np.float32))
    compare(lambda m, x: m.linalg.lu(x), a)
    compare(lambda m, x: m.lu_unpack(*m.linalg.lu_factor(x)), a)
    compare(lambda m, x: m.lu_unpack(*m.linalg.lu_factor(x), unpack_data=False), a)
    compare(lambda m, x: m.lu_unpack(*m.linalg.lu_factor(x), unpack_pivots=False), a)
    compare(lambda m, x: x.lu(get_infos=True), a)


@pytest.mark.parametrize("shape", [(70, 50), (50, 70), (2, 40, 40)])
def test_lu_factor_blocked(shape):
    """Wider than one panel of the blocked factorisation: same pivots as LAPACK, same factors."""
    compare(lambda m, x: m.linalg.lu_factor_ex(x), sample(shape, "float64"))
    compare(lambda m, x: m.linalg.lu_factor_ex(x), sample(shape, "complex64"), rtol=1e-4, atol=1e-4)  # 50 steps


@pytest.mark.parametrize("shape", LU_SHAPES)
def test_lu_grad(shape):
    a = sample(shape, "float64")
    compare_grad(lambda m, x: m.linalg.lu(x)[1:], a)
    compare_grad(lambda m, x: m.linalg.lu(x)[2], a)
    compare_grad(lambda m, x: m.linalg.lu_factor(x)[0], a)
    compare_grad(lambda m, x: m.lu_unpack(*m.linalg.lu_factor(x))[1:], a)


def test_lu_complex_and_singular():
    a = sample((4, 4), "complex128")
    compare_grad(lambda m, x: m.linalg.lu(x)[1:], a)
    compare(lambda m, x: m.linalg.lu_factor_ex(x), np.zeros((2, 3, 3)))
    compare(lambda m, x: m.linalg.lu(x), np.zeros((3, 3)))


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3)])
def test_lu_gradcheck(shape):
    x = leaf(f64(*shape))
    assert gradcheck(lambda t: ember.linalg.lu(t)[1:], (x,))
    assert gradcheck(lambda t: ember.linalg.lu_factor(t)[0], (x,))
    assert gradcheck(lambda t: ember.lu_unpack(*ember.linalg.lu_factor(t))[1:], (x,))
    assert gradgradcheck(lambda t: ember.linalg.lu(t)[1:], (x,))


def test_lu_errors():
    x = sample((3, 3))
    compare(lambda m, a: m.linalg.lu_factor(a), np.zeros((2, 3, 3)), message=True)
    compare(lambda m, a: m.linalg.lu_factor_ex(a, check_errors=True), np.zeros((3, 3)), message="is zero")
    compare(lambda m, a: m.linalg.lu(a, pivot=False), x, message=True)
    compare(lambda m, a: m.linalg.lu(a), x[0], message=True)
    compare(lambda m, a: m.linalg.lu(a), x.astype(np.int64), message=True)
    compare(lambda m, a: m.linalg.lu(a), x.astype(np.float16), message=True)
    compare(lambda m, a: m.lu_unpack(m.linalg.lu_factor(a)[0], m.linalg.lu_factor(a)[1].long()), x, message=True)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(left, adjoint):
    a = sample((2, 3, 3), "float64") + 6 * np.eye(3)
    b = sample((2, 3, 2) if left else (2, 2, 3), "float64", seed=1)
    compare_grad(lambda m, x, y: m.linalg.lu_solve(*m.linalg.lu_factor(x), y, left=left, adjoint=adjoint), a, b)
    compare_grad(lambda m, x, y: m.linalg.lu_solve(*m.linalg.lu_factor(x), y, left=left, adjoint=adjoint), a[0], b)
    LU, piv = ember.linalg.lu_factor(ember.tensor(a[0]))
    LU.requires_grad_(True)
    assert gradcheck(lambda t, y: ember.linalg.lu_solve(t, piv, y, left=left, adjoint=adjoint), (LU, leaf(b[0])))
    assert gradgradcheck(lambda t, y: ember.linalg.lu_solve(t, piv, y, left=left, adjoint=adjoint),
                         (LU, leaf(b[0])))


def test_lu_solve_legacy_and_errors():
    a, b = sample((2, 3, 3), "float64") + 6 * np.eye(3), sample((2, 3, 2), "float64", seed=1)
    with pytest.warns(UserWarning):
        compare_grad(lambda m, x, y: y.lu_solve(*x.lu()), a, b)
    compare_grad(lambda m, x, y: m.lu_solve(y, *m.linalg.lu_factor(x)), a, b)
    f = "lu_solve"
    compare(lambda m, x, y: getattr(m.linalg, f)(*m.linalg.lu_factor(x), y[:, :, 0]), a, b, message=True)
    compare(lambda m, x, y: getattr(m.linalg, f)(*m.linalg.lu_factor(x), y.float()), a, b, message=True)
    compare(lambda m, x, y: getattr(m.linalg, f)(m.linalg.lu_factor(x)[0][..., :2], m.linalg.lu_factor(x)[1], y),
            a, b, message=True)
    compare(lambda m, x, y: getattr(m.linalg, f)(*m.linalg.lu_factor(x), y[:, :2]), a, b, message=True)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve(upper):
    a = sample((2, 3, 3), "float64")
    spd = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    b = sample((2, 3, 2), "float64", seed=1)
    compare_grad(lambda m, x, y: m.cholesky_solve(y, m.linalg.cholesky(x, upper=upper), upper), spd, b)
    compare_grad(lambda m, x, y: y.cholesky_solve(m.linalg.cholesky(x, upper=upper), upper=upper), spd[0], b)
    factor = leaf(np.linalg.cholesky(spd[0]))
    if upper:
        factor = leaf(np.linalg.cholesky(spd[0]).T.copy())
    assert gradcheck(lambda y, f: ember.cholesky_solve(y, f, upper), (leaf(b[0]), factor))
    assert gradgradcheck(lambda y, f: ember.cholesky_solve(y, f, upper), (leaf(b[0]), factor))
    compare(lambda m, y, f: m.cholesky_solve(y, f), b, spd.astype(np.float32), message=True)


# -------------------------------------------------------------------------------------------------------
# eig / eigvals gradients


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_eig_grad(dtype):
    a = sample((2, 3, 3), dtype)
    compare_grad(lambda m, x: m.linalg.eigvals(x), a)
    compare_grad(lambda m, x: m.linalg.eig(x), a)
    # losses that do not depend on the eigenvectors' phases
    compare_grad(lambda m, x: m.linalg.eig(x)[1].abs(), a, check_graph=False)
    compare_grad(lambda m, x: (lambda L, V: V.abs() ** 2 * L.unsqueeze(-2))(*m.linalg.eig(x)), a, check_graph=False)


def test_eig_gradcheck_and_phase_error():
    x = leaf(f64(3, 3))
    assert gradcheck(lambda t: ember.linalg.eigvals(t), (x,))
    assert gradcheck(lambda t: ember.linalg.eig(t)[1].abs(), (x,))
    assert gradgradcheck(lambda t: ember.linalg.eigvals(t), (x,))

    def phase_dependent(m, t):
        m.linalg.eig(t)[1].sum().abs().backward()

    compare(phase_dependent, sample((3, 3), "complex128"), requires_grad=True, message=True)


# -------------------------------------------------------------------------------------------------------
# householder_product gradient


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("mnk", [(4, 3, 2), (3, 3, 3), (5, 3, 3), (4, 4, 1)])
def test_householder_product_grad(dtype, mnk):
    m, n, k = mnk
    compare_grad(lambda M, a, t: M.linalg.householder_product(a, t), sample((2, m, n), dtype),
                 sample((2, k), dtype, seed=1))


def test_householder_product_gradcheck():
    a, t = leaf(f64(4, 3)), leaf(f64(2, seed=1))
    assert gradcheck(ember.linalg.householder_product, (a, t))
    assert gradgradcheck(ember.linalg.householder_product, (a, t))


@pytest.mark.parametrize("name, target", [("multi_margin_loss", [1, 0, 3]),
                                          ("multilabel_margin_loss", [[1, 0, -1, 2]] * 3)])
def test_margin_loss_double_backward_raises_as_torch(name, target):
    """PyTorch has no derivative for these losses' backward: a second differentiation raises, never a
    silently wrong (zero) second derivative."""
    outcomes = []
    for m in (torch, ember):
        x = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        loss = getattr(m.nn.functional, name)(x, m.tensor(target))
        (g,) = m.autograd.grad(loss, x, create_graph=True)
        signature = graph_signature(g)
        with pytest.raises(RuntimeError) as info:
            g.sum().backward()
        outcomes.append((signature, str(info.value)))
    assert outcomes[0] == outcomes[1]
