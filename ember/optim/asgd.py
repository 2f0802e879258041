"""ASGD (averaged stochastic gradient descent), as torch.optim.ASGD."""

from .._backend import np
from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, add_scaled_, added, no_grad_step, real_view, scalar_step, to_float

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """SGD with a decaying step eta = lr / (1 + lambd * lr * t) ** alpha and a running average `ax` of the
    parameters that starts averaging after t0 steps."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("foreach", None), ("maximize", False), ("differentiable", False),
                                    ("capturable", False)), step_keys=("step", "eta", "mu"))

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
            for p in self._params_with_grad(group, "ASGD"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["eta"] = _wrap(np.asarray(lr, np.float32))
                    p_state["mu"] = _wrap(np.ones((), np.float32))
                    p_state["ax"] = _wrap(np.zeros_like(p._data))
                step_arr = p_state["step"]._data
                step_arr += 1
                param, grad, ax = real_view(p._data), real_view(p.grad._data), real_view(p_state["ax"]._data)
                if group["maximize"]:
                    grad = np.negative(grad)
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                eta = float(p_state["eta"]._data)
                np.multiply(param, _as_kernel_scalar(1 - lambd * eta, param), out=param)  # decay
                add_scaled_(param, grad, -eta)
                mu = p_state["mu"]._data
                if float(mu) != 1:  # averaging: ax += (param - ax) * mu
                    ax += np.multiply(np.subtract(param, ax), mu.astype(param.dtype))
                else:
                    np.copyto(ax, param)
                step = float(step_arr)
                p_state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                p_state["mu"]._data[...] = 1 / max(1, step - t0)
                p._bump_version()
        return loss


def _as_kernel_scalar(value, arr):
    """A Python number as PyTorch's CPU kernel multiplies it into `arr`: in arr's dtype (float32 unless float64)."""
    return value if arr.dtype == np.float64 else np.float32(value)
