"""torchvision.datasets.cifar's place: CIFAR10 and CIFAR100 read from the extracted Python-pickle batches in
`root/cifar-10-batches-py/` and `root/cifar-100-python/`.

The batches are pickles, and unpickling can run arbitrary code, so they are read with an unpickler that allows
only plain containers and NumPy's array reconstruction (no other global, however named)."""

import codecs
import io
import os
import pickle

import numpy as np

from .folder import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


def _latin1_encode(text, encoding="latin1", errors="strict"):
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(str, "latin1"); allow only that use
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError("only _codecs.encode(str, 'latin1') is allowed in a dataset pickle")
    return text.encode("latin1", errors)


def _array_dtype(*args):
    dtype = np.dtype(*args)
    if dtype.hasobject:  # object arrays would unpickle whatever objects they hold
        raise pickle.UnpicklingError("object arrays are not allowed in a dataset pickle")
    return dtype


def _numpy_private(module_name, name):
    import importlib

    for candidate in (module_name.replace("numpy.core", "numpy._core"), module_name):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"{module_name}.{name} is not available in this NumPy")


_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: _array_dtype,
    ("numpy.core.multiarray", "_reconstruct"): lambda: _numpy_private("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): lambda: _numpy_private("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"): lambda: _numpy_private("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"): lambda: _numpy_private("numpy.core.numeric", "_frombuffer"),
    ("_codecs", "encode"): lambda: _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        factory = _ALLOWED_GLOBALS.get((module, name))
        if factory is None:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden in a dataset pickle")
        return factory()

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are forbidden in a dataset pickle")


def _safe_pickle_load(path):
    """Unpickle `path` allowing only builtin containers and NumPy arrays (latin1 decodes Python 2 strings)."""
    with open(path, "rb") as f:
        payload = f.read()
    return _RestrictedUnpickler(io.BytesIO(payload), encoding="latin1").load()


def _entry(mapping, key):
    # Python 2 pickles decode their str keys to str; pickles written by Python 3 may use bytes keys
    if key in mapping:
        return mapping[key]
    return mapping[key.encode()]


def _has_key(mapping, key):
    return key in mapping or key.encode() in mapping


def _as_str(value):
    return value.decode("latin1") if isinstance(value, bytes) else value


class CIFAR10(VisionDataset):
    """CIFAR-10: `data` is an N x 32 x 32 x 3 uint8 NumPy array, `targets` a list; items are (PIL RGB image, int)."""

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")

        batches = []
        self.targets = []
        for file_name, _ in self.train_list if self.train else self.test_list:
            entry = _safe_pickle_load(os.path.join(self.root, self.base_folder, file_name))
            batches.append(np.asarray(_entry(entry, "data"), dtype=np.uint8))
            labels = _entry(entry, "labels") if _has_key(entry, "labels") else _entry(entry, "fine_labels")
            self.targets.extend(int(label) for label in labels)
        self.data = np.vstack(batches).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # CHW rows -> HWC images
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not os.path.isfile(path):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download it")
        meta = _safe_pickle_load(path)
        self.classes = [_as_str(name) for name in _entry(meta, self.meta["key"])]
        self.class_to_idx = {class_name: i for i, class_name in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image

        image, target = self.data[index], self.targets[index]
        image = Image.fromarray(np.ascontiguousarray(image))  # HWC uint8 -> mode "RGB"
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        # torchvision also checks MD5 sums; only the files' presence is checked here
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, name)) for name, _ in self.train_list + self.test_list)

    def download(self):
        """Nothing can be downloaded here: succeed when the files are already in place, else say where they go."""
        if self._check_integrity():
            return
        raise RuntimeError(
            f"ember cannot download datasets (no network access). Download {self.url} and extract it in "
            f"{self.root} so that {os.path.join(self.root, self.base_folder)} holds "
            f"{', '.join(name for name, _ in self.train_list + self.test_list)} and {self.meta['filename']}")

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels), from `root/cifar-100-python/{train,test,meta}`."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
