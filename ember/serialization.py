"""save/load in PyTorch's own checkpoint format, and the safe (weights-only) loader.

A checkpoint is a zip archive, as `torch.save` writes it:

    <archive>/data.pkl              the object, pickled; each storage is a persistent id
                                    ('storage', torch.<Type>Storage, key, location, numel)
    <archive>/.format_version       "1"
    <archive>/.storage_alignment    "64"
    <archive>/byteorder             "little"
    <archive>/data/<key>            each storage's raw bytes, starting on a 64-byte boundary
    <archive>/version               "3"
    <archive>/.data/serialization_id

Tensors are pickled as `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
hooks)`, so real PyTorch loads ember's files and ember loads PyTorch's. ember never imports torch: the
pickler writes torch's global names itself (`_TorchName`), and the loaders map them to ember objects.

`load(weights_only=True)` (the default, as in PyTorch 2.6+) never hands the file to `pickle`: `_SafeUnpickler`
interprets the opcodes itself and knows only data opcodes and a short allow-list of globals (no wider than
PyTorch's weights-only list), so nothing named in the file runs unless the user allow-listed it.
"""

import collections
import contextlib
import io
import mmap as _mmap
import os
import pickle
import re
import struct
import sys
import warnings
import zipfile
import zlib
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

from . import _dtype
from ._backend import np
from ._device import device as _device
from ._tensor import Size, Tensor, _view_of, _wrap

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the legacy (pre-zip) format's header
PROTOCOL_VERSION = 1001
_ALIGNMENT = 64
_U32 = 0xFFFFFFFF
_ZIP64_LIMIT = _U32  # records or offsets from here on need zip64 fields (tests lower it)

_STORAGE_TYPE_NAMES = {
    _dtype.float64: "DoubleStorage", _dtype.float32: "FloatStorage", _dtype.float16: "HalfStorage",
    _dtype.bfloat16: "BFloat16Storage", _dtype.int64: "LongStorage", _dtype.int32: "IntStorage",
    _dtype.int16: "ShortStorage", _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage",
    _dtype.bool: "BoolStorage", _dtype.complex128: "ComplexDoubleStorage", _dtype.complex64: "ComplexFloatStorage",
}

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


# =========================================================================================================
# saving


class _TorchName:
    """A global of torch's namespace (a function, class or dtype), written into a pickle by its name."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists a reduce function be callable; this one only names torch's
        raise TypeError(f"{self.module}.{self.name} belongs to torch; ember only writes its name")


_TORCH_NAMES = {}


def _torch_name(module, name):
    key = (module, name)
    if key not in _TORCH_NAMES:
        _TORCH_NAMES[key] = _TorchName(module, name)
    return _TORCH_NAMES[key]


_REBUILD_TENSOR_V2 = _torch_name("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _torch_name("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_WITH_STATE = _torch_name("torch._utils", "_rebuild_parameter_with_state")
_REBUILD_FROM_TYPE_V2 = _torch_name("torch._tensor", "_rebuild_from_type_v2")
_TORCH_TENSOR = _torch_name("torch", "Tensor")
_TORCH_SIZE = _torch_name("torch", "Size")
_TORCH_DEVICE = _torch_name("torch", "device")
_GET_LAYOUT = _torch_name("torch.serialization", "_get_layout")

# ember's own bookkeeping in a tensor's __dict__, never part of the saved state
_INTERNAL_ATTRS = frozenset({"persistent"})


def _python_state(t):
    """The user's Python attributes of a tensor (torch saves them and sets them back on load)."""
    d = t.__dict__
    if not d:
        return None
    state = {k: v for k, v in d.items() if not k.startswith("_") and k not in _INTERNAL_ATTRS}
    return state or None


class _StorageRef:
    """One storage in the checkpoint: a run of bytes with a dtype, written as record data/<key>."""

    __slots__ = ("key", "dtype", "numel", "owner", "byte_view", "pid")

    def __init__(self, key, dtype, owner, byte_view, location="cpu"):
        self.key, self.dtype, self.owner, self.byte_view = key, dtype, owner, byte_view
        self.numel = byte_view.size // dtype.itemsize
        self.pid = ("storage", _torch_name("torch", _STORAGE_TYPE_NAMES[dtype]), key, location, self.numel)


def _memory_owner(arr):
    """The outermost ndarray in arr's chain of bases: the array whose memory arr views."""
    owner = arr
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    return owner


def _address(arr):
    return arr.__array_interface__["data"][0]


class _StorageTable:
    """Assigns tensors to storages: tensors viewing the memory of one array share one storage, so views of
    one base come back sharing memory; each tensor gets its (offset, size, stride) in that storage."""

    def __init__(self):
        self.by_owner = {}  # id(owner array) -> _StorageRef (the ref keeps the owner alive, so ids stay unique)
        self.refs = []

    def _add(self, dtype, owner, byte_view):
        ref = _StorageRef(str(len(self.refs)), dtype, owner, byte_view)
        self.refs.append(ref)
        return ref

    def locate(self, t):
        """(storage ref, offset, size, stride) of tensor t, all in elements."""
        arr = t._data
        dtype = t.dtype
        itemsize = arr.itemsize
        owner = _memory_owner(arr)
        ref = self.by_owner.get(id(owner))
        if ref is None:
            if (owner.flags.c_contiguous or owner.flags.f_contiguous) and owner.nbytes % itemsize == 0:
                ref = self._add(dtype, owner, owner.reshape(-1, order="A").view(np.uint8))
                self.by_owner[id(owner)] = ref
        elif ref.dtype is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        if ref is not None:
            geometry = self._place(arr, ref, itemsize)
            if geometry is not None:
                return (ref,) + geometry
        # memory ember cannot describe as one storage (odd NumPy views): the tensor gets a storage of its own
        packed = np.ascontiguousarray(arr)
        ref = self._add(dtype, packed, packed.reshape(-1).view(np.uint8))
        return ref, 0, arr.shape, t.stride()

    @staticmethod
    def _place(arr, ref, itemsize):
        if arr.size == 0:
            return 0, arr.shape, _contiguous_strides(arr.shape)
        start = _address(arr) - _address(ref.byte_view)
        if start < 0 or start % itemsize or any(s < 0 or s % itemsize for s in arr.strides):
            return None
        offset = start // itemsize
        stride = tuple(s // itemsize for s in arr.strides)
        last = offset + sum((n - 1) * s for n, s in zip(arr.shape, stride))
        if last >= ref.numel:
            return None
        return offset, arr.shape, stride


def _contiguous_strides(shape):
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


class _Pickler(pickle._Pickler):
    """pickle's Python pickler, taught to write ember tensors, dtypes, Size and device under torch's names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages, legacy=False):
        super().__init__(file, protocol)
        self._storages = storages
        self._legacy = legacy

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return obj.pid + (None,) if self._legacy else obj.pid
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        t = type(obj)
        if t is Size:
            return _TORCH_SIZE, (tuple(obj),)
        if t is _device:
            return _TORCH_DEVICE, ((obj.type,) if obj.index is None else (obj.type, obj.index))
        if t.__name__ == "layout" and t.__module__ == "ember":
            return _GET_LAYOUT, (repr(obj),)
        return NotImplemented

    def _reduce_tensor(self, t):
        from .nn.parameter import Parameter

        hooks = collections.OrderedDict()
        state = _python_state(t)
        if isinstance(t, Parameter):
            data = _wrap(t._data)  # a plain tensor over the same memory, as torch pickles `param.data`
            if state:
                return _REBUILD_PARAMETER_WITH_STATE, (data, t.requires_grad, hooks, state)
            return _REBUILD_PARAMETER, (data, t.requires_grad, hooks)
        ref, offset, size, stride = self._storages.locate(t)
        args = (ref, offset, tuple(size), tuple(stride), t.requires_grad, hooks)
        if state:
            return _REBUILD_FROM_TYPE_V2, (_REBUILD_TENSOR_V2, _TORCH_TENSOR, args, state)
        return _REBUILD_TENSOR_V2, args

    def _save_torch_name(self, obj):
        self._write_global(obj, obj.module, obj.name)

    def _save_dtype(self, obj):
        self._write_global(obj, "torch", obj._name)

    def _write_global(self, obj, module, name):
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")
        self.memoize(obj)

    dispatch[_TorchName] = _save_torch_name
    dispatch[_dtype.dtype] = _save_dtype


def _pickle(obj, pickle_module, protocol, legacy=False):
    storages = _StorageTable()
    buf = io.BytesIO()
    if pickle_module is not pickle and not hasattr(pickle_module, "_Pickler"):
        raise TypeError("ember.save: pickle_module must provide a Python-level Pickler (`_Pickler`), as pickle does")
    _Pickler(buf, protocol, storages, legacy).dump(obj)
    return buf.getvalue(), storages.refs


class _ZipWriter:
    """Writes a zip archive the way PyTorch's writer (miniz) does: stored records, each data start aligned to
    64 bytes with an 'FB' padding field in the local header, data descriptors, a zip64 end record."""

    def __init__(self, f, archive_name):
        self.f, self.prefix = f, archive_name + "/"
        self.pos = 0
        self.entries = []  # (name bytes, header offset, size, crc)
        self.crc_all = 0

    def _write(self, data):
        self.f.write(data)
        self.pos += len(data) if isinstance(data, bytes) else memoryview(data).nbytes

    def write_record(self, name, data):
        name_b = (self.prefix + name).encode("utf-8")
        data = data.encode("ascii") if isinstance(data, str) else data
        size = memoryview(data).nbytes
        crc = zlib.crc32(data)
        offset = self.pos
        big = size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT
        zip64_extra = b""
        if big:  # miniz puts the zip64 field before the alignment padding
            fields = (struct.pack("<QQ", size, size) if size >= _ZIP64_LIMIT else b"") + \
                     (struct.pack("<Q", offset) if offset >= _ZIP64_LIMIT else b"")
            zip64_extra = struct.pack("<HH", 1, len(fields)) + fields
        start = offset + 30 + len(name_b) + len(zip64_extra) + 4
        pad = -start % _ALIGNMENT
        extra = zip64_extra + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 0, 0x0808, 0, 0, 0, 0,
                                _U32 if big else 0, _U32 if big else 0, len(name_b), len(extra)))
        self._write(name_b + extra)
        if size:
            self._write(data)
            if big:
                self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
            else:
                self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.entries.append((name_b, offset, size, crc))
        self.crc_all = zlib.crc32(struct.pack("<IQ", crc, size), self.crc_all)

    def finish(self):
        self.write_record("version", "3\n")
        serialization_id = f"{self.crc_all:020d}{sum(e[2] for e in self.entries) % 10**20:020d}"
        self.write_record(".data/serialization_id", serialization_id)
        cd_start = self.pos
        for name_b, offset, size, crc in self.entries:
            fields = b""
            if size >= _ZIP64_LIMIT:
                fields += struct.pack("<QQ", size, size)
            if offset >= _ZIP64_LIMIT:
                fields += struct.pack("<Q", offset)
            extra = struct.pack("<HH", 1, len(fields)) + fields if fields else b""
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 45 if fields else 0, 0x0808, 0, 0, 0, crc,
                                    *(2 * (_U32 if size >= _ZIP64_LIMIT else size,)), len(name_b), len(extra),
                                    0, 0, 0, 0, _U32 if offset >= _ZIP64_LIMIT else offset))
            self._write(name_b + extra)
        cd_size = self.pos - cd_start
        n = len(self.entries)
        eocd64 = self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                _U32 if cd_size >= _ZIP64_LIMIT else cd_size,
                                _U32 if cd_start >= _ZIP64_LIMIT else cd_start, 0))


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save an object to a file (path or writable binary file object) in PyTorch's checkpoint format."""
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if _is_path(f):
        path = os.fspath(f)
        with open(path, "wb") as fh:
            if _use_new_zipfile_serialization:
                base = os.path.basename(path)
                archive_name = base[:base.rfind(".")] if "." in base else base
                if not archive_name:
                    raise RuntimeError(f"invalid file name: {path}")
                _save_zip(obj, fh, archive_name, pickle_module, pickle_protocol, _disable_byteorder_record)
            else:
                _save_legacy(obj, fh, pickle_module, pickle_protocol)
        return
    if _use_new_zipfile_serialization:
        _save_zip(obj, f, "archive", pickle_module, pickle_protocol, _disable_byteorder_record)
    else:
        _save_legacy(obj, f, pickle_module, pickle_protocol)
    if hasattr(f, "flush"):
        f.flush()


def _save_zip(obj, f, archive_name, pickle_module, protocol, disable_byteorder):
    data_pkl, refs = _pickle(obj, pickle_module, protocol)
    zw = _ZipWriter(f, archive_name)
    zw.write_record("data.pkl", data_pkl)
    zw.write_record(".format_version", "1")
    zw.write_record(".storage_alignment", str(_ALIGNMENT))
    if not disable_byteorder:
        zw.write_record("byteorder", sys.byteorder)
    for ref in refs:
        zw.write_record(f"data/{ref.key}", ref.byte_view)
    zw.finish()


def _save_legacy(obj, f, pickle_module, protocol):
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    data_pkl, refs = _pickle(obj, pickle_module, protocol, legacy=True)
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, f, protocol=protocol)
    f.write(data_pkl)
    refs = sorted(refs, key=lambda r: r.key)
    pickle.dump([r.key for r in refs], f, protocol=protocol)
    for ref in refs:
        f.write(struct.pack("<q", ref.numel))
        f.write(ref.byte_view)


# =========================================================================================================
# loading: storages and tensors


class _StorageType:
    """What torch.<Type>Storage names in a checkpoint: the dtype of a storage (None: torch has it, ember not)."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


class _UnsupportedDtype:
    """A torch dtype ember lacks (uint16, float8, ...): loading a tensor of it raises a clear error."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


class _LoadedStorage:
    """A storage read from a checkpoint: a 1-D array of its dtype (the untyped bytes for UntypedStorage)."""

    __slots__ = ("array", "dtype", "location", "_root")

    def __init__(self, array, dtype, location="cpu"):
        self.array, self.dtype, self.location, self._root = array, dtype, location, None

    @property
    def device(self):
        return _device("cpu")

    def nbytes(self):
        return self.array.nbytes

    def size(self):
        return self.array.size

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        raise _no_device_error("cuda")

    def to(self, device=None, non_blocking=False):
        d = _device(device)
        if d.type != "cpu":
            raise _no_device_error(d.type)
        return self

    def typed(self, dtype):
        """The storage's elements as `dtype` (an UntypedStorage reinterpreted, as _rebuild_tensor_v3 does)."""
        if dtype is self.dtype:
            return self.array
        raw = self.array.view(np.uint8)
        if raw.size % dtype.itemsize:
            raise RuntimeError(f"storage of {raw.size} bytes is not a whole number of {dtype} elements")
        return raw.view(dtype._np)

    def root(self):
        if self._root is None:
            self._root = _wrap(self.array)
        return self._root


def _no_device_error(backend):
    return RuntimeError(
        f"Attempting to deserialize object on a {backend.upper()} device but torch.{backend}.is_available() is "
        "False. If you are running on a CPU-only machine, please use torch.load with "
        "map_location=torch.device('cpu') to map your storages to the CPU.")


def _check_int(x, what):
    if type(x) is not int and type(x) is not bool:
        raise pickle.UnpicklingError(f"expected an int for the tensor's {what}, got {type(x).__name__}")
    return int(x)


def _tensor_from_storage(storage, dtype, storage_offset, size, stride):
    """A tensor over `storage` with the given geometry, refused unless it lies inside the storage."""
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor from, got {type(storage).__name__}")
    if isinstance(dtype, _UnsupportedDtype) or dtype is None:
        raise RuntimeError(f"ember has no dtype {dtype!r}: this checkpoint holds tensors ember cannot represent")
    if not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride):
        raise pickle.UnpicklingError("a tensor's size and stride must be tuples of the same length")
    offset = _check_int(storage_offset, "storage offset")
    size = tuple(_check_int(n, "size") for n in size)
    stride = tuple(_check_int(s, "stride") for s in stride)
    if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"invalid tensor geometry in checkpoint: offset {offset}, size {list(size)}, "
                           f"stride {list(stride)}")
    flat = storage.typed(dtype)
    numel_storage = flat.size
    empty = 0 in size
    if not empty:
        needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if needed > numel_storage:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
                f"{dtype.itemsize} requiring a storage size of {needed * dtype.itemsize} are out of bounds for "
                f"storage of size {numel_storage * dtype.itemsize}")
    itemsize = dtype.itemsize
    if empty:
        arr = np.empty(size, dtype._np)
        return _wrap(arr)
    whole = offset == 0 and needed == numel_storage and stride == _contiguous_strides(size)
    if whole:
        return _wrap(flat.reshape(size))
    arr = np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * itemsize for s in stride),
                                          writeable=flat.flags.writeable and not _overlaps(size, stride))
    return _view_of(storage.root() if storage.dtype is dtype else _wrap(flat), arr)


def _overlaps(size, stride):
    """True when two elements of the geometry share memory (ember keeps such tensors read-only)."""
    extent = 0
    for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if s <= extent:
            return True
        extent += (n - 1) * s
    return False


def _set_python_state(obj, state):
    """Set attributes saved with a tensor, refusing names of Tensor's own attributes and methods."""
    if state is None:
        return obj
    slots = None
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        state, slots = state
    for part in (state, slots):
        if not part:
            continue
        if type(part) not in (dict, collections.OrderedDict):
            raise pickle.UnpicklingError(f"a tensor's state must be a dict, got {type(part).__name__}")
        for k, v in part.items():
            if type(k) is not str or k.startswith("__") or hasattr(type(obj), k):
                raise pickle.UnpicklingError(f"refusing to set attribute {k!r} of a tensor from a checkpoint")
            obj.__dict__[k] = v
    return obj


def _finish_tensor(t, requires_grad, metadata=None):
    if metadata:
        if type(metadata) is not dict:
            raise pickle.UnpicklingError("tensor metadata must be a dict")
        if metadata.get("conj"):
            t = _wrap(np.conj(t._data))
        if metadata.get("neg"):
            t = _wrap(np.negative(t._data))
    if requires_grad:
        if type(requires_grad) is not bool:
            raise pickle.UnpicklingError("requires_grad must be a bool")
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_from_storage(storage, getattr(storage, "dtype", None), storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _tensor_from_storage(storage, getattr(storage, "dtype", None), storage_offset, size, stride)
    return _finish_tensor(t, requires_grad, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, (_dtype.dtype, _UnsupportedDtype)):
        raise pickle.UnpicklingError(f"expected a dtype, got {type(dtype).__name__}")
    t = _tensor_from_storage(storage, dtype, storage_offset, size, stride)
    return _finish_tensor(t, requires_grad, metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter

    if type(data) is not Tensor:
        raise pickle.UnpicklingError(f"a Parameter is rebuilt from a Tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_python_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


class _TypeMarker:
    """torch.Tensor / torch.nn.Parameter as a checkpoint names them: only a type tag for
    _rebuild_from_type_v2, never called (calling torch.Tensor(n) would allocate whatever the file asks)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<class '{self.name}'>"


_TENSOR_MARKER = _TypeMarker("torch.Tensor")
_PARAMETER_MARKER = _TypeMarker("torch.nn.parameter.Parameter")


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 of an unexpected function {func!r}")
    if new_type not in (_TENSOR_MARKER, _PARAMETER_MARKER) or type(args) is not tuple:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 of an unexpected type {new_type!r}")
    ret = func(*args)
    if new_type is _PARAMETER_MARKER and func is not _rebuild_parameter:
        from .nn.parameter import Parameter

        ret = Parameter(ret, ret.requires_grad)
    return _set_python_state(ret, state)


def _codecs_encode(obj, encoding="utf-8"):
    # protocol 2 pickles bytes as _codecs.encode(str, 'latin1'): allow exactly that
    if type(obj) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed for bytes pickled as (str, 'latin1')")
    return obj.encode("latin1")


def _bytearray(*args):
    if args and not (type(args[0]) in (bytes, str) and len(args) <= 2):
        raise pickle.UnpicklingError("bytearray is only allowed from bytes or a string with an encoding")
    if len(args) == 2 and args[1] not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("bytearray is only allowed from a latin1 string")
    return bytearray(*args)


def _size(*args):
    if len(args) > 1 or (args and (type(args[0]) not in (tuple, list) or any(type(n) is not int for n in args[0]))):
        raise pickle.UnpicklingError("torch.Size must be rebuilt from a tuple of ints")
    return Size(*args)


def _device_from_pickle(*args):
    if not 1 <= len(args) <= 2 or type(args[0]) is not str or (len(args) == 2 and type(args[1]) is not int):
        raise pickle.UnpicklingError("torch.device must be rebuilt from a device string and an optional index")
    return _device(*args)


def _get_layout(name):
    import ember

    if name != "torch.strided":
        raise RuntimeError(f"ember supports only the strided layout, got {name}")
    return ember.strided


def _allowed_globals():
    """The globals a weights-only load may name: torch's weights-only list, minus what ember cannot represent."""
    table = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.Size": _size,
        "torch.device": _device_from_pickle,
        "torch.Tensor": _TENSOR_MARKER,
        "torch.nn.parameter.Parameter": _PARAMETER_MARKER,
        "torch.serialization._get_layout": _get_layout,
        "_codecs.encode": _codecs_encode,
        "builtins.bytearray": _bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": _StorageType("UntypedStorage", _dtype.uint8),
    }
    for d in _dtype.ALL_DTYPES:
        table["torch." + d._name] = d
    for name in ("uint16", "uint32", "uint64", "complex32", "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz",
                 "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4",
                 "bits4x2"):
        table["torch." + name] = _UnsupportedDtype(name)
    for d, name in _STORAGE_TYPE_NAMES.items():
        table["torch." + name] = table["torch.cuda." + name] = _StorageType(name, d)
    return table


_ALLOWED = _allowed_globals()
_ALLOWED_VALUES = {id(v): v for v in _ALLOWED.values()}
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


# =========================================================================================================
# user allow-list


_user_safe_globals = set()


def add_safe_globals(safe_globals):
    """Mark globals (classes/functions, or (obj, "module.name") pairs) as safe for weights_only=True loads."""
    global _user_safe_globals
    _user_safe_globals = _user_safe_globals.union(set(safe_globals))


def get_safe_globals():
    return list(_user_safe_globals)


def clear_safe_globals():
    global _user_safe_globals
    _user_safe_globals = set()


class safe_globals:
    """Context manager that adds globals to the weights-only allow-list for its duration."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        global _user_safe_globals
        _user_safe_globals = _user_safe_globals - set(self.safe_globals)


def _user_allowed():
    table = {}
    for entry in _user_safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple of "
                                 f"length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(entry[1])}")
            obj, name = entry
            table[name] = obj
        else:
            obj, name = entry, f"{entry.__module__}.{entry.__qualname__}"
            table[name] = obj
            if name.startswith("ember."):  # an ember class also answers to the torch name files carry
                table["torch." + name[len("ember."):]] = obj
    return table


# =========================================================================================================
# the weights-only unpickler


class _Source:
    """Bounded reads from bytes or a seekable file: a length read from the file is checked against what
    the file holds before anything of that size is allocated."""

    def __init__(self, data=None, file=None):
        if file is not None:
            self.file = file
            pos = file.tell()
            self.end = file.seek(0, 2)
            file.seek(pos)
        else:
            self.file = None
            self.data = memoryview(data)
            self.pos = 0
            self.end = len(self.data)

    def remaining(self):
        return self.end - (self.file.tell() if self.file is not None else self.pos)

    def read(self, n):
        if n < 0 or n > self.remaining():
            raise pickle.UnpicklingError("pickle data was truncated")
        if self.file is not None:
            out = self.file.read(n)
            if len(out) != n:
                raise pickle.UnpicklingError("pickle data was truncated")
            return out
        out = self.data[self.pos:self.pos + n].tobytes()
        self.pos += n
        return out

    def readline(self, limit=4096):
        if self.file is not None:
            line = self.file.readline(limit)
        else:
            chunk = self.data[self.pos:self.pos + limit].tobytes()
            cut = chunk.find(b"\n")
            line = chunk if cut < 0 else chunk[:cut + 1]
            self.pos += len(line)
        if not line.endswith(b"\n"):
            raise pickle.UnpicklingError("pickle data was truncated (unterminated GLOBAL)")
        return line


_MARK = object()  # stack marker pushed by MARK


def _op(opcode):
    return opcode[0]


class _SafeUnpickler:
    """An opcode interpreter for the data subset of pickle protocols 2-5, as torch's weights-only unpickler.

    Globals resolve only through the allow-lists; REDUCE/NEWOBJ/BUILD act only on allowed objects; nothing is
    looked up by name in a module and no opcode imports. Persistent ids must be storage tuples."""

    def __init__(self, source, persistent_load, encoding="utf-8"):
        self.src = source
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.user = _user_allowed()
        self.user_values = {id(v): v for v in self.user.values()}

    # -- helpers
    def _global(self, module, name):
        if type(module) is not str or type(name) is not str:
            raise pickle.UnpicklingError("STACK_GLOBAL requires str")
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        if full in _ALLOWED:
            return _ALLOWED[full]
        if full in self.user:
            return self.user[full]
        shown = full[len("builtins."):] if full.startswith("builtins.") else full
        raise pickle.UnpicklingError(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{shown}])` or the `torch.serialization.safe_globals([{shown}])` "
            "context manager to allowlist this global if you trust this class/function.")

    def _is_allowed(self, obj):
        return _ALLOWED_VALUES.get(id(obj)) is obj or self.user_values.get(id(obj)) is obj

    def _pop_mark(self):
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise pickle.UnpicklingError("could not find MARK")

    def load(self):
        try:
            return self._run()
        except pickle.UnpicklingError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, struct.error, UnicodeDecodeError, OverflowError,
                RecursionError) as e:
            raise pickle.UnpicklingError(f"invalid pickle data: {type(e).__name__}: {e}") from None

    def _run(self):
        read, readline = self.src.read, self.src.readline
        stack = self.stack = []
        memo = {}
        push = stack.append
        P = pickle
        while True:
            key = read(1)[0]
            # data
            if key == _op(P.BINPUT):
                memo[read(1)[0]] = self._top()
            elif key == _op(P.LONG_BINPUT):
                memo[struct.unpack("<I", read(4))[0]] = self._top()
            elif key == _op(P.MEMOIZE):
                memo[len(memo)] = self._top()
            elif key == _op(P.BINGET):
                push(memo[read(1)[0]])
            elif key == _op(P.LONG_BINGET):
                push(memo[struct.unpack("<I", read(4))[0]])
            elif key == _op(P.MARK):
                push(_MARK)
            elif key == _op(P.BINUNICODE):
                push(str(read(struct.unpack("<I", read(4))[0]), "utf-8", "surrogatepass"))
            elif key == _op(P.SHORT_BINUNICODE):
                push(str(read(read(1)[0]), "utf-8", "surrogatepass"))
            elif key == _op(P.BINUNICODE8):
                push(str(read(struct.unpack("<Q", read(8))[0]), "utf-8", "surrogatepass"))
            elif key == _op(P.BININT):
                push(struct.unpack("<i", read(4))[0])
            elif key == _op(P.BININT1):
                push(read(1)[0])
            elif key == _op(P.BININT2):
                push(struct.unpack("<H", read(2))[0])
            elif key == _op(P.LONG1):
                push(P.decode_long(read(read(1)[0])))
            elif key == _op(P.LONG4):
                n = struct.unpack("<i", read(4))[0]
                if n < 0:
                    raise P.UnpicklingError("LONG pickle has negative byte count")
                push(P.decode_long(read(n)))
            elif key == _op(P.BINFLOAT):
                push(struct.unpack(">d", read(8))[0])
            elif key == _op(P.NONE):
                push(None)
            elif key == _op(P.NEWTRUE):
                push(True)
            elif key == _op(P.NEWFALSE):
                push(False)
            elif key in (_op(P.SHORT_BINSTRING), _op(P.BINSTRING)):
                n = read(1)[0] if key == _op(P.SHORT_BINSTRING) else struct.unpack("<i", read(4))[0]
                raw = read(n)
                push(raw if self.encoding == "bytes" else raw.decode(self.encoding, "strict"))
            elif key == _op(P.SHORT_BINBYTES):
                push(read(read(1)[0]))
            elif key == _op(P.BINBYTES):
                push(read(struct.unpack("<I", read(4))[0]))
            elif key == _op(P.BINBYTES8):
                push(read(struct.unpack("<Q", read(8))[0]))
            elif key == _op(P.BYTEARRAY8):
                push(bytearray(read(struct.unpack("<Q", read(8))[0])))
            # containers
            elif key == _op(P.EMPTY_TUPLE):
                push(())
            elif key == _op(P.TUPLE):
                push(tuple(self._pop_mark()))
            elif key == _op(P.TUPLE1):
                stack[-1:] = [(self._item(-1),)]
            elif key == _op(P.TUPLE2):
                stack[-2:] = [(self._item(-2), self._item(-1))]
            elif key == _op(P.TUPLE3):
                stack[-3:] = [(self._item(-3), self._item(-2), self._item(-1))]
            elif key == _op(P.EMPTY_LIST):
                push([])
            elif key == _op(P.LIST):
                push(self._pop_mark())
            elif key == _op(P.EMPTY_DICT):
                push({})
            elif key == _op(P.DICT):
                items = self._pop_mark()
                push({items[i]: items[i + 1] for i in range(0, len(items) - 1, 2)})
            elif key == _op(P.EMPTY_SET):
                push(set())
            elif key == _op(P.FROZENSET):
                push(frozenset(self._pop_mark()))
            elif key == _op(P.APPEND):
                item = self._pop()
                self._target(list, "append to lists").append(item)
            elif key == _op(P.APPENDS):
                items = self._pop_mark()
                self._target(list, "extend lists").extend(items)
            elif key == _op(P.SETITEM):
                value, k = self._pop(), self._pop()
                self._dict_target("SETITEM")[k] = value
            elif key == _op(P.SETITEMS):
                items = self._pop_mark()
                if len(items) % 2:
                    raise P.UnpicklingError("odd number of items for SETITEMS")
                target = self._dict_target("SETITEMS")
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif key == _op(P.ADDITEMS):
                items = self._pop_mark()
                self._target(set, "add items to sets").update(items)
            elif key == _op(P.POP):
                self._pop()
            elif key == _op(P.POP_MARK):
                self._pop_mark()
            elif key == _op(P.DUP):
                push(self._top())
            # the guarded opcodes
            elif key == _op(P.GLOBAL):
                module = readline()[:-1].decode("utf-8")
                name = readline()[:-1].decode("utf-8")
                if (module, name) in NAME_MAPPING:  # Python 2 names, as protocol 2 writes them
                    module, name = NAME_MAPPING[(module, name)]
                elif module in IMPORT_MAPPING:
                    module = IMPORT_MAPPING[module]
                push(self._global(module, name))
            elif key == _op(P.STACK_GLOBAL):
                name, module = self._pop(), self._pop()
                push(self._global(module, name))
            elif key == _op(P.REDUCE):
                args = self._pop()
                func = self._top()
                if not self._is_allowed(func) or not callable(func) or isinstance(func, _TypeMarker):
                    raise P.UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")
                if type(args) is not tuple:
                    raise P.UnpicklingError("REDUCE arguments must be a tuple")
                stack[-1] = func(*args)
            elif key == _op(P.NEWOBJ):
                args = self._pop()
                cls = self._pop()
                if self.user_values.get(id(cls)) is not cls or not isinstance(cls, type) or type(args) is not tuple:
                    raise P.UnpicklingError(
                        f"Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` "
                        f"but got {cls!r}")
                push(cls.__new__(cls, *args))
            elif key == _op(P.BUILD):
                state = self._pop()
                self._build(self._top(), state)
            elif key == _op(P.BINPERSID):
                pid = self._pop()
                if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
                    raise P.UnpicklingError(f"Only persistent_load of storage is allowed, but got {pid!r:.80}")
                push(self.persistent_load(pid))
            elif key == _op(P.PROTO):
                if read(1)[0] > P.HIGHEST_PROTOCOL:
                    raise P.UnpicklingError("unsupported pickle protocol")
            elif key == _op(P.FRAME):
                read(8)  # frames only group opcodes; lengths are checked read by read
            elif key == _op(P.STOP):
                if len(stack) != 1 or stack[0] is _MARK:
                    raise P.UnpicklingError("invalid pickle: the stack does not hold one object at STOP")
                return stack[0]
            else:
                raise P.UnpicklingError(f"Unsupported operand {key}")

    def _pop(self):
        v = self.stack.pop()
        if v is _MARK:
            raise pickle.UnpicklingError("unexpected MARK")
        return v

    def _top(self):
        v = self.stack[-1]
        if v is _MARK:
            raise pickle.UnpicklingError("unexpected MARK")
        return v

    def _item(self, i):
        v = self.stack[i]
        if v is _MARK:
            raise pickle.UnpicklingError("unexpected MARK")
        return v

    def _target(self, kind, what):
        obj = self._top()
        if type(obj) is not kind:
            raise pickle.UnpicklingError(f"Can only {what}, but got {type(obj)}")
        return obj

    def _dict_target(self, opcode):
        obj = self._top()
        if type(obj) not in (dict, collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
                                         f"but got {type(obj)}")
        return obj

    def _build(self, inst, state):
        t = type(inst)
        if t in (collections.OrderedDict, collections.Counter):
            # state_dict()'s `_metadata` attribute comes this way
            if type(state) is not dict or any(type(k) is not str or k.startswith("__") for k in state):
                raise pickle.UnpicklingError("OrderedDict state must be a dict of attribute names")
            inst.__dict__.update(state)
        elif self.user_values.get(id(t)) is t:
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None:
                setstate(state)
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    inst.__dict__.update(state)
                if slotstate:
                    for k, v in slotstate.items():
                        setattr(inst, k, v)
        else:
            raise pickle.UnpicklingError(
                f"Can only build Tensor, Parameter, OrderedDict or types allowlisted via `add_safe_globals`, "
                f"but got {t}")


def _weights_only_message(message):
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check the "
                "recommended steps in the following error message.\n\tWeightsUnpickler error: " + message
                + _DOCS_MESSAGE)
    out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        out += ("Please file an issue with the following so that we can make `weights_only=True` compatible with "
                "your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + _DOCS_MESSAGE


# =========================================================================================================
# weights_only=False: plain pickle, with torch's names mapped onto ember's


def _unsafe_unpickler_class(pickle_module):
    class _Unpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            if full in _ALLOWED:
                value = _ALLOWED[full]
                if value is _TENSOR_MARKER:
                    return Tensor
                if value is _PARAMETER_MARKER:
                    from .nn.parameter import Parameter

                    return Parameter
                return value
            if module == "torch" or module.startswith("torch."):
                import importlib

                try:  # ember mirrors torch's module layout
                    obj = importlib.import_module("ember" + module[len("torch"):])
                    for part in name.split("."):
                        obj = getattr(obj, part)
                    return obj
                except (ImportError, AttributeError):
                    raise AttributeError(f"ember has no counterpart of {full}, needed to load this object") from None
            return super().find_class(module, name)

    return _Unpickler


# =========================================================================================================
# loading: the file formats


def _restore_location(map_location):
    """A function (storage, location) -> storage applying map_location; ember stores everything on the CPU."""

    def default(storage, location):
        loc = str(location)
        backend = loc.split(":")[0]
        if backend == "cpu":
            return storage
        if backend in ("cuda", "mps", "xpu", "hpu", "mtia"):
            raise _no_device_error(backend)
        raise RuntimeError(f"don't know how to restore data location of torch.storage.UntypedStorage (tagged with "
                           f"{loc})")

    if map_location is None:
        return default
    if isinstance(map_location, dict):
        return lambda storage, location: default(storage, map_location.get(location, location))
    if isinstance(map_location, (str, bytes, _device)):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda storage, location: default(storage, target)
    if callable(map_location):
        def call(storage, location):
            result = map_location(storage, location)
            if result is None:
                return default(storage, location)
            if not isinstance(result, _LoadedStorage):
                raise TypeError(f"map_location must return None or a storage, got {type(result).__name__}")
            return result
        return call
    raise TypeError(f"unsupported map_location: {map_location!r}")


def _decode(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _storage_dtype(storage_type):
    if not isinstance(storage_type, _StorageType):
        raise pickle.UnpicklingError(f"persistent id names no storage type: {storage_type!r:.80}")
    return storage_type.dtype


class _ZipCheckpoint:
    """Reads records of a torch zip checkpoint, checking every claimed size against the file."""

    def __init__(self, f):
        self.f = f
        try:
            self.zf = zipfile.ZipFile(f)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error):
            raise RuntimeError(
                "PytorchStreamReader failed reading zip archive: failed finding central directory. Your checkpoint "
                "file is likely truncated or corrupted (not saved completely, or modified after saving).") from None
        if not infos:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: archive does not contain any files")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise RuntimeError("PytorchStreamReader failed reading zip archive: duplicate record names")
        for n in names:
            parts = n.replace("\\", "/").split("/")
            if n.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise RuntimeError(f"PytorchStreamReader failed reading zip archive: unsafe record name {n!r}")
        first = names[0]
        if "/" not in first:
            raise RuntimeError(f"file in archive is not in a subdirectory: {first}")
        self.prefix = first[:first.index("/") + 1]
        self.infos = {n: i for n, i in zip(names, infos)}
        self.file_size = f.seek(0, 2)

    def has_record(self, name):
        return self.prefix + name in self.infos

    def _info(self, name):
        info = self.infos.get(self.prefix + name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        return info

    def data_offset(self, name):
        """(offset of the record's bytes in the file, size); the record must lie inside the file."""
        info = self._info(name)
        self.f.seek(info.header_offset)
        header = self.f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: invalid header or archive is "
                               "corrupted")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if info.compress_type != zipfile.ZIP_STORED:
            return None, info.file_size
        if start + info.file_size > self.file_size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed "
                               "(the record extends past the end of the file: truncated or corrupted)")
        return start, info.file_size

    def read_record(self, name, expected_size=None):
        """The record's bytes as a writable uint8 array (checked: size, then CRC)."""
        info = self._info(name)
        if expected_size is not None and info.file_size != expected_size:
            raise RuntimeError(f"PytorchStreamReader: record {name} holds {info.file_size} bytes but the checkpoint "
                               f"declares {expected_size}: the file is corrupted")
        start, size = self.data_offset(name)
        if start is None:
            try:
                data = bytearray(self.zf.read(info))
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: {e}") from None
            return np.frombuffer(data, np.uint8) if data else np.empty(0, np.uint8)
        buf = bytearray(size)
        self.f.seek(start)
        if size and self.f.readinto(buf) != size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed")
        if info.CRC and zlib.crc32(buf) != info.CRC:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: crc32 mismatch (the file is "
                               "corrupted)")
        return np.frombuffer(buf, np.uint8) if size else np.empty(0, np.uint8)


def _load_zip(f, map_location, weights_only, pickle_module, mmap_path, pickle_load_args):
    archive = _ZipCheckpoint(f)
    if archive.has_record("constants.pkl"):
        raise RuntimeError("this is a TorchScript archive (torch.jit.save); ember cannot load TorchScript")
    byteorder = b"little"
    if archive.has_record("byteorder"):
        byteorder = archive.read_record("byteorder").tobytes()
        if byteorder not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + byteorder.decode(errors="replace"))
    restore = _restore_location(map_location)
    mapped = None
    if mmap_path is not None:
        with open(mmap_path, "rb") as fh:
            mapped = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
    loaded = {}

    def persistent_load(pid):
        if len(pid) != 5:
            raise pickle.UnpicklingError(f"malformed storage persistent id of length {len(pid)}")
        _, storage_type, key, location, numel = pid
        dtype = _storage_dtype(storage_type)
        key, location = _decode(key), _decode(location)
        if type(key) is not str or not re.fullmatch(r"[A-Za-z0-9_.\-]+", key) or ".." in key:
            raise pickle.UnpicklingError(f"invalid storage key {key!r:.80}")
        if key in loaded:
            return loaded[key]
        if type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError("invalid storage size in persistent id")
        if dtype is None:
            raise RuntimeError(f"ember has no dtype for storage type {storage_type!r}")
        nbytes = numel * dtype.itemsize
        name = f"data/{key}"
        if mapped is not None:
            start, size = archive.data_offset(name)
            if size != nbytes:
                raise RuntimeError(f"PytorchStreamReader: record {name} holds {size} bytes but the checkpoint "
                                   f"declares {nbytes}: the file is corrupted")
            if start is None:
                raise RuntimeError("mmap needs uncompressed records")
            raw = np.frombuffer(mapped, np.uint8, count=nbytes, offset=start) if nbytes else np.empty(0, np.uint8)
        else:
            raw = archive.read_record(name, nbytes)
        arr = raw.view(dtype._np)
        if byteorder.decode() != sys.byteorder and dtype.itemsize > 1:
            arr = _byteswapped(arr, dtype)
        storage = restore(_LoadedStorage(arr, dtype, location), location)
        loaded[key] = storage
        return storage

    pkl = archive.read_record("data.pkl")
    return _unpickle(pkl.tobytes(), None, persistent_load, weights_only, pickle_module, pickle_load_args)


def _byteswapped(arr, dtype):
    width = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize
    raw = arr.view(f"u{width}").copy()
    raw.byteswap(inplace=True)
    return raw.view(dtype._np)


def _unpickle(data, file, persistent_load, weights_only, pickle_module, pickle_load_args):
    if weights_only:
        source = _Source(data=data) if file is None else _Source(file=file)
        try:
            return _SafeUnpickler(source, persistent_load, pickle_load_args.get("encoding", "utf-8")).load()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    unpickler = _unsafe_unpickler_class(pickle_module)(io.BytesIO(data) if file is None else file, **pickle_load_args)
    unpickler.persistent_load = persistent_load
    return unpickler.load()


def _load_legacy(f, map_location, weights_only, pickle_module, pickle_load_args):
    """The format torch.save wrote before 1.6: pickled magic number, protocol version and system info, the
    object (storages as persistent ids), the list of storage keys, then each storage's size and bytes."""
    start = f.tell()
    head = f.read(512)
    f.seek(start)
    if len(head) >= 262 and head[257:262] == b"ustar":
        raise RuntimeError("Cannot use ``weights_only=True`` with files saved in the legacy .tar format. "
                           + UNSAFE_MESSAGE if weights_only else
                           "ember cannot load checkpoints in torch's legacy .tar format")

    def header_value(what):
        try:
            return _SafeUnpickler(_Source(file=f), None, "utf-8").load()
        except pickle.UnpicklingError:
            raise RuntimeError(f"Invalid {what}; corrupt file?") from None

    if header_value("magic number") != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = header_value("protocol version")
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    header_value("system info")

    restore = _restore_location(map_location)
    file_end = _Source(file=f).end
    roots, views = {}, {}

    def persistent_load(pid):
        if len(pid) != 6:
            raise pickle.UnpicklingError(f"malformed legacy storage persistent id of length {len(pid)}")
        _, storage_type, key, location, numel, view_metadata = pid
        dtype = _storage_dtype(storage_type)
        key, location = _decode(key), _decode(location)
        if type(key) is not str or type(numel) is not int or numel < 0 or dtype is None:
            raise pickle.UnpicklingError("malformed legacy storage persistent id")
        if key not in roots:
            if numel * dtype.itemsize > file_end - f.tell():  # the bytes come after: the file must hold them
                raise RuntimeError("legacy checkpoint declares a storage larger than the file: corrupted")
            roots[key] = restore(_LoadedStorage(np.zeros(numel, dtype._np), dtype, location), location)
        root = roots[key]
        if view_metadata is None:
            return root
        view_key, offset, size = view_metadata
        if type(offset) is not int or type(size) is not int or offset < 0 or size < 0 or offset + size > numel:
            raise pickle.UnpicklingError("legacy storage view out of bounds")
        if view_key not in views:
            views[view_key] = _LoadedStorage(root.array[offset:offset + size], dtype, location)
        return views[view_key]

    result = _unpickle(None, f, persistent_load, weights_only, pickle_module, pickle_load_args)
    try:
        keys = _SafeUnpickler(_Source(file=f), None, "utf-8").load()
    except pickle.UnpicklingError:
        raise RuntimeError("legacy checkpoint is truncated: the list of storages is missing") from None
    if type(keys) is not list:
        raise RuntimeError("legacy checkpoint is corrupted: bad list of storages")
    for key in keys:
        if key not in roots:
            raise RuntimeError(f"legacy checkpoint is corrupted: unknown storage key {key!r}")
        arr = roots[key].array
        size_bytes = f.read(8)
        if len(size_bytes) != 8 or struct.unpack("<q", size_bytes)[0] != arr.size:
            raise RuntimeError(f"legacy checkpoint is truncated or corrupted at storage {key}")
        if arr.nbytes and f.readinto(memoryview(arr.view(np.uint8))) != arr.nbytes:
            raise RuntimeError(f"legacy checkpoint is truncated at storage {key}")
    return result


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved with torch.save or ember.save (path, str/PathLike or binary file object).

    weights_only (default True, as in PyTorch 2.6+, unless a pickle_module is given) loads tensors, dtypes,
    containers of plain data and allow-listed globals only, without running anything from the file."""
    truthy = ("1", "y", "yes", "true")
    force_safe = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    force_unsafe = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    if force_safe and force_unsafe:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force_safe:
        weights_only = True
    elif force_unsafe and weights_only is None:
        weights_only = False
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    elif pickle_module is None:
        pickle_module = pickle
    pickle_load_args.setdefault("encoding", "utf-8")

    if _is_path(f) and os.fspath(f).endswith(".safetensors"):
        from .utils.safetensors import load_file

        if isinstance(map_location, dict) or (callable(map_location) and not isinstance(map_location, _device)):
            raise RuntimeError("Loading safetensors file with dict or callable map_location is not supported. Use a "
                               "device string or torch.device instead.")
        return load_file(f, device="cpu" if map_location is None else str(map_location))

    with contextlib.ExitStack() as stack:
        if _is_path(f):
            fh = stack.enter_context(open(f, "rb"))
        else:
            fh = f
            if not (hasattr(fh, "read") and hasattr(fh, "seek") and hasattr(fh, "tell")):
                raise AttributeError("expected 'f' to be a path or a file-like object with read, seek and tell")
        pos = fh.tell()
        magic = fh.read(4)
        fh.seek(pos)
        if magic == b"PK\x03\x04":
            mmap_path = None
            if mmap:
                if not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                mmap_path = os.fspath(f)
            return _load_zip(fh, map_location, weights_only, pickle_module, mmap_path, pickle_load_args)
        if mmap:
            name = f"{f}, " if isinstance(f, str) else ""
            raise RuntimeError("mmap can only be used with files saved with "
                               f"`torch.save({name}_use_new_zipfile_serialization=True), "
                               "please torch.save your checkpoint with this option in order to use mmap.")
        if not magic:
            raise EOFError("Ran out of input")
        return _load_legacy(fh, map_location, weights_only, pickle_module, pickle_load_args)
