"""F.ctc_loss / nn.CTCLoss against torch: losses, gradients, graphs, target layouts, zero_infinity, errors."""

import numpy as np
import pytest
from harness import compare, compare_grad, sample
from test_autograd_graphs import assert_same_graphs

import ember

T, N, C = 12, 3, 5
PADDED = np.array([[1, 2, 2, 3], [2, 2, 0, 0], [1, 3, 1, 0]])  # no label 4: the blank in one test
LENGTHS = {"ragged": ([12, 10, 7], [4, 2, 3]), "infeasible": ([12, 2, 7], [4, 2, 3]),
           "empty_target": ([12, 12, 12], [0, 2, 3]), "repeats_need_blanks": ([12, 3, 5], [4, 2, 3])}


def _loss(layout, lengths, reduction, zero_infinity, blank=0, dtype="float64"):
    input_lengths, target_lengths = LENGTHS[lengths]

    def run(m, x):
        lp = x.to(getattr(m, dtype)).log_softmax(2)
        if layout == "concatenated":
            targets = m.tensor(np.concatenate([row[:n] for row, n in zip(PADDED, target_lengths)]))
        else:
            targets = m.tensor(PADDED)
        if layout == "tensor_lengths":
            input_lengths_, target_lengths_ = m.tensor(input_lengths), m.tensor(target_lengths)
        else:
            input_lengths_, target_lengths_ = input_lengths, target_lengths
        loss = m.nn.functional.ctc_loss(lp, targets, input_lengths_, target_lengths_, blank, reduction,
                                        zero_infinity)
        return loss.sum() if reduction == "none" else loss
    return run


@pytest.mark.parametrize("lengths", sorted(LENGTHS))
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_and_gradient(lengths, reduction, zero_infinity):
    fn = _loss("padded", lengths, reduction, zero_infinity)
    compare_grad(fn, sample((T, N, C), "float64"), rtol=1e-9, atol=1e-9)
    assert_same_graphs(fn, sample((T, N, C), "float64"))


@pytest.mark.parametrize("layout", ["concatenated", "tensor_lengths"])
def test_target_layouts_and_blank(layout):
    compare_grad(_loss(layout, "ragged", "mean", False, blank=4), sample((T, N, C), "float64"), rtol=1e-9, atol=1e-9)


def test_float32():
    compare_grad(_loss("padded", "ragged", "mean", False, dtype="float32"), sample((T, N, C)), rtol=1e-4, atol=1e-5)


def test_unbatched_input():
    def run(m, x):
        return m.nn.CTCLoss(reduction="none")(x.log_softmax(1), m.tensor([1, 2, 2]), [T], [3])
    compare_grad(run, sample((T, C), "float64"), rtol=1e-9, atol=1e-9)
    assert_same_graphs(run, sample((T, C), "float64"))


def test_module_repr_and_defaults():
    compare(lambda m: repr(m.nn.CTCLoss(blank=2, zero_infinity=True)))
    compare(lambda m: (m.nn.CTCLoss().blank, m.nn.CTCLoss().reduction, m.nn.CTCLoss().zero_infinity))


def test_gradcheck():
    x = ember.tensor(sample((6, 2, 4), "float64"), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda t: ember.nn.functional.ctc_loss(t.log_softmax(2), ember.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2]), (x,))


@pytest.mark.parametrize("call", [
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [6, 5], [2, 2]),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [5, 5, 5], [2, 2]),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [5, 5], [3, 2]),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [5, 5], [2, -1]),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([1, 2, 1, 1]), [5, 5], [2, 3]),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2], blank=4),
    lambda m, lp: m.nn.functional.ctc_loss(lp, m.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2], reduction="bad"),
])
def test_errors(call):
    compare(lambda m: call(m, m.tensor(sample((5, 2, 4))).log_softmax(2)), message=True)
