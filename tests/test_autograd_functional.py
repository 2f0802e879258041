"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) and anomaly mode, against torch."""

import numpy as np
import pytest
import torch
from harness import assert_same, tensor_of

import ember

X = np.array([0.5, -1.25, 2.0])
Y = np.array([[1.5, 0.25], [-0.5, 2.0]])


def run(fn_name, f, arrays, v=None, **kwargs):
    out = []
    for m in (torch, ember):
        inputs = tuple(tensor_of(m, a) for a in arrays)
        args = inputs if len(inputs) > 1 else inputs[0]
        fn = getattr(m.autograd.functional, fn_name)
        if v is None:
            out.append(fn(lambda *xs: f(m, *xs), args, **kwargs))
        else:
            vv = tuple(tensor_of(m, a) for a in v)
            out.append(fn(lambda *xs: f(m, *xs), args, vv if len(vv) > 1 else vv[0], **kwargs))
    assert_same(out[1], out[0])


def cubic(m, x):
    return (x ** 3).sum()


def elementwise(m, x):
    return x.sin() * x


def two_in_two_out(m, x, y):
    return x * 2, (y @ y).sum() + x.sum()


def test_jacobian():
    run("jacobian", elementwise, [X])
    run("jacobian", lambda m, x: x.reshape(3, 1) * x, [X])
    run("jacobian", two_in_two_out, [X, Y])


def test_hessian():
    run("hessian", cubic, [X])
    run("hessian", lambda m, x, y: (x.sum() * y).sum() + (y ** 2).sum(), [X, Y])


def test_vjp_jvp_hvp_vhp():
    run("vjp", elementwise, [X], v=[np.array([1.0, 2.0, -1.0])])
    run("vjp", cubic, [X])
    run("jvp", elementwise, [X], v=[np.array([1.0, 2.0, -1.0])])
    run("jvp", two_in_two_out, [X, Y], v=[np.ones(3), np.ones((2, 2))])
    run("hvp", cubic, [X], v=[np.array([1.0, 0.0, 3.0])])
    run("vhp", cubic, [X], v=[np.array([1.0, 0.0, 3.0])])


def test_strict_mode_refuses_independent_inputs():
    for m in (torch, ember):
        with pytest.raises(RuntimeError, match="independent of input"):
            m.autograd.functional.vjp(lambda x, y: x * 2, (m.ones(2), m.ones(2)), m.ones(2), strict=True)


def test_detect_anomaly_names_the_node_and_the_forward_line():
    for m in (torch, ember):
        x = m.tensor([0.0], requires_grad=True)
        with pytest.warns(UserWarning):
            with m.autograd.detect_anomaly():
                y = (x.sqrt() * 0).sum()
                with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th "
                                                       "output."):
                    y.backward()
    assert not ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(True)
    assert ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(False)


def test_anomaly_warning_carries_forward_traceback():
    x = ember.tensor([0.0], requires_grad=True)
    with pytest.warns(UserWarning) as record:
        with ember.autograd.detect_anomaly():
            y = (x.sqrt() * 0).sum()  # the forward line the warning must show
            with pytest.raises(RuntimeError):
                y.backward()
    texts = [str(w.message) for w in record]
    assert any("Error detected in SqrtBackward0" in t and "the forward line the warning must show" in t
               for t in texts), texts
