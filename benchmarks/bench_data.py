"""DataLoader epochs over 10,000 small items, ember and torch alternately, with 0 and 2 worker processes.

    python benchmarks/bench_data.py [--repeat 5]

Each item is a (3, 8, 8) float32 array and an int label, the typical shape of a small-image tutorial; a
batch of 64 goes through default_collate. A last row takes the same data as a TensorDataset (ember gathers its
batches whole). Prints the best epoch time of each library and the ratio. Rows with 0 workers time the
process's CPU time (all the work is in this process, and CPU time does not count the time another program had the
core, which on a shared machine swings wall times by 2x); rows with workers time the wall clock.
"""

import argparse
import time

import numpy as np
import torch
import torch.utils.data

import ember
import ember.utils.data


def make_dataset(m, base):
    data = base.utils.data.Dataset

    class Items(data):
        def __init__(self, n=10_000):
            rng = np.random.default_rng(0)
            self.x = rng.standard_normal((n, 3, 8, 8)).astype(np.float32)
            self.y = rng.integers(0, 10, n)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return m.from_numpy(self.x[i]), int(self.y[i])

    return Items()


def make_tensor_dataset(m):
    items = make_dataset(m, m)
    return m.utils.data.TensorDataset(m.from_numpy(items.x), m.from_numpy(items.y))


def epoch_time(m, loader_cls, dataset, workers):
    loader = loader_cls(dataset, batch_size=64, shuffle=True, num_workers=workers, persistent_workers=workers > 0)
    for _ in loader:  # warm-up epoch (starts persistent workers)
        pass
    clock = time.perf_counter if workers else time.process_time
    t = clock()
    for _ in loader:
        pass
    return clock() - t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    loaders = {torch: torch.utils.data.DataLoader, ember: ember.utils.data.DataLoader}
    workloads = [("epoch of 10,000 items, 0 workers (cpu)", make_dataset, 0),
                 ("epoch of 10,000 items, 2 workers", make_dataset, 2),
                 ("TensorDataset epoch, 0 workers (cpu)", lambda m, base: make_tensor_dataset(m), 0)]
    print(f"{'workload':40} {'ember':>10} {'torch':>10} {'ember/torch':>12}")
    for name, make, workers in workloads:
        datasets = {torch: make(torch, torch), ember: make(ember, ember)}
        best = {torch: float("inf"), ember: float("inf")}
        for _ in range(args.repeat):
            for m in (ember, torch):
                best[m] = min(best[m], epoch_time(m, loaders[m], datasets[m], workers))
        print(f"{name:40} {best[ember] * 1e3:>8.1f}ms {best[torch] * 1e3:>8.1f}ms {best[ember] / best[torch]:>11.2f}x")


if __name__ == "__main__":
    main()
