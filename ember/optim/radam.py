"""RAdam (rectified Adam, with decoupled_weight_decay), as torch.optim.RAdam."""

from .._backend import np
from .optimizer import (
    Optimizer,
    addcmul_,
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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam: Adam whose adaptive term is switched on (rectified) once the variance estimate is tractable."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("foreach", None), ("maximize", False), ("differentiable", False),
                                    ("decoupled_weight_decay", False), ("capturable", False)))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in self._params_with_grad(group, "RAdam"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["exp_avg"] = zeros_state(p)
                    p_state["exp_avg_sq"] = zeros_state(p)
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                exp_avg = real_view(p_state["exp_avg"]._data)
                exp_avg_sq = real_view(p_state["exp_avg_sq"]._data)
                step_arr = p_state["step"]._data
                step_arr += 1
                step = float(step_arr)
                if weight_decay != 0:
                    if decoupled:
                        np.multiply(param, 1 - lr * weight_decay, out=param)
                    else:
                        grad = added(grad, param, weight_decay)
                lerp_(exp_avg, grad, 1 - beta1)
                np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
                addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                update = np.divide(exp_avg, bias_correction1)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                np.multiply(update, lr, out=update)
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = np.sqrt(exp_avg_sq)
                    np.add(adaptive, eps, out=adaptive)
                    # `float / tensor` is reciprocal-then-multiply in PyTorch
                    np.reciprocal(adaptive, out=adaptive)
                    np.multiply(adaptive, bias_correction2 ** 0.5, out=adaptive)
                    np.multiply(update, adaptive, out=update)
                    np.multiply(update, rect, out=update)
                np.subtract(param, update, out=param)
                p._bump_version()
        return loss
