"""Adam (and, with decoupled_weight_decay, AdamW): PyTorch's single-tensor formulas, order of operations kept."""

from .._backend import np
from .._tensor import Tensor
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

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as torch.optim.Adam (amsgrad, maximize, weight_decay; decoupled_weight_decay=True is AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("amsgrad", False), ("maximize", False), ("foreach", None),
                                    ("capturable", False), ("differentiable", False),
                                    ("decoupled_weight_decay", False), ("fused", None)))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        state = self.state
        for group in self.param_groups:
            params = self._params_with_grad(group, "Adam")
            if not params:
                continue
            lr = to_float(group["lr"])
            beta1, beta2 = (to_float(b) for b in group["betas"])
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            for p in params:
                p_state = state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["exp_avg"] = zeros_state(p)
                    p_state["exp_avg_sq"] = zeros_state(p)
                    if amsgrad:
                        p_state["max_exp_avg_sq"] = zeros_state(p)
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                exp_avg = real_view(p_state["exp_avg"]._data)
                exp_avg_sq = real_view(p_state["exp_avg_sq"]._data)
                step_arr = p_state["step"]._data
                step_arr += 1
                step = float(step_arr)
                if maximize:
                    grad = np.negative(grad)
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
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    max_sq = real_view(p_state["max_exp_avg_sq"]._data)
                    np.maximum(max_sq, exp_avg_sq, out=max_sq)
                    denom = np.sqrt(max_sq)
                else:
                    denom = np.sqrt(exp_avg_sq)
                np.divide(denom, bias_correction2_sqrt, out=denom)
                np.add(denom, eps, out=denom)
                addcdiv_(param, exp_avg, denom, -step_size)
                p._bump_version()
        return loss


