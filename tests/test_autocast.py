"""CPU autocast against torch: which ops run in the autocast dtype and which in float32, the dtypes and graphs
(ToCopyBackward0 casts, a weight used twice cast once), gradients, nesting, float64 left alone, and backward
outside the policy."""

import numpy as np
import pytest
import torch
from test_autograd_graphs import graph_of

import ember

BF16_TOL = dict(rtol=2e-2, atol=2e-2)


def _model(m):
    return m.nn.Sequential(m.nn.Conv2d(3, 4, 3), m.nn.ReLU(), m.nn.Flatten(), m.nn.Linear(4 * 6 * 6, 10))


def _both(run):
    return [run(m) for m in (torch, ember)]


def _close(e, t, **tol):
    assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
    np.testing.assert_allclose(e.detach().float().numpy(), t.detach().float().numpy(), **(tol or BF16_TOL))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_training_step_under_autocast(dtype):
    def run(m):
        m.manual_seed(0)
        model = _model(m)
        x, y = m.randn(2, 3, 8, 8), m.tensor([1, 3])
        with m.autocast("cpu", dtype=getattr(m, dtype)):
            out = model(x)
            loss = m.nn.functional.cross_entropy(out, y)
        loss.backward()
        return out, loss, graph_of(loss), [p.grad for p in model.parameters()]

    (t_out, t_loss, t_graph, t_grads), (e_out, e_loss, e_graph, e_grads) = _both(run)
    _close(e_out, t_out)
    _close(e_loss, t_loss)
    assert e_graph == t_graph
    for e, t in zip(e_grads, t_grads):
        _close(e, t)


def test_op_policies():
    def run(m):
        m.manual_seed(0)
        a, b = m.randn(4, 4), m.randn(4, 4)
        with m.autocast("cpu"):
            return [a @ b, m.mm(a, b), m.bmm(a[None], b[None]), m.addmm(a, a, b), m.nn.functional.linear(a, b),
                    a.relu() + 1, (a @ b) + a, m.linalg.inv(a + 4 * m.eye(4)), m.fft.rfft(a @ b).abs(),
                    m.nn.functional.mse_loss(a @ b, b), m.prod(a @ b, 0), a.double() @ b.double(),
                    m.nn.functional.scaled_dot_product_attention(a[None, None], b[None, None], a[None, None]),
                    m.cdist(a @ b, b), m.trace(a @ b)]

    for e, t in zip(*_both(run)[::-1]):
        _close(e, t, rtol=3e-2, atol=6e-2)


def test_shared_weight_is_cast_once_and_regions_nest():
    def run(m):
        m.manual_seed(0)
        lin = m.nn.Linear(3, 3)
        x = m.randn(2, 3)
        with m.autocast("cpu"):
            y = lin(lin(x))
            with m.autocast("cpu", enabled=False):
                z = lin(x)
            w = lin(x)
        (y.float().sum() + z.sum() + w.float().sum()).backward()
        return y, z, w, graph_of(y), lin.weight.grad

    (t_y, t_z, t_w, t_graph, t_grad), (e_y, e_z, e_w, e_graph, e_grad) = _both(run)
    for e, t in ((e_y, t_y), (e_z, t_z), (e_w, t_w), (e_grad, t_grad)):
        _close(e, t)
    assert e_graph == t_graph


def test_backward_inside_an_autocast_region_runs_without_it():
    def run(m):
        m.manual_seed(0)
        lin = m.nn.Linear(4, 2)
        with m.autocast("cpu"):
            loss = lin(m.randn(3, 4)).float().pow(2).sum()
            loss.backward()
        return lin.weight.grad, lin.bias.grad

    for e, t in zip(*_both(run)[::-1]):
        _close(e, t)


def test_state_is_restored_and_decorator_form():
    for m in (torch, ember):
        @m.autocast("cpu")
        def f(a):
            return a @ a
        assert f(m.ones(2, 2)).dtype == m.bfloat16
        assert (m.ones(2, 2) @ m.ones(2, 2)).dtype == m.float32
        assert not m.is_autocast_enabled("cpu")


def test_custom_fwd_and_bwd():
    def run(m):
        class Square(m.autograd.Function):
            @staticmethod
            @m.amp.custom_fwd(device_type="cpu", cast_inputs=m.float32)
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a @ b, str(a.dtype), m.is_autocast_enabled("cpu")

            @staticmethod
            @m.amp.custom_bwd(device_type="cpu")
            def backward(ctx, grad, *unused):
                a, b = ctx.saved_tensors
                return grad @ b.t(), a.t() @ grad

        m.manual_seed(0)
        a = m.randn(3, 3, requires_grad=True)
        with m.autocast("cpu"):
            out, seen_dtype, seen_enabled = Square.apply(a.bfloat16(), a)
        out.sum().backward()
        return out.dtype, seen_dtype, seen_enabled, a.grad

    (t_dtype, t_seen, t_enabled, t_grad), (e_dtype, e_seen, e_enabled, e_grad) = _both(run)
    assert (str(e_dtype), e_seen.replace("ember", "torch"), e_enabled) == (str(t_dtype), t_seen, t_enabled)
    _close(e_grad, t_grad)
