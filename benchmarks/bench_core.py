"""Tensor-core workloads, run with ember, torch and plain NumPy alternately in one process.

    python benchmarks/bench_core.py [--repeat 15] [--filter matmul]

Prints, per workload, the best time of each library and the ratios ember/torch and ember/NumPy (lower is
better). Absolute times on shared machines are noise; ratios taken in one run, alternating, are not.
"""

import argparse
import os
import sys
import time

# Our machines set these to keep old OpenBLAS builds on safe kernels; users have no such setting and they slow
# NumPy's current OpenBLAS (DESIGN.md §5), so benchmarks run without them. They must go before NumPy loads.
if any(k in os.environ for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402


def workloads():
    """name -> (ember callable, torch callable, NumPy callable or None, calls per timing)."""
    rng = np.random.default_rng(0)

    def pair(*shape):
        arr = rng.standard_normal(shape).astype(np.float32)
        return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy()), arr.copy()

    e16a, t16a, n16a = pair(16)
    e16b, t16b, n16b = pair(16)
    e1m, t1m, n1m = pair(1_000_000)
    e1mb, t1mb, n1mb = pair(1_000_000)
    em, tm, nm = pair(1000, 1000)
    ea, ta, na = pair(1024, 1024)
    eb, tb, nb = pair(1024, 1024)
    return {
        "dispatch: a + b (16 el.)": (lambda: e16a + e16b, lambda: t16a + t16b, lambda: n16a + n16b, 2000),
        "dispatch: a * 2.0 (16 el.)": (lambda: e16a * 2.0, lambda: t16a * 2.0, lambda: n16a * 2.0, 2000),
        "1M add": (lambda: e1m + e1mb, lambda: t1m + t1mb, lambda: n1m + n1mb, 20),
        "1M mul+add chain": (lambda: (e1m * e1mb + e1m) * 0.5, lambda: (t1m * t1mb + t1m) * 0.5,
                             lambda: (n1m * n1mb + n1m) * 0.5, 20),
        "1M exp": (lambda: e1m.exp(), lambda: t1m.exp(), lambda: np.exp(n1m), 20),
        "1M tanh": (lambda: e1m.tanh(), lambda: t1m.tanh(), lambda: np.tanh(n1m), 20),
        "1M sigmoid": (lambda: e1m.sigmoid(), lambda: t1m.sigmoid(), lambda: 1 / (1 + np.exp(-n1m)), 20),
        "1000x1000 sum()": (lambda: em.sum(), lambda: tm.sum(), lambda: nm.sum(), 20),
        "1000x1000 sum(0)": (lambda: em.sum(0), lambda: tm.sum(0), lambda: nm.sum(0), 20),
        "1000x1000 sum(1)": (lambda: em.sum(1), lambda: tm.sum(1), lambda: nm.sum(1), 20),
        "1000x1000 mean(1)": (lambda: em.mean(1), lambda: tm.mean(1), lambda: nm.mean(1), 20),
        "1000x1000 max(1)": (lambda: em.max(1), lambda: tm.max(1),
                             lambda: (nm.max(1), nm.argmax(1)), 20),
        "1000x1000 argmax(0)": (lambda: em.argmax(0), lambda: tm.argmax(0), lambda: nm.argmax(0), 20),
        "1024x1024 matmul": (lambda: ea @ eb, lambda: ta @ tb, lambda: na @ nb, 5),
    }


def best_time(fn, number):
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="alternating rounds per workload")
    parser.add_argument("--filter", default="", help="only workloads whose name contains this")
    args = parser.parse_args(argv)

    print(f"ember {ember.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'workload':28} {'ember':>10} {'torch':>10} {'numpy':>10} {'ember/torch':>12} {'ember/numpy':>12}")
    for name, (f_ember, f_torch, f_numpy, number) in workloads().items():
        if args.filter not in name:
            continue
        for f in (f_ember, f_torch, f_numpy):  # warm up caches and allocator
            f()
        best = {"ember": float("inf"), "torch": float("inf"), "numpy": float("inf")}
        for _ in range(args.repeat):
            best["ember"] = min(best["ember"], best_time(f_ember, number))
            best["torch"] = min(best["torch"], best_time(f_torch, number))
            best["numpy"] = min(best["numpy"], best_time(f_numpy, number))
        print(f"{name:28} {fmt(best['ember']):>10} {fmt(best['torch']):>10} {fmt(best['numpy']):>10} "
              f"{best['ember'] / best['torch']:>11.2f}x {best['ember'] / best['numpy']:>11.2f}x")


def fmt(seconds):
    return f"{seconds * 1e6:.1f}us" if seconds < 1e-3 else f"{seconds * 1e3:.2f}ms"


if __name__ == "__main__":
    main()
