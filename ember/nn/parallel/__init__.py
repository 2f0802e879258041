"""ember.nn.parallel: DataParallel (one process, several devices) and DistributedDataParallel (several
processes over ember.distributed), as torch.nn.parallel."""

from .data_parallel import DataParallel, data_parallel, gather, parallel_apply, replicate, scatter
from .distributed import DistributedDataParallel

__all__ = ["replicate", "scatter", "parallel_apply", "gather", "data_parallel", "DataParallel",
           "DistributedDataParallel"]
