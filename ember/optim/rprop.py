"""Rprop (resilient backpropagation), as torch.optim.Rprop."""

from .._backend import np
from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, addcmul_, no_grad_step, real_view, scalar_step, to_float

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop: each element's step size grows by etas[1] while its gradient keeps its sign and shrinks by etas[0]
    when it flips (that step is then skipped); only the gradient's sign moves the parameter."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in self._params_with_grad(group, "Rprop"):
                p_state = self.state[p]
                if len(p_state) == 0:
                    p_state["step"] = scalar_step()
                    p_state["prev"] = _wrap(np.zeros_like(p._data))
                    lr = to_float(group["lr"])
                    p_state["step_size"] = _wrap(np.full_like(p.grad._data, complex(lr, lr) if p.is_complex()
                                                              else lr))
                step_arr = p_state["step"]._data
                step_arr += 1
                param, grad = real_view(p._data), real_view(p.grad._data)
                prev, step_size = real_view(p_state["prev"]._data), real_view(p_state["step_size"]._data)
                if group["maximize"]:
                    grad = np.negative(grad)
                dt = param.dtype.type
                sign = np.sign(np.multiply(grad, prev))
                factor = np.where(sign > 0, dt(etaplus), np.where(sign < 0, dt(etaminus), dt(1)))
                np.multiply(step_size, factor, out=step_size)
                np.clip(step_size, dt(step_size_min), dt(step_size_max), out=step_size)
                grad = np.where(factor == dt(etaminus), dt(0), grad)  # a sign flip: no step this time
                addcmul_(param, np.sign(grad), step_size, -1)
                np.copyto(prev, grad)
                p._bump_version()
        return loss
