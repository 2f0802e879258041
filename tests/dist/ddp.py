"""Run under `mpiexec -n 2`: DistributedDataParallel on 2 ranks with a DistributedSampler trains to the same
parameters as one process on the full batch; no_sync, find_unused_parameters, buffers, state_dict keys."""

import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
bucket_mb = float(sys.argv[1]) if len(sys.argv) > 1 else None


def make_model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))


g = ember.Generator().manual_seed(123)
X = ember.randn(64, 8, generator=g)
Y = ember.randint(0, 3, (64,), generator=g)
ds = TensorDataset(X, Y)
loss_fn = nn.CrossEntropyLoss()

# the reference: one process, the full batch of 16 (what both ranks' halves make together)
ref = make_model(0)
ref_opt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
ref_sampler = DistributedSampler(ds, num_replicas=1, rank=0, shuffle=True, seed=7)
ref_loader = DataLoader(ds, batch_size=16, sampler=ref_sampler)

# DDP: rank 1 starts from other weights, which the construction broadcast must replace
model = DDP(make_model(rank), bucket_cap_mb=bucket_mb)
for p, q in zip(model.module.parameters(), ref.parameters()):
    assert ember.equal(p, q), "parameters were not broadcast from rank 0"
opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sampler = DistributedSampler(ds, shuffle=True, seed=7)  # rank and world size from ember.distributed
assert sampler.num_replicas == 2 and sampler.rank == rank
loader = DataLoader(ds, batch_size=8, sampler=sampler)

steps = 0
for epoch in range(5):
    sampler.set_epoch(epoch)
    ref_sampler.set_epoch(epoch)
    for (x, y), (rx, ry) in zip(loader, ref_loader):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(rx), ry).backward()
        ref_opt.step()
        steps += 1
assert steps == 20
worst = max(float((p - q).abs().max()) for p, q in zip(model.module.parameters(), ref.parameters()))
assert worst < 1e-5, worst
assert list(model.state_dict())[0] == "module.0.weight"

# no_sync: two micro-batches accumulated locally, averaged by the second backward
model.zero_grad()
ref.zero_grad()
xs = X[:16].reshape(2, 2, 4, 8)  # [micro-batch][rank]
ys = Y[:16].reshape(2, 2, 4)
with model.no_sync():
    loss_fn(model(xs[0, rank]), ys[0, rank]).backward()
g_local = model.module[0].weight.grad.clone()
other = [None] * 2
dist.all_gather_object(other, g_local.numpy())
assert not np.allclose(other[0], other[1]), "no_sync must not average"
loss_fn(model(xs[1, rank]), ys[1, rank]).backward()
for micro in range(2):
    loss_fn(ref(xs[micro].reshape(8, 8)), ys[micro].reshape(8)).backward()
for p, q in zip(model.module.parameters(), ref.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)


# find_unused_parameters: rank 1 never uses the second head, rank 0 does; a third head no rank uses
class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.a = nn.Linear(4, 1)
        self.b = nn.Linear(4, 1)
        self.never = nn.Linear(4, 1)
        self.register_buffer("count", ember.zeros(1) + rank)

    def forward(self, x, use_b):
        h = self.body(x)
        return self.a(h).sum() + (self.b(h).sum() if use_b else 0)


ember.manual_seed(3)
heads = DDP(Heads(), find_unused_parameters=True)
assert heads.module.count.item() == 0, "buffers were not broadcast"
heads(ember.ones(2, 4) * (rank + 1), use_b=rank == 0).backward()
grads = [None] * 2
dist.all_gather_object(grads, [None if p.grad is None else p.grad.numpy() for p in heads.parameters()])
for a, b in zip(*grads):
    assert (a is None) == (b is None)
    if a is not None:
        np.testing.assert_allclose(a, b)
assert heads.module.never.weight.grad is None
assert heads.module.b.weight.grad is not None  # used on rank 0 only: averaged onto both

# a parameter unused without find_unused_parameters: the next forward says so
try:
    heads2 = DDP(Heads())
    heads2(ember.ones(2, 4), use_b=False).backward()
    heads2(ember.ones(2, 4), use_b=False)
except RuntimeError as e:
    assert "Expected to have finished reduction" in str(e)
else:
    raise AssertionError("no error for unused parameters")
print(f"ddp ok {rank} steps={steps} worst={worst:.2e} buckets={len(model._buckets)}")
