"""Run under `mpiexec -n 2`: every collective against expectations computed with NumPy from all ranks' inputs
(each rank can rebuild every other rank's input from its seed). Prints 'collectives ok' on success."""

import sys

import numpy as np

import ember
import ember.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2 and dist.is_initialized() and dist.get_backend() == "gloo"


def data(r, shape=(3, 4), dtype=np.float32):
    return np.random.default_rng(r).standard_normal(shape).astype(dtype)


def everyone(shape=(3, 4), dtype=np.float32):
    return [data(r, shape, dtype) for r in range(world)]


def check(t, expected, what):
    got = t.numpy()
    assert got.dtype == expected.dtype, (what, got.dtype, expected.dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=what)


# all_reduce with every op, float and int; non-contiguous and half precision go through copies
Op = dist.ReduceOp
for op, fn in [(Op.SUM, np.sum), (Op.AVG, np.mean), (Op.PRODUCT, np.prod), (Op.MIN, np.min), (Op.MAX, np.max)]:
    t = ember.tensor(data(rank))
    assert dist.all_reduce(t, op=op) is None
    check(t, fn(np.stack(everyone()), axis=0).astype(np.float32), f"all_reduce {op}")
ints = [np.arange(6, dtype=np.int64) * (r + 3) for r in range(world)]
for op, fn in [(Op.BAND, np.bitwise_and.reduce), (Op.BOR, np.bitwise_or.reduce), (Op.BXOR, np.bitwise_xor.reduce),
               (Op.SUM, np.sum)]:
    t = ember.tensor(ints[rank])
    dist.all_reduce(t, op=op)
    check(t, fn(np.stack(ints), axis=0), f"all_reduce int {op}")
t = ember.tensor(data(rank, (4, 3))).t()  # non-contiguous
dist.all_reduce(t)
check(t, np.sum(everyone((4, 3)), axis=0).T, "all_reduce non-contiguous")
t = ember.tensor(data(rank)).to(ember.bfloat16)
dist.all_reduce(t)
assert t.dtype == ember.bfloat16
exp = sum(ember.tensor(d).to(ember.bfloat16).float().numpy() for d in everyone())
np.testing.assert_allclose(t.float().numpy(), exp, rtol=1e-2)
base = ember.zeros(2, 6)
view = base[1]
view.copy_(ember.tensor(data(rank, (6,))))
dist.all_reduce(view)
check(base[1], np.sum(everyone((6,)), axis=0), "all_reduce of a view writes the base")

# bools: SUM is "any", PRODUCT is "all" (as gloo); complex SUM; a 0-d tensor
t = ember.tensor([True, False, rank == 1])
dist.all_reduce(t)
assert t.tolist() == [True, False, True]
t = ember.tensor([True, rank == 1])
dist.all_reduce(t, op=Op.PRODUCT)
assert t.tolist() == [True, False]
t = ember.tensor([1 + 2j, rank * 1j])
dist.all_reduce(t)
assert t.tolist() == [2 + 4j, 1j]
t = ember.tensor(float(rank + 1))
dist.all_reduce(t)
assert t.item() == 3.0 and t.dim() == 0

# async all_reduce: Work.wait() / is_completed()
t = ember.tensor(data(rank))
w = dist.all_reduce(t, async_op=True)
assert w.wait(timeout=30) is True and w.is_completed()
check(t, np.sum(everyone(), axis=0), "async all_reduce")

# broadcast / reduce
t = ember.tensor(data(rank))
dist.broadcast(t, src=1)
check(t, data(1), "broadcast")
t = ember.tensor(data(rank))
dist.reduce(t, dst=0, op=Op.MAX)
check(t, np.max(everyone(), axis=0) if rank == 0 else data(rank), "reduce")

# all_gather, all_gather_into_tensor, gather, scatter
outs = [ember.empty(3, 4) for _ in range(world)]
dist.all_gather(outs, ember.tensor(data(rank)))
for r in range(world):
    check(outs[r], data(r), "all_gather")
out = ember.empty(world * 3, 4)
w = dist.all_gather_into_tensor(out, ember.tensor(data(rank)), async_op=True)
w.wait()
check(out, np.concatenate(everyone()), "all_gather_into_tensor")
gl = [ember.empty(3, 4) for _ in range(world)] if rank == 0 else None
dist.gather(ember.tensor(data(rank)), gl, dst=0)
if rank == 0:
    for r in range(world):
        check(gl[r], data(r), "gather")
t = ember.empty(3, 4)
dist.scatter(t, [ember.tensor(data(10 + r)) for r in range(world)] if rank == 1 else None, src=1)
check(t, data(10 + rank), "scatter")

# reduce_scatter, reduce_scatter_tensor
t = ember.empty(3, 4)
dist.reduce_scatter(t, [ember.tensor(data(10 * rank + r)) for r in range(world)])
check(t, sum(data(10 * q + rank) for q in range(world)), "reduce_scatter")
t = ember.empty(2, 4)
dist.reduce_scatter_tensor(t, ember.tensor(data(rank, (4, 4))), op=Op.AVG)
check(t, np.mean(everyone((4, 4)), axis=0)[2 * rank:2 * rank + 2], "reduce_scatter_tensor")

# all_to_all with uneven pieces, all_to_all_single
ins = [ember.full((r + 1 + rank,), float(10 * rank + r)) for r in range(world)]
outs = [ember.empty(rank + 1 + q) for q in range(world)]
dist.all_to_all(outs, ins)
for q in range(world):
    check(outs[q], np.full(rank + 1 + q, 10.0 * q + rank, np.float32), "all_to_all")
out = ember.empty(4)
dist.all_to_all_single(out, ember.arange(4.0) + 10 * rank)
check(out, np.array([2 * rank, 2 * rank + 1, 10 + 2 * rank, 11 + 2 * rank], np.float32), "all_to_all_single")

# point to point
if rank == 0:
    dist.send(ember.tensor(data(5)), dst=1)
    t = ember.empty(3, 4, dtype=ember.float64)
    assert dist.recv(t) == 1
    check(t, data(6, dtype=np.float64), "recv any source")
    w = dist.isend(ember.arange(5), dst=1, tag=3)
    w.wait()
else:
    t = ember.empty(3, 4)
    assert dist.recv(t, src=0) == 0
    check(t, data(5), "recv")
    dist.send(ember.tensor(data(6, dtype=np.float64)), dst=0)
    t = ember.empty(5, dtype=ember.int64)
    dist.irecv(t, src=0, tag=3).wait()
    check(t, np.arange(5), "irecv")

# objects
objs = [None] * world
dist.all_gather_object(objs, {"rank": rank, "x": [rank] * rank})
assert objs == [{"rank": r, "x": [r] * r} for r in range(world)], objs
lst = ["a", 1, None] if rank == 0 else [None, None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == ["a", 1, None], lst

# argument errors are raised locally, like PyTorch's
def raises(exc, fn, text):
    try:
        fn()
    except exc as e:
        assert text in str(e), (text, str(e))
    else:
        raise AssertionError(f"no {exc.__name__} for {text}")


raises(RuntimeError, lambda: dist.all_gather([ember.ones(2)], ember.ones(2)), "expected length 2, got 1")
raises(ValueError, lambda: dist.all_gather([ember.ones(2, dtype=ember.int64)] * 2, ember.ones(2)), "dtypes")
raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2), op=Op.BAND), "non-integral")
raises(TypeError, lambda: dist.all_reduce([1, 2]), "torch.Tensor")
raises(ValueError, lambda: dist.all_reduce(ember.ones(2, dtype=ember.complex64), op=Op.MAX), "on complex tensors")
raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2, dtype=ember.int64), op=Op.AVG), "can't be cast")
raises(RuntimeError, lambda: dist.broadcast(ember.ones(2), src=3), "invalid root rank: 3")

# a receive nobody has sent to yet times out instead of hanging; it completes once the message is sent
got = ember.empty(1)
w = dist.irecv(got, src=1 - rank, tag=99)
raises(RuntimeError, lambda: w.wait(timeout=0.05), "timed out")
dist.barrier()
dist.isend(ember.full((1,), float(rank)), dst=1 - rank, tag=99).wait()
w.wait()
assert got.item() == 1 - rank

# a group of one rank, and a group of both
g = dist.new_group([1])
if rank == 1:
    t = ember.ones(3)
    dist.all_reduce(t, group=g)
    check(t, np.ones(3, np.float32), "group of one")
    assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
else:
    assert g == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
g2 = dist.new_group([0, 1])
t = ember.ones(3) * (rank + 1)
dist.all_reduce(t, group=g2)
check(t, np.full(3, 3.0, np.float32), "group of two")
assert dist.get_process_group_ranks(g2) == [0, 1]

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"collectives ok {rank}")
sys.stdout.flush()
