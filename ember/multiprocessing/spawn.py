"""spawn/start_processes: run fn(i, *args) in `nprocs` processes and report the first failure as PyTorch does.

With the MPI engine available the processes are one MPI job started by mpiexec (ranks = process indices), so
that ember.distributed can join them: MPI cannot connect independently started processes here (the MPICH
wheel's singleton connect/accept is broken, pmodels/mpich#7805). Without it, multiprocessing starts them.
Either way a child that raises writes its traceback to a file the parent reads into ProcessRaisedException."""

import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

__all__ = ["spawn", "start_processes", "ProcessContext", "SpawnContext", "ProcessException",
           "ProcessRaisedException", "ProcessExitedException"]


class ProcessException(Exception):
    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process failed with an exception raised by `fn`."""


class ProcessExitedException(ProcessException):
    """A process died from a signal or exited with a non-zero code."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _signal_name(code):
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"<Unknown signal {code}>"


def _raised(index, pid, path):
    with open(path, "rb") as f:
        trace = pickle.load(f)
    return ProcessRaisedException(f"\n\n-- Process {index:d} terminated with the following error:\n{trace}",
                                  index, pid)


def _exited(index, pid, code):
    if code < 0:
        name = _signal_name(-code)
        return ProcessExitedException(f"process {index:d} terminated with signal {name}", index, pid, code, name)
    return ProcessExitedException(f"process {index:d} terminated with exit code {code:d}", index, pid, code)


def _run_and_record(fn, i, args, error_file):
    """A child's body: fn(i, *args), with a traceback left in `error_file` if it raises."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent is going down too
    except Exception:
        with open(error_file, "wb") as f:
            pickle.dump(traceback.format_exc(), f)
        sys.exit(1)


class ProcessContext:
    """The running processes (multiprocessing route): join() waits, and raises the first failure."""

    def __init__(self, processes, error_files):
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """True when every process has finished successfully, False if some still run after `timeout`;
        raises if one failed (after stopping the others)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for s in ready:
            i = self.sentinels.pop(s)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + (grace_period or 5)
        for p in self.processes:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
        p = self.processes[failed]
        if os.path.exists(self.error_files[failed]):
            raise _raised(failed, p.pid, self.error_files[failed])
        raise _exited(failed, p.pid, p.exitcode)


class SpawnContext(ProcessContext):
    pass


class _MPIProcessContext:
    """The running MPI job (mpiexec route): the same interface as ProcessContext."""

    def __init__(self, popen, tmpdir, nprocs):
        self.popen = popen
        self.processes = [popen]
        self.tmpdir = tmpdir
        self.nprocs = nprocs

    def pids(self):
        pids = []
        for i in range(self.nprocs):
            try:
                with open(os.path.join(self.tmpdir, f"pid_{i}")) as f:
                    pids.append(int(f.read()))
            except (OSError, ValueError):
                pids.append(None)
        return pids

    def _failed(self):
        return any(os.path.exists(os.path.join(self.tmpdir, f"error_{i}")) for i in range(self.nprocs))

    def join(self, timeout=None, grace_period=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                code = self.popen.wait(0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            if self._failed():  # a process raised: the others may wait for it forever, stop the job
                try:
                    code = self.popen.wait(grace_period or 1.0)
                except subprocess.TimeoutExpired:
                    self.popen.terminate()  # mpiexec passes it on to every process
                    code = self.popen.wait()
                break
            if deadline is not None and time.monotonic() >= deadline:
                return False
        try:
            if code == 0:
                return True
            pids = self.pids()
            for i in range(self.nprocs):
                path = os.path.join(self.tmpdir, f"error_{i}")
                if os.path.exists(path):
                    raise _raised(i, pids[i], path)
            raise _exited(0, pids[0], code)
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def _mpi_engine():
    """mpiexec's path when the MPI engine is installed, else None."""
    if importlib.util.find_spec("mpi4py") is None:
        return None
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) for i in range(nprocs) in new processes; join=False returns the context."""
    if start_method not in multiprocessing.get_all_start_methods():
        raise ValueError(f"cannot find context for {start_method!r}")
    mpiexec = _mpi_engine() if os.environ.get("EMBER_SPAWN", "mpi") == "mpi" else None
    if mpiexec is not None:
        context = _start_mpi(mpiexec, fn, args, nprocs)
    else:
        context = _start_multiprocessing(fn, args, nprocs, daemon, start_method)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """start_processes with the "spawn" start method (PyTorch's spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)


def _start_multiprocessing(fn, args, nprocs, daemon, start_method):
    ctx = multiprocessing.get_context(start_method)
    tmpdir = tempfile.mkdtemp(prefix="ember_spawn_")
    error_files, processes = [], []
    for i in range(nprocs):
        error_file = os.path.join(tmpdir, f"error_{i}")
        p = ctx.Process(target=_run_and_record, args=(fn, i, args, error_file), daemon=daemon)
        p.start()
        error_files.append(error_file)
        processes.append(p)
    return ProcessContext(processes, error_files)


def _start_mpi(mpiexec, fn, args, nprocs):
    from multiprocessing import spawn as mp_spawn

    tmpdir = tempfile.mkdtemp(prefix="ember_spawn_")
    with open(os.path.join(tmpdir, "job.pkl"), "wb") as f:
        # the parent's __main__ is re-imported in each child first (as multiprocessing's spawn does), so
        # functions defined in the main script unpickle there
        prep = mp_spawn.get_preparation_data("ember_spawn")
        prep.pop("authkey", None)  # not picklable, and of no use to a process multiprocessing did not start
        pickle.dump(prep, f)
        pickle.dump((fn, tuple(args)), f)
    # a nested launch (from inside an MPI job) must not reuse this process's launcher connection
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "MPI_LOCAL", "HYDRA_"))}
    cmd = [mpiexec, "-n", str(nprocs), sys.executable, "-m", "ember.multiprocessing._child", tmpdir]
    return _MPIProcessContext(subprocess.Popen(cmd, env=env), tmpdir, nprocs)
