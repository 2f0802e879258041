"""Adamax (Adam with the infinity norm), as torch.optim.Adamax."""

from .._backend import np
from .optimizer import (
    Optimizer,
    addcdiv_,
    added,
    check_betas,
    check_lr,
    check_nonnegative,
    lerp_,
    no_grad_step,
    real_view,
    scalar_step,
    to_float,
    zeros_state,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax: Adam's first moment over an exponentially weighted infinity norm of the gradients."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
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
            beta1, beta2 = group["betas"]
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p in self._params_with_grad(group, "Adamax"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["exp_avg"] = zeros_state(p)
                    p_state["exp_inf"] = zeros_state(p)
                step_arr = p_state["step"]._data
                step_arr += 1
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                exp_avg = real_view(p_state["exp_avg"]._data)
                exp_inf = real_view(p_state["exp_inf"]._data)
                lerp_(exp_avg, grad, 1 - beta1)
                np.multiply(exp_inf, beta2, out=exp_inf)
                norm = np.abs(grad)
                np.add(norm, eps, out=norm)
                np.maximum(exp_inf, norm, out=exp_inf)
                clr = lr / (1 - beta1 ** float(step_arr))
                addcdiv_(param, exp_avg, exp_inf, -clr)
                p._bump_version()
        return loss
