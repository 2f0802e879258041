"""Started by embrun: torchrun's environment is there, and init_process_group picks it up."""

import os
import sys

import ember
import ember.distributed as dist

rank, local = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
world = int(os.environ["WORLD_SIZE"])
assert os.environ["MASTER_ADDR"] == "127.0.0.1" and os.environ["MASTER_PORT"] == "29555", os.environ
assert os.environ["LOCAL_WORLD_SIZE"] == str(world) and local == rank and os.environ["GROUP_RANK"] == "0"
dist.init_process_group("gloo", init_method="env://")
assert dist.get_rank() == rank and dist.get_world_size() == world
t = ember.ones(1)
dist.all_reduce(t)
assert t.item() == world
print(f"env ok {rank} {sys.argv[1:]}")
