"""DistributedDataParallel: one model replica per process, gradients averaged across the processes.

At construction the parameters and buffers are broadcast from rank 0, so every replica starts equal. The
parameters are laid out, in reverse registration order (roughly the order backward produces their gradients),
in flat buckets of about `bucket_cap_mb` (the first one 1 MiB, as in PyTorch). Each parameter's post-accumulate
gradient hook copies its gradient into its bucket; a full bucket starts a non-blocking MPI all-reduce at once,
so communication overlaps the rest of backward. Buckets are started strictly in bucket order (collectives must
be issued in the same order on every rank) on a communicator of DDP's own, so user collectives cannot
interleave with them. When the last bucket has started, all are waited for and the averaged gradients are
written back into the parameters' `.grad`.
"""

import contextlib
import warnings
import zlib

import numpy as np

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_FIRST_BUCKET_BYTES = 1 * _MB


class _Bucket:
    """A flat buffer holding the gradients of some parameters of one dtype."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets = []
        pos = 0
        for p in params:
            self.offsets.append(pos)
            pos += p.numel()
        self.buf = np.zeros(pos, dtype)
        self.pending = len(params)
        self.request = None


def _tensors_in(obj):
    """The tensors inside a (possibly nested) forward output."""
    from ..._tensor import Tensor

    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _leaves_reached(outputs):
    """The leaf tensors whose AccumulateGrad nodes the outputs' graphs reach (the parameters backward will use)."""
    from ...autograd.graph import AccumulateGrad

    reached = set()
    seen = set()
    stack = [t.grad_fn for t in _tensors_in(outputs) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            reached.add(id(node.variable))
            continue
        stack.extend(nxt for nxt, _ in node.next_functions)
    return reached


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the model, train as usual, gradients come out averaged."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None):
        super().__init__()
        from ... import distributed as dist

        if mixed_precision is not None or device_mesh is not None or param_to_hook_all_reduce is not None:
            raise NotImplementedError("DistributedDataParallel: mixed_precision, device_mesh and "
                                      "param_to_hook_all_reduce are not implemented in ember")
        ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        self.parameters_to_ignore = ignore
        params = [p for n, p in module.named_parameters() if n not in ignore]
        if not any(p.requires_grad for p in params):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        if device_ids or output_device:
            devices = {p.device for p in params}
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: unlike "
                          "`broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at init.",
                          FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = forward_sync_buffers, True
        else:
            self.forward_sync_buffers = init_sync_buffers = broadcast_buffers is not False
        self.broadcast_buffers = self.forward_sync_buffers
        self.module = module
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.device = params[0].device
        self.process_group = process_group if process_group is not None else dist.GroupMember.WORLD
        pg = dist.distributed_c10d._resolve(process_group)
        self._comm = pg._comm.Dup()  # DDP's own traffic, ordered independently of the user's collectives
        self._world = pg.size()
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        self._buffers_to_sync = [b for n, b in module.named_buffers() if n not in ignore]

        self._check_same_shapes(params)
        if init_sync:
            self._broadcast_coalesced([p for p in params])
            if init_sync_buffers:
                self._broadcast_coalesced(self._buffers_to_sync)

        seen = set()
        self._params = []
        for p in params:
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                self._params.append(p)
        self._build_buckets(bucket_cap_mb is None)
        self._grad_hook_handles = [p.register_post_accumulate_grad_hook(self._hook_for(i))
                                   for i, p in enumerate(self._params)]
        self._expecting = False  # a forward with sync enabled ran; its backward has not finished reducing
        self._used = np.zeros(len(self._params), np.int32)

    # ----------------------------------------------------------------------------------------------
    # set-up

    def _check_same_shapes(self, params):
        """Every rank must wrap the same model: compare the parameters' shapes once, at construction."""
        layout = repr([(tuple(p.shape), str(p.dtype)) for p in params]).encode()
        shapes = np.array([zlib.crc32(layout)], np.int64)  # str hashes differ between processes; crc32 does not
        from mpi4py import MPI

        both = np.concatenate([shapes, -shapes])
        self._comm.Allreduce(MPI.IN_PLACE, both, op=MPI.MAX)
        if both[0] != -both[1]:
            raise RuntimeError("DDP expects same model across all ranks, but the ranks' parameters differ in "
                               "number, shapes or dtypes")

    def _broadcast_coalesced(self, tensors):
        """Broadcast the tensors from rank 0, one flat message per dtype."""
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, ts in by_dtype.items():
            flat = np.concatenate([t._data.reshape(-1) for t in ts]) if ts else np.empty(0, dtype)
            self._comm.Bcast(flat.view(np.uint8), root=0)
            pos = 0
            for t in ts:
                n = t._data.size
                np.copyto(t._data, flat[pos:pos + n].reshape(t._data.shape))
                t._bump_version()
                pos += n

    def _build_buckets(self, default_cap):
        """Buckets in reverse parameter order, per dtype, each up to the byte cap (the first up to 1 MiB)."""
        self._buckets = []
        self._where = [None] * len(self._params)  # parameter index -> (bucket index, slot)
        open_ = {}
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            dtype = p._data.dtype
            cap = _FIRST_BUCKET_BYTES if default_cap and not self._buckets else self.bucket_bytes_cap
            members = open_.setdefault(dtype, [])
            members.append(i)
            if sum(self._params[j]._data.nbytes for j in members) >= cap:
                self._close(open_.pop(dtype), dtype)
        for dtype, members in open_.items():
            self._close(members, dtype)

    def _close(self, members, dtype):
        b = _Bucket([self._params[j] for j in members], dtype)
        b.index = [j for j in members]
        for slot, j in enumerate(members):
            self._where[j] = (len(self._buckets), slot)
        self._buckets.append(b)

    # ----------------------------------------------------------------------------------------------
    # forward and backward

    def forward(self, *inputs, **kwargs):
        if self._expecting and self.require_backward_grad_sync and not self.find_unused_parameters:
            if any(b.pending != len(b.params) for b in self._buckets):
                raise RuntimeError(
                    "Expected to have finished reduction in the prior iteration before starting a new one. This "
                    "error indicates that your module has parameters that were not used in producing loss. You can "
                    "enable unused parameter detection by passing the keyword argument "
                    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by making "
                    "sure all `forward` function outputs participate in calculating loss.")
        if self.forward_sync_buffers and self._buffers_to_sync and self.require_forward_param_sync:
            self._broadcast_coalesced(self._buffers_to_sync)
        out = self.module(*inputs, **kwargs)
        from ...autograd.grad_mode import is_grad_enabled

        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        else:
            self._expecting = False
        return out

    def _prepare_for_backward(self, out):
        self._expecting = True
        self._next = 0
        for b in self._buckets:
            b.pending = len(b.params)
            b.request = None
        self._used[:] = 0
        self._ready = [False] * len(self._params)
        if self.find_unused_parameters:
            reached = _leaves_reached(out)
            for i, p in enumerate(self._params):
                if id(p) not in reached:
                    self._mark_ready(i, None)

    def _hook_for(self, i):
        def hook(param):
            if self._expecting and self.require_backward_grad_sync:
                if self._ready[i]:
                    raise RuntimeError(f"Expected to mark a variable ready only once. Parameter at index {i} has "
                                       "been marked as ready twice.")
                self._used[i] = 1
                self._mark_ready(i, param.grad)
        return hook

    def _mark_ready(self, i, grad):
        from mpi4py import MPI

        self._ready[i] = True
        k, slot = self._where[i]
        b = self._buckets[k]
        start, n = b.offsets[slot], b.params[slot].numel()
        if grad is None:
            b.buf[start:start + n] = 0
        else:
            np.copyto(b.buf[start:start + n], grad._data.reshape(-1), casting="unsafe")
        b.pending -= 1
        if self._next:  # MPI moves non-blocking transfers along only inside MPI calls: give started ones a push
            MPI.Request.Testall([x.request for x in self._buckets[:self._next]])
        # start every full bucket from the next one on, in order
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            nb = self._buckets[self._next]
            nb.request = self._comm.Iallreduce(MPI.IN_PLACE, nb.buf, op=MPI.SUM)
            self._next += 1
        if self._next == len(self._buckets):
            self._finalize()

    def _finalize(self):
        from mpi4py import MPI

        self._expecting = False
        MPI.Request.Waitall([b.request for b in self._buckets])
        if self.find_unused_parameters:  # a parameter no rank used keeps its gradient as it was
            self._comm.Allreduce(MPI.IN_PLACE, self._used, op=MPI.MAX)
        from ..._tensor import _wrap

        for b in self._buckets:
            b.buf /= self._world
            for slot, p in enumerate(b.params):
                j = b.index[slot]
                if self.find_unused_parameters and not self._used[j]:
                    continue
                piece = b.buf[b.offsets[slot]:b.offsets[slot] + p.numel()].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = _wrap(piece.copy())
                else:
                    np.copyto(p.grad._data, piece)
                    p.grad._bump_version()

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context gradients accumulate locally; the first backward after it averages them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ----------------------------------------------------------------------------------------------
    # the rest of PyTorch's interface

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not implemented in ember")

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        raise NotImplementedError("DistributedDataParallel.join is not implemented in ember")

    def _set_static_graph(self):
        self.static_graph = True

    def __getstate__(self):
        raise RuntimeError("DistributedDataParallel cannot be pickled; pickle its .module instead")
