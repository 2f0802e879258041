"""`Digits`: the 8x8 handwritten digits bundled with ember (no download), shaped like torchvision's MNIST.

The file data/digits.csv.gz holds 1,797 rows of 64 pixel values (0..16, row-major 8x8) followed by the label;
see data/DIGITS_LICENSE.txt for its source and licence (UCI, CC BY 4.0).

Split: fixed, stratified and deterministic, no random numbers involved: for each digit, every fifth image of that
digit in file order (its 5th, 10th, 15th, ...) is in the test set (355 images, 34 to 36 per digit); the other 1,442
images (80%) are the training set. Both keep file order, which interleaves the writers.
"""

import gzip
import os

import numpy as np

from ...ops.creation import from_numpy
from ...utils.data.dataset import Dataset

__all__ = ["Digits"]

_BUNDLED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_FILE_NAME = "digits.csv.gz"
_TEST_EVERY = 5  # each digit's 5th, 10th, ... image is in the test split
_MAX_PIXEL = 16

_cache = {}  # path -> (pixels uint8 N x 8 x 8, labels int64 N): the file is parsed once per process


def _read_csv(path):
    if path not in _cache:
        with gzip.open(path, "rt") as file:
            table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
        if table.shape[1] != 65:
            raise RuntimeError(f"{path}: expected 65 columns (64 pixels and a label), got {table.shape[1]}")
        pixels = table[:, :64].astype(np.uint8).reshape(-1, 8, 8)
        _cache[path] = (pixels, np.ascontiguousarray(table[:, 64]))
    return _cache[path]


def _test_rows(labels):
    """Boolean mask of the test split: the rows whose position among the rows of the same digit is 4, 9, 14, ..."""
    position_within_digit = np.empty(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        rows_of_digit = labels == digit
        position_within_digit[rows_of_digit] = np.arange(np.count_nonzero(rows_of_digit))
    return position_within_digit % _TEST_EVERY == _TEST_EVERY - 1


def _pillow_image_module():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


class Digits(Dataset):
    """The bundled 8x8 digits (1,442 train / 355 test images of 0..9), used like `torchvision.datasets.MNIST`.

    Args:
        root: folder holding digits.csv.gz; None (the default) reads the copy bundled with ember.
        train: the training split (1,442 images) if True, else the test split (355 images: each digit's 5th, 10th, ...).
        transform: applied to the image, e.g. `transforms.ToTensor()`.
        target_transform: applied to the label.
        download: accepted for torchvision compatibility; nothing is ever downloaded.

    `data` is a uint8 tensor N x 8 x 8 of the raw pixel values 0..16, `targets` an int64 tensor of labels.
    `dataset[i]` returns (image, label) where the image is, as in torchvision, a PIL Image of mode "L" with
    the pixels scaled to 0..255 (round(v * 255 / 16)). Without Pillow installed it is instead a float32 tensor
    1 x 8 x 8 with values v / 16 in [0, 1], so `transform=None` works with numpy alone.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        self.root = _BUNDLED_DIR if root is None else os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        path = os.path.join(self.root, _FILE_NAME)
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset not found: {path} does not exist (Digits reads a local digits.csv.gz)")
        pixels, labels = _read_csv(path)
        is_test_row = _test_rows(labels)
        rows = ~is_test_row if train else is_test_row
        self.data = from_numpy(pixels[rows])  # boolean indexing copies, so the cache stays untouched
        self.targets = from_numpy(labels[rows])

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        pixels = self.data._data[index]
        target = int(self.targets._data[index])
        image_module = _pillow_image_module()
        if image_module is not None:
            scaled = np.rint(pixels.astype(np.float32) * (255.0 / _MAX_PIXEL)).astype(np.uint8)
            image = image_module.fromarray(scaled)  # 2-D uint8 -> mode "L"
        else:
            image = from_numpy((pixels.astype(np.float32) / _MAX_PIXEL)[None])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}", *self.extra_repr().splitlines()]
        if self.transform is not None or self.target_transform is not None:
            lines.append("StandardTransform")
            if self.transform is not None:
                lines.append(f"Transform: {self.transform!r}".replace("\n", "\n" + " " * 4))
            if self.target_transform is not None:
                lines.append(f"Target transform: {self.target_transform!r}".replace("\n", "\n" + " " * 4))
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * 4 + line for line in lines])

