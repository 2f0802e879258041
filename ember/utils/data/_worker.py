"""What runs inside a DataLoader worker process, and the shared-memory transport of its batches.

A worker takes `(task index, sample indices)` from its own index queue, fetches and collates, and puts the result
on the one result queue shared by all workers. Results travel as bytes from `dumps`, a pickler that moves every
large array (a tensor's array included) into a block of shared memory (a file in /dev/shm, mapped) and sends only
the block's name with shape, strides and dtype; the main process maps the block and wraps it without copying
(`_rebuild_shared_array`), and unlinks the name at once, so the memory is freed when the last array over it goes.
`default_collate` stacks large batches straight into such a block (`shared_empty`), so a batch is copied once.
"""

import io
import itertools
import mmap
import os
import pickle
import queue
import random
import signal
import sys
import tempfile
import threading
import time
import traceback
import weakref
from dataclasses import dataclass

from ..._backend import np

__all__ = ["WorkerInfo", "get_worker_info"]

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between liveness checks while waiting on a queue (PyTorch's value)
WORKER_PARENT_CHECK_INTERVAL = 1.0  # how often an idle worker checks that the main process still lives
SHARED_MEMORY_THRESHOLD = 1 << 16  # arrays of at least this many bytes travel through shared memory
SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
# no MAP_POPULATE: measured slower for fresh tmpfs blocks (it zero-fills them all before the copy starts)
_MAP_FLAGS = mmap.MAP_SHARED


# -----------------------------------------------------------------------------------------------------------
# worker info and seeds


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: its id, the number of workers, its seed and its copy of
    the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """The current worker's WorkerInfo, or None in the main process."""
    return _worker_info


def _generate_state(base_seed, worker_id):
    """The 4-word NumPy seed PyTorch gives worker `worker_id` (a SeedSequence-style hash of worker id and base
    seed), so `np.random` streams in workers match PyTorch's."""
    init_a, mult_a, init_b, mult_b = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
    mix_mult_l, mix_mult_r, xshift, mask32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    hash_const_a = init_a

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask32
        hash_const_a = (hash_const_a * mult_a) & mask32
        value = (value * hash_const_a) & mask32
        return (value ^ (value >> xshift)) & mask32

    def mix(x, y):
        result = ((mix_mult_l * x) & mask32) - ((mix_mult_r * y) & mask32)
        result &= mask32
        return (result ^ (result >> xshift)) & mask32

    pool = [hash_(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = init_b
    state = []
    for value in pool:
        value = (value ^ hash_const_b) & mask32
        hash_const_b = (hash_const_b * mult_b) & mask32
        value = (value * hash_const_b) & mask32
        state.append((value ^ (value >> xshift)) & mask32)
    return state


# -----------------------------------------------------------------------------------------------------------
# messages


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Start a new epoch (persistent workers)."""

    seed: object = None


class KeyErrorMessage(str):
    """A KeyError's message printed as is (KeyError shows repr() of its argument, which mangles tracebacks)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, carried across processes and re-raised with PyTorch's text:
    "Caught ValueError in DataLoader worker process 0.\\nOriginal Traceback (most recent call last): ..."."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # the exception type takes other arguments: keep the text at least
            raise RuntimeError(msg) from None
        raise exception


# -----------------------------------------------------------------------------------------------------------
# fetchers: samples for one task, collated


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        if kind == _DatasetKind.Map:
            return _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        from . import _collate
        from .dataset import TensorDataset

        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        # a TensorDataset batch under default_collate is gathered whole (same result as item by item)
        self._take_batch = None
        if type(dataset) is TensorDataset and collate_fn is _collate.default_collate:
            self._take_batch = _collate.fetch_tensor_dataset_batch

    def fetch(self, possibly_batched_index):
        if self.auto_collation:
            if hasattr(self.dataset, "__getitems__") and self.dataset.__getitems__:
                data = self.dataset.__getitems__(possibly_batched_index)
            else:
                if self._take_batch is not None:
                    batch = self._take_batch(self.dataset, possibly_batched_index)
                    if batch is not None:
                        return batch
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


# -----------------------------------------------------------------------------------------------------------
# shared memory


class _SharedBlock(mmap.mmap):
    """A mapped shared-memory file. NumPy arrays over it hold it (their `.base` chain ends here) and the mapping
    goes away with the last of them."""


_block_prefix = None  # this worker's file name prefix; set in the worker loop
_block_counter = itertools.count()


def block_prefix(token, worker_id=None):
    """File-name prefix of the blocks of one DataLoader iterator (and one worker of it): the main process removes
    whatever is left under it when it shuts its workers down."""
    base = os.path.join(SHM_DIR, f"ember-dl-{token}-")
    return base if worker_id is None else f"{base}{worker_id}-"


def shared_empty(shape, dtype):
    """An uninitialised C-contiguous array of `shape` and `dtype` in a new shared-memory block (a plain array
    outside a worker, or for an empty shape)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if _block_prefix is None or nbytes == 0:
        return np.empty(shape, dtype)
    path = f"{_block_prefix}{next(_block_counter)}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, nbytes)
        block = _SharedBlock(fd, nbytes, flags=_MAP_FLAGS)
    finally:
        os.close(fd)
    block.path = path
    block.dump_id = None  # the dump that sent it; a later dump sends a copy (the receiver unlinks the name)
    block.address = np.frombuffer(block, np.uint8, 1).ctypes.data
    return np.ndarray(shape, dtype, buffer=block)


def _owner(arr):
    """The array at the end of `arr`'s base chain (the one over the memory), and that memory's own object."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr, arr.base


def _root_buffer(arr):
    return _owner(arr)[1]


_received = weakref.WeakValueDictionary()  # path -> block, so arrays of one batch over one block share a mapping


def _rebuild_shared_array(path, nbytes, offset, shape, strides, dtype):
    """The main process's side: map the block (once), unlink its name, and view the array in it."""
    block = _received.get(path)
    if block is None:
        fd = os.open(path, os.O_RDWR)
        try:
            block = _SharedBlock(fd, nbytes, flags=_MAP_FLAGS)
        finally:
            os.close(fd)
        os.unlink(path)
        _received[path] = block
    return np.ndarray(shape, dtype, buffer=block, offset=offset, strides=strides)


_dump_ids = itertools.count()


class _BatchPickler(pickle.Pickler):
    """Pickles a worker's result, sending large arrays (tensors' arrays included) by shared-memory reference.

    An array already in a block is sent as a reference to it; a large one elsewhere is copied into a new block
    first. Views of an array copied earlier in the same dump refer into that copy, so they still share memory
    with it on the other side."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dump_id = next(_dump_ids)
        self._copies = {}  # id(owner array) -> (owner, its copy in shared memory)

    def reducer_override(self, obj):
        if type(obj) is not np.ndarray or obj.dtype.hasobject:
            if getattr(obj, "grad_fn", None) is not None and _is_tensor(obj) and obj.requires_grad:
                raise RuntimeError(
                    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
                    "support crossing process boundaries.  If you just want to transfer the data, call detach() on "
                    "the tensor before serializing (e.g., putting it on the queue).")
            return NotImplemented
        owner, block = _owner(obj)
        if isinstance(block, _SharedBlock) and block.dump_id in (None, self.dump_id):
            address = obj.__array_interface__["data"][0]
        elif id(owner) in self._copies:  # a view of an array this dump already copied
            copy = self._copies[id(owner)][1]
            block = copy.base
            address = copy.__array_interface__["data"][0] + (
                obj.__array_interface__["data"][0] - owner.__array_interface__["data"][0])
        elif obj.nbytes < SHARED_MEMORY_THRESHOLD or _block_prefix is None:
            return NotImplemented
        else:
            copy = shared_empty(obj.shape, obj.dtype)
            np.copyto(copy, obj)
            if owner is obj and obj.flags.c_contiguous:
                self._copies[id(obj)] = (obj, copy)
            obj, block = copy, copy.base
            address = obj.__array_interface__["data"][0]
        block.dump_id = self.dump_id
        return _rebuild_shared_array, (block.path, len(block), address - block.address, obj.shape, obj.strides,
                                       obj.dtype)


def _is_tensor(obj):
    from ..._tensor import Tensor

    return isinstance(obj, Tensor)


def dumps(obj):
    buf = io.BytesIO()
    _BatchPickler(buf).dump(obj)
    return buf.getvalue()


def loads(blob):
    return pickle.loads(blob)


def remove_blocks(prefix):
    """Unlink the blocks left under `prefix` (results never received: shutdown mid-epoch, a dead worker)."""
    directory, stem = os.path.split(prefix)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(stem):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


# -----------------------------------------------------------------------------------------------------------
# the worker loop


def _send(data_queue, idx, data, worker_id):
    try:
        blob = dumps((idx, data))
    except Exception:  # an unpicklable result: report it instead of leaving the main process waiting
        blob = dumps((idx, ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")))
    data_queue.put(blob)


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_when_orphaned(parent):
    """Last resort for a worker whose main process died while the worker's own loop is blocked (a stuck pipe,
    a dataset call that never returns): the loop's parent check normally ends it within a second; if it has
    not a few seconds after the parent is gone, the process exits here."""
    while os.getppid() == parent:
        time.sleep(WORKER_PARENT_CHECK_INTERVAL)
    time.sleep(5 * WORKER_PARENT_CHECK_INTERVAL)
    os._exit(1)


def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                 base_seed, init_fn, worker_id, num_workers, persistent_workers, shm_token, main_pid):
    global _worker_info, _block_prefix
    parent = os.getppid()  # the main process, or a forkserver that exits with it
    if parent != main_pid and not _process_alive(main_pid):
        return  # the main process died before this worker got to run: the orphan check below would never fire
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True, name="ember-orphan-watchdog").start()
    try:
        # Ctrl-C reaches the whole process group: the main process handles it and shuts the workers down
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        from ..._random import manual_seed

        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(_generate_state(base_seed, worker_id))
        _block_prefix = block_prefix(shm_token, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        while os.getppid() == parent:  # an orphaned worker exits
            try:
                r = index_queue.get(timeout=WORKER_PARENT_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break  # the stop message may have been lost with a main process being torn down
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put(dumps((r, None)))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:  # the main process says stop
                break
            if done_event.is_set() or iteration_end:
                continue  # finish draining; the stop message follows
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            _send(data_queue, idx, data, worker_id)
            del data, idx, index, r  # free the batch before waiting for the next task
    except KeyboardInterrupt:
        pass
    if done_event.is_set() or os.getppid() != parent:
        # results nobody will read must not keep this process alive flushing a full pipe
        data_queue.cancel_join_thread()
        data_queue.close()
