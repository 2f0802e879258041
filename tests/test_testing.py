"""ember.testing.assert_close against torch.testing.assert_close: same verdicts, same messages."""

import numpy as np
import pytest
import torch
from harness import tensor_of

import ember

CASES = [
    (np.array([1.0, 2, 3], np.float32), np.array([1.0, 2.5, 3], np.float32)),
    (np.array([1.0, 2, 3], np.float32), np.array([1.0, 2.0000001, 3], np.float32)),
    (np.array([1, 2, 3]), np.array([1, 2, 4])),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
    (np.array([[1.0, 2], [3, 4]]), np.array([[1.0, 2], [3, 4.001]])),
    (np.array([1, 2, 3]), np.array([1.0, 2, 3], np.float32)),
    (np.array([1.0, 2, 3]), np.array([1.0, 2])),
    (np.array([True, False]), np.array([True, True])),
]


def outcome(fn):
    try:
        fn()
    except AssertionError as e:
        return str(e)
    return None


@pytest.mark.parametrize("actual,expected", CASES)
@pytest.mark.parametrize("equal_nan", [False, True])
def test_assert_close_matches_torch(actual, expected, equal_nan):
    theirs = outcome(lambda: torch.testing.assert_close(tensor_of(torch, actual), tensor_of(torch, expected),
                                                        equal_nan=equal_nan))
    ours = outcome(lambda: ember.testing.assert_close(tensor_of(ember, actual), tensor_of(ember, expected),
                                                      equal_nan=equal_nan))
    assert ours == theirs


@pytest.mark.parametrize("actual,expected", [(1.0, 1.1), (1.0, 1.0 + 1e-9), (3, 3), (3, 4)])
def test_assert_close_scalars(actual, expected):
    theirs = outcome(lambda: torch.testing.assert_close(actual, expected))
    ours = outcome(lambda: ember.testing.assert_close(actual, expected))
    assert ours == theirs
