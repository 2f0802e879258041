"""Adagrad (lr_decay, initial_accumulator_value), as torch.optim.Adagrad."""

from .._backend import np
from .._tensor import _wrap
from .optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    added,
    check_lr,
    check_nonnegative,
    no_grad_step,
    real_view,
    scalar_step,
    to_float,
)

__all__ = ["Adagrad"]


def _accumulator(p, value):
    arr = np.empty_like(p._data)
    arr[...] = complex(value, value) if arr.dtype.kind == "c" else value
    return _wrap(arr)


class Adagrad(Optimizer):
    """Adagrad: per-coordinate learning rates from the running sum of squared gradients.

    Unlike the other optimizers, the state ('step', 'sum') is created for every parameter at construction."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state[p]
                p_state["step"] = scalar_step()
                p_state["sum"] = _accumulator(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("foreach", None), ("maximize", False), ("differentiable", False),
                                    ("fused", None)))

    def share_memory(self):
        pass  # NumPy arrays of one process: nothing to move

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            weight_decay, lr_decay, eps, maximize = (group["weight_decay"], group["lr_decay"], group["eps"],
                                                     group["maximize"])
            for p in self._params_with_grad(group, "Adagrad"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["sum"] = _accumulator(p, self.defaults["initial_accumulator_value"])
                step_arr = p_state["step"]._data
                step_arr += 1
                step = float(step_arr)
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = real_view(p_state["sum"]._data)
                addcmul_(state_sum, grad, grad, 1)
                std = np.sqrt(state_sum)
                np.add(std, eps, out=std)
                addcdiv_(param, grad, std, -clr)
                p._bump_version()
        return loss
