"""The autograd engine, grad modes and custom Functions, compared with torch.

Built-in ops gain backward nodes in issue 4; these tests drive the engine through custom Functions, which
need nothing from the ops but their forward results.
"""

import threading

import pytest
import torch

import ember


def make_functions(m):
    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    class Scale(m.autograd.Function):  # setup_context style, a non-tensor argument
        @staticmethod
        def forward(x, factor):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.factor = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    class Total(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad * m.ones(ctx.shape)

    return Square, Scale, Total


def run(m):
    Square, Scale, Total = make_functions(m)
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Total.apply(Scale.apply(Square.apply(x), 3.0))
    names = [type(y.grad_fn).__name__, type(y.grad_fn.next_functions[0][0]).__name__]
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    return names, first, x.grad, y.grad_fn.next_functions[0][1]


def test_custom_function_graph_and_accumulation():
    tn, tfirst, tgrad, tnr = run(torch)
    en, efirst, egrad, enr = run(ember)
    assert en == tn
    assert efirst.tolist() == tfirst.tolist()
    assert egrad.tolist() == tgrad.tolist()  # accumulated over two backward calls
    assert enr == tnr


def test_second_backward_without_retain_graph_raises():
    for m in (torch, ember):
        Square, _, Total = make_functions(m)
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = Total.apply(Square.apply(x))
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_errors_match_torch():
    for m in (torch, ember):
        Square, _, _ = make_functions(m)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            Square.apply(m.ones(3, requires_grad=True)).backward()
        with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
            m.ones(1).backward()
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            Square.apply(m.ones(3, requires_grad=True)).backward(m.ones(2))


def test_autograd_grad_and_hooks():
    results = []
    for m in (torch, ember):
        Square, Scale, Total = make_functions(m)
        x = m.tensor([1.0, -2.0], requires_grad=True)
        w = m.tensor([0.5, 4.0], requires_grad=True)
        mid = Square.apply(x)
        seen = []
        mid.register_hook(lambda g: seen.append(g.tolist()))
        h = x.register_hook(lambda g: g * 10)
        out = Total.apply(Scale.apply(mid, 2.0))
        (gx,) = m.autograd.grad(out, x, retain_graph=True)
        gw = m.autograd.grad(out, [x, w], allow_unused=True, retain_graph=True)
        out.backward()
        h.remove()
        results.append((gx.tolist(), gw[1], x.grad.tolist(), w.grad, seen))
    (tgx, tgw, tgrad, twg, tseen), (egx, egw, egrad, ewg, eseen) = results
    assert egx == tgx and egrad == tgrad and eseen == tseen
    assert egw is None and tgw is None and ewg is None and twg is None


def test_unused_input_raises_without_allow_unused():
    for m in (torch, ember):
        Square, _, Total = make_functions(m)
        x = m.ones(2, requires_grad=True)
        w = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            m.autograd.grad(Total.apply(Square.apply(x)), [x, w])


def test_retain_grad_and_post_accumulate_hook():
    for m in (torch, ember):
        Square, _, Total = make_functions(m)
        x = m.tensor([1.0, 2.0], requires_grad=True)
        mid = Square.apply(x)
        mid.retain_grad()
        calls = []
        x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.tolist()))
        Total.apply(mid).backward()
        assert mid.grad.tolist() == [1.0, 1.0]
        assert calls == [[2.0, 4.0]]


def test_deep_chain_has_no_recursion():
    _, Scale, Total = make_functions(ember)
    x = ember.tensor([1.0], requires_grad=True)
    t = x
    for _ in range(20000):
        t = Scale.apply(t, 1.0)
    Total.apply(t).backward()
    assert x.grad.tolist() == [1.0]


def test_grad_modes_are_context_managers_decorators_and_thread_local():
    assert ember.is_grad_enabled()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        with ember.enable_grad():
            assert ember.is_grad_enabled()
        seen = []
        thread = threading.Thread(target=lambda: seen.append(ember.is_grad_enabled()))
        thread.start()
        thread.join()
        assert seen == [True]  # another thread keeps its own mode
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f():
        return ember.is_grad_enabled()

    @ember.no_grad
    def g():
        return ember.is_grad_enabled()

    assert f() is False and g() is False and ember.is_grad_enabled()
    prev = ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled() and prev is not None
    with ember.inference_mode():
        assert not ember.is_grad_enabled() and ember.is_inference_mode_enabled()
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()


def test_no_grad_stops_recording_custom_function():
    Square, _, _ = make_functions(ember)
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = Square.apply(x)
    assert y.grad_fn is None and not y.requires_grad


def test_gradcheck_accepts_right_and_rejects_wrong_formulas():
    Square, Scale, Total = make_functions(ember)

    class WrongSquare(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x

    x = ember.tensor([[0.5, -1.5], [2.0, 0.25]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(Square.apply, (x,))
    assert ember.autograd.gradcheck(lambda t: Scale.apply(t, 2.5), (x,))
    assert not ember.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False)
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        ember.autograd.gradcheck(WrongSquare.apply, (x,))


def test_copies_of_a_trained_module_do_not_share_graph_state():
    import copy
    import pickle

    model = ember.nn.Linear(3, 2)
    model(ember.ones(1, 3)).sum().backward()
    restored = pickle.loads(pickle.dumps(model))  # no weakrefs of the old graph get pickled
    twin = copy.deepcopy(model)
    twin.weight.grad = None
    twin(ember.ones(1, 3)).sum().backward()
    assert twin.weight.grad.tolist() == [[1.0, 1.0, 1.0]] * 2
    assert model.weight.grad.tolist() == [[1.0, 1.0, 1.0]] * 2  # the original's gradient is untouched
    assert restored.weight.grad is None or restored.weight.grad.shape == (2, 3)


@pytest.mark.parametrize("case", ["sibling_view", "base_inplace", "chained"])
def test_stale_views_take_the_base_history_after_inplace_writes(case):
    """Views recorded before an in-place write to their base must not send gradients to overwritten values."""
    results = []
    for m in (torch, ember):
        a = m.arange(12.0).reshape(3, 4).requires_grad_(True)
        x = a.flip(1)
        row = x[1]
        if case == "sibling_view":
            x[1, 0] = 5.0
        elif case == "base_inplace":
            x.mul_(2)
        else:
            col = x[:, 2]
            col.add_(1)
            row.mul_(3)
        (row * m.arange(4.0)).sum().backward()
        results.append(a.grad.tolist())
    assert results[1] == results[0]


@pytest.mark.parametrize("case", ["sibling_view", "base_inplace", "chained", "no_grad_base", "view_of_view",
                                  "transposed_view", "inplace_under_no_grad"])
def test_grad_fn_of_a_stale_view_is_regenerated_when_read(case):
    """Reading grad_fn (no op, no backward) shows torch's regenerated AsStridedBackward0 node."""
    from harness import graph_signature

    seen = []
    for m in (torch, ember):
        a = m.arange(12.0).reshape(3, 4).requires_grad_(True)
        x = a.flip(1)
        view = x[1]
        if case == "sibling_view":
            x[1, 0] = 5.0
        elif case == "base_inplace":
            x.mul_(2)
        elif case == "chained":
            x[:, 2].add_(1)
        elif case == "no_grad_base":  # the base gains history from the write: the old view does too
            x = m.zeros(3, 4)
            view = x[0:2]
            x[0] = m.ones(4, requires_grad=True)
        elif case == "view_of_view":
            view = x[1][1:]
            x.add_(1)
        elif case == "transposed_view":
            view = x.t()[0]
            x[2].mul_(3)
        else:
            with m.no_grad():
                x.mul_(2)
        seen.append((graph_signature(view), view.requires_grad, view.is_leaf, view.grad_fn is view.grad_fn))
    assert seen[1] == seen[0]
    assert seen[0][0][0] == "AsStridedBackward0"


def test_inplace_on_outputs_of_multi_output_views_is_refused():
    for m in (torch, ember):
        x = m.ones(2, 3, requires_grad=True) * 1
        a, _ = x.unbind(0)
        with pytest.raises(RuntimeError, match="is a view and is being modified inplace. This view is the output of "
                                               "a function that returns multiple views"):
            a.mul_(2)
        with m.no_grad():
            a.mul_(2)  # allowed without grad, as in torch
        p, _ = m.ones(4).split(2)
        p.mul_(2)  # and on tensors that need no grad


def test_mark_dirty_rebases_history_and_refuses_leaves():
    for m in (torch, ember):
        class Double(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
            Double.apply(m.ones(2, requires_grad=True))
        leaf = m.ones(2, requires_grad=True)
        z = leaf * 1
        out = Double.apply(z)
        assert out is z and type(out.grad_fn).__name__ == "DoubleBackward"
        out.sum().backward()
        assert leaf.grad.tolist() == [2.0, 2.0]
