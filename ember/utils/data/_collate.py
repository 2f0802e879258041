"""default_collate / default_convert: PyTorch's rules for turning a list of samples into a batch.

Tensors are stacked (inside a worker, into a shared-memory block the main process maps without a copy), NumPy
arrays and scalars become tensors, Python floats float64 tensors, ints int64 (bools bool) tensors, strings and
bytes stay lists; mappings, namedtuples and sequences are collated field by field.
"""

import collections.abc
import copy
import re

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
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
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


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack along a new first dim. In a worker, a large batch is stacked straight into shared memory, so the
    main process receives it without a copy (PyTorch stacks into a shared storage there too)."""
    from ...ops.shape import stack

    elem = batch[0]
    if _worker._worker_info is not None:
        arrays = [t._data for t in batch]
        shape, dtype = arrays[0].shape, arrays[0].dtype
        nbytes = len(arrays) * arrays[0].nbytes
        if (nbytes >= _worker.SHARED_MEMORY_THRESHOLD and type(elem) is Tensor
                and all(a.shape == shape and a.dtype == dtype for a in arrays)
                and not any(t.requires_grad for t in batch)):
            out = _worker.shared_empty((len(arrays),) + shape, dtype)
            np.stack(arrays, out=out)
            return _wrap(out)
    return stack(batch, 0)


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
