"""ember.distributed on 2 ranks: all_reduce against raw mpi4py, and DDP training throughput (ember, torch gloo).

    python benchmarks/bench_dist.py            # starts the mpiexec runs itself and prints a summary

Parts: (1) under `mpiexec -n 2`: all_reduce of 1 KB and 64 MB float32 through ember.distributed and through
mpi4py's Allreduce on the same buffer, alternating, best of N; (2) DDP training of an MLP: samples/s on 1 rank and
on 2 ranks (same per-rank batch) for ember and for torch's gloo DDP, and the scaling efficiency
(2-rank samples/s / (2 x 1-rank samples/s)). The machine has 2 cores: 2 ranks use both.
"""

import os
import subprocess
import sys
import time

import numpy as np


def bench_allreduce():
    from mpi4py import MPI

    import ember
    import ember.distributed as dist

    dist.init_process_group("gloo")
    comm = MPI.COMM_WORLD.Dup()
    out = {}
    for label, n, reps, rounds in (("1KB", 256, 200, 40), ("64MB", 16 * 1024 * 1024, 2, 10)):
        t = ember.ones(n)
        raw = np.ones(n, np.float32)
        best_e = best_r = float("inf")
        for _ in range(rounds):  # short alternating rounds, best of each: the machine is shared
            comm.Barrier()
            s = time.perf_counter()
            for _ in range(reps):
                dist.all_reduce(t)
            best_e = min(best_e, (time.perf_counter() - s) / reps)
            comm.Barrier()
            s = time.perf_counter()
            for _ in range(reps):
                comm.Allreduce(MPI.IN_PLACE, raw, op=MPI.SUM)
            best_r = min(best_r, (time.perf_counter() - s) / reps)
        out[label] = (best_e, best_r)
    if dist.get_rank() == 0:
        check = os.environ.get("EMBER_DIST_CHECK", "1")
        for label, (e, r) in out.items():
            print(f"all_reduce {label:>5} (check={check}): ember {e * 1e6:9.1f} us  mpi4py {r * 1e6:9.1f} us  "
                  f"ratio {e / r:.2f}x")


def bench_ddp(lib, steps=60, batch=64):
    rank = int(os.environ.get("PMI_RANK", "0"))
    world = int(os.environ.get("PMI_SIZE", "1"))
    if lib == "torch":
        import torch as L
        import torch.distributed as dist

        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29621")
        L.set_num_threads(1)
        dist.init_process_group("gloo", rank=rank, world_size=world)
    else:
        import ember as L
        import ember.distributed as dist

        dist.init_process_group("gloo")
    nn = L.nn
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    model = nn.parallel.DistributedDataParallel(model)
    opt = L.optim.SGD(model.parameters(), lr=0.01)
    x, y = L.randn(batch, 256), L.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()
    for i in range(steps + 10):
        if i == 10:
            dist.barrier()
            start = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    dist.barrier()
    rate = steps * batch * world / (time.perf_counter() - start)
    if rank == 0:
        print(f"ddp {lib} ranks={world} samples/s {rate:.0f}")


def main():
    if len(sys.argv) > 1:
        if sys.argv[1] == "allreduce":
            bench_allreduce()
        else:
            bench_ddp(sys.argv[1])
        return
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    me = [sys.executable, os.path.abspath(__file__)]
    for check in ("1", "0"):
        subprocess.run([mpiexec, "-n", "2", *me, "allreduce"], env=dict(env, EMBER_DIST_CHECK=check), check=True)
    rates = {}
    for lib in ("ember", "torch"):
        for n in (1, 2):
            res = subprocess.run([mpiexec, "-n", str(n), *me, lib], env=env, check=True, capture_output=True,
                                 text=True)
            print(res.stdout.strip())
            rates[lib, n] = float(res.stdout.split()[-1])
    for lib in ("ember", "torch"):
        print(f"{lib}: scaling efficiency 2 ranks vs 1: {rates[lib, 2] / (2 * rates[lib, 1]):.2f}")
    print(f"ember/torch samples/s on 2 ranks: {rates['ember', 2] / rates['torch', 2]:.2f}")


if __name__ == "__main__":
    main()
