"""Run under `mpiexec -n 2`: tensors that differ across ranks raise a RuntimeError on every rank, no hang."""

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
rank = dist.get_rank()


def fails(fn, text):
    try:
        fn()
    except RuntimeError as e:
        assert text in str(e), str(e)
    else:
        raise AssertionError("no error for " + text)


fails(lambda: dist.all_reduce(ember.ones(3 + rank)), "element counts 3..4")
fails(lambda: dist.broadcast(ember.ones(3, dtype=ember.float64 if rank else ember.float32), src=0), "dtypes differ")
fails(lambda: dist.all_gather([ember.empty(2 + rank)] * 2, ember.ones(2 + rank)), "do not match")
fails(lambda: dist.all_reduce(ember.ones(2, 3) if rank else ember.ones(3, 2), async_op=True), "shapes differ")
if rank == 0:
    dist.send(ember.ones(5), dst=1)
else:
    fails(lambda: dist.recv(ember.empty(4), src=0), "has 20 bytes but the receiving tensor has 16")
# the group still works afterwards
t = ember.ones(2)
dist.all_reduce(t)
assert t.tolist() == [2.0, 2.0]
print(f"mismatch ok {rank}")
