"""DataLoader epochs over 10,000 small items, ember and torch alternately, with 0 and 2 worker processes.

    python benchmarks/bench_data.py [--repeat 3]

Each item is a (3, 8, 8) float32 array and an int label, the typical shape of a small-image tutorial; a
batch of 64 goes through default_collate. Prints the best epoch time of each library and the ratio.
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


def epoch_time(m, loader_cls, dataset, workers):
    loader = loader_cls(dataset, batch_size=64, shuffle=True, num_workers=workers, persistent_workers=workers > 0)
    for _ in loader:  # warm-up epoch (starts persistent workers)
        pass
    t = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    datasets = {torch: make_dataset(torch, torch), ember: make_dataset(ember, ember)}
    loaders = {torch: torch.utils.data.DataLoader, ember: ember.utils.data.DataLoader}
    print(f"{'workload':36} {'ember':>10} {'torch':>10} {'ember/torch':>12}")
    for workers in (0, 2):
        best = {torch: float("inf"), ember: float("inf")}
        for _ in range(args.repeat):
            for m in (ember, torch):
                best[m] = min(best[m], epoch_time(m, loaders[m], datasets[m], workers))
        name = f"epoch of 10,000 items, {workers} workers"
        print(f"{name:36} {best[ember] * 1e3:>8.1f}ms {best[torch] * 1e3:>8.1f}ms {best[ember] / best[torch]:>11.2f}x")


if __name__ == "__main__":
    main()
