"""torch.nn.utils.rnn: PackedSequence and the functions that pack, pad and unpad variable-length sequences.

A packed sequence stores the rows of all sequences time step by time step: step t holds `batch_sizes[t]` rows,
one per sequence still running (sequences sorted longest first; `sorted_indices` records that order and
`unsorted_indices` undoes it). The data is gathered and scattered with differentiable ember ops, so gradients
flow through packing and padding.
"""

from collections import namedtuple

from ... import _dtype
from ..._backend import np
from ..._tensor import Tensor, _wrap
from ...ops import rnn as _rnn

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

PackedSequence_ = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """Holds the packed data and the batch size of every time step; made by pack_padded_sequence/pack_sequence."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                                 "created manually. They should be instantiated by functions like pack_sequence "
                                 "and pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, _bind(self.sorted_indices, lambda t: t),
                          _bind(self.unsorted_indices, lambda t: t))

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731  (indices follow the data's device, keep their dtype)
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def cuda(self, *args, **kwargs):
        return self.to(*args, device="cuda", **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to(*args, device="cpu", **kwargs)

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    perm = permutation._data
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size, dtype=perm.dtype)
    return _wrap(inverse)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu "
                               f"{_type_label(lengths)} tensor")
        return lengths._data.astype(np.int64)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _type_label(t):
    return {"int64": "Long", "int32": "Int", "float32": "Float", "float64": "Double"}.get(t.dtype._name, "")


def _batch_sizes(lengths, max_len):
    """batch_sizes[t] = how many sequences are longer than t (lengths sorted decreasing)."""
    return (lengths[None, :] > np.arange(max_len)[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences with the given lengths."""
    lengths_np = _lengths_array(lengths)
    if enforce_sorted:
        sorted_indices = None
    else:
        order = np.argsort(-lengths_np, kind="stable")
        lengths_np = lengths_np[order]
        sorted_indices = _wrap(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.shape[0] if batch_first else input.shape[1]
    steps = input.shape[1] if batch_first else input.shape[0]
    if lengths_np.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths_np.size} "
                           f"(batch_size={batch})")
    if lengths_np[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if enforce_sorted and np.any(lengths_np[1:] > lengths_np[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if lengths_np[0] > steps:  # torch reads out of bounds here; refuse instead
        raise RuntimeError(f"ember: a length ({lengths_np[0]}) is larger than the padded sequence length ({steps})")
    batch_sizes = _batch_sizes(lengths_np, int(lengths_np[0]))
    data = _rnn.pack_padded(input, batch_sizes, batch_first)
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths as an int64 tensor)."""
    data, batch_sizes_t = sequence.data, sequence.batch_sizes
    batch_sizes = batch_sizes_t._data.astype(np.int64)
    max_len = batch_sizes.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    batch = int(batch_sizes[0])
    # torch's _pad_packed_sequence: each run of steps with the same batch size is one block of the data, viewed
    # as (steps, batch size, *) and copied into the padded output (its graph: CopySlices of views of slices)
    padded = data.new_full((max_len, batch) + tuple(data.shape[1:]), padding_value)
    offset, prev_i, prev_bs = 0, 0, batch
    for i in range(batch_sizes.size + 1):
        bs = int(batch_sizes[i]) if i < batch_sizes.size else 0
        if bs != prev_bs:
            rows = prev_bs * (i - prev_i)
            block = data.narrow(0, offset, rows).view((i - prev_i, prev_bs) + tuple(data.shape[1:]))
            padded.narrow(0, prev_i, i - prev_i).narrow(1, 0, prev_bs).copy_(block)
            offset, prev_i = offset + rows, i
        prev_bs = bs
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted._data]
    return padded, _wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padding each to the longest."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    # torch's C++ pad_sequence: the sequences copied one by one into a tensor of the padding value (in the first
    # sequence's dtype), which records a chain of CopySlices
    first = sequences[0]
    shape = (len(sequences), max_len) if batch_first else (max_len, len(sequences))
    out = first.new_full(shape + tuple(first.shape[1:]), padding_value)
    for i, s in enumerate(sequences):
        start = max_len - s.shape[0] if padding_side == "left" else 0
        if batch_first:
            out.select(0, i).narrow(0, start, s.shape[0]).copy_(s)
        else:
            out.narrow(0, start, s.shape[0]).select(1, i).copy_(s)
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of sequences of the given lengths.

    (torch transposes a batch-second input in place as a side effect; ember leaves the caller's tensor alone.)"""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths_np = _lengths_array(lengths)
    return [seq[:int(length)] for seq, length in zip(padded_sequences.unbind(0), lengths_np)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (longest first unless enforce_sorted=False)."""
    lengths = np.asarray([s.shape[0] for s in sequences], dtype=np.int64)
    return pack_padded_sequence(pad_sequence(sequences), _wrap(lengths), enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
