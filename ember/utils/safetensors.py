"""Reading and writing `.safetensors` files, interchangeable with the `safetensors` package.

The format: an 8-byte little-endian header length N, N bytes of JSON
`{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}`
(padded with spaces to a multiple of 8), then the tensors' raw little-endian bytes, back to back, with
offsets relative to the end of the header. The reader enforces the format's rules: a header of at most
100 MB that is a JSON object, no duplicate names, known dtypes, offsets that tile the byte buffer exactly
(in order, no gaps, no overlap, nothing past the end), and sizes that agree with dtype and shape.
"""

import json
import mmap
import os
import struct

from .. import _dtype
from .._backend import np
from .._tensor import Tensor, _wrap

__all__ = ["save_file", "load_file", "save", "load", "safe_open", "SafetensorError"]

MAX_HEADER_SIZE = 100_000_000

_CODES = {
    _dtype.bool: "BOOL", _dtype.uint8: "U8", _dtype.int8: "I8", _dtype.int16: "I16", _dtype.int32: "I32",
    _dtype.int64: "I64", _dtype.float16: "F16", _dtype.bfloat16: "BF16", _dtype.float32: "F32",
    _dtype.float64: "F64", _dtype.complex64: "C64",
}
_DTYPES = {code: d for d, code in _CODES.items()}


class SafetensorError(Exception):
    """A malformed safetensors file or an object that cannot be saved (as the package's SafetensorError)."""


# ---------------------------------------------------------------------------------------------------------
# writing


def _check_tensors(tensors):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    spans = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise ValueError(f"Key `{name}` is invalid, expected str")
        if not isinstance(t, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected torch.Tensor but received {type(t)}")
        if t.dtype not in _CODES:
            raise KeyError(str(t.dtype))
        if not t.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. It either means you "
                "are trying to save tensors which are reference of each other in which case it's recommended to save "
                "only the full tensors, and reslice at load time, or simply call `.contiguous()` on your tensor to "
                "pack it before saving.")
        if t._data.nbytes:
            start = t._data.__array_interface__["data"][0]
            spans.append((start, start + t._data.nbytes, name))
    spans.sort()
    shared = [[a[2], b[2]] for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    if shared:
        raise RuntimeError(
            f"\n            Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {shared}.\n            A potential way to correctly save your "
            "model is to use `save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")


def _layout(tensors, metadata):
    """(header bytes incl. the 8-byte length, [(array bytes) in file order])."""
    _check_tensors(tensors)
    header = {}
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise SafetensorError("metadata must be a dict of str to str")
        header["__metadata__"] = dict(sorted(metadata.items()))
    # as the reference writer: larger alignment first, then by name, so every tensor starts aligned
    order = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))
    chunks, offset = [], 0
    for name in order:
        if name == "__metadata__":
            raise SafetensorError("a tensor cannot be named `__metadata__`")
        arr = tensors[name]._data
        nbytes = arr.nbytes
        header[name] = {"dtype": _CODES[tensors[name].dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + nbytes]}
        chunks.append(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
        offset += nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, chunks


def save(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (a dict of name -> contiguous Tensor)."""
    head, chunks = _layout(tensors, metadata)
    return head + b"".join(c.tobytes() for c in chunks)


def save_file(tensors, filename, metadata=None):
    head, chunks = _layout(tensors, metadata)
    with open(filename, "wb") as f:
        f.write(head)
        for c in chunks:
            f.write(memoryview(c))


# ---------------------------------------------------------------------------------------------------------
# reading


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise SafetensorError(f"Error while deserializing header: duplicate key `{k}` in header")
        out[k] = v
    return out


def _parse_header(head8, read_header, total_size):
    """{name: (dtype, shape, begin, end)}, metadata and the start of the byte buffer, all checked."""
    if len(head8) < 8:
        raise SafetensorError("Error while deserializing header: header too small")
    (n,) = struct.unpack("<Q", head8)
    if n > MAX_HEADER_SIZE:
        raise SafetensorError("Error while deserializing header: header too large")
    if 8 + n > total_size:
        raise SafetensorError("Error while deserializing header: invalid header length")
    raw = read_header(n)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SafetensorError("Error while deserializing header: invalid UTF-8 in header") from None
    if not text.lstrip(" ").startswith("{"):
        raise SafetensorError("Error while deserializing header: header must be a JSON object starting with `{`")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise SafetensorError(f"Error while deserializing header: invalid JSON in header: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, str)
                                                                         for v in metadata.values())):
        raise SafetensorError("Error while deserializing header: invalid JSON in header: `__metadata__` must map "
                              "str to str")
    entries = {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorError(f"Error while deserializing header: invalid JSON in header: bad entry for `{name}`")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _DTYPES:
            raise SafetensorError(f"Error while deserializing header: unsupported dtype `{code}` for `{name}`")
        if (not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int and o >= 0 for o in offsets)):
            raise SafetensorError(f"Error while deserializing header: invalid JSON in header: bad shape or offsets "
                                  f"for `{name}`")
        entries[name] = (_DTYPES[code], tuple(shape), offsets[0], offsets[1])
    # the offsets must tile the buffer: sorted by start, each begins where the previous ended
    expected = 0
    for name, (dtype, shape, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != expected or end < begin:
            raise SafetensorError(f"Error while deserializing header: invalid offset for tensor `{name}`")
        numel = 1
        for s in shape:
            numel *= s
        if numel * dtype.itemsize != end - begin:
            raise SafetensorError("Error while deserializing header: invalid shape, data type, or offset for tensor")
        expected = end
    if 8 + n + expected != total_size:
        raise SafetensorError("Error while deserializing header: incomplete metadata, file not fully covered")
    return entries, metadata, 8 + n


def _to_tensor(arr, framework):
    if framework in ("np", "numpy"):
        return arr
    return _wrap(arr)


def _check_device(device):
    d = str(device)
    if d != "cpu":
        from .._device import check_device

        check_device(d)


def load(data):
    """Tensors from the bytes of a safetensors file."""
    data = bytes(data)
    entries, _, start = _parse_header(data[:8], lambda n: data[8:8 + n], len(data))
    out = {}
    for name, (dtype, shape, begin, end) in entries.items():
        raw = bytearray(data[start + begin:start + end])
        out[name] = _wrap(np.frombuffer(raw, dtype._np).reshape(shape) if raw else np.empty(shape, dtype._np))
    return out


def load_file(filename, device="cpu"):
    """Tensors of a safetensors file, as a dict name -> Tensor (read into memory)."""
    _check_device(device)
    with safe_open(filename, framework="pt", device=device) as f:
        return {k: f.get_tensor(k) for k in f.keys()}


class _Slice:
    """A tensor of an open file read lazily: its shape and dtype, and `[...]` reads only the part asked for."""

    def __init__(self, handle, name):
        self._handle, self._name = handle, name

    def get_shape(self):
        return list(self._handle._entries[self._name][1])

    def get_dtype(self):
        return _CODES[self._handle._entries[self._name][0]]

    def __getitem__(self, index):
        arr = self._handle._array(self._name)[index]
        return _to_tensor(np.array(arr, copy=True), self._handle._framework)


class safe_open:
    """Open a safetensors file lazily (memory-mapped): keys(), get_tensor(name), get_slice(name), metadata()."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "np", "numpy"):
            raise SafetensorError(f"framework {framework!r} is not supported; use 'pt' or 'np'")
        _check_device(device)
        self._framework = framework
        with open(filename, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head8 = f.read(8)

            def read_header(n):
                return f.read(n)

            self._entries, self._metadata, self._start = _parse_header(head8, read_header, size)
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def keys(self):
        return sorted(self._entries)

    def offset_keys(self):
        return [k for k, _ in sorted(self._entries.items(), key=lambda kv: kv[1][2])]

    def metadata(self):
        return None if self._metadata is None else dict(self._metadata)

    def _array(self, name):
        if name not in self._entries:
            raise SafetensorError(f"File does not contain tensor {name}")
        dtype, shape, begin, end = self._entries[name]
        if end == begin:
            return np.empty(shape, dtype._np)
        return np.frombuffer(self._map, np.uint8, count=end - begin, offset=self._start + begin) \
            .view(dtype._np).reshape(shape)

    def get_tensor(self, name):
        return _to_tensor(self._array(name).copy(), self._framework)

    def get_slice(self, name):
        if name not in self._entries:
            raise SafetensorError(f"File does not contain tensor {name}")
        return _Slice(self, name)
