"""ember.optim.lr_scheduler against torch's: lr (and momentum) sequences over many steps, state_dict,
warnings and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim


def _optimizer(m, name="SGD"):
    a, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(3))
    if name == "SGD":
        return m.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)
    return m.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)


def _lr(m):
    return m.optim.lr_scheduler


def _scale(x):
    return 0.5 * (1 + x) ** -0.5


SCHEDULERS = {
    "LambdaLR": lambda m, o: _lr(m).LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda m, o: _lr(m).LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda m, o: _lr(m).MultiplicativeLR(o, lambda e: 0.95),
    "StepLR": lambda m, o: _lr(m).StepLR(o, 7, 0.5),
    "MultiStepLR": lambda m, o: _lr(m).MultiStepLR(o, [5, 10, 10, 30], 0.5),
    "ConstantLR": lambda m, o: _lr(m).ConstantLR(o, 0.3, 8),
    "LinearLR": lambda m, o: _lr(m).LinearLR(o, 0.2, 0.9, 20),
    "ExponentialLR": lambda m, o: _lr(m).ExponentialLR(o, 0.93),
    "PolynomialLR": lambda m, o: _lr(m).PolynomialLR(o, 30, 2.0),
    "CosineAnnealingLR": lambda m, o: _lr(m).CosineAnnealingLR(o, 12, 0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: _lr(m).CosineAnnealingWarmRestarts(o, 5, 2, 0.001),
    "CosineAnnealingWarmRestarts-1": lambda m, o: _lr(m).CosineAnnealingWarmRestarts(o, 7),
    "CyclicLR": lambda m, o: _lr(m).CyclicLR(o, 0.01, 0.1, 4, 6),
    "CyclicLR-triangular2": lambda m, o: _lr(m).CyclicLR(o, 0.01, 0.1, 4, 6, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: _lr(m).CyclicLR(o, [0.01, 0.02], 0.1, 5, mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda m, o: _lr(m).CyclicLR(o, 0.01, 0.1, 3, scale_fn=_scale, scale_mode="iterations",
                                                       cycle_momentum=False),
    "OneCycleLR": lambda m, o: _lr(m).OneCycleLR(o, 0.5, total_steps=60),
    "OneCycleLR-three_phase": lambda m, o: _lr(m).OneCycleLR(o, [0.5, 0.3], epochs=6, steps_per_epoch=10,
                                                               three_phase=True, anneal_strategy="linear"),
    "SequentialLR": lambda m, o: _lr(m).SequentialLR(
        o, [_lr(m).LinearLR(o, 0.1, 1.0, 5), _lr(m).CosineAnnealingLR(o, 20)], [5]),
    "SequentialLR-3": lambda m, o: _lr(m).SequentialLR(
        o, [_lr(m).ConstantLR(o, 0.5, 3), _lr(m).ExponentialLR(o, 0.9), _lr(m).StepLR(o, 4)], [4, 20]),
    "ChainedScheduler": lambda m, o: _lr(m).ChainedScheduler([_lr(m).ExponentialLR(o, 0.95), _lr(m).StepLR(o, 4)]),
    "SWALR": lambda m, o: m.optim.swa_utils.SWALR(o, 0.01, anneal_epochs=7),
    "SWALR-linear": lambda m, o: m.optim.swa_utils.SWALR(o, [0.01, 0.02], anneal_epochs=0, anneal_strategy="linear"),
}


def _sequence(m, make, steps=60, optimizer="SGD"):
    opt = _optimizer(m, optimizer)
    sched = make(m, opt)
    out = [tuple(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append((tuple(sched.get_last_lr()),
                    tuple(g.get("momentum", g.get("betas")) for g in opt.param_groups),
                    tuple(g["lr"] for g in opt.param_groups)))
    return out, sched


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    steps = 59 if name.startswith("OneCycle") else 80
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, tsched = _sequence(torch, SCHEDULERS[name], steps)
        actual, esched = _sequence(ember, SCHEDULERS[name], steps)
    assert actual == expected  # exactly: the same formulas in the same order
    assert getattr(esched, "last_epoch", None) == getattr(tsched, "last_epoch", None)


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_beta1_cycling_with_adam(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, _ = _sequence(torch, SCHEDULERS[name], 40, "Adam")
        actual, _ = _sequence(ember, SCHEDULERS[name], 40, "Adam")
    assert actual == expected


@pytest.mark.parametrize("kw", [{}, {"mode": "max", "threshold_mode": "abs", "threshold": 0.01},
                                {"patience": 2, "cooldown": 2, "factor": 0.5, "min_lr": [0.02, 0.001]},
                                {"patience": 0, "eps": 0.05}])
def test_reduce_lr_on_plateau(kw):
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 0.5, 1.0, 1.0, 1.0] * 4
    out = []
    for m in (torch, ember):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        seq = []
        for v in metrics:
            opt.step()
            sched.step(v if m is torch else ember.from_numpy(np.array(v)))  # a 0-dim tensor metric
            seq.append((tuple(sched.get_last_lr()), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
        out.append(seq)
    assert out[1] == out[0]


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR", "ChainedScheduler",
                                  "CyclicLR", "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_resume(name):
    """Save after 10 steps, load into a fresh scheduler, continue: same lrs as an uninterrupted run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, _ = _sequence(ember, SCHEDULERS[name], 30)
        opt = _optimizer(ember)
        sched = SCHEDULERS[name](ember, opt)
        for _ in range(10):
            opt.step()
            sched.step()
        saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
        opt2 = _optimizer(ember)
        sched2 = SCHEDULERS[name](ember, opt2)
        sched2.load_state_dict(saved_sched)
        opt2.load_state_dict(saved_opt)
        for k in range(10, 30):
            opt2.step()
            sched2.step()
            assert tuple(sched2.get_last_lr()) == expected[k + 1][0]
    # keys as torch's
    tsched = SCHEDULERS[name](torch, _optimizer(torch))
    assert set(sched.state_dict()) == set(tsched.state_dict())


def test_warning_when_scheduler_steps_before_optimizer():
    for m in (torch, ember):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.StepLR(opt, 3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
        messages = [str(w.message) for w in caught if w.category is UserWarning]
        if m is torch:
            expected = messages
        else:
            assert messages == expected and len(messages) == 1
            assert messages[0].startswith("Detected call of `lr_scheduler.step()` before `optimizer.step()`.")


def test_no_warning_in_the_right_order_and_get_lr_warning():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_overridden_step_warning():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    opt.step = lambda: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        sched.step()


def test_epoch_argument_uses_closed_form():
    out = []
    for m in (torch, ember):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.StepLR(opt, 3, 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step(7)
        out.append((sched.get_last_lr(), sched.last_epoch))
    assert out[0] == out[1]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda m, o: m.optim.lr_scheduler.StepLR(None, 3),
    lambda m, o: m.optim.lr_scheduler.StepLR(o, 3, last_epoch=5),
    lambda m, o: m.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
    lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, 0.5),
    lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=1.5),
    lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, [0.1], total_steps=10),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="bogus"),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, mode="avg"),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [], []),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [m.optim.lr_scheduler.StepLR(o, 2)], [3]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([m.optim.lr_scheduler.ReduceLROnPlateau(o)]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([]),
])
def test_errors(make):
    expected = _error(lambda: make(torch, _optimizer(torch)))
    actual = _error(lambda: make(ember, _optimizer(ember)))
    assert expected is not None
    assert actual is not None and actual[0] is expected[0], f"torch: {expected}, ember: {actual}"
    assert actual[1] == expected[1]


def test_one_cycle_overstep_error():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
    for _ in range(2):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()
        sched.step()


def test_initial_lr_set_and_base_lrs():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05]
    assert isinstance(sched, ember.optim.lr_scheduler.LRScheduler)
