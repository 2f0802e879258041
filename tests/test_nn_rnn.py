"""Recurrent layers and nn.utils.rnn, differential against torch: the same weights (copied by state_dict key),
the same inputs, then outputs, final states, the gradients of the input, of h0/c0 and of every parameter;
packed sequences; reprs, parameter names and shapes, initialisation draws, errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as TU

import ember
import ember.nn.utils.rnn as EU
from ember.nn.modules import rnn as ER
from ember.ops import rnn as ops_rnn

TOL = {"rtol": 1e-4, "atol": 2e-5}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _close(a, b, what, **tol):
    np.testing.assert_allclose(_np(a), _np(b), err_msg=what, **(tol or TOL))


def _pair(cls_name, *args, **kwargs):
    """The same module in torch and ember, ember's weights copied from torch's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, cls_name)(*args, **kwargs)
        em = getattr(ER, cls_name)(*args, **kwargs)
    assert list(tm.state_dict()) == list(em.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _flat(out):
    """Output and states as a flat list of tensors (PackedSequence -> its data)."""
    items = []
    for o in out:
        if isinstance(o, (tuple, list)) and not isinstance(o, (TU.PackedSequence, EU.PackedSequence)):
            items.extend(o)
        elif isinstance(o, (TU.PackedSequence, EU.PackedSequence)):
            items.append(o.data)
        else:
            items.append(o)
    return items


def _backward_both(t_outs, e_outs, seed=0):
    rng = np.random.default_rng(seed)
    t_loss, e_loss = [], []
    for t, e in zip(t_outs, e_outs):
        g = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        t_loss.append((t * torch.tensor(g)))
        e_loss.append((e * ember.tensor(g)))
    torch.autograd.backward([x for x in t_loss], [torch.ones_like(x) for x in t_loss])
    ember.autograd.backward([x for x in e_loss], [ember.ones(tuple(x.shape)) for x in e_loss])


def _compare_module(tm, em, t_inputs, e_inputs, grads=True):
    t_out = _flat(tm(*t_inputs))
    e_out = _flat(em(*e_inputs))
    assert len(t_out) == len(e_out)
    for i, (t, e) in enumerate(zip(t_out, e_out)):
        assert tuple(t.shape) == tuple(e.shape), i
        _close(t, e, f"output {i}")
    if not grads:
        return
    _backward_both(t_out, e_out)
    for t, e in zip(_flat(t_inputs), _flat(e_inputs)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            _close(t.grad, e.grad, "input grad")
    for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters()):
        assert name == ename
        _close(tp.grad, ep.grad, f"grad of {name}", rtol=1e-4, atol=1e-4)


def _tensors(arr, requires_grad=True):
    return torch.tensor(arr, requires_grad=requires_grad), ember.tensor(arr, requires_grad=requires_grad)


CONFIGS = [
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "proj_size": 3}),
    ("LSTM", {"num_layers": 2, "bias": False, "proj_size": 2, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False}),
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("RNN", {"batch_first": True, "bias": False}),
]


@pytest.mark.parametrize("cls,kw", CONFIGS)
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_rnn_modules(cls, kw, with_h0, train):
    torch.manual_seed(0)
    tm, em = _pair(cls, 5, 6, **kw)
    tm.train(train)
    em.train(train)
    rng = np.random.default_rng(1)
    shape = (3, 7, 5) if kw.get("batch_first") else (7, 3, 5)
    tx, ex = _tensors(rng.standard_normal(shape).astype(np.float32))
    t_in, e_in = [tx], [ex]
    if with_h0:
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        h_size = kw.get("proj_size") or 6
        th, eh = _tensors(rng.standard_normal((layers, 3, h_size)).astype(np.float32))
        if cls == "LSTM":
            tc, ec = _tensors(rng.standard_normal((layers, 3, 6)).astype(np.float32))
            t_in.append((th, tc))
            e_in.append((eh, ec))
        else:
            t_in.append(th)
            e_in.append(eh)
    _compare_module(tm, em, t_in, e_in)


@pytest.mark.parametrize("cls,kw", [("LSTM", {}), ("GRU", {"bidirectional": True}), ("RNN", {"batch_first": True}),
                                    ("LSTM", {"proj_size": 2, "num_layers": 2})])
def test_unbatched_input(cls, kw):
    torch.manual_seed(0)
    tm, em = _pair(cls, 4, 5, **kw)
    rng = np.random.default_rng(2)
    tx, ex = _tensors(rng.standard_normal((6, 4)).astype(np.float32))
    _compare_module(tm, em, [tx], [ex])
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = rng.standard_normal((layers, kw.get("proj_size") or 5)).astype(np.float32)
    if cls == "LSTM":
        c = rng.standard_normal((layers, 5)).astype(np.float32)
        t_h, e_h = (torch.tensor(h), torch.tensor(c)), (ember.tensor(h), ember.tensor(c))
    else:
        t_h, e_h = torch.tensor(h), ember.tensor(h)
    tx2, ex2 = _tensors(rng.standard_normal((6, 4)).astype(np.float32))
    _compare_module(tm, em, [tx2, t_h], [ex2, e_h])


@pytest.mark.parametrize("cls,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                    ("GRU", {"bidirectional": True}), ("RNN", {}),
                                    ("LSTM", {"proj_size": 2, "bidirectional": True}),
                                    ("GRU", {"batch_first": True, "num_layers": 2})])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_h0", [False, True])
def test_packed_input(cls, kw, enforce_sorted, with_h0):
    torch.manual_seed(0)
    tm, em = _pair(cls, 4, 5, **kw)
    rng = np.random.default_rng(3)
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 6, 1, 4]
    bf = kw.get("batch_first", False)
    x = rng.standard_normal((4, 6, 4) if bf else (6, 4, 4)).astype(np.float32)
    tx, ex = _tensors(x)
    tp = TU.pack_padded_sequence(tx, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    ep = EU.pack_padded_sequence(ex, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    t_in, e_in = [tp], [ep]
    if with_h0:
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        th, eh = _tensors(rng.standard_normal((layers, 4, kw.get("proj_size") or 5)).astype(np.float32))
        if cls == "LSTM":
            tc, ec = _tensors(rng.standard_normal((layers, 4, 5)).astype(np.float32))
            th, eh = (th, tc), (eh, ec)
        t_in.append(th)
        e_in.append(eh)
    t_out, t_h = tm(*t_in)
    e_out, e_h = em(*e_in)
    assert isinstance(e_out, EU.PackedSequence)
    t_pad, t_len = TU.pad_packed_sequence(t_out, batch_first=bf, total_length=7)
    e_pad, e_len = EU.pad_packed_sequence(e_out, batch_first=bf, total_length=7)
    assert e_len.tolist() == t_len.tolist()
    t_all = [t_pad] + list(t_h if isinstance(t_h, tuple) else (t_h,))
    e_all = [e_pad] + list(e_h if isinstance(e_h, tuple) else (e_h,))
    for t, e in zip(t_all, e_all):
        assert tuple(t.shape) == tuple(e.shape)
        _close(t, e, "packed output")
    _backward_both(t_all, e_all)
    _close(tx.grad, ex.grad, "input grad")
    if with_h0:
        for t, e in zip(_flat([t_in[1]]), _flat([e_in[1]])):
            _close(t.grad, e.grad, "h0 grad")
    for (name, tp_), (_, ep_) in zip(tm.named_parameters(), em.named_parameters()):
        _close(tp_.grad, ep_.grad, f"grad of {name}", rtol=1e-4, atol=1e-4)


def test_float64_and_grad_fn():
    torch.manual_seed(0)
    tm, em = _pair("LSTM", 3, 4, num_layers=2)
    tm.double()
    em.double()
    tx, ex = _tensors(np.random.default_rng(0).standard_normal((5, 2, 3)))
    _compare_module(tm, em, [tx], [ex])
    out, (h, c) = em(ex)
    assert out.dtype == ember.float64 and h.dtype == ember.float64
    t_out, (t_h, _) = tm(tx)
    # torch's oneDNN node serves float32 only: a float64 LSTM records its per-step graph
    assert type(out.grad_fn).__name__ == type(t_out.grad_fn).__name__ == "StackBackward0"
    assert type(h.grad_fn).__name__ == type(t_h.grad_fn).__name__ == "StackBackward0"


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("packed", [False, True])
def test_gradcheck_and_double_backward(mode, packed):
    """Every input and weight of the fused layer, float64; gradgradcheck goes through the composite path."""
    rng = np.random.default_rng(4)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    hidden = 2
    w = [ember.tensor(rng.standard_normal(s) * 0.7, requires_grad=True)
         for s in [(gates * hidden, 3), (gates * hidden, hidden), (gates * hidden,), (gates * hidden,)]]
    batch_sizes = [3, 2, 1] if packed else None
    x = ember.tensor(rng.standard_normal((6, 3) if packed else (3, 2, 3)), requires_grad=True)
    batch = 3 if packed else 2
    h0 = ember.tensor(rng.standard_normal((1, batch, hidden)), requires_grad=True)
    c0 = ember.tensor(rng.standard_normal((1, batch, hidden)), requires_grad=True)

    def fn(x, h0, c0, *weights):
        hx = (h0, c0) if mode == "LSTM" else h0
        out = ops_rnn.rnn(mode, x, hx, list(weights), True, 1, 0.0, True, False, False, batch_sizes)
        return tuple(out)

    inputs = (x, h0, c0, *w)
    assert ember.autograd.gradcheck(fn, inputs)
    if mode != "RNN_RELU":  # relu's second derivative is zero almost everywhere; gradgradcheck is still valid
        assert ember.autograd.gradgradcheck(fn, inputs)


def test_reverse_direction_gradcheck():
    rng = np.random.default_rng(5)
    w = [ember.tensor(rng.standard_normal(s) * 0.7, requires_grad=True) for s in [(8, 2), (8, 2), (8,), (8,)]]
    w_r = [ember.tensor(rng.standard_normal(s) * 0.7, requires_grad=True) for s in [(8, 2), (8, 2), (8,), (8,)]]
    x = ember.tensor(rng.standard_normal((5, 2)), requires_grad=True)

    def fn(x, *weights):
        hx = (ember.zeros(2, 2, 2, dtype=ember.float64), ember.zeros(2, 2, 2, dtype=ember.float64))
        return tuple(ops_rnn.rnn("LSTM", x, hx, list(weights), True, 1, 0.0, True, True, False, [2, 2, 1]))

    assert ember.autograd.gradcheck(fn, (x, *w, *w_r))


# -------------------------------------------------------------------------------------------------------
# cells


@pytest.mark.parametrize("cls,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                    ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {"bias": False}),
                                    ("LSTMCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_cells(cls, kw, batched, with_h):
    torch.manual_seed(0)
    tm, em = _pair(cls, 3, 4, **kw)
    rng = np.random.default_rng(6)
    lead = (2,) if batched else ()
    tx, ex = _tensors(rng.standard_normal(lead + (3,)).astype(np.float32))
    t_in, e_in = [tx], [ex]
    if with_h:
        th, eh = _tensors(rng.standard_normal(lead + (4,)).astype(np.float32))
        if cls == "LSTMCell":
            tc, ec = _tensors(rng.standard_normal(lead + (4,)).astype(np.float32))
            th, eh = (th, tc), (eh, ec)
        t_in.append(th)
        e_in.append(eh)
    t_out, e_out = tm(*t_in), em(*e_in)
    t_out = list(t_out) if isinstance(t_out, tuple) else [t_out]
    e_out = list(e_out) if isinstance(e_out, tuple) else [e_out]
    for t, e in zip(t_out, e_out):
        assert tuple(t.shape) == tuple(e.shape)
        _close(t, e, "cell output")
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    _backward_both(t_out, e_out)
    _close(tx.grad, ex.grad, "input grad")
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        _close(tp.grad, ep.grad, f"grad of {name}")


def test_cell_errors():
    for cls, hx in [("LSTMCell", lambda m, s: (m.zeros(s), m.zeros(s))), ("GRUCell", lambda m, s: m.zeros(s)),
                    ("RNNCell", lambda m, s: m.zeros(s))]:
        torch.manual_seed(0)
        tm, em = _pair(cls, 3, 4)
        for args in [lambda m: (m.zeros(2, 5),), lambda m: (m.zeros(2, 3), hx(m, (3, 4))),
                     lambda m: (m.zeros(2, 3), hx(m, (2, 5))), lambda m: (m.zeros(2, 2, 3),)]:
            with pytest.raises(Exception) as t_err:
                tm(*args(torch))
            with pytest.raises(Exception) as e_err:
                em(*args(ember))
            assert type(e_err.value) is type(t_err.value)
            assert str(e_err.value) == str(t_err.value)


# -------------------------------------------------------------------------------------------------------
# structure: parameters, init, repr, errors


@pytest.mark.parametrize("cls,args,kw", [
    ("LSTM", (10, 20), {"num_layers": 2, "batch_first": True}),
    ("LSTM", (10, 20), {"proj_size": 5, "bias": False, "dropout": 0.5, "bidirectional": True}),
    ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 2}),
    ("GRU", (3, 4), {"num_layers": 3, "bidirectional": True}),
    ("RNN", (3, 4), {"nonlinearity": "relu"}),
    ("RNN", (3, 4, 2, "relu"), {}),
    ("RNN", (3, 4), {"bias": False, "dropout": 0.2, "num_layers": 2}),
    ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {"bias": False}),
    ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
])
def test_structure_and_init(cls, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(7)
        tm = getattr(torch.nn, cls)(*args, **kw)
        ember.manual_seed(7)
        em = getattr(ER, cls)(*args, **kw)
    assert repr(em) == repr(tm)
    t_sd, e_sd = tm.state_dict(), em.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape)
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy())  # same draws in the same order
    if hasattr(tm, "_flat_weights_names"):
        assert em._flat_weights_names == tm._flat_weights_names
        assert [w is getattr(em, n) for w, n in zip(em._flat_weights, em._flat_weights_names)] == \
            [True] * len(em._flat_weights)
        assert [[tuple(p.shape) for p in ws] for ws in em.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
        em.flatten_parameters()


def test_flat_weights_follow_assignment():
    em = ER.LSTM(3, 4)
    new = ember.nn.Parameter(ember.zeros(16, 3))
    em.weight_ih_l0 = new
    assert em._flat_weights[0] is new
    out, _ = em(ember.zeros(2, 1, 3))
    assert out.shape == (2, 1, 4)


def test_dropout_warning_and_constructor_errors():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ER.LSTM(3, 4, dropout=0.5)
    cases = [
        (("LSTM", 3, 4), {"dropout": 1.5}),
        (("LSTM", 3, 4), {"dropout": True}),
        (("LSTM", 3, 4), {"proj_size": 4}),
        (("LSTM", 3, 4), {"proj_size": -1}),
        (("LSTM", 3, 0), {}),
        (("LSTM", 0, 3), {}),
        (("LSTM", 3, 4.0), {}),
        (("LSTM", 3, 4), {"num_layers": 0}),
        (("LSTM", 3, 4), {"bias": 1}),
        (("GRU", 3, 4), {"proj_size": 2}),
        (("RNN", 3, 4), {"nonlinearity": "gelu"}),
    ]
    for (cls, *args), kw in cases:
        with pytest.raises(Exception) as t_err:
            getattr(torch.nn, cls)(*args, **kw)
        with pytest.raises(Exception) as e_err:
            getattr(ER, cls)(*args, **kw)
        assert type(e_err.value) is type(t_err.value)
        assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_forward_errors(cls):
    torch.manual_seed(0)
    tm, em = _pair(cls, 10, 4)
    lstm = cls == "LSTM"

    def hx(m, shape, cshape=None):
        return (m.zeros(shape), m.zeros(cshape or shape)) if lstm else m.zeros(shape)

    cases = [
        lambda m: (m.zeros(2, 3, 5),),
        lambda m: (m.zeros(5),),
        lambda m: (m.zeros(2, 3, 4, 10),),
        lambda m: (m.zeros(5, 2, 10), hx(m, (1, 3, 4))),
        lambda m: (m.zeros(5, 2, 10), hx(m, (2, 2, 4))),
        lambda m: (m.zeros(5, 2, 10), hx(m, (2, 4))),
        lambda m: (m.zeros(5, 10), hx(m, (1, 1, 4))),
        lambda m: (m.zeros(5, 2, 10, dtype=m.float64),),
    ]
    if lstm:
        cases.append(lambda m: (m.zeros(5, 2, 10), hx(m, (1, 2, 4), (1, 3, 4))))
    for args in cases:
        with pytest.raises(Exception) as t_err:
            tm(*args(torch))
        with pytest.raises(Exception) as e_err:
            em(*args(ember))
        assert type(e_err.value) is type(t_err.value), str(t_err.value)
        assert str(e_err.value) == str(t_err.value)


def test_no_grad_forward_and_inference():
    torch.manual_seed(0)
    tm, em = _pair("GRU", 4, 5, num_layers=2)
    x = np.random.default_rng(0).standard_normal((6, 2, 4)).astype(np.float32)
    with torch.no_grad():
        t_out, t_h = tm(torch.tensor(x))
    with ember.no_grad():
        e_out, e_h = em(ember.tensor(x))
    assert e_out.grad_fn is None and not e_out.requires_grad
    _close(t_out, e_out, "no_grad output")
    _close(t_h, e_h, "no_grad h")


def test_inplace_weight_change_detected():
    em = ER.LSTM(2, 3)
    out, _ = em(ember.zeros(2, 1, 2, requires_grad=True))
    with ember.no_grad():
        em.weight_hh_l0.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward(ember.ones(2, 1, 3))


def test_dropout_between_layers_training():
    """dropout=1 zeroes the input of layer 2 in training mode and does nothing in eval mode."""
    torch.manual_seed(0)
    tm, em = _pair("GRU", 3, 4, num_layers=2, dropout=1.0)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    for train in (True, False):
        tm.train(train)
        em.train(train)
        _close(tm(torch.tensor(x))[0], em(ember.tensor(x))[0], f"train={train}")


# -------------------------------------------------------------------------------------------------------
# nn.utils.rnn


def _seqs(rng, lengths, feat=(2,)):
    return [rng.standard_normal((n,) + feat).astype(np.float32) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    rng = np.random.default_rng(0)
    seqs = _seqs(rng, [3, 5, 1])
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    es = [ember.tensor(s, requires_grad=True) for s in seqs]
    t = TU.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    e = EU.pad_sequence(es, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    assert tuple(e.shape) == tuple(t.shape)
    _close(t, e, "pad_sequence")
    _backward_both([t], [e])
    for a, b in zip(ts, es):
        _close(a.grad, b.grad, "pad_sequence grad")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [3, 5, 1, 3]), (False, [2, 2, 2, 2])])
def test_pack_pad_roundtrip(batch_first, enforce_sorted, lengths):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3)).astype(np.float32)
    tx, ex = _tensors(x)
    tp = TU.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    ep = EU.pack_padded_sequence(ex, ember.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    _close(tp.data, ep.data, "packed data")
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.batch_sizes.dtype == ember.int64
    for a, b in [(tp.sorted_indices, ep.sorted_indices), (tp.unsorted_indices, ep.unsorted_indices)]:
        assert (a is None) == (b is None)
        if a is not None:
            assert b.tolist() == a.tolist()
    assert ep._fields == tp._fields
    for total in (None, 7):
        t_pad, t_len = TU.pad_packed_sequence(tp, batch_first=batch_first, padding_value=0.5, total_length=total)
        e_pad, e_len = EU.pad_packed_sequence(ep, batch_first=batch_first, padding_value=0.5, total_length=total)
        assert tuple(e_pad.shape) == tuple(t_pad.shape)
        _close(t_pad, e_pad, "padded")
        assert e_len.tolist() == t_len.tolist() and e_len.dtype == ember.int64
    _backward_both([t_pad], [e_pad])
    _close(tx.grad, ex.grad, "grad through pack and pad")


def test_pack_sequence_unpack_unpad():
    rng = np.random.default_rng(2)
    seqs = _seqs(rng, [2, 4, 3], feat=(2, 2))
    for enforce_sorted in (False,):
        tp = TU.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
        ep = EU.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
        _close(tp.data, ep.data, "pack_sequence")
        t_list, e_list = TU.unpack_sequence(tp), EU.unpack_sequence(ep)
        assert len(t_list) == len(e_list)
        for a, b in zip(t_list, e_list):
            _close(a, b, "unpack_sequence")
    sorted_seqs = sorted(seqs, key=len, reverse=True)
    tp = TU.pack_sequence([torch.tensor(s) for s in sorted_seqs])
    ep = EU.pack_sequence([ember.tensor(s) for s in sorted_seqs])
    _close(tp.data, ep.data, "pack_sequence sorted")
    assert ep.sorted_indices is None
    padded = np.stack([np.pad(s, ((0, 4 - len(s)), (0, 0), (0, 0))) for s in seqs], 1)
    for batch_first in (False, True):
        arr = padded.transpose(1, 0, 2, 3).copy() if batch_first else padded
        t_list = TU.unpad_sequence(torch.tensor(arr), torch.tensor([2, 4, 3]), batch_first=batch_first)
        e_list = EU.unpad_sequence(ember.tensor(arr), ember.tensor([2, 4, 3]), batch_first=batch_first)
        for a, b in zip(t_list, e_list):
            assert tuple(a.shape) == tuple(b.shape)
            _close(a, b, "unpad_sequence")


def test_packed_sequence_object():
    ep = EU.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = ep
    assert isinstance(ep, tuple) and ep.data is data and batch_sizes.tolist() == [2, 1, 1]
    d = ep.double()
    assert isinstance(d, EU.PackedSequence) and d.data.dtype == ember.float64
    assert ep.to(ember.float32) is ep
    assert not ep.is_cuda
    assert EU.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert EU.invert_permutation(None) is None
    built = EU.PackedSequence(ep.data, ep.batch_sizes, ember.tensor([1, 0]))
    assert built.unsorted_indices.tolist() == [1, 0]


def test_pack_errors():
    x = np.zeros((4, 3, 2), np.float32)
    cases = [
        (lambda m, x: TU.pack_padded_sequence(x, [2, 3, 1]) if m is torch else EU.pack_padded_sequence(x, [2, 3, 1])),
        (lambda m, x: TU.pack_padded_sequence(x, [3, 2, 0]) if m is torch else EU.pack_padded_sequence(x, [3, 2, 0])),
        (lambda m, x: TU.pack_padded_sequence(x, [3, 2]) if m is torch else EU.pack_padded_sequence(x, [3, 2])),
        (lambda m, x: (TU if m is torch else EU).pack_padded_sequence(x, m.tensor([[3, 2, 1]]))),
    ]
    for fn in cases:
        with pytest.raises(Exception) as t_err:
            fn(torch, torch.tensor(x))
        with pytest.raises(Exception) as e_err:
            fn(ember, ember.tensor(x))
        assert type(e_err.value) is type(t_err.value)
        assert str(e_err.value) == str(t_err.value)
    tp = TU.pack_padded_sequence(torch.tensor(x), [3, 2, 1])
    ep = EU.pack_padded_sequence(ember.tensor(x), [3, 2, 1])
    with pytest.raises(ValueError) as t_err:
        TU.pad_packed_sequence(tp, total_length=2)
    with pytest.raises(ValueError) as e_err:
        EU.pad_packed_sequence(ep, total_length=2)
    assert str(e_err.value) == str(t_err.value)
    with pytest.raises(RuntimeError):
        EU.pack_padded_sequence(ember.tensor(x), [5, 2, 1])  # torch reads out of bounds here
