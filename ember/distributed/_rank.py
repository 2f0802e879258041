"""The per-rank shim embrun starts under mpiexec: torchrun's environment from MPI's, then the user's script.

    python -m ember.distributed._rank (--script | -m | --no-python) target [args...]

The script runs in this process (so MPI's connection to the launcher stays put). If it raises or exits
non-zero, the whole MPI job is aborted: the other ranks would otherwise wait forever for this one."""

import os
import runpy
import sys
import traceback


def _set_env():
    """RANK, LOCAL_RANK, GROUP_RANK, ... from the MPI launcher's variables (hydra's PMI_*, MPI_LOCALRANKID; Open
    MPI's OMPI_COMM_WORLD_*)."""
    env = os.environ
    rank = env.get("PMI_RANK") or env.get("OMPI_COMM_WORLD_RANK") or env.get("PMIX_RANK") or "0"
    size = env.get("PMI_SIZE") or env.get("OMPI_COMM_WORLD_SIZE") or env.get("WORLD_SIZE") or "1"
    local_size = int(env.get("MPI_LOCALNRANKS") or env.get("OMPI_COMM_WORLD_LOCAL_SIZE")
                     or env.get("LOCAL_WORLD_SIZE") or size)
    local = env.get("MPI_LOCALRANKID") or env.get("OMPI_COMM_WORLD_LOCAL_RANK") or str(int(rank) % local_size)
    env.update(RANK=rank, WORLD_SIZE=size, LOCAL_RANK=local, LOCAL_WORLD_SIZE=str(local_size),
               GROUP_RANK=str(int(rank) // local_size), ROLE_RANK=rank, ROLE_WORLD_SIZE=size,
               GROUP_WORLD_SIZE=str(max(1, int(size) // local_size)))
    return int(size)


def _abort(code):
    sys.stdout.flush()
    sys.stderr.flush()
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(code)


def main():
    mode, target, *args = sys.argv[1:]
    size = _set_env()
    if mode == "--no-python":
        os.execvp(target, [target, *args])
    sys.argv = [target, *args]
    try:
        if mode == "-m":
            sys.path[0] = os.getcwd()
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(target))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code and size > 1:
            if not isinstance(e.code, int):
                print(e.code, file=sys.stderr)
            _abort(code)
        raise
    except BaseException:
        traceback.print_exc()
        if size > 1:
            _abort(1)
        sys.exit(1)


if __name__ == "__main__":
    main()
