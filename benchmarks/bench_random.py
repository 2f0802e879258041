"""Random sampling, run with ember and torch alternately in one process (both draw PyTorch's stream).

    python benchmarks/bench_random.py [--repeat 5] [--filter randn] [--cpu]

Prints, per workload, the best time of each library and the ratio ember/torch (lower is better). Absolute times
on shared machines are noise; ratios taken in one run, alternating, are not.
"""

import argparse
import os
import sys
import time

# as in bench_core.py: benchmark without the OpenBLAS settings our machines carry (they must go before NumPy loads)
if any(k in os.environ for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402

M = 1_000_000


def workloads():
    """name -> (callable taking the library module, calls per timing)."""
    w = np.random.default_rng(0).random((1000, 100)).astype(np.float32)
    weights = {ember: ember.from_numpy(w), torch: torch.from_numpy(w)}
    return {
        "rand 10M float32": (lambda m: m.rand(10 * M), 1),
        "randn 10M float32": (lambda m: m.randn(10 * M), 1),
        "randn 1M float64": (lambda m: m.randn(M, dtype=m.float64), 1),
        "uniform_(-a, a) 10M float32": (lambda m: m.empty(10 * M).uniform_(-0.05, 0.05), 1),
        "normal_(0, 0.02) 10M float32": (lambda m: m.empty(10 * M).normal_(0.0, 0.02), 1),
        "randint(0, 10) 10M": (lambda m: m.randint(0, 10, (10 * M,)), 1),
        "randn(64) (small)": (lambda m: m.randn(64), 200),
        "Generator().manual_seed(0)": (lambda m: m.Generator().manual_seed(0), 200),
        "randperm 60k": (lambda m: m.randperm(60_000), 5),
        "randperm 1M": (lambda m: m.randperm(M), 1),
        "bernoulli_(0.5) 1M": (lambda m: m.empty(M).bernoulli_(0.5), 2),
        "multinomial 1000x100, 50 w/ repl.": (lambda m: m.multinomial(weights[m], 50, True), 2),
        "multinomial 1000x100, 50 w/o repl.": (lambda m: m.multinomial(weights[m], 50), 2),
        "poisson 100k (rate 4)": (lambda m: m.poisson(m.full((100_000,), 4.0)), 1),
    }


def best_time(fn, module, number, clock=time.perf_counter):
    t = clock()
    for _ in range(number):
        fn(module)
    return (clock() - t) / number


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="alternating rounds per workload")
    parser.add_argument("--filter", default="", help="only workloads whose name contains this")
    parser.add_argument("--cpu", action="store_true",
                        help="time this process's CPU time instead of wall time (steadier on a loaded machine; "
                             "both libraries fill single-threaded here, so the ratios compare the same work)")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter

    print(f"ember {ember.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'workload':36} {'ember':>10} {'torch':>10} {'ember/torch':>12}")
    for name, (fn, number) in workloads().items():
        if args.filter not in name:
            continue
        fn(ember), fn(torch)  # warm up
        best = {ember: float("inf"), torch: float("inf")}
        for _ in range(args.repeat):
            for m in (ember, torch):
                best[m] = min(best[m], best_time(fn, m, number, clock))
        print(f"{name:36} {fmt(best[ember]):>10} {fmt(best[torch]):>10} {best[ember] / best[torch]:>11.2f}x")


def fmt(seconds):
    return f"{seconds * 1e6:.1f}us" if seconds < 1e-3 else f"{seconds * 1e3:.2f}ms"


if __name__ == "__main__":
    main()
