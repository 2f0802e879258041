"""mp.spawn + init_process_group(init_method="tcp://...") as in PyTorch's examples; a raising worker gives
ProcessRaisedException. Run with plain python; prints 'spawn ok'."""

import sys
import tempfile

import numpy as np

import ember
import ember.distributed as dist
import ember.multiprocessing as mp


def worker(i, port, out_dir):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=i, world_size=2)
    t = ember.full((3,), float(i + 1))
    dist.all_reduce(t)
    np.save(f"{out_dir}/r{i}.npy", t.numpy())
    dist.destroy_process_group()


def bad(i):
    if i == 1:
        raise KeyError("worker 1 fails")
    import time

    time.sleep(0.2)


if __name__ == "__main__":
    out = tempfile.mkdtemp()
    mp.spawn(worker, args=(29613, out), nprocs=2)
    for i in range(2):
        assert np.load(f"{out}/r{i}.npy").tolist() == [3.0, 3.0, 3.0]
    try:
        mp.spawn(bad, nprocs=2)
    except mp.ProcessRaisedException as e:
        assert "-- Process 1 terminated with the following error:" in str(e) and "worker 1 fails" in str(e), str(e)
        assert e.error_index == 1
    else:
        raise AssertionError("no ProcessRaisedException")
    ctx = mp.spawn(bad, nprocs=1, join=False)
    while not ctx.join():
        pass
    print("spawn ok")
    sys.stdout.flush()
