"""Public PyTorch programs run unchanged on ember and print PyTorch's numbers: same seed, same initial weights,
dropout masks and samples (ember's random streams are PyTorch's), losses equal to float32 rounding."""

import math

import public_projects
import pytest
import torch

import ember


def _assert_same_numbers(got, expected, path="result"):
    if isinstance(expected, float):
        assert isinstance(got, float), f"{path}: {got!r} is not a float"
        assert math.isclose(got, expected, rel_tol=2e-5, abs_tol=1e-6), f"{path}: ember {got} vs torch {expected}"
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{path}: ember {got} vs torch {expected}"
        for i, (g, e) in enumerate(zip(got, expected)):
            _assert_same_numbers(g, e, f"{path}[{i}]")
    else:
        assert got == expected, f"{path}: ember {got!r} vs torch {expected!r}"


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("program", ["vae", "dcgan", "word_language_model", "mini_gpt", "transformer_seq2seq"])
def test_public_program_prints_torchs_numbers(program):
    run = getattr(public_projects, program)
    _assert_same_numbers(run(ember), run(torch))


def test_word_language_model_with_gru():
    _assert_same_numbers(public_projects.word_language_model(ember, rnn_type="GRU"),
                         public_projects.word_language_model(torch, rnn_type="GRU"))
