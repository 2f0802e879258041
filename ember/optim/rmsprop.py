"""RMSprop (centered, momentum, alpha), as torch.optim.RMSprop."""

from .._backend import np
from .optimizer import (
    Optimizer,
    add_scaled_,
    addcdiv_,
    addcmul_,
    added,
    check_lr,
    check_nonnegative,
    lerp_,
    no_grad_step,
    real_view,
    scalar_step,
    to_float,
    zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square (optionally centered, with momentum)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("momentum", 0), ("centered", False), ("foreach", None), ("maximize", False),
                                    ("differentiable", False), ("capturable", False)))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in self._params_with_grad(group, "RMSprop"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        p_state["momentum_buffer"] = zeros_state(p)
                    if centered:
                        p_state["grad_avg"] = zeros_state(p)
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                square_avg = real_view(p_state["square_avg"]._data)
                p_state["step"]._data += 1
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                np.multiply(square_avg, alpha, out=square_avg)
                addcmul_(square_avg, grad, grad, 1 - alpha)
                if centered:
                    grad_avg = real_view(p_state["grad_avg"]._data)
                    lerp_(grad_avg, grad, 1 - alpha)
                    avg = square_avg.copy()
                    addcmul_(avg, grad_avg, grad_avg, -1)
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(square_avg)
                np.add(avg, eps, out=avg)
                if momentum > 0:
                    buf = real_view(p_state["momentum_buffer"]._data)
                    np.multiply(buf, momentum, out=buf)
                    addcdiv_(buf, grad, avg, 1)
                    add_scaled_(param, buf, -lr)
                else:
                    addcdiv_(param, grad, avg, -lr)
                p._bump_version()
        return loss
