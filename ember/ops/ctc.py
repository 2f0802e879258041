"""Connectionist temporal classification loss (F.ctc_loss, nn.CTCLoss) as ATen's CPU kernel computes it.

The forward runs the alpha recursion of Graves et al. (2006) in log space over the extended target
(blank, l1, blank, l2, ..., blank), one time step at a time and vectorised over the batch and the target
positions; the backward runs the beta recursion the same way and turns alpha * beta into the gradient of the
log-probabilities (ATen's formula, which assumes they come from a log_softmax). The recursions run in float64;
the loss and gradient come back in the input's dtype.
"""

from .._autocast import autocast_op
from .._backend import np
from ._common import Node, Tensor, needs_grad, record, wrap

_NEG_INF = -np.inf


def _log_add(*terms):
    """log(sum(exp(t))) elementwise, with ATen's guard: an all -inf row stays -inf (not NaN)."""
    top = np.maximum.reduce(terms)
    safe = np.where(np.isneginf(top), 0.0, top)
    total = sum(np.exp(t - safe) for t in terms)
    with np.errstate(divide="ignore"):
        return np.log(total) + safe


class _Problem:
    """The batch's extended targets and lengths, shared by the forward and backward recursions."""

    def __init__(self, log_probs, targets, input_lengths, target_lengths, blank):
        self.lp = log_probs  # (T, N, C) float64
        self.input_lengths, self.target_lengths = input_lengths, target_lengths
        n = len(target_lengths)
        max_len = int(target_lengths.max()) if n else 0
        self.width = 2 * max_len + 1
        labels = np.full((n, self.width), blank, np.int64)  # the extended targets l'
        for b in range(n):
            labels[b, 1:2 * target_lengths[b]:2] = targets[b][:target_lengths[b]]
        self.labels = labels
        position = np.arange(self.width)
        self.valid = position[None, :] < (2 * target_lengths[:, None] + 1)
        # a skip from s-2 is allowed onto a label that differs from the one two places back (never a blank)
        previous = np.concatenate([np.full((n, 2), -1), labels[:, :-2]], axis=1)
        self.can_skip = (position[None, :] % 2 == 1) & (labels != previous) & (position[None, :] >= 2)

    def emissions(self, t):
        """log p(l'_s) at time t for every sequence and extended position: (N, width)."""
        return np.take_along_axis(self.lp[t], self.labels, axis=1)

    def alphas(self):
        T, n = self.lp.shape[0], self.lp.shape[1]
        log_alpha = np.full((T, n, self.width), _NEG_INF)
        first = self.emissions(0)
        log_alpha[0, :, 0] = first[:, 0]
        has_label = self.target_lengths > 0
        log_alpha[0, has_label, 1] = first[has_label, 1]
        for t in range(1, T):
            prev = log_alpha[t - 1]
            from_one = np.concatenate([np.full((n, 1), _NEG_INF), prev[:, :-1]], axis=1)
            from_two = np.where(self.can_skip, np.concatenate([np.full((n, 2), _NEG_INF), prev[:, :-2]], axis=1),
                                _NEG_INF)
            step = _log_add(prev, from_one, from_two) + self.emissions(t)
            active = (t < self.input_lengths)[:, None] & self.valid
            log_alpha[t] = np.where(active, step, _NEG_INF)
        return log_alpha

    def betas(self):
        T, n = self.lp.shape[0], self.lp.shape[1]
        log_beta = np.full((T, n, self.width), _NEG_INF)
        rows = np.arange(n)
        last_t = self.input_lengths - 1
        end = 2 * self.target_lengths
        ok = last_t >= 0
        emit_last = np.take_along_axis(self.lp[np.maximum(last_t, 0), rows], self.labels, axis=1)
        log_beta[last_t[ok], rows[ok], end[ok]] = emit_last[rows[ok], end[ok]]
        two = ok & (self.target_lengths > 0)
        log_beta[last_t[two], rows[two], end[two] - 1] = emit_last[rows[two], end[two] - 1]
        # a skip from s+2 lands on s when l'_{s+2} may be reached from l'_s
        skip_into = np.concatenate([self.can_skip[:, 2:], np.zeros((n, 2), bool)], axis=1)
        for t in range(T - 2, -1, -1):
            nxt = log_beta[t + 1]
            from_one = np.concatenate([nxt[:, 1:], np.full((n, 1), _NEG_INF)], axis=1)
            from_two = np.where(skip_into, np.concatenate([nxt[:, 2:], np.full((n, 2), _NEG_INF)], axis=1), _NEG_INF)
            step = _log_add(nxt, from_one, from_two) + self.emissions(t)
            active = (t < last_t)[:, None] & self.valid
            log_beta[t] = np.where(active, step, log_beta[t])
        return log_beta


class CtcLossBackward0(Node):
    def __init__(self, problem, log_alpha, nll, zero_infinity, dtype):
        self.problem, self.log_alpha, self.nll = problem, log_alpha, nll
        self.zero_infinity, self.dtype = zero_infinity, dtype

    def backward(self, grad):
        p = self.problem
        g = grad._data.astype(np.float64).reshape(-1)  # one gradient per sequence
        log_beta = p.betas()
        T, n, C = p.lp.shape
        # log sum over the extended positions s with l'_s = c of alpha_t(s) * beta_t(s), per class
        products = self.log_alpha + log_beta
        summed = np.full((T, n, C), _NEG_INF)
        for s in range(p.width):
            index = p.labels[:, s]
            current = summed[:, np.arange(n), index]
            summed[:, np.arange(n), index] = _log_add(current, products[:, :, s])
        with np.errstate(invalid="ignore", over="ignore"):
            grad_lp = (np.exp(p.lp) - np.exp(summed + self.nll[None, :, None] - p.lp)) * g[None, :, None]
        grad_lp[np.arange(T)[:, None] >= p.input_lengths[None, :]] = 0
        if self.zero_infinity:
            grad_lp[:, np.isinf(self.nll)] = 0
        return wrap(grad_lp.astype(self.dtype))

    def release_saved(self):
        super().release_saved()
        self.problem = self.log_alpha = None


def _lengths(values):
    if isinstance(values, Tensor):
        return values._data.astype(np.int64).reshape(-1)
    return np.asarray(list(values), np.int64).reshape(-1)


@autocast_op("fp32")
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be Tensors or both be sequences of "
                        "ints")
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    T, n, C = lp.shape
    in_lens = _lengths(input_lengths)
    tg_lens = _lengths(target_lengths)
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if len(in_lens) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tg_lens) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    checked = "(while checking arguments for ctc_loss_allocate_outputs)"
    tg = targets._data.astype(np.int64)
    for b in range(n):
        for name, value in (("target_lengths", tg_lens[b]), ("input_lengths", in_lens[b])):
            if value < 0:
                raise RuntimeError(f"Expected {name} to have value at least 0, but got value {value} {checked}")
        if in_lens[b] > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {in_lens[b]} "
                               f"{checked}")
    if tg.ndim == 1 or not batched:  # concatenated targets
        flat = tg.reshape(-1)
        if flat.shape[0] != tg_lens.sum():
            raise RuntimeError(f"Expected tensor to have size {tg_lens.sum()} at dimension 0, but got size "
                               f"{flat.shape[0]} for argument #2 'targets' {checked}")
        offsets = np.concatenate([[0], np.cumsum(tg_lens)[:-1]])
        rows = [flat[o:o + length] for o, length in zip(offsets, tg_lens)]
    else:
        if tg.shape[1] < tg_lens.max(initial=0):
            raise RuntimeError(f"Expected tensor to have size at least {tg_lens.max()} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' {checked}")
        rows = list(tg)
    problem = _Problem(lp._data.astype(np.float64), rows, in_lens, tg_lens, blank)
    log_alpha = problem.alphas()
    last = np.maximum(in_lens - 1, 0)
    batch = np.arange(n)
    end = 2 * tg_lens
    final = log_alpha[last, batch]
    tail = np.where(tg_lens > 0, final[batch, np.maximum(end - 1, 0)], _NEG_INF)
    nll = -_log_add(final[batch, end], tail)
    dtype = log_probs._data.dtype
    result = wrap(nll.astype(dtype))
    if needs_grad(log_probs):
        record(CtcLossBackward0(problem, log_alpha, nll, zero_infinity, dtype), (lp,), result)
    if zero_infinity:  # ATen: where(loss == inf, 0, loss)
        from .creation import zeros
        from .indexing import where

        result = where(result == np.inf, zeros((), dtype=log_probs.dtype), result)
    if reduction == "mean":
        lengths = wrap(np.maximum(tg_lens, 1).astype(dtype))
        return (result / lengths).mean()
    if reduction == "sum":
        return result.sum()
    return result if batched else result.squeeze(0)


__all__ = ["ctc_loss"]
