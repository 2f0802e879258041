"""Process groups and collectives (torch.distributed's distributed_c10d), carried out by MPI through mpi4py.

Every backend name that runs on the CPU ("gloo", "mpi") maps onto one engine: an MPI communicator. mpi4py is
imported on first use, never at `import ember`; importing it initialises MPI. Ranks come from MPI, so the
processes must be started by an MPI launcher (`mpiexec`, `embrun`, or ember.multiprocessing.spawn, which
uses mpiexec underneath); a rendezvous address (MASTER_ADDR, tcp://) is checked for form but carries nothing.

Collectives work in place on the tensors' NumPy arrays. Before each collective the ranks compare a small
fingerprint of their tensors (element count, dtype, shape) in one tiny all-reduce, so mismatched tensors raise
the same RuntimeError on every rank instead of corrupting memory or hanging (EMBER_DIST_CHECK=0 skips it).
"""

import datetime
import enum
import os
import sys
import zlib

import numpy as np

from .._tensor import Tensor

__all__ = [
    "Backend", "ReduceOp", "ProcessGroup", "GroupMember", "group", "Work", "P2POp",
    "is_available", "is_initialized", "is_mpi_available", "is_gloo_available", "is_nccl_available",
    "is_ucc_available", "is_xccl_available", "is_torchelastic_launched",
    "init_process_group", "destroy_process_group", "new_group", "get_rank", "get_world_size", "get_backend",
    "get_process_group_ranks", "get_global_rank", "get_group_rank",
    "barrier", "monitored_barrier", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
    "gather", "scatter", "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single",
    "send", "recv", "isend", "irecv", "batch_isend_irecv",
    "all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list",
]

default_pg_timeout = datetime.timedelta(minutes=30)


# ---------------------------------------------------------------------------------------------------------
# MPI, imported when first needed

_MPI = None


def _mpi():
    """The mpi4py.MPI module, importing (and so initialising) MPI on first call."""
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError:
            raise RuntimeError("ember.distributed needs mpi4py and an MPI library: pip install 'ember[dist]' "
                               "(mpi4py and the mpich wheel)") from None
        # Any thread may call MPI, one at a time. "multiple" (concurrent calls) costs MPICH a lock on every
        # call: a 1 KB all-reduce takes 6-7 us instead of 0.7 us on 2 local ranks.
        mpi4py.rc.thread_level = "serialized"
        from mpi4py import MPI

        _MPI = MPI
    return _MPI


def is_available():
    """True when the MPI engine (mpi4py) can be imported; checked without importing it."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    return is_available()  # "gloo" runs on the MPI engine


def is_nccl_available():
    return False


def is_ucc_available():
    return False


def is_xccl_available():
    return False


def is_torchelastic_launched():
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


# ---------------------------------------------------------------------------------------------------------
# names: Backend, ReduceOp

class Backend(str):
    """A backend name, lower-cased (Backend("GLOO") == "gloo")."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, UCC, MPI, XCCL]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return super().__new__(cls, value)


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9


class ReduceOp:
    """The reduction operations: ReduceOp.SUM and the others are RedOpType members, as in PyTorch."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED


# ---------------------------------------------------------------------------------------------------------
# process groups

class ProcessGroup:
    """A set of ranks and the MPI communicator that connects them."""

    def __init__(self, comm, ranks, backend, name):
        self._comm = comm
        self._ranks = list(ranks)  # global rank of each group rank
        self._backend = Backend(backend)
        self._name = name

    def rank(self):
        return self._comm.Get_rank()

    def size(self):
        return self._comm.Get_size()

    def name(self):
        return self._backend

    @property
    def group_name(self):
        return self._name

    def _get_backend_name(self):
        return self._backend

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup {self._name!r} ranks={self._ranks} backend={self._backend!r}>"


class _State:
    default_pg = None
    groups = []   # every group made by new_group, destroyed with the default group
    group_count = 0


_state = _State()


class _GroupMemberMeta(type):
    @property
    def WORLD(cls):  # noqa: N802 - PyTorch's name; read live, so it follows init/destroy
        return _state.default_pg


class GroupMember(metaclass=_GroupMemberMeta):
    NON_GROUP_MEMBER = -100


class _Group:
    """`dist.group.WORLD`: the default process group (None before init_process_group)."""

    @property
    def WORLD(self):  # noqa: N802 - PyTorch's name
        return _state.default_pg


group = _Group()


def is_initialized():
    return _state.default_pg is not None


def _default_pg():
    if _state.default_pg is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _state.default_pg


def _resolve(group):
    """The ProcessGroup to use, or None when this rank is not a member of `group`."""
    if group is None or group is _state.default_pg:
        return _default_pg()
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup or None, not {type(group).__name__}")
    if group._comm is None:
        raise ValueError("The given group has been destroyed")
    return group


def _launch_world():
    """(rank, size) the MPI launcher gave this process."""
    world = _mpi().COMM_WORLD
    return world.Get_rank(), world.Get_size()


def _check_init_method(init_method):
    if init_method is None or init_method == "env://":
        return
    for scheme in ("tcp://", "file://", "env://"):
        if init_method.startswith(scheme):
            return
    raise RuntimeError(f"No rendezvous handler for {init_method.split('://')[0]}://")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the processes of this MPI job into the default process group.

    `world_size`/`rank` (or WORLD_SIZE/RANK from the environment) are checked against what the MPI launcher
    assigned: MPI owns the numbering. A process that was not started by an MPI launcher is a group of one;
    asking for more ranks there raises, naming the launchers that work."""
    if _state.default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is None:
        backend = Backend.GLOO
    elif isinstance(backend, str) and ":" in backend:  # "cpu:gloo,cuda:nccl"
        backend = dict(part.split(":") for part in backend.split(",")).get("cpu", Backend.GLOO)
    backend = Backend(backend)
    if backend == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if backend not in (Backend.GLOO, Backend.MPI):
        raise AssertionError(f"Unknown backend type {backend}")
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of typedatetime.timedelta, got {timeout}")
    _check_init_method(init_method)
    if world_size == -1 and os.environ.get("WORLD_SIZE"):
        world_size = int(os.environ["WORLD_SIZE"])
    if rank == -1 and os.environ.get("RANK"):
        rank = int(os.environ["RANK"])

    mpi_rank, mpi_size = _launch_world()
    if world_size not in (-1, mpi_size):
        if mpi_size == 1:
            raise RuntimeError(
                f"init_process_group: world_size={world_size} was asked for, but this process was not started by "
                "an MPI launcher, so it cannot reach the others (ember.distributed runs on MPI). Start the ranks "
                "with `embrun --nproc-per-node N script.py` (python -m ember.distributed.run), "
                "`mpiexec -n N python script.py`, or ember.multiprocessing.spawn.")
        raise ValueError(f"init_process_group: world_size={world_size} does not match the {mpi_size} processes "
                         "the MPI launcher started")
    if rank not in (-1, mpi_rank):
        raise ValueError(f"init_process_group: rank={rank} does not match the rank MPI assigned to this process "
                         f"({mpi_rank}); let the launcher number the ranks")

    if mpi_size > 1:
        _abort_on_uncaught_exception()
    comm = _mpi().COMM_WORLD.Dup()  # a private communicator: user MPI traffic on COMM_WORLD cannot interfere
    _state.default_pg = ProcessGroup(comm, range(mpi_size), backend, group_name or "0")
    _state.group_count = 1
    _state.timeout = timeout or default_pg_timeout


def _abort_on_uncaught_exception():
    """Make an uncaught exception on one rank stop the whole job (as torchrun stops the other workers):
    without this the other ranks would wait forever in their next collective."""
    previous = sys.excepthook
    if getattr(previous, "_ember_aborts", False):
        return

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        _mpi().COMM_WORLD.Abort(1)

    hook._ember_aborts = True
    sys.excepthook = hook


def destroy_process_group(group=None):
    """Free `group`'s communicator; with no argument, every group and the default one."""
    if group is None or group is _state.default_pg:
        if _state.default_pg is None:
            raise AssertionError("Process group cannot be None")
        for pg in [*_state.groups, _state.default_pg]:
            _free(pg)
        _state.groups = []
        _state.default_pg = None
        return
    if isinstance(group, ProcessGroup):
        _free(group)
        if group in _state.groups:
            _state.groups.remove(group)


def _free(pg):
    if pg._comm is not None:
        pg._comm.Free()
        pg._comm = None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None, sort_ranks=True):
    """A group of some ranks of the default group; every rank of the default group must call it (as in PyTorch).
    Ranks outside it get GroupMember.NON_GROUP_MEMBER."""
    world = _default_pg()
    size = world.size()
    ranks = list(range(size)) if ranks is None or len(ranks) == 0 else list(ranks)
    if sort_ranks:
        ranks = sorted(ranks)
    for r in ranks:
        if r < 0 or r >= size:
            raise ValueError("The new group's rank should be within the world_size set by init_process_group")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks {ranks} contain duplicates")
    backend = Backend(backend) if backend is not None else world._backend
    if backend == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    comm = world._comm.Create(world._comm.Get_group().Incl(ranks))  # collective over the whole default group
    name = str(_state.group_count)
    _state.group_count += 1
    if comm == _mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, backend, name)
    _state.groups.append(pg)
    return pg


def get_rank(group=None):
    if group is GroupMember.WORLD or group is None:
        return _default_pg().rank()
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg._backend


def get_process_group_ranks(group):
    pg = _resolve(group)
    return list(pg._ranks)


def get_global_rank(group, group_rank):
    pg = _resolve(group)
    if group_rank < 0 or group_rank >= len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg._name}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _resolve(group)
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg._name}")
    return pg._ranks.index(global_rank)


def _peer(pg, global_rank, group_rank, what, op):
    """The group rank of a src/dst given either as a global rank or as `group_src`/`group_dst`."""
    if global_rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    if group_rank is None:
        if global_rank is None:
            global_rank = 0
        if pg is _state.default_pg:  # global and group ranks coincide; a bad one is caught below
            group_rank = global_rank
        elif global_rank not in pg._ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {pg._name}")
        else:
            group_rank = pg._ranks.index(global_rank)
    if group_rank < 0 or group_rank >= pg.size():
        raise RuntimeError(f"ProcessGroupMPI::{op}: invalid root rank: {group_rank}")
    return group_rank


# ---------------------------------------------------------------------------------------------------------
# Work: the handle of an operation

class Work:
    """An operation's handle: wait() blocks until it is complete and its results are in the tensors."""

    def __init__(self, requests=(), finish=None, tensors=()):
        self._requests = list(requests)
        self._finish = finish
        self._tensors = list(tensors)
        self._done = not self._requests
        if self._done and finish is not None:
            finish()
            self._finish = None

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None):
        """Block until done; with a timeout (seconds or timedelta), raise RuntimeError if it is not done by then."""
        if self._done:
            return True
        if timeout is None:
            _mpi().Request.Waitall(self._requests)
        else:
            import time

            seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
            deadline = time.monotonic() + seconds
            while not _mpi().Request.Testall(self._requests):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Work.wait: the operation timed out after {seconds:g} s")
                time.sleep(0.0005)
        self._complete()
        return True

    def is_completed(self):
        if not self._done and _mpi().Request.Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        return None

    def synchronize(self):
        self.wait()

    def result(self):
        self.wait()
        return list(self._tensors)

    def get_future(self):
        raise NotImplementedError("Work.get_future is not implemented in ember")


def _work(async_op, requests, finish=None, tensors=()):
    """Return a Work for async_op, else complete the operation now and return None."""
    w = Work(requests, finish, tensors)
    if async_op:
        return w
    w.wait()
    return None


# ---------------------------------------------------------------------------------------------------------
# buffers: tensors' arrays as MPI sees them

def _check_tensor(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")


def _bytes_of(arr):
    """A contiguous uint8 view of `arr` (a copy if it is not contiguous): for operations that only move data."""
    a = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    return a.reshape(-1).view(np.uint8)


def _bytes_out(arr):
    """(uint8 buffer to receive into, function writing it back into `arr` if it is a copy)."""
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr.reshape(-1).view(np.uint8), None
    tmp = np.empty(arr.shape, arr.dtype)
    return tmp.reshape(-1).view(np.uint8), lambda: np.copyto(arr, tmp)


_LOGICAL = {RedOpType.SUM: "LOR", RedOpType.PRODUCT: "LAND", RedOpType.MIN: "LAND", RedOpType.MAX: "LOR",
            RedOpType.AVG: "LOR", RedOpType.BAND: "BAND", RedOpType.BOR: "BOR", RedOpType.BXOR: "BXOR"}
_MPI_OP = {RedOpType.SUM: "SUM", RedOpType.AVG: "SUM", RedOpType.PRODUCT: "PROD", RedOpType.MIN: "MIN",
           RedOpType.MAX: "MAX", RedOpType.BAND: "BAND", RedOpType.BOR: "BOR", RedOpType.BXOR: "BXOR"}


def _reduce_plan(dtype, op):
    """(transport dtype, MPI op) for reducing arrays of `dtype` with ReduceOp `op`."""
    if not isinstance(op, RedOpType):
        raise TypeError(f"all_reduce(): incompatible function arguments: op must be a ReduceOp, not {op!r}")
    if op in (RedOpType.PREMUL_SUM, RedOpType.UNUSED):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with the MPI engine")
    MPI = _mpi()
    kind = dtype.kind
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and kind not in "iub":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if kind == "c" and op in (RedOpType.MIN, RedOpType.MAX):
        raise ValueError(f"all_reduce does not support RedOpType.{op.name} on complex tensors")
    if kind in "iu" and op == RedOpType.AVG:  # the mean is a float; PyTorch will not round it into the tensor
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{'Long' if dtype.itemsize == 8 else 'Int' if dtype.itemsize == 4 else 'integer'}")
    if kind == "b":  # MPI has no arithmetic on bools: SUM is "any", PRODUCT and MIN are "all"
        return np.dtype(np.uint8), getattr(MPI, _LOGICAL[op])
    if kind not in "iufc" or dtype.itemsize < 4 and kind == "f":  # float16, bfloat16: reduce in float32
        return np.dtype(np.float32), getattr(MPI, _MPI_OP[op])
    return dtype, getattr(MPI, _MPI_OP[op])


class _Reducible:
    """A tensor's array in the dtype MPI reduces, contiguous; `commit()` writes results back (and averages)."""

    def __init__(self, tensor, op, size):
        arr = tensor._data
        self.tensor, self.arr = tensor, arr
        dtype, self.mpi_op = _reduce_plan(arr.dtype, op)
        self.copied = dtype != arr.dtype or not arr.flags.c_contiguous or not arr.flags.writeable
        self.buf = np.ascontiguousarray(arr, dtype=dtype) if self.copied else arr
        self.avg = size if op == RedOpType.AVG else None

    def commit(self):
        if self.avg is not None:
            np.divide(self.buf, self.avg, out=self.buf)
        if self.copied:
            np.copyto(self.arr, self.buf.astype(self.arr.dtype, copy=False), casting="unsafe")
        self.tensor._bump_version()


_FINGERPRINTS = {}


def _fingerprint(arr):
    """(element count, dtype code, shape code) of an array, remembered per (shape, dtype): small calls are hot."""
    key = (arr.shape, arr.dtype)
    fp = _FINGERPRINTS.get(key)
    if fp is None:
        if len(_FINGERPRINTS) > 4096:
            _FINGERPRINTS.clear()
        fp = _FINGERPRINTS[key] = (arr.size, zlib.crc32(arr.dtype.str.encode()),
                                   zlib.crc32(repr(arr.shape).encode()))
    return fp


_CHECK = os.environ.get("EMBER_DIST_CHECK", "1") != "0"


def _check_same(pg, what, arrays, shape_matters=True):
    """Raise on every rank if the ranks' tensors for this collective differ in size, dtype (or shape).

    One all-reduce of a few integers: MAX over (values, -values) gives each value's max and min at once."""
    if not _CHECK or pg.size() == 1:
        return
    fp = [v for a in arrays for v in _fingerprint(a)[:3 if shape_matters else 2]]
    vec = np.array(fp + [-v for v in fp], dtype=np.int64)
    pg._comm.Allreduce(_mpi().IN_PLACE, vec, op=_mpi().MAX)
    n = len(fp)
    hi, lo = vec[:n], -vec[n:]
    if (hi != lo).any():
        k = 3 if shape_matters else 2
        sizes = sorted({int(lo[0]), int(hi[0])})
        detail = f"element counts {sizes[0]}..{sizes[-1]}" if lo[0] != hi[0] else (
            "dtypes differ" if lo[1] != hi[1] else "shapes differ")
        if len(fp) > k:
            detail = "tensor sizes, dtypes or shapes differ"
        raise RuntimeError(f"{what}: the ranks' tensors do not match ({detail}; this rank has "
                           f"{[(list(a.shape), str(a.dtype)) for a in arrays][:4]}). Every rank must pass tensors of "
                           "the same size and dtype.")


def _agree(pg, what, ok, message):
    """Raise on every rank if `ok` is false on any rank (a check only some ranks can make)."""
    if not _CHECK or pg.size() == 1:
        if not ok:
            raise RuntimeError(message)
        return
    flag = np.array([0 if ok else 1], dtype=np.int64)
    pg._comm.Allreduce(_mpi().IN_PLACE, flag, op=_mpi().MAX)
    if flag[0]:
        raise RuntimeError(message if not ok else f"{what}: another rank's arguments were invalid")


# ---------------------------------------------------------------------------------------------------------
# collectives

def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    pg = _resolve(group)
    if pg is None:
        return None
    if async_op:
        return Work([pg._comm.Ibarrier()])
    pg._comm.Barrier()
    return None


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    barrier(group)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across the group with `op`; every rank gets the result in place."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    r = _Reducible(tensor, op, pg.size())
    _check_same(pg, "all_reduce", [tensor._data])
    if async_op:
        req = pg._comm.Iallreduce(_mpi().IN_PLACE, r.buf, op=r.mpi_op)
        return Work([req], r.commit, [tensor])
    pg._comm.Allreduce(_mpi().IN_PLACE, r.buf, op=r.mpi_op)
    r.commit()
    return None


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False):
    works = [all_reduce(t, op, group, async_op=True) for t in tensors]
    return _work(async_op, [rq for w in works if w for rq in w._requests],
                 lambda: [w.wait() for w in works if w], tensors)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy `tensor` from rank `src` into every rank's `tensor`."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = _peer(pg, src, group_src, "src", "broadcast")
    _check_same(pg, "broadcast", [tensor._data])
    arr = tensor._data
    if pg.rank() == root:
        buf, back = _bytes_of(arr), None
    else:
        buf, back = _bytes_out(arr)

    def finish():
        if back is not None:
            back()
        tensor._bump_version()

    return _work(async_op, [pg._comm.Ibcast(buf, root=root)], finish, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce `tensor` across the group into rank `dst`'s `tensor` (the others' are left as they were)."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = _peer(pg, dst, group_dst, "dst", "reduce")
    r = _Reducible(tensor, op, pg.size())
    _check_same(pg, "reduce", [tensor._data])
    MPI = _mpi()
    if pg.rank() == root:
        req = pg._comm.Ireduce(MPI.IN_PLACE, r.buf, op=r.mpi_op, root=root)
        return _work(async_op, [req], r.commit, [tensor])
    req = pg._comm.Ireduce(r.buf, None, op=r.mpi_op, root=root)
    return _work(async_op, [req], None, [tensor])


def _same_as(out_list, t, op, what="output"):
    """PyTorch's checks that each tensor of `out_list` has `t`'s dtype and size."""
    for i, o in enumerate(out_list):
        if o.dtype != t.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {o.dtype} and  {t.dtype}")
        if o.shape != t.shape:
            raise RuntimeError(f"ProcessGroupMPI::{op}: invalid tensor size at index {i} (expected "
                               f"{_shape_str(t.shape)}, got {_shape_str(o.shape)})")


def _shape_str(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _list_len(ts, n, op, what="output tensor list"):
    if len(ts) != n:
        raise RuntimeError(f"ProcessGroupMPI::{op}: invalid {what} at index 0 (expected length {n}, "
                           f"got {len(ts)})")


def _scatter_into(flat, outs):
    """A finish step copying consecutive pieces of the received uint8 buffer `flat` into the tensors `outs`."""
    def finish():
        pos = 0
        for o in outs:
            n = o._data.nbytes
            np.copyto(o._data, flat[pos:pos + n].view(o._data.dtype).reshape(o._data.shape))
            o._bump_version()
            pos += n
    return finish


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Gather every rank's `tensor` into `tensor_list` (one tensor per rank) on every rank."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    _list_len(tensor_list, pg.size(), "allgather")
    _same_as(tensor_list, tensor, "allgather")
    _check_same(pg, "all_gather", [tensor._data])
    send = _bytes_of(tensor._data)
    flat = np.empty(send.size * pg.size(), np.uint8)
    req = pg._comm.Iallgather(send, flat)
    return _work(async_op, [req], _scatter_into(flat, tensor_list), tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Gather every rank's `input_tensor` into `output_tensor` (concatenated along dim 0, or stacked)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    if output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {output_tensor.dtype} and  "
                         f"{input_tensor.dtype}")
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise RuntimeError(f"ProcessGroupMPI::_allgather_base: output tensor size must be equal to world_size "
                           f"times input tensor size ({output_tensor.numel()} vs {input_tensor.numel()} x "
                           f"{pg.size()})")
    _check_same(pg, "all_gather_into_tensor", [input_tensor._data])
    buf, back = _bytes_out(output_tensor._data)
    req = pg._comm.Iallgather(_bytes_of(input_tensor._data), buf)
    return _work(async_op, [req], _finish(output_tensor, back), [output_tensor])


def _finish(tensor, back):
    def finish():
        if back is not None:
            back()
        tensor._bump_version()
    return finish


def _check_root_list(pg, is_root, tensors, tensor, op, kind, role):
    """gather's and scatter's checks of the root's list (`kind` "output"/"input", the root's `role`
    "destination"/"source"), with PyTorch's messages: required on the root, refused elsewhere."""
    name = f"{op}_list"
    if is_root:
        if not tensors:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        _check_list(tensors, name)
        if len(tensors) != pg.size():
            raise RuntimeError(f"ProcessGroupMPI::{op}: Incorrect {kind} list size {len(tensors)}. "
                               f"{kind.capitalize()} list size should be {pg.size()}, same as size of the process "
                               "group.")
        _same_as(tensors, tensor, op)
    elif tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Gather every rank's `tensor` into `gather_list` on rank `dst`."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = _peer(pg, dst, group_dst, "dst", "gather")
    is_root = pg.rank() == root
    _check_root_list(pg, is_root, gather_list, tensor, "gather", "output", "destination")
    _check_same(pg, "gather", [tensor._data])
    send = _bytes_of(tensor._data)
    if is_root:
        flat = np.empty(send.size * pg.size(), np.uint8)
        req = pg._comm.Igather(send, flat, root=root)
        return _work(async_op, [req], _scatter_into(flat, gather_list), gather_list)
    return _work(async_op, [pg._comm.Igather(send, None, root=root)])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank `src` sends `scatter_list[i]` to rank i, which receives it in `tensor`."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = _peer(pg, src, group_src, "src", "scatter")
    is_root = pg.rank() == root
    _check_root_list(pg, is_root, scatter_list, tensor, "scatter", "input", "source")
    _check_same(pg, "scatter", [tensor._data])
    buf, back = _bytes_out(tensor._data)
    send = np.concatenate([_bytes_of(t._data) for t in scatter_list]) if is_root else None
    req = pg._comm.Iscatter(send, buf, root=root)
    return _work(async_op, [req], _finish(tensor, back), [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input_list[i]` across ranks into rank i's `output`."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _resolve(group)
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise RuntimeError("invalid input tensor list size, must be world size")
    _same_as(input_list, output, "reduce_scatter")
    stacked = _wrap_array(np.stack([t._data for t in input_list]))
    return _reduce_scatter(output, stacked, op, pg, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input` across ranks and give rank i the i-th of world-size equal chunks (along dim 0)."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    if output.dtype != input.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {output.dtype} and  {input.dtype}")
    if output.numel() * pg.size() != input.numel():
        raise RuntimeError(f"ProcessGroupMPI::_reduce_scatter_base: input tensor must be the same size as output "
                           f"size times world size ({input.numel()} vs {output.numel()} x {pg.size()})")
    return _reduce_scatter(output, input, op, pg, async_op, "reduce_scatter_tensor")


def _wrap_array(arr):
    from .._tensor import _wrap

    return _wrap(arr)


def _reduce_scatter(output, stacked, op, pg, async_op, what):
    dtype, mpi_op = _reduce_plan(stacked._data.dtype, op)
    send = np.ascontiguousarray(stacked._data, dtype=dtype).reshape(-1)
    recv = np.empty(send.size // pg.size(), dtype)
    _check_same(pg, what, [stacked._data])

    def finish():
        if op == RedOpType.AVG:
            np.divide(recv, pg.size(), out=recv)
        np.copyto(output._data, recv.reshape(output._data.shape), casting="unsafe")
        output._bump_version()

    req = pg._comm.Ireduce_scatter_block(send, recv, op=mpi_op)
    return _work(async_op, [req], finish, [output])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i sends `input_tensor_list[j]` to rank j, which receives it in `output_tensor_list[i]`."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise RuntimeError(f"ProcessGroupMPI::alltoall: tensor lists must have world size {n} entries (got "
                           f"{len(output_tensor_list)} outputs and {len(input_tensor_list)} inputs)")
    dtypes = {t.dtype for t in [*output_tensor_list, *input_tensor_list]}
    if len(dtypes) > 1:
        raise ValueError("Invalid usage of tensors with different dtypes")
    # what rank i sends to rank j must be what j expects from i: exchange the byte counts first
    send_counts = np.array([t._data.nbytes for t in input_tensor_list], np.int64)
    recv_counts = np.array([t._data.nbytes for t in output_tensor_list], np.int64)
    expected = np.empty(n, np.int64)
    pg._comm.Alltoall(send_counts, expected)
    _agree(pg, "all_to_all", (expected == recv_counts).all(),
           f"all_to_all: rank {pg.rank()} expects {recv_counts.tolist()} bytes from the ranks but they send "
           f"{expected.tolist()}")
    send = np.concatenate([_bytes_of(t._data) for t in input_tensor_list]) if n else np.empty(0, np.uint8)
    flat = np.empty(int(recv_counts.sum()), np.uint8)
    sdispl = np.concatenate([[0], np.cumsum(send_counts)[:-1]])
    rdispl = np.concatenate([[0], np.cumsum(recv_counts)[:-1]])
    MPI = _mpi()
    req = pg._comm.Ialltoallv([send, (send_counts, sdispl), MPI.BYTE], [flat, (recv_counts, rdispl), MPI.BYTE])
    return _work(async_op, [req], _scatter_into(flat, output_tensor_list), output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    """all_to_all on one tensor split along dim 0 (equally, or by the given sizes)."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()

    def split(t, sizes):
        if not sizes:
            if t.shape[0] % n if t.dim() else True:
                raise RuntimeError("Tensor's dim 0 does not divide equally across group size")
            sizes = [t.shape[0] // n] * n
        out, pos = [], 0
        for s in sizes:
            out.append(_wrap_array(t._data[pos:pos + s]))
            pos += s
        return out

    outs = split(output, output_split_sizes)
    ins = split(input, input_split_sizes)
    w = all_to_all(outs, ins, group, async_op=True)

    def finish():
        w.wait()
        output._bump_version()

    return _work(async_op, w._requests, finish, [output])


# ---------------------------------------------------------------------------------------------------------
# point to point

def _p2p_group(group, peer, group_peer, what):
    pg = _resolve(group)
    if pg is None:
        return None, None
    if peer is None and group_peer is None:
        raise ValueError(f"Must specify either {what} or group_{what}")
    r = _peer(pg, peer, group_peer, what, "send" if what == "dst" else "recv")
    return pg, r


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst` (blocks until it can be reused)."""
    _check_tensor(tensor)
    pg, peer = _p2p_group(group, dst, group_dst, "dst")
    if pg is None:
        return None
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same as the rank of the "
                         "current process.")
    pg._comm.Send(_bytes_of(tensor._data), dest=peer, tag=tag)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (any rank if None); returns the sender's rank."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return -1
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src", "recv")
    status = MPI.Status()
    pg._comm.Probe(source=peer, tag=tag, status=status)
    size = status.Get_count(MPI.BYTE)
    buf, back = _bytes_out(tensor._data)
    if size != buf.size:
        # take the message anyway, so the sender is not left blocked, then say what went wrong
        pg._comm.Recv(np.empty(size, np.uint8), source=status.Get_source(), tag=status.Get_tag())
        raise RuntimeError(f"recv: the message from rank {pg._ranks[status.Get_source()]} has {size} bytes but the "
                           f"receiving tensor has {buf.size} ({list(tensor.shape)}, {tensor.dtype})")
    pg._comm.Recv(buf, source=status.Get_source(), tag=status.Get_tag())
    _finish(tensor, back)()
    return pg._ranks[status.Get_source()]


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending `tensor` to rank `dst`; returns a Work."""
    _check_tensor(tensor)
    pg, peer = _p2p_group(group, dst, group_dst, "dst")
    if pg is None:
        return None
    buf = _bytes_of(tensor._data)
    w = Work([pg._comm.Isend(buf, dest=peer, tag=tag)], None, [tensor])
    w._buf = buf  # a copied buffer must live until the send completes
    return w


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into `tensor` from rank `src` (any rank if None); returns a Work."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src", "recv")
    buf, back = _bytes_out(tensor._data)
    w = Work([pg._comm.Irecv(buf, source=peer, tag=tag)], _finish(tensor, back), [tensor])
    w._buf = buf
    return w


class P2POp:
    """A send or receive for batch_isend_irecv."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv, send, recv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        self.op = {send: isend, recv: irecv}.get(op, op)
        self.tensor, self.peer, self.group, self.tag, self.group_peer = tensor, peer, group, tag, group_peer


def batch_isend_irecv(p2p_op_list):
    """Start every send and receive of the list; returns their Works."""
    if not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    out = []
    for p in p2p_op_list:
        if p.op is isend:
            out.append(isend(p.tensor, p.peer, p.group, p.tag, group_dst=p.group_peer))
        else:
            out.append(irecv(p.tensor, p.peer, p.group, p.tag, group_src=p.group_peer))
    return out


# ---------------------------------------------------------------------------------------------------------
# picklable objects

def all_gather_object(object_list, obj, group=None):
    """Fill `object_list` (one slot per rank) with every rank's `obj`."""
    pg = _resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have world size {pg.size()} entries, "
                         f"got {len(object_list)}")
    object_list[:] = pg._comm.allgather(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace the contents of every rank's `object_list` by rank `src`'s."""
    pg = _resolve(group)
    if pg is None:
        return
    root = _peer(pg, src, group_src, "src", "broadcast")
    got = pg._comm.bcast(list(object_list) if pg.rank() == root else None, root=root)
    if len(got) != len(object_list):
        raise RuntimeError(f"broadcast_object_list: rank {root} sent {len(got)} objects, this rank's list has "
                           f"{len(object_list)}")
    object_list[:] = got


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    pg = _resolve(group)
    if pg is None:
        return
    root = _peer(pg, dst, group_dst, "dst", "gather")
    if pg.rank() == root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError("Argument ``object_gather_list`` must be specified on destination rank (one slot per rank)")
    got = pg._comm.gather(obj, root=root)
    if pg.rank() == root:
        object_gather_list[:] = got


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    pg = _resolve(group)
    if pg is None:
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    root = _peer(pg, src, group_src, "src", "scatter")
    got = pg._comm.scatter(list(scatter_object_input_list) if pg.rank() == root else None, root=root)
    scatter_object_output_list[0] = got

