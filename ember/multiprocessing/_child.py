"""One process of ember.multiprocessing.spawn's MPI route: python -m ember.multiprocessing._child TMPDIR."""

import os
import pickle
import sys
import traceback
from multiprocessing import spawn as mp_spawn


def main():
    tmpdir = sys.argv[1]
    index = int(os.environ.get("PMI_RANK") or os.environ.get("OMPI_COMM_WORLD_RANK") or 0)
    size = int(os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE") or 1)
    with open(os.path.join(tmpdir, f"pid_{index}"), "w") as f:
        f.write(str(os.getpid()))
    try:
        with open(os.path.join(tmpdir, "job.pkl"), "rb") as f:
            mp_spawn.prepare(pickle.load(f))
            fn, args = pickle.load(f)
        fn(index, *args)
    except Exception:
        with open(os.path.join(tmpdir, f"error_{index}"), "wb") as f:
            pickle.dump(traceback.format_exc(), f)
        mpi = sys.modules.get("mpi4py.MPI")
        if size > 1 and mpi is not None and mpi.Is_initialized():
            mpi.COMM_WORLD.Abort(1)  # stop the others at once (else the parent stops the job when it sees the error)
        sys.exit(1)


if __name__ == "__main__":
    main()
