"""Autograd and training-step workloads, run with ember and torch alternately in one process.

    python benchmarks/bench_train.py [--repeat 5] [--filter lstm] [--threads 1 --cpu-time]

Each workload is written once against a module `m` (ember or torch) so both run the same program; weights
start equal (torch's initial values copied into ember). Prints the best time per step of each library and
the ratio ember/torch (lower is better). On a machine shared with other jobs, wall times of multi-threaded
runs swing by 2x and more; `--threads 1 --cpu-time` (both libraries on one thread, CPU time of the process)
gives ratios that hold still.
"""

import argparse
import os
import sys
import time

if any(k in os.environ for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):  # see bench_core.py
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

if "--threads" in sys.argv[:-1]:  # BLAS reads its thread count when it loads: set it before numpy comes in
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402


def copy_weights(src, dst):
    """torch module -> ember module, by state_dict key."""
    state = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(state)


def small_op_chain(m):
    x = m.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def step():
        y = x
        for _ in range(25):
            y = (y * 1.01).tanh()
        y.sum().backward()
        x.grad = None
    return step


def mlp(m):
    return m.nn.Sequential(m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 256), m.nn.ReLU(),
                           m.nn.Linear(256, 10))


def lenet(m):
    nn = m.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


def small_resnet(m):
    nn = m.nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + x).relu()

    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), Block(16),
                         nn.Conv2d(16, 32, 3, stride=2, padding=1), Block(32), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(32, 10))


class _LSTMModel:
    @staticmethod
    def build(m):
        nn = m.nn

        class LSTMNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(1000, 128)
                self.lstm = nn.LSTM(128, 128)
                self.head = nn.Linear(128, 1000)

            def forward(self, tokens):
                out, _ = self.lstm(self.embed(tokens))
                return self.head(out).flatten(0, 1)

        return LSTMNet()


def tiny_gpt(m):
    nn, F = m.nn, m.nn.functional

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
            att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self, vocab=256, d=128, block=64, layers=2, heads=4):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(block, d)
            self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(m.arange(t))
            return self.head(self.ln(self.blocks(x))).flatten(0, 1)

    return GPT()


def training_step(build, make_batch):
    """A workload factory: m -> step() doing zero_grad, forward, cross-entropy, backward, SGD step."""
    models = {}

    def factory(m):
        model = build(m)
        if m is ember:
            copy_weights(models[torch], model)
        models[m] = model
        inputs, target = make_batch(m)
        opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = m.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(inputs), target)
            loss.backward()
            opt.step()
        return step
    return factory


def batch(shape, classes, n):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, n)
    return lambda m: (m.from_numpy(x.copy()), m.from_numpy(y.copy()))


def tokens(shape, vocab, n):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, vocab, shape), rng.integers(0, vocab, n)
    return lambda m: (m.from_numpy(x.copy()), m.from_numpy(y.copy()))


WORKLOADS = {
    "chain of 50 small ops, fwd+bwd": (small_op_chain, 200),
    "MLP 784-256-256-10, batch 64": (training_step(mlp, batch((64, 784), 10, 64)), 20),
    "LeNet, batch 64": (training_step(lenet, batch((64, 1, 28, 28), 10, 64)), 5),
    "ResNet-style CNN+BN 32x32, batch 32": (training_step(small_resnet, batch((32, 3, 32, 32), 10, 32)), 2),
    "LSTM seq 35, batch 20, hidden 128": (training_step(_LSTMModel.build, tokens((35, 20), 1000, 700)), 3),
    "tiny GPT 2x128, block 64, batch 16": (training_step(tiny_gpt, tokens((16, 64), 256, 1024)), 2),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="alternating rounds per workload")
    parser.add_argument("--filter", default="", help="only workloads whose name contains this")
    parser.add_argument("--threads", type=int, default=None, help="threads for torch and for NumPy's BLAS")
    parser.add_argument("--cpu-time", action="store_true", help="time the process's CPU time, not the wall clock")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    print(f"ember {ember.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}"
          f"{', CPU time' if args.cpu_time else ''}")
    print(f"{'workload':40} {'ember':>10} {'torch':>10} {'ember/torch':>12}")
    for name, (factory, number) in WORKLOADS.items():
        if args.filter.lower() not in name.lower():
            continue
        torch.manual_seed(0)
        steps = {m: factory(m) for m in (torch, ember)}  # torch first: ember copies its weights
        for step in steps.values():
            step()
        best = {torch: float("inf"), ember: float("inf")}
        for _ in range(args.repeat):
            for m in (ember, torch):
                t = clock()
                for _ in range(number):
                    steps[m]()
                best[m] = min(best[m], (clock() - t) / number)
        print(f"{name:40} {best[ember] * 1e3:>8.2f}ms {best[torch] * 1e3:>8.2f}ms {best[ember] / best[torch]:>11.2f}x")


if __name__ == "__main__":
    main()
