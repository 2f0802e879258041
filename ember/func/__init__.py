"""ember.func (torch.func): function transforms built on ember's reverse-mode autograd.

`grad`, `grad_and_value`, `vjp`, `jacrev`, `jacfwd` and `hessian` differentiate with `ember.autograd.grad`,
always recording a graph of the gradient so the transforms nest (grad of grad, jacrev of jacrev); results
come back detached unless an input already carried autograd history, as torch.func's levels behave.
`vmap` runs the function once per slice of the mapped dimension and stacks the results: the same values
as PyTorch's batching rules, at the cost of a Python loop (and with randomness="different", other random
numbers than PyTorch's batched draws). `jacfwd` computes the Jacobian by reverse mode: the same values.
`functional_call` runs a module with some of its parameters and buffers swapped for given tensors.
"""

import contextlib

from .. import autograd
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "vmap"]


# -------------------------------------------------------------------------------------------------------
# pytrees of tensors (dicts, lists, tuples)


def _flatten(tree):
    """(leaves, rebuild) of a nested dict/list/tuple; rebuild(new_leaves) gives the same structure back."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[k]) for k in keys]
        return _join(parts, lambda values: type(tree)(zip(keys, values)) if type(tree) is not dict
                     else dict(zip(keys, values)))
    if isinstance(tree, (list, tuple)):
        parts = [_flatten(v) for v in tree]
        if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # namedtuple
            return _join(parts, lambda values: type(tree)(*values))
        return _join(parts, lambda values: type(tree)(values))
    return [tree], lambda leaves: leaves[0]


def _join(parts, build):
    leaves, sizes = [], []
    for part_leaves, _ in parts:
        leaves.extend(part_leaves)
        sizes.append(len(part_leaves))

    def rebuild(new_leaves):
        values, start = [], 0
        for (_, part_rebuild), n in zip(parts, sizes):
            values.append(part_rebuild(new_leaves[start:start + n]))
            start += n
        return build(values)
    return leaves, rebuild


def _check_tensors(leaves, what="Thing passed to transform API must be Tensor, got {}"):
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(what.format(type(leaf)))


# -------------------------------------------------------------------------------------------------------
# reverse mode


def _differentiable(t):
    """The tensor the transform differentiates with respect to: an alias keeping `t`'s history when it has
    some (nested transforms), else a fresh leaf."""
    if t.requires_grad:
        return t.view_as(t), True
    return t.detach().requires_grad_(t.is_floating_point() or t.is_complex()), False


def _argnums(argnums, n_args):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    return nums


def _prepare(args, argnums):
    """Replace args[argnums] by differentiable copies. Returns (new args, per-argnum (leaves, rebuild),
    whether any input carried history)."""
    args = list(args)
    trees, nested = [], False
    for a in argnums:
        leaves, rebuild = _flatten(args[a])
        _check_tensors(leaves)
        made = [_differentiable(t) for t in leaves]
        nested |= any(had for _, had in made)
        leaves = [t for t, _ in made]
        args[a] = rebuild(leaves)
        trees.append((leaves, rebuild))
    return args, trees, nested


def _split_aux(result, has_aux, api):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux "
                           "is True")
    output, aux = result
    for leaf in _flatten(aux)[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return output, aux


def _detach_tree(tree, keep):
    if keep:
        return tree
    leaves, rebuild = _flatten(tree)
    return rebuild([t.detach() if isinstance(t, Tensor) else t for t in leaves])


def _gradients(outputs, inputs, grad_outputs=None):
    grads = autograd.grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=True, allow_unused=True,
                          materialize_grads=True)
    return list(grads)


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func's scalar output w.r.t. args[argnums], value)."""
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        with enable_grad():
            new_args, trees, nested = _prepare(args, nums)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.dim() != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            flat_inputs = [t for leaves, _ in trees for t in leaves]
            flat_grads = _gradients(output, flat_inputs) if output.requires_grad else [
                t.detach() * 0 for t in flat_inputs]
        results, start = [], 0
        for leaves, rebuild in trees:
            part = flat_grads[start:start + len(leaves)]
            results.append(rebuild([g if nested else g.detach() for g in part]))
            start += len(leaves)
        grads = results[0] if isinstance(argnums, int) else tuple(results)
        value = _detach_tree(output, nested)
        if has_aux:
            return grads, (value, _detach_tree(aux, nested))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of func's scalar output w.r.t. args[argnums] (and aux if has_aux)."""
    with_value = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = with_value(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) gives the vector-Jacobian products w.r.t. primals."""
    with enable_grad():
        args, trees, nested = _prepare(primals, tuple(range(len(primals))))
        output, aux = _split_aux(func(*args), has_aux, "vjp")
    out_leaves, _ = _flatten(output)
    _check_tensors(out_leaves)
    flat_inputs = [t for leaves, _ in trees for t in leaves]

    def vjp_fn(cotangents):
        cot_leaves, _ = _flatten(cotangents)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function.")
        with enable_grad():
            grads = _gradients(out_leaves, flat_inputs, cot_leaves)
        results, start = [], 0
        for leaves, rebuild in trees:
            part = grads[start:start + len(leaves)]
            results.append(rebuild([g if nested else g.detach() for g in part]))
            start += len(leaves)
        return tuple(results)

    value = _detach_tree(output, nested)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, nested)
    return value, vjp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of func's output(s) w.r.t. args[argnums]: for each output of shape
    O and input of shape I, a tensor of shape O + I."""
    def wrapper(*args, **kwargs):
        from ..ops.shape import stack

        nums = _argnums(argnums, len(args))
        with enable_grad():
            new_args, trees, nested = _prepare(args, nums)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, "jacrev")
            out_leaves, out_rebuild = _flatten(output)
            _check_tensors(out_leaves)
            flat_inputs = [t for leaves, _ in trees for t in leaves]
            per_output = []
            for out in out_leaves:
                rows = []
                flat_out = out.reshape(-1)
                for i in range(flat_out.numel()):
                    rows.append(_gradients(flat_out[i], flat_inputs) if flat_out.requires_grad else
                                [t.detach() * 0 for t in flat_inputs])
                jac = []
                for k, inp in enumerate(flat_inputs):
                    if rows:
                        j = stack([r[k] for r in rows]).reshape(tuple(out.shape) + tuple(inp.shape))
                    else:
                        j = inp.new_zeros(tuple(out.shape) + tuple(inp.shape))
                    jac.append(j if nested else j.detach())
                per_output.append(jac)
        results = []
        for jac in per_output:
            parts, start = [], 0
            for leaves, rebuild in trees:
                parts.append(rebuild(jac[start:start + len(leaves)]))
                start += len(leaves)
            results.append(parts[0] if isinstance(argnums, int) else tuple(parts))
        jacobian = out_rebuild(results)
        return (jacobian, _detach_tree(aux, nested)) if has_aux else jacobian
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd's result (ember has no forward mode: computed by reverse mode, the same values)."""
    _check_randomness(randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of func's scalar output w.r.t. args[argnums] (jacfwd of jacrev, as torch.func builds it)."""
    return jacfwd(jacrev(func, argnums), argnums)


# -------------------------------------------------------------------------------------------------------
# vmap


def _check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")


def _func_name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=1):
    """func mapped over a dimension of its inputs (in_dims) with the results stacked along out_dims."""
    _check_randomness(randomness)

    def wrapper(*args, **kwargs):
        from .. import random as ember_random
        from ..ops.shape import stack

        name = _func_name(func)
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                             f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`: {len(dims)} in_dims for {len(args)} inputs.")
        mapped, sizes = [], []
        for arg, dim in zip(args, dims):
            leaves, rebuild = _flatten(arg)
            leaf_dims = list(_flatten(dim)[0]) if isinstance(dim, (tuple, list, dict)) else [dim] * len(leaves)
            entry = []
            for leaf, d in zip(leaves, leaf_dims):
                if d is None or not isinstance(leaf, Tensor):
                    entry.append((leaf, None))
                    continue
                if not -max(leaf.dim(), 1) <= d < max(leaf.dim(), 1) or leaf.dim() == 0:
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some "
                                     f"input, but that input is a Tensor of dimensionality {leaf.dim()} so expected "
                                     f"in_dim to satisfy -{leaf.dim()} <= in_dim < {leaf.dim()}.")
                entry.append((leaf, d % leaf.dim()))
                sizes.append(leaf.shape[d])
            mapped.append((entry, rebuild))
        if not sizes:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be batched "
                             "(in_dims is None for all of them)")
        if len(set(sizes)) != 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        state = ember_random.get_rng_state() if randomness != "different" else None
        outputs = []
        for i in range(sizes[0]):
            call_args = [rebuild([leaf if d is None else leaf.select(d, i) for leaf, d in entry])
                         for entry, rebuild in mapped]
            if randomness == "same":
                ember_random.set_rng_state(state)
            result = func(*call_args, **kwargs)
            if randomness == "error" and not _same_state(state, ember_random.get_rng_state()):
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use "
                                   "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
            outputs.append(result)
        out_leaves_per_call = [_flatten(r)[0] for r in outputs]
        _, out_rebuild = _flatten(outputs[0])
        n_out = len(out_leaves_per_call[0])
        odims = out_dims if isinstance(out_dims, tuple) else (out_dims,) * n_out
        if isinstance(out_dims, tuple) and len(odims) != n_out:
            raise ValueError(f"vmap({name}, ...): out_dims is not compatible with the structure of `outputs`.")
        stacked = []
        for k in range(n_out):
            values = [leaves[k] for leaves in out_leaves_per_call]
            if odims[k] is None:
                stacked.append(values[0])
                continue
            if not isinstance(values[0], Tensor):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                                 f"{type(values[0])}. Did you mean to set out_dims= to None for output?")
            stacked.append(stack(values, odims[k]))
        return out_rebuild(stacked)
    return wrapper


def _same_state(a, b):
    return bool((a == b).all())


# -------------------------------------------------------------------------------------------------------
# functional_call


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """module(*args, **kwargs) with the named parameters/buffers (and tensor attributes) replaced by the given
    tensors for the duration of the call."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    else:
        values = {}
        for d in parameter_and_buffer_dicts:
            repeated = [k for k in d if k in values]
            if repeated:
                raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            values.update(d)
    if tie_weights:
        values = _tie(module, values)
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        unexpected = sorted(k for k in values if k not in expected)
        missing = sorted(k for k in expected if k not in values)
        if unexpected or missing:
            lines = []
            if unexpected:
                lines.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
            if missing:
                lines.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(lines))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, values):
        return module(*args, **(kwargs or {}))


def _tie(module, values):
    """Give every name of a tied (shared) parameter or buffer the tensor given for one of its names."""
    names_of = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        names_of.setdefault(id(t), []).append(name)
    values = dict(values)
    for names in names_of.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {given}, which are tied. Consider using "
                             "tie_weights=False")
        for n in names:
            values.setdefault(n, values[given[0]])
    return values


@contextlib.contextmanager
def _swapped(module, values):
    saved = []
    try:
        for name, tensor in values.items():
            owner, _, attr = name.rpartition(".")
            sub = module.get_submodule(owner) if owner else module
            for table in ("_parameters", "_buffers"):
                entries = sub.__dict__.get(table, {})
                if attr in entries:
                    saved.append((entries, attr, entries[attr]))
                    entries[attr] = tensor
                    break
            else:
                had = attr in sub.__dict__
                saved.append((sub, attr, sub.__dict__.get(attr) if had else _MISSING))
                object.__setattr__(sub, attr, tensor)
        yield
    finally:
        for place, attr, old in reversed(saved):
            if isinstance(place, dict):
                place[attr] = old
            elif old is _MISSING:
                place.__dict__.pop(attr, None)
            else:
                object.__setattr__(place, attr, old)


_MISSING = object()
