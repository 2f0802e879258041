"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's formulas)."""

from .._backend import np
from .._tensor import _wrap
from .optimizer import Optimizer, add_scaled_, added, no_grad_step, real_view, to_float

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as torch.optim.SGD.

    The momentum buffer starts as a copy of the first gradient (no dampening on the first step)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade_loaded_state((("nesterov", False), ("maximize", False), ("foreach", None),
                                    ("differentiable", False), ("fused", False)), step_keys=())

    @no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = to_float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in self._params_with_grad(group, "SGD"):
                param = real_view(p._data)
                grad = real_view(p.grad._data)
                if maximize:
                    grad = np.negative(grad)
                if weight_decay != 0:
                    grad = added(grad, param, weight_decay)
                if momentum != 0:
                    p_state = state[p]
                    buf_t = p_state.get("momentum_buffer")
                    if buf_t is None:
                        buf = grad.copy()
                        # stored with the parameter's dtype and shape (complex, 0-dim), updated through `buf`
                        p_state["momentum_buffer"] = _wrap(buf.view(p._data.dtype).reshape(p._data.shape))
                    else:
                        buf = real_view(buf_t._data)
                        np.multiply(buf, momentum, out=buf)
                        add_scaled_(buf, grad, 1 - dampening)
                    grad = added(grad, buf, momentum) if nesterov else buf
                add_scaled_(param, grad, -lr)
                p._bump_version()
        return loss
