"""Peak memory of forward + backward through a deep chain, ember vs torch, each in a fresh process.

    python benchmarks/bench_memory.py

A 250,000-element float32 leaf goes through 200 rounds of `y = (y * 1.001).tanh()`, then `y.sum().backward()`.
The growth of the process's peak resident memory over that run is what the saved tensors and gradients cost.
"""

import subprocess
import sys

CHILD = """
import gc, resource, sys
m = __import__(sys.argv[1])
x = m.rand(250_000, requires_grad=True)
gc.collect()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = x
for _ in range(200):
    y = (y * 1.001).tanh()
y.sum().backward()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def peak_growth_mb(lib):
    out = subprocess.run([sys.executable, "-c", CHILD, lib], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main():
    ember_mb, torch_mb = peak_growth_mb("ember"), peak_growth_mb("torch")
    print(f"{'deep chain (200 x mul+tanh, 250k el.)':40} ember {ember_mb:7.1f} MB   torch {torch_mb:7.1f} MB   "
          f"ratio {ember_mb / torch_mb:.2f}x")


if __name__ == "__main__":
    main()
