"""torchvision.datasets.mnist's place: MNIST, FashionMNIST, KMNIST and EMNIST read from the IDX files in
`root/<ClassName>/raw/` (plain or gzipped). ember has no network access, so nothing is ever downloaded."""

import gzip
import os
import string

import numpy as np

from ... import _dtype
from ...ops._common import wrap
from .folder import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST"]

# IDX type codes (the third byte of the magic number) -> big-endian NumPy dtypes
_IDX_DTYPES = {8: np.dtype(">u1"), 9: np.dtype(">i1"), 11: np.dtype(">i2"), 12: np.dtype(">i4"),
               13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _read_maybe_compressed(path):
    """Bytes of `path`, or of `path + '.gz'` when only the gzipped file is there."""
    if not os.path.isfile(path) and os.path.isfile(path + ".gz"):
        path = path + ".gz"
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def _read_idx(path, strict=True):
    """An IDX file (big-endian magic `type << 8 | ndim`, then ndim big-endian int32 sizes, then the data)."""
    data = _read_maybe_compressed(path)
    magic = int.from_bytes(data[0:4], "big")
    ndim, type_code = magic % 256, magic // 256
    if not 1 <= ndim <= 3 or type_code not in _IDX_DTYPES:
        raise RuntimeError(f"{path} is not an IDX file (magic number {magic})")
    sizes = [int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(ndim)]
    parsed = np.frombuffer(data, dtype=_IDX_DTYPES[type_code], offset=4 * (ndim + 1))
    expected = int(np.prod(sizes))
    if parsed.size != expected and (strict or parsed.size < expected):
        raise RuntimeError(f"{path} holds {parsed.size} values but its header says {sizes}")
    return parsed[:expected].astype(parsed.dtype.newbyteorder("="), copy=True).reshape(sizes)


def read_image_file(path):
    array = _read_idx(path, strict=False)
    if array.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {_dtype.from_numpy_dtype(array.dtype)}")
    if array.ndim != 3:
        raise ValueError(f"x should have 3 dimension instead of {array.ndim}")
    return wrap(array)


def read_label_file(path):
    array = _read_idx(path, strict=False)
    if array.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {_dtype.from_numpy_dtype(array.dtype)}")
    if array.ndim != 1:
        raise ValueError(f"x should have 1 dimension instead of {array.ndim}")
    return wrap(array.astype(np.int64))


def _verify_str_arg(value, arg, valid_values):
    if value not in valid_values:
        listed = "'" + "', '".join(str(item) for item in valid_values) + "'"
        raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{listed}}}.")
    return value


class MNIST(VisionDataset):
    """The MNIST digits: `data` (N x 28 x 28 uint8 tensor), `targets` (int64); items are (PIL "L" image, int)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    @property
    def _file_prefix(self):
        return "train" if self.train else "t10k"

    @property
    def _data_files(self):
        return [os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte"),
                os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")]

    def _load_data(self):
        image_file, label_file = self._data_files
        return read_image_file(image_file), read_label_file(label_file)

    def __getitem__(self, index):
        from PIL import Image

        image, target = self.data[index], int(self.targets[index])
        image = Image.fromarray(np.ascontiguousarray(image.numpy()))  # 2-D uint8 -> mode "L"
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.data)

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {class_name: i for i, class_name in enumerate(self.classes)}

    def _check_exists(self):
        return all(os.path.isfile(path) or os.path.isfile(path + ".gz") for path in self._data_files)

    def download(self):
        """Nothing can be downloaded here: succeed when the files are already in place, else say where they go."""
        if self._check_exists():
            return
        names = ", ".join(name for name, _ in self.resources)
        raise RuntimeError(
            f"ember cannot download datasets (no network access). Download {names} for "
            f"{self.__class__.__name__} (e.g. from {self.mirrors[0]}) and put them, gzipped or extracted, in "
            f"{self.raw_folder}")

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, in MNIST's format under `root/FashionMNIST/raw/`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Shirt", "Sandal", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST, in MNIST's format under `root/KMNIST/raw/`."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """EMNIST: files `root/EMNIST/raw/emnist-<split>-<train|test>-{images-idx3,labels-idx1}-ubyte[.gz]`."""

    mirrors = ["https://biometrics.nist.gov/cs_links/EMNIST/"]
    resources = [("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e")]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = _verify_str_arg(split, "split", self.splits)
        self.training_file = f"training_{split}.pt"
        self.test_file = f"test_{split}.pt"
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @property
    def _file_prefix(self):
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

