"""ember.multiprocessing: Python's multiprocessing plus torch.multiprocessing's spawn/start_processes.

mp.spawn(fn, args, nprocs) starts `nprocs` processes running fn(i, *args). When the MPI engine is installed
(pip install 'ember[dist]') they are started by mpiexec as one MPI job, so ember.distributed can connect them
(init_process_group with init_method="tcp://..." or "env://" works as with torch); otherwise they are plain
multiprocessing processes."""

import multiprocessing
from multiprocessing import *  # noqa: F403

from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = [*multiprocessing.__all__, "spawn", "start_processes", "ProcessContext", "SpawnContext",
           "ProcessException", "ProcessRaisedException", "ProcessExitedException",
           "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]

_sharing_strategy = "file_descriptor"


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _sharing_strategy


def set_sharing_strategy(new_strategy):
    """Recorded only: ember tensors crossing processes are pickled (their arrays copied), not shared."""
    global _sharing_strategy
    if new_strategy not in get_all_sharing_strategies():
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _sharing_strategy = new_strategy
