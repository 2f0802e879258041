"""The backward engine: runs the graph's nodes in dependency order, with counters and a ready queue.

No recursion anywhere, so a chain of 100,000 ops backpropagates. Among ready nodes the most recently
created runs first (PyTorch's sequence-number priority), which makes hook and accumulation order match.
"""

import heapq

from .. import _autocast
from .grad_mode import state as _grad_state
from .graph import AccumulateGrad, grad_accumulator


def _root_edge(t):
    fn = t.grad_fn  # the property brings a stale view's history up to date
    if fn is not None:
        return fn, t.__dict__.get("_output_nr", 0)
    if not t.requires_grad:
        return None
    return grad_accumulator(t), 0


def _collect(roots):
    """Every node reachable from the roots, with how many edges point at it (its dependency count)."""
    deps = {}
    seen = set(roots)
    stack = list(seen)  # several roots may be outputs of one node: walk each node once
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen, deps


def _needed(nodes, deps, roots, targets):
    """The nodes from which a target node can be reached (only those run when grads of inputs are asked)."""
    # topological order by Kahn's algorithm, then reachability in reverse
    remaining = dict(deps)
    order = []
    ready = [n for n in roots if remaining.get(n, 0) == 0]
    ready = list(dict.fromkeys(ready))
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                ready.append(nxt)
    needed = set()
    for node in reversed(order):
        if node in targets or any(nxt in needed for nxt, _ in node.next_functions if nxt is not None):
            needed.add(node)
    return needed


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, allow_unused=True,
                 accumulate=True):
    if not _autocast.state.enabled:
        return _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused, accumulate)
    with _autocast.suspended():  # PyTorch's backward runs without autocast (its engine threads never enable it)
        return _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused, accumulate)


def _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, allow_unused=True,
                  accumulate=True):
    """Backpropagate from `tensors` seeded with `grad_tensors`.

    With accumulate=True (Tensor.backward), gradients are added into the `.grad` of the leaves (only of
    `inputs` if given). With accumulate=False (autograd.grad), the gradients flowing into `inputs` are
    returned instead and nothing is accumulated."""
    roots = []
    buffers = {}
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        root = _root_edge(t)
        if root is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        node, nr = root
        roots.append(node)
        buf = buffers.setdefault(node, [None] * node.num_outputs)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    nodes, deps = _collect(roots)

    # where gradients are captured (autograd.grad, or backward(inputs=...)): (node, output_nr) per input
    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            node, nr = _root_edge(t) or (None, 0)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(node, []).append((nr, i))
        needed = _needed(nodes, deps, roots, set(capture))
    else:
        needed = None
    captured = [None] * (len(inputs) if inputs is not None else 0)

    ready = []
    for node in dict.fromkeys(roots):
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, id(node), node))

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node, None) or [None] * node.num_outputs
            grads = _run_pre_hooks(node, grads)

            if capture is not None and node in capture:
                for nr, i in capture[node]:
                    if grads[nr] is None:
                        continue
                    if not accumulate:
                        captured[i] = grads[nr]
                    elif isinstance(node, AccumulateGrad):
                        node.accumulate(grads[nr], create_graph)
                    else:  # backward(inputs=[non-leaf]) fills that tensor's .grad
                        _accumulate_into(inputs[i], grads[nr], create_graph)
                if isinstance(node, AccumulateGrad) or \
                        not any(n in needed for n, _ in node.next_functions if n is not None):
                    _release(node, retain_graph)
                    _done(node, ready, deps, needed, buffers, None)
                    continue
            if isinstance(node, AccumulateGrad):
                if accumulate and grads[0] is not None:
                    node.accumulate(grads[0], create_graph)
                continue

            if (grads[0] is None) if len(grads) == 1 else all(g is None for g in grads):
                grad_inputs = None
            else:
                if _grad_state.anomaly:
                    grad_inputs = _backward_watched(node, grads)
                else:
                    grad_inputs = node.backward(*grads)
                if not isinstance(grad_inputs, tuple):
                    grad_inputs = (grad_inputs,)
                if len(grad_inputs) != len(node.next_functions):
                    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected "
                                       f"{len(node.next_functions)}, got {len(grad_inputs)})")
                post = node.__dict__.get("_post_hooks")
                if post:
                    for hook in list(post.values()):
                        res = hook(grad_inputs, tuple(grads))
                        if res is not None:
                            grad_inputs = tuple(res)
            _release(node, retain_graph)
            _done(node, ready, deps, needed, buffers, grad_inputs)
    finally:
        _grad_state.enabled = prev_mode

    if inputs is not None and not accumulate:
        for g in captured:
            if g is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
    return captured


def _backward_watched(node, grads):
    """node.backward under anomaly mode: errors and NaN results name the forward call that made the node."""
    from . import anomaly_mode

    try:
        grad_inputs = node.backward(*grads)
    except Exception:
        anomaly_mode.warn_forward_stack(node)
        raise
    if _grad_state.anomaly_check_nan:
        anomaly_mode.check_nan(node, grad_inputs if isinstance(grad_inputs, tuple) else (grad_inputs,))
    return grad_inputs


def _accumulate_into(t, grad, create_graph):
    if t.grad is None:
        t.grad = grad if create_graph else grad.detach().clone()
    else:
        t.grad = t.grad + grad


def _release(node, retain_graph):
    if not retain_graph:
        node.release_saved()


def _done(node, ready, deps, needed, buffers, grad_inputs):
    """Hand a finished node's gradients to its inputs' nodes and queue those that have all theirs."""
    for k, (nxt, nr) in enumerate(node.next_functions):
        if nxt is None:
            continue
        g = grad_inputs[k] if grad_inputs is not None else None
        if g is not None and (needed is None or nxt in needed):
            buf = buffers.get(nxt)
            if buf is None:
                buf = buffers[nxt] = [None] * nxt.num_outputs
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        deps[nxt] -= 1
        if deps[nxt] == 0 and (needed is None or nxt in needed):
            heapq.heappush(ready, (-nxt._sequence_nr, id(nxt), nxt))


def _run_pre_hooks(node, grads):
    if type(node) is AccumulateGrad:  # a leaf's own hooks (Tensor.register_hook on a leaf)
        leaf_hooks = node.variable._hooks
        if leaf_hooks and grads[0] is not None:
            for hook in list(leaf_hooks.values()):
                res = hook(grads[0])
                if res is not None:
                    grads[0] = res
    tensor_hooks = node.__dict__.get("_tensor_pre_hooks")
    if tensor_hooks:
        for nr, hooks in tensor_hooks.items():
            for hook in list(hooks.values()):
                if grads[nr] is None:
                    continue
                res = hook(grads[nr])
                if res is not None:
                    grads[nr] = res
    pre = node.__dict__.get("_pre_hooks")
    if pre:
        for hook in list(pre.values()):
            res = hook(tuple(grads))
            if res is not None:
                grads = list(res)
    return grads
