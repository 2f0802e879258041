"""ember.vision.datasets (except Digits): MNIST family, CIFAR, ImageFolder/DatasetFolder and FakeData, read from
small files written here in the real on-disk formats. torchvision is not installed, so expectations come from the
files' own contents and from torch (FakeData's draws)."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import datasets
from ember.vision.datasets import folder as folder_module

# ---------------------------------------------------------------- MNIST family


def _write_idx(path, array, compress=False):
    """An IDX file: big-endian magic (type code 8 = uint8, then ndim), big-endian int32 sizes, raw bytes."""
    array = np.asarray(array, dtype=np.uint8)
    payload = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    if compress:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(payload)
    else:
        with open(path, "wb") as f:
            f.write(payload)


def _mnist_root(tmp_path, class_name="MNIST", n_train=7, n_test=3, compress=False, prefix=None):
    raw = tmp_path / class_name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    arrays = {}
    for split, count in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        name = prefix(split) if prefix else split
        _write_idx(str(raw / f"{name}-images-idx3-ubyte"), images, compress)
        _write_idx(str(raw / f"{name}-labels-idx1-ubyte"), labels, compress)
        arrays[split] = (images, labels)
    return str(tmp_path), arrays


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_idx_files(tmp_path, compress, train):
    root, arrays = _mnist_root(tmp_path, compress=compress)
    images, labels = arrays["train" if train else "t10k"]
    dataset = datasets.MNIST(root, train=train)
    assert len(dataset) == len(images)
    assert isinstance(dataset.data, ember.Tensor) and dataset.data.dtype is ember.uint8
    assert tuple(dataset.data.shape) == images.shape
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert dataset.targets.dtype is ember.int64
    np.testing.assert_array_equal(dataset.targets.numpy(), labels.astype(np.int64))
    image, target = dataset[1]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(image), images[1])
    assert type(target) is int and target == labels[1]
    assert dataset.classes[0] == "0 - zero" and dataset.class_to_idx["9 - nine"] == 9
    split = "Train" if train else "Test"
    assert repr(dataset) == (f"Dataset MNIST\n    Number of datapoints: {len(images)}\n    Root location: {root}\n"
                             f"    Split: {split}")


def test_mnist_transforms_and_repr(tmp_path):
    root, arrays = _mnist_root(tmp_path)
    dataset = datasets.MNIST(root, transform=lambda im: np.asarray(im).sum(), target_transform=lambda t: t + 100)
    value, target = dataset[2]
    assert value == int(arrays["train"][0][2].astype(np.int64).sum())
    assert target == int(arrays["train"][1][2]) + 100
    text = repr(dataset)
    assert text.splitlines()[4] == "    StandardTransform"
    assert "Transform: <function" in text and "Target transform: <function" in text


def test_mnist_missing_files_and_download(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        datasets.MNIST(str(tmp_path))
    with pytest.raises(RuntimeError, match="cannot download") as info:
        datasets.MNIST(str(tmp_path), download=True)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(info.value)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    # with the files in place, download=True has nothing to do
    root, _ = _mnist_root(tmp_path)
    assert len(datasets.MNIST(root, download=True)) == 7


def test_mnist_rejects_wrong_files(tmp_path):
    root, _ = _mnist_root(tmp_path)
    raw = os.path.join(root, "MNIST", "raw")
    _write_idx(os.path.join(raw, "train-labels-idx1-ubyte"), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1 dimension"):
        datasets.MNIST(root)


@pytest.mark.parametrize("class_name", ["FashionMNIST", "KMNIST"])
def test_mnist_variants_use_their_own_folder(tmp_path, class_name):
    root, arrays = _mnist_root(tmp_path, class_name=class_name, compress=True)
    dataset = getattr(datasets, class_name)(root, train=False)
    assert len(dataset) == 3
    np.testing.assert_array_equal(dataset.data.numpy(), arrays["t10k"][0])
    assert len(dataset.classes) == 10
    assert repr(dataset).startswith(f"Dataset {class_name}\n")
    with pytest.raises(RuntimeError):
        datasets.MNIST(root)  # MNIST looks in root/MNIST/raw
    if class_name == "FashionMNIST":
        assert dataset.classes[9] == "Ankle boot"


def test_emnist_split(tmp_path):
    root, arrays = _mnist_root(tmp_path, class_name="EMNIST",
                               prefix=lambda split: f"emnist-letters-{'train' if split == 'train' else 'test'}")
    dataset = datasets.EMNIST(root, split="letters")
    assert len(dataset) == 7 and dataset.classes[:3] == ["N/A", "a", "b"]
    np.testing.assert_array_equal(dataset.targets.numpy(), arrays["train"][1])
    assert len(datasets.EMNIST(root, split="letters", train=False)) == 3
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(root, split="nope")
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47


# ---------------------------------------------------------------- CIFAR


def _write_pickle(path, obj, protocol):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def _cifar_root(tmp_path, hundred=False, protocol=4, str_keys=False):
    rng = np.random.default_rng(2)
    key = (lambda k: k) if str_keys else (lambda k: k.encode())
    folder = tmp_path / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir()
    names = ["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)]
    label_key = "fine_labels" if hundred else "labels"
    batches = {}
    for name in names + ["test"] if hundred else names + ["test_batch"]:
        count = 4 if hundred else 2
        data = rng.integers(0, 256, size=(count, 3072), dtype=np.uint8)
        labels = rng.integers(0, 100 if hundred else 10, size=count).tolist()
        entry = {key("data"): data, key(label_key): labels, key("batch_label"): key("batch")}
        if hundred:
            entry[key("coarse_labels")] = [0] * count
        _write_pickle(str(folder / name), entry, protocol)
        batches[name] = (data, labels)
    class_names = [f"class{i}" for i in range(100 if hundred else 10)]
    meta_name, meta_key = ("meta", "fine_label_names") if hundred else ("batches.meta", "label_names")
    _write_pickle(str(folder / meta_name), {key(meta_key): [key(n) if not str_keys else n for n in class_names]},
                  protocol)
    return str(tmp_path), batches, class_names


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("str_keys", [False, True])
def test_cifar10(tmp_path, protocol, str_keys):
    root, batches, class_names = _cifar_root(tmp_path, protocol=protocol, str_keys=str_keys)
    dataset = datasets.CIFAR10(root)
    assert len(dataset) == 10
    assert isinstance(dataset.data, np.ndarray) and dataset.data.dtype == np.uint8
    assert dataset.data.shape == (10, 32, 32, 3)
    expected = np.vstack([batches[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(dataset.data, expected.transpose(0, 2, 3, 1))
    assert dataset.targets == sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert dataset.classes == class_names and dataset.class_to_idx["class3"] == 3
    image, target = dataset[3]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(image), expected[3].transpose(1, 2, 0))
    assert target == dataset.targets[3]
    test_set = datasets.CIFAR10(root, train=False, target_transform=lambda t: -t)
    assert len(test_set) == 2 and test_set[1][1] == -batches["test_batch"][1][1]
    assert repr(test_set).splitlines()[:4] == ["Dataset CIFAR10", "    Number of datapoints: 2",
                                               f"    Root location: {root}", "    Split: Test"]


def test_cifar100(tmp_path):
    root, batches, class_names = _cifar_root(tmp_path, hundred=True)
    dataset = datasets.CIFAR100(root, transform=lambda im: np.asarray(im).shape)
    assert len(dataset) == 4 and dataset.targets == batches["train"][1]
    assert dataset.classes == class_names and len(dataset.classes) == 100
    assert dataset[0][0] == (32, 32, 3)
    assert len(datasets.CIFAR100(root, train=False)) == 4


def test_cifar_missing_and_download(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.CIFAR10(str(tmp_path))
    with pytest.raises(RuntimeError, match="cannot download") as info:
        datasets.CIFAR100(str(tmp_path), download=True)
    assert "cifar-100-python.tar.gz" in str(info.value) and str(tmp_path) in str(info.value)
    root, _, _ = _cifar_root(tmp_path)
    assert len(datasets.CIFAR10(root, download=True)) == 10


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch " + _Exploit.marker,))


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar_refuses_malicious_pickle(tmp_path, protocol):
    root, _, _ = _cifar_root(tmp_path)
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    _write_pickle(os.path.join(root, "cifar-10-batches-py", "data_batch_3"), {b"data": _Exploit(), b"labels": []},
                  protocol)
    with pytest.raises(pickle.UnpicklingError, match="forbidden"):
        datasets.CIFAR10(root)
    assert not marker.exists()


def test_cifar_refuses_object_arrays(tmp_path):
    root, _, _ = _cifar_root(tmp_path)
    _write_pickle(os.path.join(root, "cifar-10-batches-py", "test_batch"),
                  {b"data": np.array([1, "x"], dtype=object), b"labels": []}, 4)
    with pytest.raises(pickle.UnpicklingError):
        datasets.CIFAR10(root, train=False)


# ---------------------------------------------------------------- ImageFolder / DatasetFolder


def _image_tree(tmp_path):
    rng = np.random.default_rng(3)
    layout = {"dog": ["b.png", "a.png", "sub/c.jpg"], "cat": ["x.bmp", "notes.txt"], "bird": ["z.PNG"]}
    pixels = {}
    for class_name, files in layout.items():
        for name in files:
            path = tmp_path / class_name / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            array = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
            mode = "L" if name == "x.bmp" else "RGB"
            image = Image.fromarray(array[:, :, 0]) if mode == "L" else Image.fromarray(array)
            image_format = {".png": "PNG", ".jpg": "JPEG", ".bmp": "BMP"}[os.path.splitext(name)[1].lower()]
            image.save(str(path), format=image_format)
            pixels[str(path)] = np.asarray(image.convert("RGB"))
    (tmp_path / "readme.md").write_text("top-level files are not classes")
    return str(tmp_path), pixels


def test_image_folder(tmp_path):
    root, pixels = _image_tree(tmp_path)
    dataset = datasets.ImageFolder(root)
    assert dataset.classes == ["bird", "cat", "dog"]
    assert dataset.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    expected = [(os.path.join(root, "bird", "z.PNG"), 0), (os.path.join(root, "cat", "x.bmp"), 1),
                (os.path.join(root, "dog", "a.png"), 2), (os.path.join(root, "dog", "b.png"), 2),
                (os.path.join(root, "dog", "sub", "c.jpg"), 2)]
    assert dataset.samples == expected and dataset.imgs == expected
    assert dataset.targets == [0, 1, 2, 2, 2] and len(dataset) == 5
    image, target = dataset[1]
    assert image.mode == "RGB" and image.size == (4, 5) and target == 1
    np.testing.assert_array_equal(np.asarray(image), pixels[expected[1][0]])
    np.testing.assert_array_equal(np.asarray(dataset[2][0]), pixels[expected[2][0]])
    transformed = datasets.ImageFolder(root, transform=lambda im: im.size, target_transform=str)
    assert transformed[4] == ((4, 5), "2")
    assert repr(dataset) == f"Dataset ImageFolder\n    Number of datapoints: 5\n    Root location: {root}"


def test_dataset_folder_custom_loader_and_filters(tmp_path):
    root, _ = _image_tree(tmp_path)
    texts = datasets.DatasetFolder(root, loader=lambda p: open(p).read(), extensions=(".txt",), allow_empty=True)
    assert texts.samples == [(os.path.join(root, "cat", "notes.txt"), 1)] and texts[0] == ("not an image", 1)
    assert texts.extensions == (".txt",)
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes bird, dog. "
                                                "Supported extensions are: .txt"):
        datasets.DatasetFolder(root, loader=open, extensions=(".txt",))
    only_dogs = datasets.ImageFolder(root, is_valid_file=lambda p: "dog" in p and p.endswith(".png"),
                                     allow_empty=True)
    assert [os.path.basename(p) for p, _ in only_dogs.samples] == ["a.png", "b.png"]
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes bird, cat. $"):
        datasets.ImageFolder(root, is_valid_file=lambda p: "dog" in p)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(root, loader=open)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(root, loader=open, extensions=".png", is_valid_file=bool)


def test_folder_helpers_and_errors(tmp_path):
    (tmp_path / "tree").mkdir()
    root, _ = _image_tree(tmp_path / "tree")
    assert folder_module.find_classes(root) == (["bird", "cat", "dog"], {"bird": 0, "cat": 1, "dog": 2})
    assert len(folder_module.make_dataset(root, extensions=folder_module.IMG_EXTENSIONS)) == 5
    assert folder_module.make_dataset(root, {"cat": 7}, extensions=".bmp") == [(os.path.join(root, "cat", "x.bmp"), 7)]
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        folder_module.make_dataset(root, {}, extensions=".png")
    with pytest.raises(ValueError, match="class_to_idx parameter cannot be None"):
        datasets.DatasetFolder.make_dataset(root, None, extensions=".png")
    assert folder_module.has_file_allowed_extension("A.JPG", (".jpg",))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "file.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=f"Couldn't find any class folder in {empty}."):
        datasets.ImageFolder(str(empty))


class _CustomClasses(datasets.DatasetFolder):
    def find_classes(self, directory):
        return ["dog"], {"dog": 0}


def test_dataset_folder_find_classes_override(tmp_path):
    root, _ = _image_tree(tmp_path)
    dataset = _CustomClasses(root, loader=lambda p: p, extensions=".png")
    assert dataset.classes == ["dog"] and dataset.targets == [0, 0]


# ---------------------------------------------------------------- FakeData


def _torch_fake_item(index, image_size, num_classes, random_offset=0):
    """torchvision's FakeData draw, written with torch: seed index + offset, randn image, randint target."""
    state = torch.get_rng_state()
    torch.manual_seed(index + random_offset)
    image = torch.randn(*image_size)
    target = torch.randint(0, num_classes, size=(1,), dtype=torch.long)[0]
    torch.set_rng_state(state)
    return image.mul(255).byte().permute(1, 2, 0).numpy(), int(target)


@pytest.mark.parametrize("index,offset", [(0, 0), (5, 0), (2, 100)])
def test_fakedata_matches_torch_draws(index, offset):
    dataset = datasets.FakeData(size=8, image_size=(3, 6, 5), num_classes=4, random_offset=offset)
    image, target = dataset[index]
    expected_image, expected_target = _torch_fake_item(index, (3, 6, 5), 4, offset)
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (5, 6)
    np.testing.assert_array_equal(np.asarray(image), expected_image)
    assert type(target) is int and target == expected_target


def test_fakedata_deterministic_and_leaves_rng_alone():
    dataset = datasets.FakeData(size=3, image_size=(1, 4, 4), num_classes=3,
                                transform=lambda im: np.asarray(im).copy(), target_transform=lambda t: t * 2)
    ember.manual_seed(123)
    before = ember.rand(3)
    ember.manual_seed(123)
    first = dataset[1]
    again = dataset[1]
    after = ember.rand(3)
    np.testing.assert_array_equal(before.numpy(), after.numpy())
    np.testing.assert_array_equal(first[0], again[0])
    assert first[0].shape == (4, 4) and first[1] == again[1] and first[1] % 2 == 0
    assert len(dataset) == 3
    with pytest.raises(IndexError, match="FakeData index out of range"):
        dataset[3]
    assert repr(datasets.FakeData(size=3)) == "Dataset FakeData\n    Number of datapoints: 3"
    assert len(datasets.FakeData()) == 1000
