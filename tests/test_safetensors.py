"""ember.utils.safetensors against the `safetensors` package: files interchange both ways, and malformed
files are refused."""

import json
import struct

import numpy as np
import pytest
import torch
from harness import BF16, to_ember_dtype

import ember
from ember.utils import safetensors as es

safetensors_torch = pytest.importorskip("safetensors.torch")

DTYPES = [ember.bool, ember.uint8, ember.int8, ember.int16, ember.int32, ember.int64, ember.float16, ember.bfloat16,
          ember.float32, ember.float64, ember.complex64]


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    values = np.asarray(rng.standard_normal(shape) * 40)
    if dtype is ember.bool:
        return np.asarray(values > 0)
    if dtype.is_complex:
        return np.asarray(values + 1j * rng.standard_normal(shape)).astype(dtype._np)
    return values.astype(dtype._np)


def to_torch(arr):
    if arr.dtype == BF16:
        return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(arr.copy())


def torch_bytes(t):
    return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()


SHAPES = [(), (0,), (3,), (2, 5), (2, 0, 3)]


def test_package_files_load_in_ember(tmp_path):
    tensors = {f"{d._name}_{i}": to_torch(sample(d, s, i)) for d in DTYPES for i, s in enumerate(SHAPES)}
    safetensors_torch.save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt", "k": "v"})
    out = es.load_file(tmp_path / "t.safetensors")
    assert set(out) == set(tensors)
    for k, t in tensors.items():
        assert out[k].dtype is to_ember_dtype(t.dtype) and tuple(out[k].shape) == tuple(t.shape)
        assert out[k]._data.tobytes() == torch_bytes(t)
    with es.safe_open(tmp_path / "t.safetensors", framework="pt") as f:
        assert f.metadata() == {"format": "pt", "k": "v"}
        assert f.keys() == sorted(tensors)
    assert es.load((tmp_path / "t.safetensors").read_bytes()).keys() == out.keys()


def test_ember_files_load_in_package(tmp_path):
    tensors = {f"{d._name}_{i}": ember.from_numpy(sample(d, s, i)) for d in DTYPES for i, s in enumerate(SHAPES)}
    es.save_file(tensors, tmp_path / "e.safetensors", metadata={"a": "1"})
    out = safetensors_torch.load_file(tmp_path / "e.safetensors")
    for k, e in tensors.items():
        assert to_ember_dtype(out[k].dtype) is e.dtype and tuple(out[k].shape) == tuple(e.shape)
        assert torch_bytes(out[k]) == e._data.tobytes()
    assert safetensors_torch.load(es.save(tensors)).keys() == out.keys()


def test_bytes_identical_to_package(tmp_path):
    arrays = {"b": sample(ember.float32, (3,)), "a": sample(ember.bfloat16, (2,)), "c": sample(ember.float64, (2,)),
              "z": sample(ember.float32, (0, 2)), "s": sample(ember.float32, ())}
    meta = {"format": "pt"}  # one key: the package writes several in hash order
    ref = safetensors_torch.save({k: to_torch(v) for k, v in arrays.items()}, metadata=meta)
    mine = es.save({k: ember.from_numpy(v) for k, v in arrays.items()}, metadata=meta)
    assert mine == ref
    (n,) = struct.unpack("<Q", mine[:8])
    assert n % 8 == 0 and mine[8 + n - 1:8 + n] in (b" ", b"}")


def test_safe_open_slices_and_numpy(tmp_path):
    t = torch.arange(24, dtype=torch.float32).view(4, 6)
    safetensors_torch.save_file({"w": t, "h": t.to(torch.bfloat16)}, tmp_path / "s.safetensors")
    with es.safe_open(tmp_path / "s.safetensors", framework="pt") as f:
        sl = f.get_slice("w")
        assert sl.get_shape() == [4, 6] and sl.get_dtype() == "F32"
        part = sl[1:3, ::2]
        assert np.array_equal(part._data, t[1:3, ::2].numpy())
        assert f.get_slice("h").get_dtype() == "BF16"
        full = f.get_tensor("w")
        full[0, 0] = 100.0  # a copy, not the file's memory
        assert f.get_tensor("w")[0, 0].item() == 0.0
        with pytest.raises(es.SafetensorError):
            f.get_tensor("missing")
    with es.safe_open(tmp_path / "s.safetensors", framework="np") as f:
        arr = f.get_tensor("h")
        assert isinstance(arr, np.ndarray) and arr.dtype == BF16 and arr[1, 1] == 7


def test_save_refusals(tmp_path):
    with pytest.raises(ValueError, match="non contiguous"):
        es.save_file({"a": ember.ones(2, 3).t()}, tmp_path / "x.safetensors")
    base = ember.ones(6)
    with pytest.raises(RuntimeError, match="share memory"):
        es.save({"a": base, "b": base[2:]})
    with pytest.raises(ValueError, match="expected torch.Tensor"):
        es.save({"a": 1})
    with pytest.raises(KeyError):
        es.save({"a": ember.ones(1, dtype=ember.complex128)})  # as the package: no C128 in the format


def _file(header, data=b"", raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize("blob, match", [
    (struct.pack("<Q", 200_000_000) + b"{}", "header too large"),
    (b"\x01\x00", "header too small"),
    (struct.pack("<Q", 50) + b"{}", "invalid header length"),
    (_file(None, raw_header=b'{"a":'), "invalid JSON"),
    (_file(None, raw_header=b"[1, 2]  "), "JSON object"),
    (_file(None, b"\0" * 8, raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                       b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), "duplicate key"),
    (_file({"a": _entry("F32", [1], 4, 8)}, b"\0" * 8), "invalid offset"),
    (_file({"a": _entry("F32", [1], 0, 4), "b": _entry("F32", [1], 0, 4)}, b"\0" * 4), "invalid offset"),
    (_file({"a": _entry("F32", [2], 0, 4)}, b"\0" * 4), "invalid shape, data type, or offset"),
    (_file({"a": _entry("F32", [1], 0, 4)}, b"\0" * 8), "not fully covered"),
    (_file({"a": _entry("F32", [2], 0, 8)}, b"\0" * 4), "not fully covered"),
    (_file({"a": _entry("X9", [1], 0, 4)}, b"\0" * 4), "unsupported dtype"),
    (_file({"a": _entry("F32", [-1], 0, 4)}, b"\0" * 4), "bad shape"),
    (_file({"__metadata__": {"a": 1}}), "str to str"),
    (_file({"a": _entry("F32", [2 ** 62, 2 ** 62], 0, 4)}, b"\0" * 4), "invalid shape"),
])
def test_malformed_files_refused(tmp_path, blob, match):
    with pytest.raises(es.SafetensorError, match=match):
        es.load(blob)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(es.SafetensorError, match=match):
        es.load_file(path)


def test_header_padding_and_empty_file():
    assert es.load(_file({}, raw_header=b"{}      ")) == {}
    blob = es.save({})
    assert es.load(blob) == {} and safetensors_torch.load(blob) == {}


def test_torch_load_dispatches_safetensors_paths(tmp_path):
    from ember import serialization

    safetensors_torch.save_file({"w": torch.ones(2)}, tmp_path / "m.safetensors")
    out = serialization.load(tmp_path / "m.safetensors")
    assert np.array_equal(out["w"]._data, np.ones(2, np.float32))
