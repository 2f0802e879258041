"""ember.func against torch.func: grad/grad_and_value/vjp/jacrev/jacfwd/hessian (nested too), vmap (in_dims,
out_dims, pytrees, randomness, per-sample gradients), functional_call, and errors."""

import numpy as np
import pytest
import torch
import torch.func
from harness import assert_same, compare, sample

import ember
import ember.func

X = sample((3,), "float64")
A = sample((4, 3), "float64", seed=1)


def both(fn, *arrays, **kw):
    out = []
    for m in (torch, ember):
        m.manual_seed(0)
        out.append(fn(m, *[m.tensor(a) for a in arrays]))
    assert_same(out[1], out[0], **kw)
    return out


def f(m, x):
    return (x.sin() * x).sum()


def test_grad_and_nesting():
    both(lambda m, x: m.func.grad(lambda x: f(m, x))(x), X)
    both(lambda m, x: m.func.grad(m.func.grad(lambda x: (x ** 3).sum()))(x[0]), X)
    both(lambda m, x: m.func.grad_and_value(lambda x: f(m, x))(x), X)
    both(lambda m, x: m.func.grad(lambda x: (f(m, x), x.cos()), has_aux=True)(x), X)
    both(lambda m, x, a: m.func.grad(lambda x, a: (a @ x).pow(2).sum(), argnums=(0, 1))(x, a), X, A)
    both(lambda m, x, a: m.func.grad(lambda p: (p["a"] @ p["x"]).sum())({"a": a, "x": x}), X, A)


def test_grad_keeps_history_of_inputs_that_require_grad():
    for m in (torch, ember):
        x = m.tensor(X, requires_grad=True)
        g = m.func.grad(lambda x: (x ** 3).sum())(x)
        assert g.requires_grad
        g.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 6 * X)


def test_vjp_jacobians_hessian():
    both(lambda m, x: m.func.vjp(m.sin, x)[1](m.ones(3, dtype=m.float64)), X)
    both(lambda m, x: m.func.vjp(lambda x: (x.exp(), x * 2), x)[1]((x, x))[0], X)
    both(lambda m, x: m.func.jacrev(lambda x: x.sin() * x.sum())(x), X)
    both(lambda m, x, a: m.func.jacrev(lambda x, a: a @ x, argnums=(0, 1))(x, a), X, A)
    both(lambda m, x: m.func.jacfwd(lambda x: x.exp())(x), X)
    both(lambda m, x: m.func.hessian(lambda x: (x.sin() * x.prod()).sum())(x), X)
    both(lambda m, x: m.func.jacrev(m.func.jacrev(lambda x: x ** 3))(x), X)


def test_vmap():
    both(lambda m, a: m.func.vmap(m.dot)(a, a), A)
    both(lambda m, a, x: m.func.vmap(lambda r, v: r * v, in_dims=(0, None))(a, x), A, X)
    both(lambda m, a: m.func.vmap(lambda c: c.sum(0), in_dims=1)(a), A)
    both(lambda m, a: m.func.vmap(lambda r: (r, r.sum()), out_dims=(1, 0))(a), A)
    both(lambda m, a: m.func.vmap(lambda d: d["p"] + d["q"])({"p": a, "q": a * 2}), A)
    both(lambda m, a: m.func.vmap(m.func.vmap(lambda v: v * 2))(a), A)


def test_per_sample_gradients_with_functional_call():
    def run(m, x, y):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.Tanh(), m.nn.Linear(4, 2))
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            out = m.func.functional_call(model, p, (xi.unsqueeze(0),))
            return m.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        return m.func.vmap(m.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    both(run, sample((5, 3)), np.array([0, 1, 1, 0, 1]), rtol=1e-5, atol=1e-6)


def test_vmap_randomness():
    both(lambda m, a: m.func.vmap(lambda r: r + m.rand(3), randomness="same")(a.float()), A)
    for m in (torch, ember):
        with pytest.raises(RuntimeError, match="randomness error mode"):
            m.func.vmap(lambda r: r + m.rand(3))(m.ones(2, 3))
        out = m.func.vmap(lambda r: r + m.rand(3), randomness="different")(m.zeros(4, 3))
        assert len({tuple(row) for row in out.tolist()}) == 4


def test_functional_call():
    def run(m, w, b):
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2)
        x = m.ones(1, 3, dtype=m.float64)
        lin = lin.double()
        return (m.func.functional_call(lin, {"weight": w}, (x,)), m.func.functional_call(lin, ({"weight": w},
                {"bias": b}), x), lin.weight.detach().clone(), type(lin.weight).__name__)
    both(run, sample((2, 3), "float64"), sample((2,), "float64", seed=3))


def test_functional_call_tied_weights_and_buffers():
    def run(m, w):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(3, 3, bias=False), m.nn.BatchNorm1d(3), m.nn.Linear(3, 3, bias=False))
        model[2].weight = model[0].weight
        model.double().eval()
        x = m.ones(2, 3, dtype=m.float64)
        return (m.func.functional_call(model, {"0.weight": w, "1.running_mean": w[0]}, (x,)),
                m.func.functional_call(model, {"0.weight": w}, (x,), tie_weights=False))
    both(run, sample((3, 3), "float64"))


@pytest.mark.parametrize("call", [
    lambda m: m.func.grad(lambda x: x * 2)(m.ones(3)),
    lambda m: m.func.grad(lambda x: x.sum(), argnums=2)(m.ones(3)),
    lambda m: m.func.grad(lambda x: x.sum())(3.0),
    lambda m: m.func.grad(lambda x: x.sum(), has_aux=True)(m.ones(3)),
    lambda m: m.func.grad(lambda x: (x.sum(), 5), has_aux=True)(m.ones(3)),
    lambda m: m.func.vmap(lambda x: 3.0)(m.ones(3)),
    lambda m: m.func.vmap(m.add)(m.ones(3), m.ones(4)),
    lambda m: m.func.vmap(lambda x: x, randomness="bad")(m.ones(3)),
    lambda m: m.func.vmap(m.sin, in_dims=1)(m.ones(3)),
    lambda m: m.func.functional_call(m.nn.Linear(3, 2), {"weight": m.zeros(2, 3)}, (m.ones(1, 3),), strict=True),
    lambda m: m.func.functional_call(m.nn.Linear(3, 2), ({"weight": m.zeros(2, 3)}, {"weight": m.zeros(2, 3)}),
                                     (m.ones(1, 3),)),
])
def test_errors(call):
    compare(call)


def test_nn_utils_stateless_functional_call_is_the_deprecated_spelling():
    def run(m, w):
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2).double()
        with pytest.warns(FutureWarning, match="torch.func.functional_call"):
            return m.nn.utils.stateless.functional_call(lin, {"weight": w}, m.ones(1, 3, dtype=m.float64))
    both(run, sample((2, 3), "float64"))
