"""Normalization: F.batch_norm/layer_norm/group_norm/instance_norm/rms_norm/local_response_norm and the modules,
differential against torch (outputs, gradients, running statistics, reprs, state_dict keys, errors)."""

import numpy as np
import pytest
import torch
from harness import compare, compare_grad, sample

import ember
import ember.nn.functional as EF

TOL = {"rtol": 1e-4, "atol": 1e-4}


def F(m):
    return EF if m is ember else torch.nn.functional


def _mean_records():
    return ember.ones(2, requires_grad=True).mean((0,), keepdim=True).grad_fn is not None


needs_reductions = pytest.mark.skipif(not _mean_records(), reason="needs the reduction ops' autograd")


@pytest.mark.parametrize("xs", [(4, 3), (4, 3, 5), (4, 3, 5, 6), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(xs, training):
    def fn(m, x, w, b):
        rm = m.from_numpy(np.linspace(-1, 1, 3).astype(np.float32))
        rv = m.from_numpy(np.linspace(0.5, 2, 3).astype(np.float32))
        return F(m).batch_norm(x, rm, rv, w, b, training, 0.3, 1e-3), rm, rv
    compare_grad(fn, sample(xs), sample((3,), seed=1), sample((3,), seed=2), **TOL)


def test_batch_norm_variants():
    compare_grad(lambda m, x: F(m).batch_norm(x, None, None, training=True), sample((5, 3)), **TOL)
    compare_grad(lambda m, x, w: F(m).batch_norm(x, None, None, w, None, True), sample((5, 3, 4)), sample((3,)),
                 **TOL)
    compare_grad(lambda m, x: F(m).batch_norm(x, None, None, training=True), sample((5, 3, 4), "float64"))
    compare_grad(lambda m, x: F(m).batch_norm(x, None, None, training=True), sample((5, 3, 4))[..., ::2], **TOL)


def test_batch_norm_errors():
    compare(lambda m, x: F(m).batch_norm(x, None, None, training=True), sample((1, 3)), message=True)
    compare(lambda m, x: F(m).batch_norm(x, m.zeros(4), m.ones(4)), sample((2, 3, 4)), message=True)


@pytest.mark.parametrize("shape,norm", [((4, 3, 5, 6), (5, 6)), ((4, 6), (6,)), ((2, 3, 4), (4,))])
def test_layer_norm(shape, norm):
    ns = norm
    compare_grad(lambda m, x, w, b: F(m).layer_norm(x, norm, w, b, 1e-3), sample(shape), sample(ns, seed=1),
                 sample(ns, seed=2), **TOL)
    compare_grad(lambda m, x: F(m).layer_norm(x, norm), sample(shape), **TOL)
    compare_grad(lambda m, x, w: F(m).layer_norm(x, norm, w), sample(shape), sample(ns, seed=1), **TOL)


def test_layer_norm_errors():
    compare(lambda m, x: F(m).layer_norm(x, 4), sample((2, 4)), message=True)
    compare(lambda m, x: F(m).layer_norm(x, (3,)), sample((2, 4)), message=True)
    compare(lambda m, x, w: F(m).layer_norm(x, (4,), w), sample((2, 4)), sample((3,)), message=True)


@pytest.mark.parametrize("shape,groups", [((3, 4, 5), 2), ((2, 6, 3, 4), 3), ((2, 6), 2), ((2, 4, 3), 1)])
def test_group_norm(shape, groups):
    C = shape[1]
    compare_grad(lambda m, x, w, b: F(m).group_norm(x, groups, w, b), sample(shape), sample((C,), seed=1),
                 sample((C,), seed=2), **TOL)
    compare_grad(lambda m, x: F(m).group_norm(x, groups), sample(shape), **TOL)


def test_group_norm_errors():
    compare(lambda m, x: F(m).group_norm(x, 2), sample((2, 3, 4)), message=True)


def test_instance_norm():
    x = sample((3, 2, 5, 4))
    compare_grad(lambda m, x: F(m).instance_norm(x), x, **TOL)

    def tracked(m, x, w, b):
        rm, rv = m.zeros(2), m.ones(2)
        return F(m).instance_norm(x, rm, rv, w, b, True, 0.2), rm, rv
    compare_grad(tracked, x, sample((2,), seed=1), sample((2,), seed=2), check_graph=False, **TOL)


def _f64(shape, seed=0):
    return ember.tensor(sample(shape, "float64", seed=seed, low=-1, high=1), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda x, w, b: EF.batch_norm(x, None, None, w, b, True),
    lambda x, w, b: EF.batch_norm(x, ember.zeros(2, dtype=ember.float64), ember.ones(2, dtype=ember.float64), w, b),
    lambda x, w, b: EF.group_norm(x, 1, w, b),
    lambda x, w, b: EF.layer_norm(x.transpose(1, 2), (2,), w, b),
])
def test_gradcheck(fn):
    args = (_f64((3, 2, 3)), _f64((2,), 1), _f64((2,), 2))
    assert ember.autograd.gradcheck(fn, args)


@needs_reductions
@pytest.mark.parametrize("fn", [
    lambda x, w, b: EF.batch_norm(x, None, None, w, b, True),
    lambda x, w, b: EF.group_norm(x, 1, w, b),
    lambda x, w, b: EF.layer_norm(x.transpose(1, 2), (2,), w, b),
    lambda x, w, b: EF.rms_norm(x, (3,), w.sum() + b[:1].expand(3)),
])
def test_gradgradcheck(fn):
    args = (_f64((3, 2, 3)), _f64((2,), 1), _f64((2,), 2))
    assert ember.autograd.gradgradcheck(fn, args)


@needs_reductions
def test_rms_norm_and_lrn():
    compare_grad(lambda m, x, w: F(m).rms_norm(x, (5,), w), sample((3, 4, 5)), sample((5,), seed=1), **TOL)
    compare_grad(lambda m, x: F(m).rms_norm(x, (4, 5), eps=1e-3), sample((3, 4, 5)), **TOL)


def test_local_response_norm():
    compare_grad(lambda m, x: F(m).local_response_norm(x, 3), sample((2, 5, 4, 3)), **TOL)
    compare_grad(lambda m, x: F(m).local_response_norm(x, 2, alpha=0.1), sample((2, 5, 4)), **TOL)
    compare_grad(lambda m, x: F(m).local_response_norm(x, 4, k=2.0), sample((2, 5, 3, 2, 2)), **TOL)


def _graph(fn):
    """The whole autograd graph below fn as nested (name, [children]), None for an absent edge."""
    if fn is None:
        return None
    return type(fn).__name__, [_graph(n) for n, _ in fn.next_functions]


@pytest.mark.parametrize("fn, shape", [
    (lambda m, x: F(m).rms_norm(x, (4,)), (2, 3, 4)),
    (lambda m, x: F(m).rms_norm(x, (3, 4), eps=1e-3), (2, 3, 4)),
    (lambda m, x: F(m).local_response_norm(x, 3), (2, 5, 4, 3)),
    (lambda m, x: F(m).local_response_norm(x, 2), (2, 5, 4)),
])
def test_norm_composite_graph(fn, shape):
    """The composites record ATen's nodes all the way down (AddBackward1 for rms_norm's eps,
    ConstantPadNdBackward0 for local_response_norm's channel padding)."""
    graphs = [_graph(fn(m, m.from_numpy(sample(shape)).requires_grad_()).grad_fn) for m in (torch, ember)]
    assert graphs[1] == graphs[0]


# ------------------------------------------------------------------------------------------------ modules


def _pair(ctor, *args, **kwargs):
    t = getattr(torch.nn, ctor)(*args, **kwargs)
    e = getattr(ember.nn, ctor)(*args, **kwargs)
    return t, e


def _copy(t, e):
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()})


def _assert_state_equal(t, e):
    ts, es = t.state_dict(), e.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert str(es[k].dtype) == str(ts[k].dtype), k
        np.testing.assert_allclose(es[k].detach().numpy(), ts[k].detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=k)


@pytest.mark.parametrize("ctor,args,kwargs,xs", [
    ("BatchNorm1d", (3,), {}, (4, 3)),
    ("BatchNorm1d", (3,), dict(momentum=None), (4, 3, 5)),
    ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=0.3), (4, 3, 5, 6)),
    ("BatchNorm2d", (3,), dict(affine=False), (4, 3, 5, 6)),
    ("BatchNorm2d", (3,), dict(track_running_stats=False), (4, 3, 2, 2)),
    ("BatchNorm2d", (3,), dict(bias=False), (4, 3, 2, 2)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 2, 3)),
    ("SyncBatchNorm", (3,), {}, (4, 3, 5)),
    ("InstanceNorm1d", (3,), {}, (4, 3, 5)),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True), (4, 3, 5, 6)),
    ("InstanceNorm3d", (2,), dict(affine=True), (2, 2, 3, 2, 3)),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True), (3, 5, 6)),
])
def test_norm_modules_train_eval(ctor, args, kwargs, xs):
    t, e = _pair(ctor, *args, **kwargs)
    assert repr(e) == repr(t)
    _copy(t, e)
    for step in range(3):
        x = sample(xs, seed=step, low=-2, high=3)
        compare_grad(lambda m, x: (t if m is torch else e)(x), x, check_graph=not ctor.startswith("Instance"), **TOL)
        _assert_state_equal(t, e)
    t.eval()
    e.eval()
    compare_grad(lambda m, x: (t if m is torch else e)(x), sample(xs, seed=9), check_graph=False, **TOL)
    _assert_state_equal(t, e)


@pytest.mark.parametrize("ctor,args,kwargs,xs", [
    ("LayerNorm", (8,), {}, (2, 3, 8)),
    ("LayerNorm", ((3, 4),), dict(elementwise_affine=False), (2, 3, 4)),
    ("LayerNorm", (4,), dict(bias=False, eps=1e-3), (5, 4)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3, 3)),
    ("GroupNorm", (2, 4), dict(affine=False), (2, 4, 5)),
    ("GroupNorm", (2, 4), dict(bias=False), (2, 4, 5)),
    ("LocalResponseNorm", (2,), {}, (2, 4, 3, 3)),
])
def test_other_modules(ctor, args, kwargs, xs):
    t, e = _pair(ctor, *args, **kwargs)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    _copy(t, e)
    compare_grad(lambda m, x: (t if m is torch else e)(x), sample(xs), **TOL)


@needs_reductions
@pytest.mark.parametrize("args,kwargs", [((4,), {}), (([3, 4],), dict(eps=1e-3, elementwise_affine=False))])
def test_rms_norm_module(args, kwargs):
    t, e = _pair("RMSNorm", *args, **kwargs)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    compare_grad(lambda m, x: (t if m is torch else e)(x), sample((2, 3, 4)), **TOL)


def test_module_reprs():
    for ctor, args, kwargs in [("BatchNorm1d", (3,), dict(eps=1e-3, momentum=None, affine=False,
                                                         track_running_stats=False)),
                               ("RMSNorm", (4,), {}), ("RMSNorm", ([3, 4],), dict(eps=1e-3)),
                               ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True)),
                               ("LocalResponseNorm", (3, 1e-3, 0.5, 2.0), {})]:
        t, e = _pair(ctor, *args, **kwargs)
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict())


def test_batchnorm_buffers():
    e = ember.nn.BatchNorm2d(3)
    assert e.num_batches_tracked.dtype == ember.int64 and int(e.num_batches_tracked) == 0
    e(ember.randn(2, 3, 2, 2))
    assert int(e.num_batches_tracked) == 1
    e.reset_running_stats()
    assert int(e.num_batches_tracked) == 0
    # a checkpoint from before num_batches_tracked existed still loads
    sd = {k: v for k, v in e.state_dict().items() if k != "num_batches_tracked"}
    sd = type(e.state_dict())(sd)
    sd._metadata = {"": {"version": 1}}
    e.load_state_dict(sd)


@pytest.mark.parametrize("ctor,xs", [
    ("BatchNorm2d", (1, 3, 1, 1)), ("BatchNorm2d", (2, 3, 4)), ("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (1, 3)),
    ("InstanceNorm1d", (3, 1)), ("BatchNorm2d", (2, 4, 2, 2)), ("LayerNorm", (2, 4)),
])
def test_module_errors(ctor, xs):
    t, e = _pair(ctor, 3)
    compare(lambda m, x: (t if m is torch else e)(x), sample(xs), message=True)


def test_module_ctor_errors():
    with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups \(2\)"):
        ember.nn.GroupNorm(2, 3)


def test_instance_norm_warning():
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm2d(3)(ember.randn(2, 4, 4, 4))
    with pytest.raises(ValueError, match="to match num_features"):
        ember.nn.InstanceNorm2d(3, affine=True)(ember.randn(2, 4, 4, 4))


def test_float32_stays_float32():
    e = ember.nn.BatchNorm2d(3)
    x = ember.randn(4, 3, 2, 2, requires_grad=True)
    y = e(x)
    y.backward(ember.ones_like(y))
    assert y.dtype == ember.float32 and x.grad.dtype == ember.float32 and e.weight.grad.dtype == ember.float32
    assert e.running_var.dtype == ember.float32
