"""ember.optim against torch.optim: parameters and state after many steps on the same gradients, state_dict
interchange, param_groups, errors, hooks, LBFGS and swa_utils.

Gradients are set by hand (seeded NumPy arrays, identical in both libraries), so these tests do not depend on
autograd."""

import warnings

import numpy as np
import pytest
import torch
from harness import assert_same

import ember
import ember.optim

SHAPES = [(5, 3), (7,), (2, 3, 4), ()]


def _arrays(dtype, steps, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return init, grads


def _tensor(m, arr):
    return ember.from_numpy(np.array(arr)) if m is ember else torch.from_numpy(np.array(arr))


def _make(m, name, init, group_kw, kw):
    params = [m.nn.Parameter(_tensor(m, a)) for a in init]
    if group_kw is None:
        return params, getattr(m.optim, name)(params, **kw)
    groups = [{"params": params[:2]}, {"params": params[2:], **group_kw}]
    return params, getattr(m.optim, name)(groups, **kw)


def _set_grads(m, params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else _tensor(m, g)


def _run(m, name, kw, group_kw, dtype, steps=20, skip_grad=None):
    init, grads = _arrays(dtype, steps)
    params, opt = _make(m, name, init, group_kw, kw)
    for k in range(steps):
        gs = list(grads[k])
        if skip_grad is not None and k % 3 == 1:
            gs[skip_grad] = None  # a parameter without a gradient is skipped this step
        _set_grads(m, params, gs)
        opt.step()
    return params, opt


CASES = [
    ("SGD", {"lr": 0.1}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, {"maximize": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.01, "maximize": True}, None),
    ("Adam", {"lr": 0.01}, {"lr": 0.003, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}, {"maximize": True, "eps": 1e-3}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.5), "decoupled_weight_decay": True, "weight_decay": 0.2}, None),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.02, "maximize": True, "betas": (0.6, 0.7)}, None),
    ("RMSprop", {"lr": 0.01}, {"alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}, {"maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}, {"weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "eps": 1e-3}, None),
    ("Adadelta", {"lr": 0.5}, {"rho": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "maximize": True}, None),
    ("Adamax", {"lr": 0.01}, {"betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "maximize": True}, None),
    ("NAdam", {"lr": 0.01}, {"momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {"maximize": True}),
    ("RAdam", {"lr": 0.01}, {"weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True},
     {"maximize": True}),
    ("Rprop", {"lr": 0.01}, {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)}),
    ("Rprop", {"lr": 0.05, "maximize": True}, None),
    ("ASGD", {"lr": 0.05}, {"lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.01, "t0": 5, "maximize": True}, None),
]


def _ids(case):
    name, kw, group_kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in {**kw, **(group_kw or {})}.items())


def _check_same(eparams, eopt, tparams, topt):
    for i, (e, t) in enumerate(zip(eparams, tparams)):
        assert_same(e.detach(), t.detach(), f"param {i}")
    assert_same(eopt.state_dict(), topt.state_dict(), "state_dict")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_torch_over_steps(case, dtype):
    name, kw, group_kw = case
    tparams, topt = _run(torch, name, kw, group_kw, dtype)
    eparams, eopt = _run(ember, name, kw, group_kw, dtype)
    _check_same(eparams, eopt, tparams, topt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_parameters_without_grad_are_skipped(name):
    kw = {"lr": 0.01, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.01}
    tparams, topt = _run(torch, name, kw, None, np.float32, steps=10, skip_grad=1)
    eparams, eopt = _run(ember, name, kw, None, np.float32, steps=10, skip_grad=1)
    _check_same(eparams, eopt, tparams, topt)


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}),
                                     ("RMSprop", {"lr": 0.01, "centered": True}), ("Rprop", {"lr": 0.01}),
                                     ("ASGD", {"lr": 0.01, "t0": 3})])
def test_complex_parameters(name, kw):
    init, grads = _arrays(np.float32, 10, shapes=[(3, 2), (4,)])
    cinit = [(a + 0.5j * a[::-1]).astype(np.complex64) for a in init]
    cgrads = [[(g - 0.25j * g).astype(np.complex64) for g in gs] for gs in grads]
    out = []
    for m in (torch, ember):
        params = [m.nn.Parameter(_tensor(m, a)) for a in cinit]
        opt = getattr(m.optim, name)(params, **kw)
        for gs in cgrads:
            _set_grads(m, params, gs)
            opt.step()
        out.append((params, opt))
    _check_same(out[1][0], out[1][1], out[0][0], out[0][1])


def test_update_runs_in_place_without_grad():
    p = ember.nn.Parameter(ember.ones(3))
    data = p._data
    version = p._version
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    assert p._data is data and p._version > version
    assert p.requires_grad and p.grad_fn is None
    assert type(opt.state[p]["step"]) is ember.Tensor and str(opt.state[p]["step"].dtype) == "torch.float32"
    assert opt.state[p]["step"].dim() == 0


# -----------------------------------------------------------------------------------------------------
# state_dict interchange


def _to_torch(x):
    if isinstance(x, ember.Tensor):
        return torch.from_numpy(np.array(x.numpy()))
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_to_torch(v) for v in x]
    return x


def _to_ember(x):
    if isinstance(x, torch.Tensor):
        return ember.from_numpy(np.array(x.numpy()))
    if isinstance(x, dict):
        return {k: _to_ember(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_to_ember(v) for v in x]
    return x


@pytest.mark.parametrize("case", [CASES[1], CASES[5], CASES[10], CASES[11], CASES[17]],
                         ids=lambda c: c[0])
def test_state_dict_interchange_with_torch(case):
    name, kw, group_kw = case
    init, grads = _arrays(np.float32, 12)
    tparams, topt = _make(torch, name, init, group_kw, kw)
    eparams, eopt = _make(ember, name, init, group_kw, kw)
    for k in range(6):
        _set_grads(torch, tparams, grads[k])
        topt.step()
    # torch's state (and parameters) move into ember; both continue identically
    for e, t in zip(eparams, tparams):
        e._data[...] = t.detach().numpy()
    eopt.load_state_dict(_to_ember(topt.state_dict()))
    for k in range(6, 9):
        _set_grads(torch, tparams, grads[k])
        _set_grads(ember, eparams, grads[k])
        topt.step()
        eopt.step()
    _check_same(eparams, eopt, tparams, topt)
    # and back: ember's state_dict loads into a fresh torch optimizer
    tparams2, topt2 = _make(torch, name, [p.detach().numpy() for p in eparams], group_kw, kw)
    topt2.load_state_dict(_to_torch(eopt.state_dict()))
    for k in range(9, 12):
        _set_grads(torch, tparams2, grads[k])
        _set_grads(ember, eparams, grads[k])
        topt2.step()
        eopt.step()
    _check_same(eparams, eopt, tparams2, topt2)


def test_load_state_dict_errors_and_casts():
    p = ember.nn.Parameter(ember.ones(2, dtype=ember.float64))
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": ember.ones(2)}}, "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    assert str(opt.state[p]["momentum_buffer"].dtype) == "torch.float64"  # cast to the parameter's dtype
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    bad = dict(opt.state_dict()["param_groups"][0], params=[0, 1])
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [bad]})


# -----------------------------------------------------------------------------------------------------
# param_groups, repr, errors


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS", "Rprop", "ASGD"]


@pytest.mark.parametrize("name", ALL)
def test_param_groups_keys_and_repr(name):
    kw = {} if name == "LBFGS" else {"lr": 0.1}
    opts = [getattr(m.optim, name)([m.nn.Parameter(m.ones(2))], **kw) for m in (torch, ember)]
    assert list(opts[1].param_groups[0].keys()) == list(opts[0].param_groups[0].keys())
    assert repr(opts[1]) == repr(opts[0])
    assert opts[1].defaults == opts[0].defaults


def test_repr_several_groups():
    out = []
    for m in (torch, ember):
        a, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(3))
        opt = m.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "nesterov": True}], lr=0.1, momentum=0.9)
        out.append(repr(opt))
    assert out[0] == out[1]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda m: m.optim.SGD([m.nn.Parameter(m.ones(2))], lr=-1),
    lambda m: m.optim.Adam([m.nn.Parameter(m.ones(2))], lr=-0.5),
    lambda m: m.optim.Adam([m.nn.Parameter(m.ones(2))], betas=(1.0, 0.9)),
    lambda m: m.optim.Adam([m.nn.Parameter(m.ones(2))], eps=-1.0),
    lambda m: m.optim.SGD([m.nn.Parameter(m.ones(2))], momentum=-0.1),
    lambda m: m.optim.SGD([m.nn.Parameter(m.ones(2))], nesterov=True),
    lambda m: m.optim.RMSprop([m.nn.Parameter(m.ones(2))], alpha=-1.0),
    lambda m: m.optim.Adadelta([m.nn.Parameter(m.ones(2))], rho=1.5),
    lambda m: m.optim.NAdam([m.nn.Parameter(m.ones(2))], momentum_decay=-1.0),
    lambda m: m.optim.Rprop([m.nn.Parameter(m.ones(2))], etas=(1.5, 0.5)),
    lambda m: m.optim.ASGD([m.nn.Parameter(m.ones(2))], weight_decay=-1.0),
    lambda m: m.optim.SGD(m.ones(2), lr=0.1),
    lambda m: m.optim.SGD([], lr=0.1),
    lambda m: m.optim.SGD([1.0], lr=0.1),
    lambda m: m.optim.SGD([{"params": {m.nn.Parameter(m.ones(2))}}], lr=0.1),
    lambda m: (lambda p: m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1))(m.nn.Parameter(m.ones(2))),
    lambda m: m.optim.SGD([m.ones(2, requires_grad=True) * 2], lr=0.1),
    lambda m: m.optim.LBFGS([{"params": [m.nn.Parameter(m.ones(2))]}, {"params": [m.nn.Parameter(m.ones(2))]}]),
    lambda m: m.optim.SGD([("w", m.nn.Parameter(m.ones(2))), m.nn.Parameter(m.ones(2))], lr=0.1),
])
def test_constructor_errors(make):
    expected, actual = _error(lambda: make(torch)), _error(lambda: make(ember))
    assert expected is not None
    assert actual is not None and actual[0] is expected[0], f"torch: {expected}, ember: {actual}"
    assert actual[1] == expected[1]


def test_add_param_group_and_required():
    from ember.optim.optimizer import required

    for m in (ember,):
        a, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(3))
        opt = m.optim.SGD([a], lr=0.1)
        opt.add_param_group({"params": b, "momentum": 0.5})
        assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.5
        with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
            opt.add_param_group({"params": [a]})
        with pytest.raises(TypeError, match="param_group must be a dict"):
            opt.add_param_group([a])
    assert repr(required) == repr(torch.optim.optimizer.required) if hasattr(torch.optim, "optimizer") else True

    class Needs(ember.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": required})

    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Needs([ember.nn.Parameter(ember.ones(1))])


def test_named_parameters():
    out = []
    for m in (torch, ember):
        w, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(3))
        opt = m.optim.SGD([("w", w), ("b", b)], lr=0.1)
        out.append(opt.state_dict()["param_groups"][0])
    assert out[0] == out[1]


def test_duplicate_parameter_warns():
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    out = []
    for m in (torch, ember):
        a, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(3))
        a.grad = m.full((2,), 3.0)
        grad = a.grad
        opt = m.optim.SGD([a, b], lr=0.1)
        opt.zero_grad(set_to_none=set_to_none)
        out.append((a.grad is None, b.grad is None, grad.tolist(), None if a.grad is None else a.grad is grad))
    assert out[0] == out[1]


def test_step_with_closure_returns_loss():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    calls = []

    def closure():
        calls.append(ember.is_grad_enabled())
        p.grad = ember.full((2,), 2.0)
        return 7.5

    assert opt.step(closure) == 7.5
    assert calls == [True]
    assert p.tolist() == [0.0, 0.0]


def test_step_hooks():
    for m in (torch, ember):
        p = m.nn.Parameter(m.ones(2))
        opt = m.optim.SGD([p], lr=0.5)
        log = []

        def pre(o, args, kwargs):
            log.append(("pre", o is opt, args[0] is opt, args[1:], kwargs))

        def post(o, args, kwargs):
            log.append(("post", o is opt, args[0] is opt, args[1:], kwargs))

        h1 = opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(post)
        p.grad = m.ones(2)
        opt.step()
        h1.remove()
        opt.step()
        if m is torch:
            expected = log
        else:
            assert log == expected


def test_pre_hook_can_replace_arguments():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    p.grad = ember.ones(2)
    opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": lambda: 3.0}))
    assert opt.step() == 3.0


def test_global_step_hooks():
    from ember.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    log = []
    h1 = register_optimizer_step_pre_hook(lambda o, a, k: log.append("pre"))
    h2 = register_optimizer_step_post_hook(lambda o, a, k: log.append("post"))
    try:
        p = ember.nn.Parameter(ember.ones(2))
        opt = ember.optim.Adam([p])
        opt.register_step_pre_hook(lambda o, a, k: log.append("own pre"))
        p.grad = ember.ones(2)
        opt.step()
    finally:
        h1.remove()
        h2.remove()
    assert log == ["pre", "own pre", "post"]


def test_state_dict_hooks():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load pre"))
    opt.register_load_state_dict_post_hook(lambda o: log.append("load post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert log == ["pre", "load pre", "load post"]


def test_custom_optimizer_subclass():
    class Sign(ember.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(group["lr"] * p.grad.sign())

    p = ember.nn.Parameter(ember.tensor([1.0, -1.0]))
    opt = Sign([p])
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(True))
    p.grad = ember.tensor([2.0, -3.0])
    opt.step()
    assert seen == [True]
    assert p.tolist() == pytest.approx([0.9, -0.9])


def test_deepcopy_and_pickle_roundtrip():
    import copy
    import pickle

    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(2)
    opt.step()
    clone = copy.deepcopy(opt)
    assert repr(clone) == repr(opt)
    restored = pickle.loads(pickle.dumps(opt))
    assert restored.param_groups[0]["lr"] == 0.1


# -----------------------------------------------------------------------------------------------------
# LBFGS


def _rosenbrock(xy):
    x, y = xy
    loss = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)], dtype=xy.dtype)
    return loss, grad


def _lbfgs(m, dtype, steps, **kw):
    p = m.nn.Parameter(_tensor(m, np.array([-1.5, 2.0], dtype)))
    opt = m.optim.LBFGS([p], **kw)
    losses = []

    def closure():
        value = p.detach().numpy().copy()
        loss, grad = _rosenbrock(value)
        p.grad = _tensor(m, grad)
        return _tensor(m, np.array(loss, dtype))

    for _ in range(steps):
        losses.append(float(opt.step(closure)))
    return p, opt, losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{"line_search_fn": "strong_wolfe"}, {"lr": 0.05, "history_size": 5},
                                {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7}],
                         ids=["wolfe", "fixed-step", "wolfe-short-history"])
def test_lbfgs_rosenbrock_matches_torch(kw, dtype):
    tp, topt, tlosses = _lbfgs(torch, dtype, 5, **kw)
    ep, eopt, elosses = _lbfgs(ember, dtype, 5, **kw)
    # dot products sum in a different order than PyTorch's BLAS, and Rosenbrock amplifies last-bit differences
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(elosses, tlosses, **tol)
    np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), **tol)
    ts, es = topt.state[tp], eopt.state[ep]
    assert set(es) == set(ts)
    if dtype == np.float64:
        assert es["n_iter"] == ts["n_iter"] and es["func_evals"] == ts["func_evals"]
        assert len(es["old_dirs"]) == len(ts["old_dirs"])
    else:
        # float32's stop tests (tolerance_change on last-bit-different losses) can end an inner loop an
        # iteration or two apart, depending on which CPU kernels (AVX2 / AVX-512) torch's dot products take
        assert abs(es["n_iter"] - ts["n_iter"]) <= 3 and abs(es["func_evals"] - ts["func_evals"]) <= 3
    if kw == {"line_search_fn": "strong_wolfe"}:
        assert elosses[-1] < 1e-3 * elosses[0]  # converges towards (1, 1)


def test_lbfgs_converges_to_minimum():
    p, _, losses = _lbfgs(ember, np.float64, 10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_errors():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        p.grad = ember.ones(2)
        return ember.tensor(1.0)

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


# -----------------------------------------------------------------------------------------------------
# swa_utils


def _tiny(m):
    class Tiny(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = m.nn.Parameter(m.zeros(3, 2))
            self.b = m.nn.Parameter(m.zeros(2, dtype=m.float64))
            self.register_buffer("count", m.zeros((), dtype=m.int64))
            self.register_buffer("stat", m.zeros(2))

        def forward(self, x):
            return x

    return Tiny()


def _set_model(m, model, rng):
    with m.no_grad():
        model.w.copy_(_tensor(m, rng.standard_normal((3, 2)).astype(np.float32)))
        model.b.copy_(_tensor(m, rng.standard_normal(2)))
        model.count.add_(3)
        model.stat.copy_(_tensor(m, rng.standard_normal(2).astype(np.float32)))


@pytest.mark.parametrize("kind", ["swa", "ema", "avg_fn", "swa-buffers", "ema-buffers"])
def test_averaged_model_matches_torch(kind):
    results = []
    for m in (torch, ember):
        su = m.optim.swa_utils
        rng = np.random.default_rng(1)
        model = _tiny(m)
        kwargs = {}
        if kind.startswith("ema"):
            kwargs["multi_avg_fn"] = su.get_ema_multi_avg_fn(0.9)
        if kind == "avg_fn":
            kwargs["avg_fn"] = su.get_ema_avg_fn(0.8)
        if kind.endswith("buffers"):
            kwargs["use_buffers"] = True
        averaged = su.AveragedModel(model, **kwargs)
        for _ in range(6):
            _set_model(m, model, rng)
            averaged.update_parameters(model)
        results.append(averaged.state_dict())
    assert list(results[1]) == list(results[0])
    for k in results[0]:
        assert_same(results[1][k], results[0][k], k)


def test_averaged_model_errors_and_forward():
    su = ember.optim.swa_utils
    model = _tiny(ember)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        su.AveragedModel(model, avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="Invalid decay value"):
        su.get_ema_multi_avg_fn(1.5)
    averaged = su.AveragedModel(model)
    assert averaged.module is not model
    x = ember.ones(2)
    assert averaged(x) is x


def test_swa_multi_avg_fn_on_lists():
    out = []
    for m in (torch, ember):
        fn = m.optim.swa_utils.get_swa_multi_avg_fn()
        avg = [m.ones(4), m.zeros(2, dtype=m.float64)]
        cur = [m.arange(4.0), m.full((2,), 3.0, dtype=m.float64)]
        fn(avg, cur, m.tensor(2))
        out.append(avg)
    assert_same(out[1], out[0])


def test_update_bn_without_batchnorm_is_a_no_op():
    model = _tiny(ember)
    ember.optim.swa_utils.update_bn([ember.ones(2)], model)
    assert model.training


def test_swalr_state_dict():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    sched = ember.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
    sd = sched.state_dict()
    assert "anneal_func" not in sd and sd["_anneal_strategy"] == "linear"
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        ember.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        ember.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=-1)


def test_no_torch_warnings_from_steps():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                                     ("Adam", {"lr": 0.01, "weight_decay": 0.1}), ("RMSprop", {"lr": 0.01}),
                                     ("NAdam", {"lr": 0.01})])
def test_large_tensors_within_float32_rounding(name, kw):
    """Above EXACT_FMA_MAX_SIZE elements the fused multiply-adds round twice (speed); still within tolerance."""
    shapes = [(200, 150), (7,)]
    init, grads = _arrays(np.float32, 20, shapes=shapes)
    out = []
    for m in (torch, ember):
        params = [m.nn.Parameter(_tensor(m, a)) for a in init]
        opt = getattr(m.optim, name)(params, **kw)
        for gs in grads:
            _set_grads(m, params, gs)
            opt.step()
        out.append((params, opt))
    _check_same(out[1][0], out[1][1], out[0][0], out[0][1])


def test_update_bn_matches_torch():
    """swa_utils.update_bn recomputes BatchNorm statistics over a loader as torch does."""
    import torch.optim.swa_utils as tswa

    import ember.optim.swa_utils as eswa

    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((8, 3)).astype(np.float32) for _ in range(4)]
    results = []
    for m, swa in ((torch, tswa), (ember, eswa)):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4))
        with m.no_grad():
            model[0].weight.copy_(m.from_numpy(np.arange(12, dtype=np.float32).reshape(4, 3) / 10))
            model[0].bias.zero_()
        loader = [m.from_numpy(b.copy()) for b in batches]
        swa.update_bn(loader, model)
        bn = model[1]
        results.append((bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                        int(bn.num_batches_tracked), bn.momentum, model.training))
    (tm, tv, tn, tmom, ttr), (em, ev, en, emom, etr) = results
    np.testing.assert_allclose(em, tm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ev, tv, rtol=1e-5, atol=1e-6)
    assert (en, emom, etr) == (tn, tmom, ttr)
