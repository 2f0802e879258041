"""Stochastic weight averaging and EMA: AveragedModel, SWALR, update_bn and the averaging functions,
as torch.optim.swa_utils."""

import itertools
import math
import warnings
from copy import deepcopy

from .._backend import np
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float_or_complex(arr):
    return arr.dtype.kind in "fc" or arr.dtype.name == "bfloat16"


def get_ema_multi_avg_fn(decay=0.999):
    """An exponential moving average over lists of tensors: ema <- ema.lerp(current, 1 - decay)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if _is_float_or_complex(ema_param_list[0]._data):
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    lerp_(p_ema._data, p_model._data, 1 - decay)
                    p_ema._bump_version()
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """The running equal-weight average over lists of tensors: avg <- avg.lerp(current, 1 / (n + 1))."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            n = int(num_averaged.item()) if isinstance(num_averaged, Tensor) else num_averaged
            if _is_float_or_complex(averaged_param_list[0]._data):
                weight = float(np.float32(1.0) / np.float32(n + 1)) if isinstance(num_averaged, Tensor) \
                    else 1 / (n + 1)
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    lerp_(p_avg._data, p_model._data, weight)
                    p_avg._bump_version()
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    p_avg.copy_(p_avg + (p_model - p_avg) / (n + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The EMA for one tensor: decay * ema + (1 - decay) * current (returns a new tensor)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running average for one tensor: avg + (current - avg) / (n + 1) (returns a new tensor)."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _swa_average_(avg, current, n):
    """In place avg <- avg + (current - avg) / (n + 1) on arrays, rounding as PyTorch's tensor ops do
    (integer buffers: the quotient is float32, and copy_ truncates the float32 sum back)."""
    if _is_float_or_complex(avg):
        result = avg + (current - avg) / avg.real.dtype.type(n + 1)
    else:
        result = avg.astype(np.float32) + (current - avg).astype(np.float32) / np.float32(n + 1)
    np.copyto(avg, result, casting="unsafe")


class AveragedModel(Module):
    """A copy of `model` whose parameters (and, with use_buffers, buffers) hold a running average of the
    model's, updated by update_parameters(model): SWA by default, EMA with get_ema_multi_avg_fn()."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _wrap(np.zeros((), np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold the current values of `model`'s parameters into the average (the first call copies them)."""
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param = self.parameters()
            model_param = model.parameters()
        self_detached, model_detached = [], []
        copy_param = int(self.n_averaged._data) == 0
        for p_averaged, p_model in zip(self_param, model_param):
            p_model_ = p_model.detach()
            self_detached.append(p_averaged.detach())
            model_detached.append(p_model_)
            if copy_param:
                np.copyto(p_averaged._data, p_model_._data, casting="unsafe")
                p_averaged._bump_version()
        n = int(self.n_averaged._data)
        if n > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                groups = {}  # by dtype, as PyTorch groups tensors by device and dtype
                for a, m in zip(self_detached, model_detached):
                    pair = groups.setdefault(a._data.dtype, ([], []))
                    pair[0].append(a)
                    pair[1].append(m)
                for self_params, model_params in groups.values():
                    if self.multi_avg_fn:
                        self.multi_avg_fn(self_params, model_params, self.n_averaged)
                    else:
                        for a, m in zip(self_params, model_params):
                            _swa_average_(a._data, m._data, n)
                            a._bump_version()
            else:
                for a, m in zip(self_detached, model_detached):
                    a.detach().copy_(self.avg_fn(a.detach(), m, self.n_averaged))
        if not self.use_buffers:
            # the buffers (BatchNorm statistics) follow the model's, not averaged
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                np.copyto(b_swa._data, b_model._data, casting="unsafe")
                b_swa._bump_version()
        self.n_averaged._data += 1
        self.n_averaged._bump_version()


def _is_batchnorm(module):
    from ..nn.modules import batchnorm

    base = getattr(batchnorm, "_BatchNorm", None)
    if base is not None:
        return isinstance(module, base)
    return False


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of `model` with one pass over `loader`
    (cumulative averages: momentum None during the pass)."""
    with no_grad():
        momenta = {}
        for module in model.modules():
            if _is_batchnorm(module):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
        for bn_module in momenta:
            bn_module.momentum = momenta[bn_module]
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to a fixed swa_lr over anneal_epochs (cosine or linear), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
