"""embrun (python -m ember.distributed.run): torchrun's command line, with MPI's launcher underneath.

    embrun --nproc-per-node 4 train.py --epochs 3
    embrun --nnodes 2 --nproc-per-node 4 --hostfile hosts train.py     # on the first host only

It runs one `mpiexec` for the whole job. Each rank starts in a small shim (ember.distributed._rank) that sets
torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT,
...) from what MPI assigned, then runs the script in the same process. A rank that raises or exits non-zero
aborts the whole MPI job, so the others stop instead of waiting forever, and embrun exits non-zero. SIGINT and
SIGTERM are passed on to mpiexec, which passes them to the ranks.

Several hosts: MPI starts every rank from one place. List the hosts in a host file (one `host[:slots]` a line,
the MPICH/hydra format) and run embrun on the first host with --hostfile; the hosts need the same Python
environment at the same path and password-less ssh between them (hydra's default launcher).
Options torchrun has and MPI makes moot (rendezvous, restarts, log redirection) are accepted and ignored.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import uuid

__all__ = ["main", "get_args_parser", "parse_args", "run"]


def _mpiexec():
    """The mpiexec next to this Python (the mpich wheel puts it there), else the first on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("embrun: mpiexec not found. Install the MPI engine: pip install 'ember[dist]' "
                         "(mpi4py and the mpich wheel)")
    return found


def get_args_parser():
    p = argparse.ArgumentParser(prog="embrun", description="Start a data-parallel ember job on MPI (torchrun's "
                                "options; mpiexec underneath).")
    add = p.add_argument
    add("--nnodes", default="1", help="number of hosts, or MIN:MAX (MAX is used)")
    add("--nproc-per-node", "--nproc_per_node", default="1", help="processes per host: a number, or 'cpu'/'auto'")
    add("--hostfile", "--host-file", default=None, help="MPI host file listing the hosts (needed for --nnodes > 1)")
    add("--node-rank", "--node_rank", type=int, default=0, help="this host's index (embrun runs on host 0 only)")
    add("--master-addr", "--master_addr", default="127.0.0.1", help="exported as MASTER_ADDR")
    add("--master-port", "--master_port", type=int, default=29500, help="exported as MASTER_PORT")
    add("--standalone", action="store_true", help="single host (the default here)")
    add("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    add("--no-python", "--no_python", action="store_true", help="run the script as an executable, not with Python")
    add("--run-path", "--run_path", action="store_true", help="run the script with runpy.run_path (the default)")
    add("--mpiexec-args", default="", help="extra arguments for mpiexec (one string)")
    # torchrun's options that MPI's launcher makes moot: accepted, ignored
    for name in ("--rdzv-backend", "--rdzv-endpoint", "--rdzv-conf", "--start-method", "--role", "--log-dir",
                 "--redirects", "--tee", "--local-ranks-filter", "--local-addr", "--logs-specs",
                 "--event-log-handler", "--duplicate-stdout-filters", "--duplicate-stderr-filters",
                 "--numa-binding", "--signals-to-handle", "--shutdown-timeout", "--virtual-local-rank",
                 "--monitor-interval"):
        flags = [name, name.replace("-", "_").replace("__", "--", 1)]
        add(*dict.fromkeys(flags), default=None, help=argparse.SUPPRESS)
    add("-r", dest="redirects_short", default=None, help=argparse.SUPPRESS)
    add("-t", dest="tee_short", default=None, help=argparse.SUPPRESS)
    add("--rdzv-id", "--rdzv_id", default="none", help="exported as TORCHELASTIC_RUN_ID")
    add("--max-restarts", "--max_restarts", type=int, default=0, help="must be 0: a failed MPI job is not restarted")
    add("training_script", help="the script (or module with -m, executable with --no-python)")
    add("training_script_args", nargs=argparse.REMAINDER)
    return p


def parse_args(args=None):
    return get_args_parser().parse_args(args)


def _nproc(value):
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    if value == "gpu":
        raise SystemExit("embrun: --nproc-per-node gpu: ember has no GPU backend for distributed")
    try:
        n = int(value)
    except ValueError:
        raise SystemExit(f"embrun: unsupported --nproc-per-node value: {value}") from None
    if n < 1:
        raise SystemExit("embrun: --nproc-per-node must be at least 1")
    return n


def build_command(args):
    """(mpiexec command line, environment) for the job."""
    nproc = _nproc(args.nproc_per_node)
    nnodes = int(str(args.nnodes).split(":")[-1])
    if args.max_restarts:
        raise SystemExit("embrun: --max-restarts is not supported (an MPI job that fails is not restarted)")
    if nnodes > 1 and args.node_rank != 0:
        raise SystemExit("embrun: with MPI one launcher starts the ranks on every host: run embrun only on the "
                         "first host (node rank 0) with --hostfile listing all hosts")
    if nnodes > 1 and args.hostfile is None:
        raise SystemExit("embrun: --nnodes > 1 needs --hostfile (an MPI host file listing the hosts)")
    world = nnodes * nproc
    cmd = [_mpiexec(), "-n", str(world)]
    if args.hostfile is not None:
        cmd += ["-f", args.hostfile, "-ppn", str(nproc)]
    env = {"MASTER_ADDR": args.master_addr, "MASTER_PORT": str(args.master_port), "WORLD_SIZE": str(world),
           "LOCAL_WORLD_SIZE": str(nproc), "ROLE_WORLD_SIZE": str(world), "ROLE_NAME": "default",
           "TORCHELASTIC_RUN_ID": args.rdzv_id if args.rdzv_id != "none" else uuid.uuid4().hex[:12],
           "TORCHELASTIC_RESTART_COUNT": "0", "TORCHELASTIC_MAX_RESTARTS": "0", "OMP_NUM_THREADS":
           os.environ.get("OMP_NUM_THREADS", "1" if nproc > 1 else "")}
    for k, v in env.items():
        if v:
            cmd += ["-genv", k, v]
    cmd += args.mpiexec_args.split()
    mode = "--no-python" if args.no_python else "-m" if args.module else "--script"
    cmd += [sys.executable, "-m", "ember.distributed._rank", mode, args.training_script, *args.training_script_args]
    return cmd


def run(args):
    """Run the job; returns mpiexec's exit status (non-zero when a rank failed)."""
    cmd = build_command(args)
    proc = subprocess.Popen(cmd)

    def forward(signum, frame):
        proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if code != 0:
        print(f"embrun: the job failed (mpiexec exit status {code})", file=sys.stderr)
    return code


def main(args=None):
    sys.exit(run(parse_args(args)))


if __name__ == "__main__":
    main()
