"""torch.UntypedStorage and torch.TypedStorage over ember's arrays: the memory a tensor and all its views share.

A tensor's storage is its root tensor's array (the one `storage_offset()` counts from), seen as bytes
(UntypedStorage) or as elements of the tensor's dtype (TypedStorage, deprecated in PyTorch). Both write
through to every tensor on that memory.
"""

import warnings

from . import _dtype
from ._backend import np
from ._device import device as _device

__all__ = ["UntypedStorage", "TypedStorage"]

_CPU = _device("cpu")
_warned = [False]


def _warn_typed_storage_removal():
    if not _warned[0]:
        _warned[0] = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the "
                      "only storage class. This should only matter to you if you are using storages directly.  To "
                      "access UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=3)


def _storage_bytes(tensor):
    """The bytes of `tensor`'s storage: its root tensor's whole array."""
    root = tensor._base if tensor._base is not None else tensor
    arr = root._data
    if not arr.flags.c_contiguous:
        raise NotImplementedError("ember: the storage of a tensor whose root array is not contiguous (e.g. "
                                  "from_numpy of a strided NumPy view) is not supported")
    return arr.reshape(-1).view(np.uint8)


def _text(values, info):
    return " " + "\n ".join(str(v) for v in values) + "\n" + info


class _CPUStorage:
    """What every ember storage answers the same way: CPU memory, never shared between processes or pinned."""

    device = _CPU
    is_cuda = False

    def cpu(self):
        return self

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def __iter__(self):
        return iter(self.tolist())


class UntypedStorage(_CPUStorage):
    """Bytes of CPU memory (torch.UntypedStorage)."""

    def __init__(self, size=0, *, device=None):
        if device is not None and _device(device).type != "cpu":
            raise RuntimeError(f"ember: UntypedStorage on {device} is not supported (ember has only the CPU)")
        if isinstance(size, UntypedStorage):
            self._bytes = size._bytes
        elif isinstance(size, np.ndarray):  # ember's own: a uint8 view of existing memory
            self._bytes = size
        else:
            self._bytes = np.zeros(int(size), np.uint8)

    def data_ptr(self):
        return self._bytes.__array_interface__["data"][0]

    def nbytes(self):
        return self._bytes.size

    def size(self):
        return self._bytes.size

    def __len__(self):
        return self._bytes.size

    def element_size(self):
        return 1

    def __getitem__(self, index):
        if isinstance(index, slice):
            return UntypedStorage(self._bytes[index])
        return int(self._bytes[index])

    def __setitem__(self, index, value):
        self._bytes[index] = value

    def tolist(self):
        return self._bytes.tolist()

    def fill_(self, value):
        self._bytes[...] = value
        return self

    def copy_(self, source, non_blocking=None):
        src = source._bytes if isinstance(source, UntypedStorage) else source.untyped()._bytes
        if src.size != self._bytes.size:
            raise RuntimeError(f"size mismatch, got input ({src.size}), output ({self._bytes.size})")
        self._bytes[...] = src
        return self

    def clone(self):
        return UntypedStorage(self._bytes.copy())

    def untyped(self):
        return self

    def __str__(self):
        return _text(self.tolist(), f"[torch.storage.UntypedStorage(device=cpu) of size {len(self)}]")

    __repr__ = __str__


class TypedStorage(_CPUStorage):
    """A storage seen as elements of one dtype (torch.TypedStorage; PyTorch deprecates it for UntypedStorage)."""

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        dtype = dtype or _dtype.get_default_dtype()
        if wrap_storage is not None:
            untyped = wrap_storage
        elif args and isinstance(args[0], int):
            untyped = UntypedStorage(args[0] * np.dtype(dtype._np).itemsize)
        elif args:
            values = np.asarray(args[0], dtype._np).reshape(-1)
            untyped = UntypedStorage(values.view(np.uint8).copy())
        else:
            untyped = UntypedStorage(0)
        self._untyped_storage = untyped
        self.dtype = dtype

    def _values(self):
        b = self._untyped_storage._bytes
        n = b.size // np.dtype(self.dtype._np).itemsize
        return b[:n * np.dtype(self.dtype._np).itemsize].view(self.dtype._np)

    def untyped(self):
        return self._untyped_storage

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def element_size(self):
        return np.dtype(self.dtype._np).itemsize

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def size(self):
        return self._values().size

    def __len__(self):
        return self.size()

    def __getitem__(self, index):
        values = self._values()
        if isinstance(index, slice):
            return TypedStorage(wrap_storage=UntypedStorage(values[index].view(np.uint8)), dtype=self.dtype,
                                _internal=True)
        value = values[index]
        return float(value) if self.dtype is _dtype.bfloat16 else value.item()

    def __setitem__(self, index, value):
        self._values()[index] = value

    def tolist(self):
        values = self._values()
        return values.astype(np.float32).tolist() if self.dtype is _dtype.bfloat16 else values.tolist()

    def fill_(self, value):
        self._values()[...] = value
        return self

    def __str__(self):
        _warn_typed_storage_removal()
        return _text(self.tolist(), f"[torch.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size "
                                    f"{len(self)}]")

    __repr__ = __str__


def untyped_storage(tensor):
    return UntypedStorage(_storage_bytes(tensor))


def typed_storage(tensor):
    _warn_typed_storage_removal()
    return TypedStorage(wrap_storage=untyped_storage(tensor), dtype=tensor.dtype, _internal=True)


def is_set_to(tensor, other):
    """Whether both tensors view the same memory with the same offset, sizes and strides (Tensor.is_set_to)."""
    return (tensor.untyped_storage().data_ptr() == other.untyped_storage().data_ptr()
            and tensor.storage_offset() == other.storage_offset() and tensor.shape == other.shape
            and tensor.stride() == other.stride())
