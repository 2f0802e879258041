"""NAdam (Adam with Nesterov momentum, momentum_decay, decoupled_weight_decay), as torch.optim.NAdam."""

from .._backend import np
from .._tensor import _wrap
from .optimizer import (
    Optimizer,
    addcdiv_,
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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam: the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("maximize", False), ("foreach", None), ("capturable", False),
                                    ("differentiable", False), ("decoupled_weight_decay", False)),
                                   step_keys=("step", "mu_product"))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p in self._params_with_grad(group, "NAdam"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["mu_product"] = _wrap(np.ones((), np.float32))
                    p_state["exp_avg"] = zeros_state(p)
                    p_state["exp_avg_sq"] = zeros_state(p)
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                exp_avg = real_view(p_state["exp_avg"]._data)
                exp_avg_sq = real_view(p_state["exp_avg_sq"]._data)
                mu_product_arr = p_state["mu_product"]._data
                step_arr = p_state["step"]._data
                step_arr += 1
                step = float(step_arr)
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if decoupled:
                        np.multiply(param, 1 - lr * weight_decay, out=param)
                    else:
                        grad = added(grad, param, weight_decay)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product_arr *= mu  # rounded to float32, as the 0-dim tensor PyTorch keeps
                mu_product = float(mu_product_arr)
                lerp_(exp_avg, grad, 1 - beta1)
                np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
                addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
                denom = np.divide(exp_avg_sq, bias_correction2)
                np.sqrt(denom, out=denom)
                mu_product_next = mu_product * mu_next
                np.add(denom, eps, out=denom)
                addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                addcdiv_(param, exp_avg, denom, -lr * mu_next / (1.0 - mu_product_next))
                p._bump_version()
        return loss
