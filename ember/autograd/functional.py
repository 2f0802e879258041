"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp, built on autograd.grad.

Reverse mode only: a Jacobian takes one vector-Jacobian product per output element; jvp uses the
double-vjp trick (the vjp is linear in its vector, so differentiating it again gives J @ v).
"""

from .._tensor import Tensor
from .grad_mode import enable_grad


def _as_tuple(x, arg_name, fn_name):
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"element {i} of " if is_tuple else ""
            raise TypeError(f"The {where}{arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but the value at index {i} has type {type(item)}." if is_tuple else
                            f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the given {arg_name} has type {type(item)}.")
    return is_tuple, items


def _prepare_inputs(inputs, create_graph):
    """Inputs that require grad, fresh leaves unless the caller wants a graph through them."""
    return tuple(t if create_graph and t.requires_grad else t.detach().requires_grad_(True) for t in inputs)


def _grad(outputs, inputs, grad_outputs, create_graph):
    from . import grad

    needs = [o for o in outputs if o.requires_grad]
    if not needs:
        return (None,) * len(inputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], create_graph=create_graph,
                retain_graph=True, allow_unused=True)


def _fill_none(grads, like):
    from ..ops.creation import zeros_like

    return tuple(zeros_like(t) if g is None else g for g, t in zip(grads, like))


def _strict_check(grads, strict, fn_name, what="output"):
    if strict and any(g is None for g in grads):
        i = next(i for i, g in enumerate(grads) if g is None)
        raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                           f"allowed in strict mode.")


def _finish(values, create_graph):
    return tuple(v if create_graph else v.detach() for v in values)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    from ..ops.creation import ones_like

    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is None:
            if any(o.numel() != 1 for o in outputs):
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            v = tuple(ones_like(o) for o in outputs)
        else:
            _, v = _as_tuple(v, "v", "vjp")
        grads = _grad(outputs, inputs, v, create_graph)
        _strict_check(grads, strict, "vjp")
        grads = _fill_none(grads, inputs)
    outs = _finish(outputs, create_graph)
    grads = _finish(grads, create_graph)
    return (outs if outputs_is_tuple else outs[0]), (grads if inputs_is_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v), by differentiating the vjp (linear in its vector) with respect to that vector."""
    from ..ops.creation import ones_like, zeros_like

    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare_inputs(inputs, create_graph)
        if v is None:
            if any(t.numel() != 1 for t in inputs):
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            v = tuple(ones_like(t) for t in inputs)
        else:
            _, v = _as_tuple(v, "v", "jvp")
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grads = _grad(outputs, inputs, dummies, create_graph=True)
        _strict_check(grads, strict, "jvp")
        pairs = [(g, vi) for g, vi in zip(grads, v) if g is not None]
        if pairs:
            from . import grad

            result = grad([g for g, _ in pairs], dummies, [vi for _, vi in pairs], create_graph=create_graph,
                          retain_graph=True, allow_unused=True)
        else:
            result = (None,) * len(dummies)
        result = _fill_none(result, outputs)
    outs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return (outs if outputs_is_tuple else outs[0]), (result if outputs_is_tuple else result[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func(inputs) / d inputs, shaped output.shape + input.shape (tuples of them for tuple in/out)."""
    from ..ops.creation import zeros, zeros_like
    from ..ops.shape import stack

    if strategy != "reverse-mode":
        raise NotImplementedError("ember: jacobian(strategy='forward-mode') is not supported (no forward-mode AD)")
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        jac = []
        for out in outputs:
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for k in range(flat.numel()):
                seed = zeros_like(flat)
                seed._data[k] = 1
                grads = _grad((flat,), inputs, (seed,), create_graph) if flat.requires_grad else (None,) * len(inputs)
                if strict and any(g is None for g in grads):
                    i = next(i for i, g in enumerate(grads) if g is None)
                    raise RuntimeError(f"Output {len(jac)} of the user-provided function is independent of input "
                                       f"{i}. This is not allowed in strict mode.")
                for i, (g, t) in enumerate(zip(grads, inputs)):
                    rows[i].append(zeros_like(t) if g is None else g)
            per_input = []
            for i, t in enumerate(inputs):
                if rows[i]:
                    j = stack(rows[i]).reshape(tuple(out.shape) + tuple(t.shape))
                else:
                    j = zeros(tuple(out.shape) + tuple(t.shape), dtype=t.dtype)
                per_input.append(j if create_graph else j.detach())
            jac.append(tuple(per_input))
    if outputs_is_tuple:
        return tuple(j if inputs_is_tuple else j[0] for j in jac)
    return jac[0] if inputs_is_tuple else jac[0][0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function: the Jacobian of its gradient."""
    inputs_is_tuple, inputs_t = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        with enable_grad():
            out = func(*xs)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("The function given to hessian should return a single Tensor with a single "
                                   "element.")
            grads = _grad((out.reshape(()),), xs, (None,), create_graph=True) if out.requires_grad else \
                (None,) * len(xs)
            return tuple(g if g is not None else _zeros_requiring_grad(x) for g, x in zip(grads, xs))

    result = jacobian(gradient, inputs_t, create_graph=create_graph, strict=strict)
    if not inputs_is_tuple:
        return result[0][0]
    return result


def _zeros_requiring_grad(x):
    from ..ops.creation import zeros_like

    return zeros_like(x).requires_grad_(True)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H)."""
    with enable_grad():
        inputs_is_tuple, inputs_t = _as_tuple(inputs, "inputs", "vhp")
        inputs_t = _prepare_inputs(inputs_t, create_graph)
        out = func(*inputs_t)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hvp should contain a single element")
        grads = _grad((out.reshape(()),), inputs_t, (None,), create_graph=True)
        grads = tuple(g if g is not None else _zeros_requiring_grad(x) for g, x in zip(grads, inputs_t))
        if v is None:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        _, v = _as_tuple(v, "v", "vhp")
        result = _grad(grads, inputs_t, v, create_graph)
        _strict_check(result, strict, "vhp")
        result = _fill_none(result, inputs_t)
    value = out if create_graph else out.detach()
    result = _finish(result, create_graph)
    return value, (result if inputs_is_tuple else result[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v); the Hessian of a scalar function is symmetric, so H v = (v^T H)^T."""
    return vhp(func, inputs, v, create_graph, strict)
