"""Recurrent layers' kernels: one fused forward and one backward node per layer and direction (what torch's
`_VF.lstm` / `_VF.gru` / `_VF.rnn_tanh` do on the CPU).

A layer runs over its whole sequence in NumPy: the input projection x @ W_ih^T for every time step is ONE matmul
up front, then each step costs one h @ W_hh^T matmul and a handful of whole-batch elementwise calls written into
preallocated buffers. The backward node walks the steps in reverse (backpropagation through time), collecting
the gate gradients of all steps in one array so that the weight gradients (dW_ih, dW_hh, biases) and the input
gradient are again single matmuls after the loop.

Sequences are handled in the packed layout throughout: the data of all steps lies row after row, step t being
`batch_sizes[t]` rows (the longest sequences first). A padded (T, B, I) input is the special case where every
step has B rows. Rows of the hidden state that a step does not cover keep their value, which gives each sequence
its own final state (forward direction) or its own start from h0 (reverse direction) without masks.

When a graph is recorded, `rnn` records torch's own: the fused node only where torch has one (float32 LSTMs
without projections on padded input, or on packed input whose sequences are all as long), otherwise ATen's
per-step graph of cells (`_layer_by_steps` for padded input, `_packed_layer_by_steps` for packed data). Without
a graph the fused kernels serve every case.

Under create_graph the backward node recomputes the layer with ordinary ember ops and differentiates that
(`_layer_composite`), so higher-order gradients work too.
"""

from .. import _dtype
from .._backend import np
from ..autograd.grad_mode import enable_grad
from ..autograd.grad_mode import state as _grad_state
from ._common import Node, needs_grad, record, wrap

__all__ = []

_HALF_KINDS = ("float16", "bfloat16")


def _steps(batch_sizes, n_steps, batch):
    """(row offset, rows) of each time step in the packed layout."""
    if batch_sizes is None:
        return [(t * batch, batch) for t in range(n_steps)]
    steps, start = [], 0
    for bs in batch_sizes:
        bs = int(bs)
        steps.append((start, bs))
        start += bs
    return steps


def _array(t, dtype):
    if t is None:
        return None
    a = t._data
    return a if a.dtype == dtype else a.astype(dtype)


# -------------------------------------------------------------------------------------------------------
# LSTM: gates i, f, g, o (torch's order); c' = f*c + i*g; h' = o*tanh(c') (then h' @ W_hr^T with proj_size)
#
# The sigmoid gates are computed as 0.5*tanh(x/2)+0.5 so that ONE tanh call covers all four gates; the halving
# (exact in floating point) is folded into the weights once per call.


def _lstm_forward(x, h0, c0, w_ih, w_hh, bias, w_hr, steps, keep):
    hidden = w_ih.shape[0] // 4
    dt = x.dtype
    half = np.ones(4 * hidden, dt)
    half[:2 * hidden] = 0.5
    half[3 * hidden:] = 0.5
    add = half.copy()
    add[2 * hidden:3 * hidden] = 0.0
    gates = x @ (w_ih.T * half)
    if bias is not None:
        gates += bias * half
    w_hh_t = np.ascontiguousarray(w_hh.T * half)
    n = x.shape[0]
    h, c = h0.copy(), c0.copy()
    out = np.empty((n, h0.shape[1]), dt)
    cells = np.empty((n, hidden), dt)
    tanh_c = np.empty((n, hidden), dt)
    h_prev = np.empty((n, h0.shape[1]), dt) if keep else None
    c_prev = np.empty((n, hidden), dt) if keep else None
    h_raw = np.empty((n, hidden), dt) if w_hr is not None else None
    w_hr_t = w_hr.T if w_hr is not None else None
    for start, bs in steps:
        rows = slice(start, start + bs)
        g = gates[rows]
        hp, cp = h[:bs], c[:bs]
        if keep:
            h_prev[rows] = hp
            c_prev[rows] = cp
        g += hp @ w_hh_t
        np.tanh(g, out=g)
        g *= half
        g += add
        cn = cells[rows]
        np.multiply(g[:, hidden:2 * hidden], cp, out=cn)
        cn += g[:, :hidden] * g[:, 2 * hidden:3 * hidden]
        tc = tanh_c[rows]
        np.tanh(cn, out=tc)
        if w_hr is None:
            hn = out[rows]
            np.multiply(g[:, 3 * hidden:], tc, out=hn)
        else:
            hr = h_raw[rows]
            np.multiply(g[:, 3 * hidden:], tc, out=hr)
            hn = out[rows]
            np.matmul(hr, w_hr_t, out=hn)
        h[:bs] = hn
        c[:bs] = cn
    saved = (gates, cells, tanh_c, h_prev, c_prev, h_raw) if keep else None
    return out, h, c, saved


def _lstm_backward(saved, x, w_ih, w_hh, w_hr, steps, d_out, d_hn, d_cn, needs):
    gates, cells, tanh_c, h_prev, c_prev, h_raw = saved
    hidden = w_ih.shape[0] // 4
    dt = gates.dtype
    # derivative of every gate's activation, from its output, for all steps at once
    deriv = 1.0 - gates
    deriv *= gates
    gg = gates[:, 2 * hidden:3 * hidden]
    np.multiply(gg, gg, out=deriv[:, 2 * hidden:3 * hidden])
    np.subtract(1.0, deriv[:, 2 * hidden:3 * hidden], out=deriv[:, 2 * hidden:3 * hidden])
    d_tanh_c = tanh_c * tanh_c
    np.subtract(1.0, d_tanh_c, out=d_tanh_c)
    n = gates.shape[0]
    d_gates = np.empty((n, 4 * hidden), dt)
    dh_state = d_hn.copy()
    dc_state = d_cn.copy()
    d_h_all = np.empty((n, w_hr.shape[0]), dt) if w_hr is not None else None
    for start, bs in reversed(steps):
        rows = slice(start, start + bs)
        g = gates[rows]
        dg = d_gates[rows]
        if w_hr is not None:
            dh = d_h_all[rows]
            np.add(d_out[rows], dh_state[:bs], out=dh)
            dh = dh @ w_hr
        else:
            dh = d_out[rows] + dh_state[:bs]
        tc = tanh_c[rows]
        np.multiply(dh, tc, out=dg[:, 3 * hidden:])
        dc = dh * g[:, 3 * hidden:]
        dc *= d_tanh_c[rows]
        dc += dc_state[:bs]
        np.multiply(dc, g[:, 2 * hidden:3 * hidden], out=dg[:, :hidden])
        np.multiply(dc, c_prev[rows], out=dg[:, hidden:2 * hidden])
        np.multiply(dc, g[:, :hidden], out=dg[:, 2 * hidden:3 * hidden])
        dg *= deriv[rows]
        np.multiply(dc, g[:, hidden:2 * hidden], out=dc_state[:bs])
        np.matmul(dg, w_hh, out=dh_state[:bs])
    grads = _common_grads(d_gates, d_gates, x, h_prev, w_ih, needs)
    d_w_hr = d_h_all.T @ h_raw if w_hr is not None and needs["w_hr"] else None
    return grads + (dh_state, dc_state, d_w_hr)


def _common_grads(d_in, d_hid, x, h_prev, w_ih, needs):
    """Gradients that are one matmul over all steps: input, W_ih, W_hh, b_ih, b_hh."""
    dx = d_in @ w_ih if needs["input"] else None
    dw_ih = d_in.T @ x if needs["w_ih"] else None
    dw_hh = d_hid.T @ h_prev if needs["w_hh"] else None
    ones = np.ones(d_in.shape[0], d_in.dtype)
    db_ih = ones @ d_in if needs["b_ih"] else None
    db_hh = (db_ih if d_hid is d_in and db_ih is not None else ones @ d_hid) if needs["b_hh"] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


# -------------------------------------------------------------------------------------------------------
# GRU: r, z, n (torch's order); n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h


def _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, steps, keep):
    hidden = w_ih.shape[0] // 3
    dt = x.dtype
    gi = x @ w_ih.T
    if b_ih is not None:
        gi += b_ih
    w_hh_t = np.ascontiguousarray(w_hh.T)
    n = x.shape[0]
    h = h0.copy()
    out = np.empty((n, hidden), dt)
    rz_all = np.empty((n, 2 * hidden), dt)
    new_all = np.empty((n, hidden), dt)
    hn_all = np.empty((n, hidden), dt)  # W_hn h + b_hn, needed for dr
    h_prev = np.empty((n, hidden), dt) if keep else None
    h2 = 2 * hidden
    for start, bs in steps:
        rows = slice(start, start + bs)
        hp = h[:bs]
        if keep:
            h_prev[rows] = hp
        gh = hp @ w_hh_t
        if b_hh is not None:
            gh += b_hh
        rz = rz_all[rows]
        np.add(gi[rows, :h2], gh[:, :h2], out=rz)
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn_all[rows] = gh[:, h2:]
        nn = new_all[rows]
        np.multiply(rz[:, :hidden], gh[:, h2:], out=nn)
        nn += gi[rows, h2:]
        np.tanh(nn, out=nn)
        o = out[rows]
        np.subtract(hp, nn, out=o)
        o *= rz[:, hidden:]
        o += nn
        h[:bs] = o
    saved = (rz_all, new_all, hn_all, h_prev) if keep else None
    return out, h, saved


def _gru_backward(saved, x, w_ih, w_hh, steps, d_out, d_hn, needs):
    rz_all, new_all, hn_all, h_prev = saved
    hidden = w_ih.shape[0] // 3
    h2 = 2 * hidden
    d_rz = 1.0 - rz_all
    d_rz *= rz_all
    d_new = new_all * new_all
    np.subtract(1.0, d_new, out=d_new)
    n = rz_all.shape[0]
    d_in = np.empty((n, 3 * hidden), rz_all.dtype)
    d_hid = np.empty((n, 3 * hidden), rz_all.dtype)
    dh_state = d_hn.copy()
    for start, bs in reversed(steps):
        rows = slice(start, start + bs)
        dh = d_out[rows] + dh_state[:bs]
        rz = rz_all[rows]
        z = rz[:, hidden:]
        nn = new_all[rows]
        di, dhid = d_in[rows], d_hid[rows]
        # dz = dh * (h_prev - n); dn = dh * (1 - z)
        np.subtract(h_prev[rows], nn, out=di[:, hidden:h2])
        di[:, hidden:h2] *= dh
        dn = di[:, h2:]
        dh_z = dh * z
        np.subtract(dh, dh_z, out=dn)
        dn *= d_new[rows]
        np.multiply(dn, hn_all[rows], out=di[:, :hidden])
        di[:, :h2] *= d_rz[rows]
        dhid[:, :h2] = di[:, :h2]
        np.multiply(dn, rz[:, :hidden], out=dhid[:, h2:])
        np.matmul(dhid, w_hh, out=dh_state[:bs])
        dh_state[:bs] += dh_z
    return _common_grads(d_in, d_hid, x, h_prev, w_ih, needs) + (dh_state,)


# -------------------------------------------------------------------------------------------------------
# Elman RNN: h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh)


def _rnn_forward(x, h0, w_ih, w_hh, bias, relu, steps, keep):
    out = x @ w_ih.T
    if bias is not None:
        out += bias
    w_hh_t = np.ascontiguousarray(w_hh.T)
    h = h0.copy()
    h_prev = np.empty_like(out) if keep else None
    for start, bs in steps:
        rows = slice(start, start + bs)
        hp = h[:bs]
        if keep:
            h_prev[rows] = hp
        o = out[rows]
        o += hp @ w_hh_t
        if relu:
            np.maximum(o, 0, out=o)
        else:
            np.tanh(o, out=o)
        h[:bs] = o
    return out, h, ((out, h_prev) if keep else None)


def _rnn_backward(saved, x, w_ih, w_hh, relu, steps, d_out, d_hn, needs):
    out, h_prev = saved
    if relu:
        deriv = (out > 0).astype(out.dtype)
    else:
        deriv = out * out
        np.subtract(1.0, deriv, out=deriv)
    d_pre = np.empty_like(out)
    dh_state = d_hn.copy()
    for start, bs in reversed(steps):
        rows = slice(start, start + bs)
        dp = d_pre[rows]
        np.add(d_out[rows], dh_state[:bs], out=dp)
        dp *= deriv[rows]
        np.matmul(dp, w_hh, out=dh_state[:bs])
    return _common_grads(d_pre, d_pre, x, h_prev, w_ih, needs) + (dh_state,)


# -------------------------------------------------------------------------------------------------------
# the layer op and its node


class _RnnLayerBackward(Node):
    """Backpropagation through time for one layer and direction; inputs (input, h0, c0, w_ih, w_hh, b_ih, b_hh,
    w_hr), outputs (output, h_n[, c_n])."""

    def __init__(self, mode, args, arrays, saved, steps, shape_in, reverse, batch_sizes, edge_order):
        self.mode, self.arrays, self.saved_arrays, self.steps = mode, arrays, saved, steps
        self.shape_in, self.reverse, self.batch_sizes = shape_in, reverse, batch_sizes
        self.edge_order = edge_order  # which of the 8 arguments each edge (next_functions entry) is
        self.args = tuple(self.save(a) for a in args)  # only unpacked under create_graph

    def _in_edge_order(self, per_argument):
        return tuple(per_argument[i] for i in self.edge_order)

    def backward(self, d_out, d_hn, d_cn=None):
        if _grad_state.enabled:
            return self._in_edge_order(self._backward_composite(d_out, d_hn, d_cn))
        for a in self.args:  # refuses inputs or weights modified in place since the forward
            a.unpack()
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self.arrays
        mode, steps = self.mode, self.steps
        dt = x.dtype
        n, hidden_out = x.shape[0], h0.shape[1]
        flags = [False] * 8
        for i, need in zip(self.edge_order, self.needs_input_grad):
            flags[i] = need
        needs = dict(zip(("input", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "w_hr"), flags))
        dout = np.zeros((n, hidden_out), dt) if d_out is None else _array(d_out, dt).reshape(n, hidden_out)
        dhn = np.zeros_like(h0) if d_hn is None else _array(d_hn, dt)
        dcn = None
        if mode == "LSTM":
            dcn = np.zeros_like(c0) if d_cn is None else _array(d_cn, dt)
            dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dw_hr = _lstm_backward(
                self.saved_arrays, x, w_ih, w_hh, w_hr, steps, dout, dhn, dcn, needs)
        elif mode == "GRU":
            dx, dw_ih, dw_hh, db_ih, db_hh, dh0 = _gru_backward(self.saved_arrays, x, w_ih, w_hh, steps, dout, dhn,
                                                                needs)
            dc0 = dw_hr = None
        else:
            dx, dw_ih, dw_hh, db_ih, db_hh, dh0 = _rnn_backward(self.saved_arrays, x, w_ih, w_hh,
                                                                mode == "RNN_RELU", steps, dout, dhn, needs)
            dc0 = dw_hr = None
        if dx is not None:
            dx = dx.reshape(self.shape_in)
        results = (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr)
        out_dtype = self.out_dtype
        return self._in_edge_order([None if g is None or not need else wrap(np.ascontiguousarray(g, out_dtype))
                                    for g, need in zip(results, flags)])

    def _backward_composite(self, d_out, d_hn, d_cn):
        from ..autograd import grad

        args = [a.unpack() for a in self.args]
        targets = [a for a in args if a is not None and a.requires_grad]
        with enable_grad():
            outs = _layer_composite(self.mode, *args, self.reverse, self.batch_sizes)
        pairs = [(o, g) for o, g in zip(outs, (d_out, d_hn, d_cn)) if o is not None and g is not None]
        got = iter(grad([o for o, _ in pairs], targets, [g for _, g in pairs], create_graph=True, allow_unused=True))
        return tuple(next(got) if a is not None and a.requires_grad else None for a in args)

    def release_saved(self):
        super().release_saved()
        self.saved_arrays = self.arrays = None


def _layer_name(mode):
    return {"LSTM": "MkldnnRnnLayerBackward0", "GRU": "GruLayerBackward0", "RNN_TANH": "RnnTanhLayerBackward0",
            "RNN_RELU": "RnnReluLayerBackward0"}[mode]


_NODE_CLASSES = {mode: type(_layer_name(mode), (_RnnLayerBackward,), {"__module__": __name__})
                 for mode in ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")}

# torch's mkldnn_rnn_layer takes (input, w_ih, w_hh, b_ih, b_hh, hx, cx): its node's edges come in that order
_ARGUMENT_ORDER = tuple(range(8))  # (input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
_MKLDNN_ORDER = (0, 3, 4, 5, 6, 1, 2)


def rnn_layer(mode, input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None, reverse=False, batch_sizes=None):
    """One layer, one direction. `input` is (T, B, I), or packed data (N, I) with `batch_sizes`; h0/c0 are
    (B, H). Returns (output shaped as input with the last dim H_out, h_n, c_n or None)."""
    args = (input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    x_in = input._data
    out_dtype = x_in.dtype
    dt = np.dtype(np.float32) if out_dtype.name in _HALF_KINDS else out_dtype
    arrays = [_array(t, dt) for t in args]
    x = arrays[0].reshape(-1, x_in.shape[-1])
    arrays[0] = x
    if batch_sizes is None:
        steps = _steps(None, x_in.shape[0], x_in.shape[1])
    else:
        steps = _steps(batch_sizes, len(batch_sizes), None)
    if reverse:
        steps = steps[::-1]
    keep = _grad_state.enabled and any(t is not None and t.requires_grad for t in args)
    _, h0a, c0a, w_iha, w_hha, b_iha, b_hha, w_hra = arrays
    if mode == "LSTM":
        bias = None if b_iha is None else b_iha + b_hha
        out, hn, cn, saved = _lstm_forward(x, h0a, c0a, w_iha, w_hha, bias, w_hra, steps, keep)
    elif mode == "GRU":
        out, hn, saved = _gru_forward(x, h0a, w_iha, w_hha, b_iha, b_hha, steps, keep)
        cn = None
    else:
        bias = None if b_iha is None else b_iha + b_hha
        out, hn, saved = _rnn_forward(x, h0a, w_iha, w_hha, bias, mode == "RNN_RELU", steps, keep)
        cn = None
    if dt != out_dtype:
        out, hn = out.astype(out_dtype), hn.astype(out_dtype)
        cn = cn.astype(out_dtype) if cn is not None else None
    output = wrap(out.reshape(x_in.shape[:-1] + (out.shape[1],)))
    h_n = wrap(hn)
    c_n = wrap(cn) if cn is not None else None
    if keep:
        order = _MKLDNN_ORDER if mode == "LSTM" and w_hr is None else _ARGUMENT_ORDER
        node = _NODE_CLASSES[mode](mode, args, arrays, saved, steps, x_in.shape, reverse, batch_sizes, order)
        node.out_dtype = out_dtype
        record(node, [args[i] for i in order], [output, h_n] + ([c_n] if c_n is not None else []))
    return output, h_n, c_n


# -------------------------------------------------------------------------------------------------------
# packing (torch's _pack_padded_sequence: one node, whose backward scatters the rows back into zeros)


class PackPaddedSequenceBackward0(Node):
    def __init__(self, shape, key):
        self.shape, self.key = shape, key

    def backward(self, grad):
        from .indexing import _index_put_key, _zeros

        return _index_put_key(_zeros(self.shape, grad._data.dtype), self.key, grad, False)


def pack_padded(input, batch_sizes, batch_first):
    """The rows of a padded (T, B, *) (or (B, T, *)) batch in the packed layout, step after step, step t being
    the first `batch_sizes[t]` sequences (a NumPy int64 array)."""
    time_idx = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    batch_idx = np.concatenate([np.arange(bs) for bs in batch_sizes])
    key = (batch_idx, time_idx) if batch_first else (time_idx, batch_idx)
    data = wrap(np.ascontiguousarray(input._data[key]))
    if needs_grad(input):
        record(PackPaddedSequenceBackward0(input._data.shape, key), (input,), data)
    return data


# -------------------------------------------------------------------------------------------------------
# the same layer from ember ops (differentiable to any order); also the cells' math


def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None, x_proj=None):
    """ATen's lstm_cell (and one step of a composite layer when `x_proj`, the input projection, is given)."""
    from .nn_misc import linear

    return _cell_step("LSTM", linear(x, w_ih, b_ih) if x_proj is None else x_proj, h, c, w_hh, b_hh, w_hr)


def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh, x_proj=None):
    from .nn_misc import linear

    return _cell_step("GRU", linear(x, w_ih, b_ih) if x_proj is None else x_proj, h, None, w_hh, b_hh, None)[0]


def rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, relu=False, x_proj=None):
    from .nn_misc import linear

    mode = "RNN_RELU" if relu else "RNN_TANH"
    return _cell_step(mode, linear(x, w_ih, b_ih) if x_proj is None else x_proj, h, None, w_hh, b_hh, None)[0]


def _layer_composite(mode, input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    from .nn_misc import linear
    from .shape import cat

    x = input.reshape(-1, input.shape[-1])
    if batch_sizes is None:
        steps = _steps(None, input.shape[0], input.shape[1])
    else:
        steps = _steps(batch_sizes, len(batch_sizes), None)
    order = steps[::-1] if reverse else steps
    x_proj = linear(x, w_ih, b_ih)
    h, c = h0, c0
    outs = {}
    for start, bs in order:
        xp = x_proj[start:start + bs]
        hp = h[:bs]
        if mode == "LSTM":
            hn, cn = lstm_cell(None, hp, c[:bs], w_ih, w_hh, None, b_hh, w_hr, x_proj=xp)
            c = cn if bs == c.shape[0] else cat([cn, c[bs:]], 0)
        elif mode == "GRU":
            hn = gru_cell(None, hp, w_ih, w_hh, None, b_hh, x_proj=xp)
        else:
            hn = rnn_cell(None, hp, w_ih, w_hh, None, b_hh, mode == "RNN_RELU", x_proj=xp)
        h = hn if bs == h.shape[0] else cat([hn, h[bs:]], 0)
        outs[start] = hn
    output = cat([outs[start] for start, _ in steps], 0)
    output = output.reshape(tuple(input.shape[:-1]) + (output.shape[-1],))
    return output, h, (c if mode == "LSTM" else None)


def _layer_by_steps(mode, input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """One layer as ATen's generic CPU kernel builds it (FullLayer over LSTMCell / GRUCell / SimpleCell): the
    input projection for all steps at once, unbound along time, one cell of ember ops per step, the outputs
    stacked. Its graph is torch's, node for node: torch has a fused layer node only for float32 LSTMs
    without projections (oneDNN's), which rnn_layer reproduces."""
    from .nn_misc import linear
    from .shape import stack

    inputs = linear(input, w_ih, b_ih).unbind(0)
    h, c = h0, c0
    outs = []
    for x in (reversed(inputs) if reverse else inputs):
        h, c = _cell_step(mode, x, h, c, w_hh, b_hh, w_hr)
        outs.append(h)
    if reverse:
        outs.reverse()
    return stack(outs, 0), h, c


def _cell_step(mode, x, h, c, w_hh, b_hh, w_hr):
    """One step of ATen's generic cells (LSTMCell / GRUCell / SimpleCell) on a precomputed input projection `x`:
    the ops, and their order, of torch's per-step graph."""
    from .activation import relu, sigmoid, tanh
    from .nn_misc import linear

    gh = linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gh + x).unsafe_chunk(4, 1)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(c)
        if w_hr is not None:
            h = h.matmul(w_hr.t())
        return h, c
    if mode == "GRU":
        i_r, i_z, i_n = x.unsafe_chunk(3, 1)
        h_r, h_z, h_n = gh.unsafe_chunk(3, 1)
        r = sigmoid(h_r + i_r)
        z = sigmoid(h_z + i_z)
        n = tanh(i_n + h_n * r)
        return (h - n) * z + n, None
    return (tanh(gh + x) if mode == "RNN_TANH" else relu(gh + x)), None


def _packed_layer_by_steps(mode, data, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    """One layer over packed data as ATen's PackedLayer / ReversedPackedLayer build it: the input projection of
    all rows at once, narrowed per step; the state narrowed as sequences end (forward) or grown by concatenating
    the next rows of h0 as they start (reverse); the step outputs concatenated. Returns (data, h_n, c_n)."""
    from .nn_misc import linear
    from .shape import cat

    lstm = mode == "LSTM"
    projected = linear(data, w_ih, b_ih)
    offsets, start = [], 0
    for bs in batch_sizes:
        offsets.append(start)
        start += bs
    outs = []
    if not reverse:
        h, c = h0, c0
        ends_h, ends_c = [], []  # final states of the sequences that end, shortest last
        last = batch_sizes[0]
        for offset, bs in zip(offsets, batch_sizes):
            if bs < last:
                ends_h.append(h.narrow(0, bs, last - bs))
                h = h.narrow(0, 0, bs)
                if lstm:
                    ends_c.append(c.narrow(0, bs, last - bs))
                    c = c.narrow(0, 0, bs)
            last = bs
            h, c = _cell_step(mode, projected.narrow(0, offset, bs), h, c, w_hh, b_hh, w_hr)
            outs.append(h)
        ends_h.append(h)
        h_n = cat(ends_h[::-1], 0)
        c_n = cat((ends_c + [c])[::-1], 0) if lstm else None
        return cat(outs, 0), h_n, c_n
    last = batch_sizes[-1]
    h = h0.narrow(0, 0, last)
    c = c0.narrow(0, 0, last) if lstm else None
    for offset, bs in zip(reversed(offsets), reversed(batch_sizes)):
        if bs > last:
            h = cat([h, h0.narrow(0, last, bs - last)], 0)
            if lstm:
                c = cat([c, c0.narrow(0, last, bs - last)], 0)
        last = bs
        h, c = _cell_step(mode, projected.narrow(0, offset, bs), h, c, w_hh, b_hh, w_hr)
        outs.append(h)
    return cat(outs[::-1], 0), h, c


def rnn(mode, input, hx, weights, has_biases, num_layers, dropout, train, bidirectional, batch_first,
        batch_sizes=None):
    """All layers and directions (torch's `_VF.lstm`/`_VF.gru`/`_VF.rnn_*`). `hx` is h0 or (h0, c0) shaped
    (layers * directions, B, H); `weights` the flat parameter list in torch's order. Returns
    (output, h_n[, c_n])."""
    from .nn_misc import dropout as dropout_fn
    from .shape import cat, stack

    directions = 2 if bidirectional else 1
    lstm = mode == "LSTM"
    h0, c0 = (hx if lstm else (hx, None))
    per_layer = len(weights) // (num_layers * directions)
    # Where torch records a per-step graph (all but float32 LSTMs without projections), so does ember when it
    # records one at all; the fused layer serves the rest
    fused_in_torch = lstm and input.dtype is _dtype.float32 and per_layer in (2, 4)
    if fused_in_torch and batch_sizes is not None and min(batch_sizes) == max(batch_sizes):
        # torch's oneDNN path takes packed data whose sequences all have the same length, viewed as (T, B, I)
        steps, batch = len(batch_sizes), batch_sizes[0]
        result = rnn(mode, input.view(steps, batch, input.shape[-1]), hx, weights, has_biases, num_layers, dropout,
                     train, bidirectional, False)
        return (result[0].view(steps * batch, result[0].shape[-1]),) + tuple(result[1:])
    if batch_first and batch_sizes is None:
        input = input.transpose(0, 1)
    layer_input = input
    h_n, c_n = [], []
    # Packed input: torch has no fused path at all, every case records ATen's per-step packed layers
    records = _grad_state.enabled and input.shape[0] > 0 and \
        any(t.requires_grad for t in (input, h0, c0, *weights) if t is not None)
    by_steps = records and (batch_sizes is not None or not fused_in_torch)
    if by_steps:  # ATen's generic path takes each layer's state by unbind, oneDNN's by select
        h0_layers, c0_layers = h0.unbind(0), (c0.unbind(0) if lstm else None)
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            idx = layer * directions + direction
            w = weights[idx * per_layer:(idx + 1) * per_layer]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            w_hr = w[-1] if lstm and len(w) in (3, 5) else None
            if by_steps and batch_sizes is not None:
                out, hn, cn = _packed_layer_by_steps(mode, layer_input, h0_layers[idx],
                                                     c0_layers[idx] if lstm else None, w_ih, w_hh, b_ih, b_hh, w_hr,
                                                     direction == 1, batch_sizes)
            elif by_steps:
                out, hn, cn = _layer_by_steps(mode, layer_input, h0_layers[idx], c0_layers[idx] if lstm else None,
                                              w_ih, w_hh, b_ih, b_hh, w_hr, direction == 1)
            else:
                out, hn, cn = rnn_layer(mode, layer_input, h0[idx], c0[idx] if lstm else None, w_ih, w_hh, b_ih,
                                        b_hh, w_hr, reverse=direction == 1, batch_sizes=batch_sizes)
            outputs.append(out)
            h_n.append(hn)
            c_n.append(cn)
        layer_input = outputs[0] if directions == 1 else cat(outputs, -1)
        if dropout and train and layer < num_layers - 1:
            layer_input = dropout_fn(layer_input, dropout, True)
    output = layer_input
    if batch_first and batch_sizes is None:
        output = output.transpose(0, 1)
    h_n = stack(h_n, 0)
    if lstm:
        return output, h_n, stack(c_n, 0)
    return output, h_n
