"""default_collate / default_convert: PyTorch's rules for turning a list of samples into a batch.

Tensors are stacked (inside a worker, into a shared-memory block the main process maps without a copy), NumPy
arrays and scalars become tensors, Python floats float64 tensors, ints int64 (bools bool) tensors, strings and
bytes stay lists; mappings, namedtuples and sequences are collated field by field.
"""

import collections.abc
import copy
import re
from operator import attrgetter

from ..._backend import np
from ..._tensor import Tensor, _wrap
from . import _worker

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map", "collate_tensor_fn",
           "collate_numpy_array_fn", "collate_numpy_scalar_fn", "collate_float_fn", "collate_int_fn",
           "collate_str_fn"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")  # dtype kinds default_collate cannot turn into tensors

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                                  "lists; found {}")


def _as_tensor(data, dtype=None):
    from ...ops.creation import as_tensor

    return as_tensor(data, dtype=dtype)


def default_convert(data):
    """Turn NumPy arrays and scalars (not string/object arrays) into tensors, inside mappings and sequences too;
    everything else is returned unchanged (tuples become lists, as PyTorch does)."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:  # the mapping type takes no dict in its constructor
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate by the type of the batch's first element: an exact entry of `collate_fn_map`, else the first entry
    it is an instance of, else the container rules (mapping, namedtuple, sequence)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
                return clone
            return elem_type({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len(set(map(len, batch))) != 1:  # one C-level pass instead of a generator per element
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(samples, collate_fn_map=collate_fn_map) for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


_data_of = attrgetter("_data")
_requires_grad_of = attrgetter("requires_grad")
_shape_of = attrgetter("shape")
_dtype_of = attrgetter("dtype")


def _stack_plain(batch):
    """`stack(batch, 0)` for a batch of plain tensors (no subclass, no grad) of one shape and dtype with at least
    one dim, else None; each check is one C-level pass over the batch.

    The arrays are copied back to back into one new buffer: `bytearray.join` over C-contiguous arrays is one
    memcpy each, measured 2x (hot) to 6x (items scattered over a large dataset) faster than np.concatenate or
    np.stack, which set up a strided copy per item. Non-contiguous items go through np.concatenate along the first
    dim into the result allocated with the joined shape (n * first dim, ...). In a worker, a large batch goes
    straight into shared memory, so the main process receives it without a copy (PyTorch stacks into a shared
    storage there too)."""
    if len(set(map(type, batch))) != 1 or type(batch[0]) is not Tensor or any(map(_requires_grad_of, batch)):
        return None
    arrays = list(map(_data_of, batch))
    first = arrays[0]
    if not first.ndim or len(set(map(_shape_of, arrays))) != 1 or len(set(map(_dtype_of, arrays))) != 1:
        return None
    shape = (len(arrays),) + first.shape
    if _worker._worker_info is None or len(arrays) * first.nbytes < _worker.SHARED_MEMORY_THRESHOLD:
        try:
            return _wrap(np.frombuffer(bytearray().join(arrays), first.dtype).reshape(shape))
        except TypeError:  # an item is not C-contiguous (no simple buffer)
            out = np.empty((len(arrays) * len(first),) + first.shape[1:], first.dtype)
    else:
        out = _worker.shared_empty((len(arrays) * len(first),) + first.shape[1:], first.dtype)
    np.concatenate(arrays, axis=0, out=out)  # concatenating into a reshaped view of `out` is twice as slow
    return _wrap(out.reshape(shape))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack along a new first dim (see `_stack_plain` for the common case)."""
    from ...ops.shape import stack

    out = _stack_plain(batch)
    return stack(batch, 0) if out is None else out


def fetch_tensor_dataset_batch(dataset, indices):
    """`default_collate([dataset[i] for i in indices])` for a TensorDataset of plain tensors (no subclass, no
    grad) and int indices, as one take per tensor instead of a row tensor per item; None when that does not apply
    or an index is out of range (the per-item path then raises PyTorch's error)."""
    tensors = dataset.tensors
    if (len(indices) == 0 or set(map(type, indices)) != {int} or set(map(type, tensors)) != {Tensor}
            or any(map(_requires_grad_of, tensors))):
        return None
    n = len(tensors[0]._data)
    if not -n <= min(indices) <= max(indices) < n:
        return None
    index = np.array(indices, dtype=np.intp)
    batch = []
    for t in tensors:
        arr = t._data
        shape = (len(index),) + arr.shape[1:]
        if _worker._worker_info is not None and len(index) * arr[:1].nbytes >= _worker.SHARED_MEMORY_THRESHOLD:
            out = _worker.shared_empty(shape, arr.dtype)
        else:
            out = np.empty(shape, arr.dtype)
        np.take(arr, index, axis=0, out=out, mode="wrap")  # in range (checked above): wrap maps i < 0 to n + i
        batch.append(_wrap(out))
    return batch


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    from ... import _dtype
    from ...ops.creation import tensor

    if all(type(x) in _PLAIN_NUMBERS for x in batch):
        # straight to float64: `tensor(floats, dtype=float64)` must not round through the default float32
        return _wrap(np.array(batch, dtype=np.float64))
    return tensor(batch, dtype=_dtype.float64)


_PLAIN_NUMBERS = (float, int, bool)


def collate_int_fn(batch, *, collate_fn_map=None):
    from ...ops.creation import tensor

    if set(map(type, batch)) == {int}:
        try:
            return _wrap(np.array(batch, dtype=np.int64))
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None  # torch.tensor's error for such ints
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Put a list of samples into a batch with a new outer dimension (see the module docstring for the rules)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
