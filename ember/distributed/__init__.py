"""ember.distributed: torch.distributed's process groups and collectives, on MPI (mpi4py + an MPI library).

Importing this package does not import mpi4py; init_process_group does. Start the ranks with
`embrun --nproc-per-node N script.py` (python -m ember.distributed.run), `mpiexec -n N python script.py`,
or ember.multiprocessing.spawn."""

from .distributed_c10d import *  # noqa: F403
from .distributed_c10d import __all__, _state  # noqa: F401
