"""Hook-based weight normalization (torch.nn.utils.weight_norm): w = g * v / ||v||, recomputed before forward."""

import warnings

from ..._backend import np
from ...autograd.grad_mode import state as _grad_state
from ...ops._common import Node, needs_grad, record, wrap
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v, pow=2, dim=0):
    """The p-norm of v over every dim but `dim` (kept with size, the others size 1); dim=-1: the whole norm.
    Built as ATen builds it (rows of a 2-D view, a transpose for middle dims), so the graph is PyTorch's."""
    from ...ops.reduction import at_norm

    if dim == -1:
        return at_norm(v, pow)
    ndim = v.dim()
    kept = [1] * ndim
    if dim == 0:
        kept[0] = v.size(0)
        return at_norm(v.contiguous().view(v.size(0), -1), pow, 1).view(kept)
    if dim == ndim - 1:
        kept[-1] = v.size(-1)
        return at_norm(v.contiguous().view(-1, v.size(-1)), pow, 0).view(kept)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _weight_norm(v, g, dim=0):
    """torch._weight_norm: w = v * (g / ||v||) with the norm over every dim but `dim`. As ATen, dim 0 or the last
    dim runs as one fused op (graph node WeightNormInterfaceBackward0); other dims compose differentiable ops."""
    if dim == 0 or dim == v.dim() - 1:
        return _weight_norm_interface(v, g, dim)[0]
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNormInterfaceBackward0(Node):
    def __init__(self, v, g, norms, dim):
        self.v, self.g, self.norms, self.dim = self.save(v), self.save(g), norms, dim

    def backward(self, grad_w, grad_norms=None):
        # ATen differentiates only through w: the norms output's gradient is ignored, and a double backward
        # treats the saved norms as constants
        if grad_w is None:
            return None, None
        v, g, norms = self.v.unpack(), self.g.unpack(), self.norms
        if _grad_state.enabled:  # create_graph: ATen's _weight_norm_differentiable_backward, from tensor ops
            norms = wrap(norms)
            per_dim_sums = (grad_w * v).sum(_other_dims(v.dim(), self.dim), keepdim=True)
            grad_v = (g / norms) * (grad_w - v * (per_dim_sums / (norms * norms)))
            return grad_v, (per_dim_sums / norms).to(g.dtype)
        gw, va, ga = grad_w._data, v._data, g._data
        dt = np.float32 if va.dtype.itemsize < 4 else va.dtype  # half inputs work in float32, as ATen's opmath
        gw32, v32 = gw.astype(dt, copy=False), va.astype(dt, copy=False)
        per_dim_sums = np.sum(gw32 * v32, axis=_other_dims(va.ndim, self.dim), keepdims=True)
        grad_g = per_dim_sums / norms
        a = ga.reshape(norms.shape).astype(dt, copy=False) / norms  # ATen: grad_v = a * grad_w - b * v
        b = a * grad_g / norms
        grad_v = a * gw32 - b * v32
        return wrap(grad_v.astype(va.dtype, copy=False)), wrap(grad_g.reshape(ga.shape).astype(ga.dtype, copy=False))


def _other_dims(ndim, dim):
    return tuple(d for d in range(ndim) if d != dim)


def _weight_norm_interface(v, g, dim=0):
    """torch._weight_norm_interface: (w, norms) for dim 0 or the last dim; norms are kept in float32 or wider."""
    if not (dim == 0 or dim == v.dim() - 1):
        raise RuntimeError("fused kernels can only be applied for first or last dim")
    va = v._data
    dt = np.float32 if va.dtype.itemsize < 4 else va.dtype
    v32 = va.astype(dt, copy=False)
    norms = np.sqrt(np.sum(v32 * v32, axis=_other_dims(va.ndim, dim), keepdims=True))
    w = wrap((v32 * (g._data.reshape(norms.shape).astype(dt, copy=False) / norms)).astype(va.dtype, copy=False))
    norms_out = wrap(norms.reshape(g._data.shape) if norms.size == g._data.size else norms)
    if needs_grad(v, g):
        record(WeightNormInterfaceBackward0(v, g, norms, dim), (v, g), (w, norms_out))
    return w, norms_out


class WeightNorm:
    """The forward pre-hook that sets module.<name> from <name>_g and <name>_v."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        # the original parameter is replaced by the magnitude g and the direction v
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrize module.<name> as <name>_g * <name>_v / ||<name>_v|| (norm over every dim but `dim`)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold the weight norm back into a plain parameter."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
