"""Adadelta, as torch.optim.Adadelta."""

from .._backend import np
from .optimizer import (
    Optimizer,
    add_scaled_,
    addcmul_,
    added,
    check_lr,
    check_nonnegative,
    no_grad_step,
    real_view,
    scalar_step,
    to_float,
    zeros_state,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(epsilon=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("foreach", None), ("maximize", False), ("differentiable", False),
                                    ("capturable", False)))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
            for p in self._params_with_grad(group, "Adadelta"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["square_avg"] = zeros_state(p)
                    p_state["acc_delta"] = zeros_state(p)
                p_state["step"]._data += 1
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                square_avg = real_view(p_state["square_avg"]._data)
                acc_delta = real_view(p_state["acc_delta"]._data)
                np.multiply(square_avg, rho, out=square_avg)
                addcmul_(square_avg, grad, grad, 1 - rho)
                std = np.add(square_avg, eps)
                np.sqrt(std, out=std)
                delta = np.add(acc_delta, eps)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, grad, out=delta)
                np.multiply(acc_delta, rho, out=acc_delta)
                addcmul_(acc_delta, delta, delta, 1 - rho)
                add_scaled_(param, delta, -lr)
                p._bump_version()
        return loss
