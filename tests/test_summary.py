"""ember.utils.summary: the per-layer table (compared row by row with torchinfo's when it is installed),
totals, and that taking a summary leaves the model unchanged."""

import re

import pytest
import torch

import ember
from ember.utils.summary import ModelStatistics, summary


def small_cnn(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 3 * 3, 10))
    model[1].weight.requires_grad_(False)
    return model


def nested_net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(144, 10))
            self.scale = nn.Parameter(lib.ones(1))

        def forward(self, x):
            return self.head(self.features(x)) * self.scale

    return Net()


def cells(row):
    """A table row's cells (they are separated by runs of spaces; the tree's "│    " is not a separator)."""
    return [c.replace("│_", "│    ") for c in re.split(r"\s{2,}", row.replace("│    ", "│_").strip())]


def layer_rows(text):
    """The lines between the second and third rules: one per layer."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    return lines[rules[1] + 1:rules[2]]


def test_small_cnn_totals_and_rows(capsys):
    model = small_cnn(ember)
    stats = summary(model, (2, 1, 8, 8))
    printed = capsys.readouterr().out
    assert isinstance(stats, ModelStatistics) and printed.rstrip("\n") == str(stats)
    params = list(model.parameters())
    assert stats.total_params == sum(p.numel() for p in params) == 418
    assert stats.trainable_params == sum(p.numel() for p in params if p.requires_grad) == 414
    assert stats.non_trainable_params == 4
    assert stats.total_param_bytes == 418 * 4 and stats.total_input == 2 * 64 * 4
    text = str(stats)
    for line in ("Layer (type:depth-idx)                   Output Shape              Param #",
                 "├─Conv2d: 1-1                            [2, 4, 6, 6]              40",
                 "├─Linear: 1-6                            [2, 10]                   370",
                 "Total params: 418", "Trainable params: 414", "Non-trainable params: 4",
                 "Input size (MB): 0.00", "Params size (MB): 0.00"):
        assert line in text.splitlines()
    assert "Forward/backward pass size (MB)" in text and "Estimated Total Size (MB)" in text


@pytest.mark.parametrize("make, kwargs", [
    (small_cnn, dict()),
    (nested_net, dict(col_names=("input_size", "output_size", "num_params", "kernel_size", "mult_adds",
                                 "trainable"))),
    (nested_net, dict(depth=1)),
])
def test_rows_match_torchinfo(make, kwargs):
    torchinfo = pytest.importorskip("torchinfo")
    expected = torchinfo.summary(make(torch), (2, 1, 8, 8), verbose=0, **kwargs)
    got = summary(make(ember), (2, 1, 8, 8), verbose=0, **kwargs)
    assert layer_rows(str(got)) == layer_rows(str(expected))
    assert got.total_params == expected.total_params
    assert got.trainable_params == expected.trainable_params
    if "mult_adds" in kwargs.get("col_names", ()):
        assert got.total_mult_adds == expected.total_mult_adds


def test_nested_depth_and_trainable_column():
    model = nested_net(ember)
    model.features[0].bias.requires_grad_(False)
    text = str(summary(model, (1, 8, 8), batch_dim=0, col_names=("output_size", "num_params", "trainable"),
                       verbose=0))
    rows = layer_rows(text)
    assert cells(rows[0]) == ["Net", "[1, 10]", "1", "Partial"]
    assert cells(rows[1]) == ["├─Sequential: 1-1", "[1, 4, 6, 6]", "--", "Partial"]
    assert cells(rows[2]) == ["│    └─Conv2d: 2-1", "[1, 4, 6, 6]", "40", "Partial"]
    assert cells(rows[3]) == ["│    └─ReLU: 2-2", "[1, 4, 6, 6]", "--", "--"]
    assert len(rows) == 7
    shallow = layer_rows(str(summary(model, (1, 1, 8, 8), depth=1, verbose=0)))
    # at the depth limit a container counts its hidden children's parameters
    assert [cells(row)[-1] for row in shallow] == ["1", "40", "1,450"]


def test_input_data_and_model_left_unchanged(capsys):
    model = small_cnn(ember)
    model.train()
    before = [b.clone() for b in model.buffers()]
    stats = summary(model, input_data=ember.randn(3, 1, 8, 8), verbose=0)
    assert capsys.readouterr().out == ""
    assert cells(layer_rows(str(stats))[-1])[1] == "[3, 10]"
    for old, new in zip(before, model.buffers()):  # BatchNorm's running statistics did not move
        assert ember.equal(old, new)
    assert all(p.grad is None for p in model.parameters())
    assert model.training


def test_multiple_inputs_and_errors():
    nn = ember.nn

    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Embedding(5, 2)

        def forward(self, x, ids):
            return self.a(x) + self.b(ids)

    stats = summary(Pair(), [(4, 3), (4,)], dtypes=[ember.float32, ember.int64], verbose=0)
    assert stats.total_params == 8 + 10
    assert [cells(row) for row in layer_rows(str(stats))] == [
        ["Pair", "[4, 2]", "--"], ["├─Linear: 1-1", "[4, 2]", "8"], ["├─Embedding: 1-2", "[4, 2]", "10"]]
    with pytest.raises(ValueError, match="unknown column"):
        summary(Pair(), [(4, 3), (4,)], col_names=("bogus",), verbose=0)
