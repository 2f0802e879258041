"""The bundled `ember.vision.datasets.Digits` and `python -m ember demo` (its checkpoint loads in real PyTorch)."""

import gzip
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from ember.vision import datasets, transforms

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSV_PATH = os.path.join(REPO, "ember", "vision", "datasets", "data", "digits.csv.gz")


def read_csv_independently():
    """The file read with plain Python, as the reference the dataset is checked against."""
    with gzip.open(CSV_PATH, "rt") as file:
        rows = [[int(value) for value in line.split(",")] for line in file if line.strip()]
    table = np.array(rows)
    return table[:, :64].reshape(-1, 8, 8), table[:, 64]


def test_lengths_shapes_dtypes():
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert (len(train), len(test)) == (1442, 355)
    for split, size in ((train, 1442), (test, 355)):
        assert isinstance(split.data, ember.Tensor) and isinstance(split.targets, ember.Tensor)
        assert tuple(split.data.shape) == (size, 8, 8) and split.data.dtype == ember.uint8
        assert tuple(split.targets.shape) == (size,) and split.targets.dtype == ember.int64
        assert 0 <= int(split.data.min()) and int(split.data.max()) == 16
    assert train.classes[:2] == ["0 - zero", "1 - one"] and len(train.classes) == 10
    assert train.class_to_idx["9 - nine"] == 9


def test_split_matches_file_and_is_disjoint_and_complete():
    pixels, labels = read_csv_independently()
    assert len(labels) == 1797
    # for each digit, its 5th, 10th, 15th, ... image (in file order) is a test image
    test_rows = np.zeros(1797, dtype=bool)
    for digit in range(10):
        test_rows[np.flatnonzero(labels == digit)[4::5]] = True
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    np.testing.assert_array_equal(train.data.numpy(), pixels[~test_rows])
    np.testing.assert_array_equal(train.targets.numpy(), labels[~test_rows])
    np.testing.assert_array_equal(test.data.numpy(), pixels[test_rows])
    np.testing.assert_array_equal(test.targets.numpy(), labels[test_rows])


def test_split_is_deterministic_and_independent_of_the_seed():
    first = datasets.Digits(train=False)
    ember.manual_seed(1234)
    np.random.seed(99)
    second = datasets.Digits(train=False)
    assert ember.equal(first.data, second.data) and ember.equal(first.targets, second.targets)


def test_every_digit_is_well_represented_in_both_splits():
    for train, low in ((True, 140), (False, 34)):
        counts = np.bincount(datasets.Digits(train=train).targets.numpy(), minlength=10)
        assert counts.shape == (10,) and counts.min() >= low, counts


def test_getitem_returns_pil_image_like_mnist():
    from PIL import Image

    dataset = datasets.Digits()
    image, target = dataset[3]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (8, 8)
    assert isinstance(target, int) and target == int(dataset.targets[3])
    expected = np.rint(dataset.data[3].numpy().astype(np.float64) * 255 / 16).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(image), expected)


def test_transforms_are_applied():
    dataset = datasets.Digits(train=False, transform=transforms.ToTensor(), target_transform=lambda y: y + 100)
    image, target = dataset[0]
    assert isinstance(image, ember.Tensor) and tuple(image.shape) == (1, 8, 8) and image.dtype == ember.float32
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert target == int(dataset.targets[0]) + 100


def test_without_pillow_items_are_float_tensors(monkeypatch):
    from ember.vision.datasets import digits

    monkeypatch.setattr(digits, "_pillow_image_module", lambda: None)
    dataset = datasets.Digits()
    image, _ = dataset[5]
    assert isinstance(image, ember.Tensor) and tuple(image.shape) == (1, 8, 8) and image.dtype == ember.float32
    np.testing.assert_allclose(image.numpy()[0], dataset.data[5].numpy() / 16.0)


def test_repr_like_torchvision():
    assert repr(datasets.Digits(train=False)).splitlines() == [
        "Dataset Digits", "    Number of datapoints: 355",
        f"    Root location: {os.path.dirname(CSV_PATH)}", "    Split: Test"]
    text = repr(datasets.Digits(transform=transforms.ToTensor()))
    assert "Number of datapoints: 1442" in text and "Split: Train" in text and "Transform: ToTensor()" in text


def test_root_folder_and_missing_file(tmp_path):
    with pytest.raises(RuntimeError, match="not found"):
        datasets.Digits(root=tmp_path)
    (tmp_path / "digits.csv.gz").write_bytes(open(CSV_PATH, "rb").read())
    assert len(datasets.Digits(root=tmp_path, train=False)) == 355


def test_works_with_a_dataloader():
    loader = ember.utils.data.DataLoader(datasets.Digits(transform=transforms.ToTensor()), batch_size=64)
    images, labels = next(iter(loader))
    assert tuple(images.shape) == (64, 1, 8, 8) and images.dtype == ember.float32
    assert tuple(labels.shape) == (64,) and labels.dtype == ember.int64


def run_demo(*args, cwd):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "ember", "demo", *args], capture_output=True, text=True,
                          env=env, cwd=str(cwd), timeout=300)


def torch_digits_model():
    """The demo's architecture in real PyTorch."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))


def test_demo_trains_and_its_checkpoint_loads_in_pytorch(tmp_path):
    out_dir = tmp_path / "out"
    result = run_demo("--epochs", "4", "--out", str(out_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    epoch_lines = re.findall(r"^epoch +(\d+)/4 +loss (\d+\.\d{4}) +test accuracy (\d+\.\d{2})%", result.stdout, re.M)
    assert [int(epoch) for epoch, _, _ in epoch_lines] == [1, 2, 3, 4], result.stdout
    losses = [float(loss) for _, loss, _ in epoch_lines]
    assert losses[-1] < losses[0]
    final = re.search(r"final test accuracy (\d+\.\d{2})%", result.stdout)
    assert final and float(final.group(1)) == float(epoch_lines[-1][2]) and float(final.group(1)) >= 90.0

    checkpoint = out_dir / "digits_cnn.pt"
    assert checkpoint.is_file() and "PyTorch loads it" in result.stdout
    state_dict = torch.load(checkpoint, weights_only=True)
    from ember import _demo

    assert list(state_dict) == list(_demo.build_model().state_dict())
    model = torch_digits_model()
    model.load_state_dict(state_dict)

    # real PyTorch, running the saved weights on the test split, scores what the demo printed
    test = datasets.Digits(train=False)
    images = torch.from_numpy(np.rint(test.data.numpy().astype(np.float64) * 255 / 16) / 255).float().unsqueeze(1)
    with torch.no_grad():
        predictions = model(images).argmax(dim=1).numpy()
    accuracy = (predictions == test.targets.numpy()).mean()
    assert abs(accuracy * 100 - float(final.group(1))) < 0.01

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "skipped loss.png" in result.stdout
    else:
        assert (out_dir / "loss.png").is_file() and (out_dir / "misclassified.png").is_file()


def test_demo_default_out_dir_and_no_plots(tmp_path):
    result = run_demo("--epochs", "1", "--batch-size", "128", "--no-plots", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "ember-demo" / "digits_cnn.pt").is_file()
    assert "epoch  1/1" in result.stdout and "matplotlib" not in result.stdout
    assert not (tmp_path / "ember-demo" / "loss.png").exists()


def test_demo_rejects_bad_arguments(tmp_path):
    result = run_demo("--epochs", "0", cwd=tmp_path)
    assert result.returncode == 2 and "must be positive" in result.stderr
    result = run_demo("--epochs", "many", cwd=tmp_path)
    assert result.returncode == 2 and "invalid int value" in result.stderr
