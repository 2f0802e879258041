"""ember.distributed, nn.parallel and ember.multiprocessing. The multi-process tests run small scripts in
tests/dist/ under `mpiexec -n 2` (or the launcher), each with a timeout so a hang fails instead of blocking."""

import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest
import torch

import ember
from tests.harness import assert_same

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _mpiexec():
    pytest.importorskip("mpi4py")
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(here):
        pytest.skip("mpiexec is not installed next to this Python (pip install mpich)")
    return here


def _run(cmd, timeout=60, **kw):
    """Run a command; a job that hangs is killed and fails the test."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in [k for k in env if k.startswith(("PMI_", "MPI_LOCAL", "HYDRA_"))]:
        del env[k]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, **kw)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{cmd} hung for {timeout}s:\n{e.stdout}\n{e.stderr}")


def _mpi2(script, *args, timeout=60):
    return _run([_mpiexec(), "-n", "2", sys.executable, os.path.join(HERE, "dist", script), *args], timeout)


def _ok(proc, text):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rank in range(2):
        assert f"{text} {rank}" in proc.stdout, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------------------
# multi-process

@pytest.mark.dist
def test_collectives_on_two_ranks():
    _ok(_mpi2("collectives.py"), "collectives ok")


@pytest.mark.dist
def test_mismatched_tensors_raise_on_every_rank_not_hang():
    _ok(_mpi2("mismatch.py", timeout=30), "mismatch ok")


@pytest.mark.dist
@pytest.mark.parametrize("bucket_mb", [None, "0.0005"])
def test_ddp_two_ranks_match_one_process_on_the_full_batch(bucket_mb):
    proc = _mpi2("ddp.py", *([bucket_mb] if bucket_mb else []), timeout=120)
    _ok(proc, "ddp ok")
    buckets = int(re.search(r"buckets=(\d+)", proc.stdout).group(1))
    assert buckets > 1 if bucket_mb else buckets == 1


@pytest.mark.dist
def test_launcher_sets_torchrun_environment():
    _mpiexec()
    proc = _run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2", "--master_port=29555",
                 "tests/dist/env.py", "a", "--b"])
    _ok(proc, "env ok")
    assert "['a', '--b']" in proc.stdout


@pytest.mark.dist
def test_launcher_a_raising_rank_stops_the_job_quickly():
    _mpiexec()
    start = time.monotonic()
    proc = _run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2", "tests/dist/fail.py"],
                timeout=60)
    assert proc.returncode != 0, proc.stderr
    # rank 0 was waiting in an all_reduce, and was stopped (the margin is for a loaded 2-core CI machine)
    assert time.monotonic() - start < 45
    assert "rank 1 fails on purpose" in proc.stderr
    assert "embrun: the job failed" in proc.stderr


@pytest.mark.dist
def test_mpiexec_a_raising_rank_stops_the_job_quickly():
    start = time.monotonic()
    proc = _mpi2("fail.py", timeout=60)
    assert proc.returncode != 0 and time.monotonic() - start < 45, proc.stderr
    assert "rank 1 fails on purpose" in proc.stderr


@pytest.mark.dist
def test_launcher_forwards_sigterm(tmp_path):
    _mpiexec()
    env = dict(os.environ, PYTHONPATH=ROOT)
    # both ranks are up after the barrier; only rank 0 says so (two ranks' prints can interleave in one line)
    script = "import time, ember.distributed as d; d.init_process_group('gloo'); d.barrier(); " \
             "print('up', flush=True) if d.get_rank() == 0 else None; time.sleep(60)"
    path = str(tmp_path / "sleep.py")
    with open(path, "w") as f:
        f.write(script)
    p = subprocess.Popen([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    ready, _, _ = select.select([p.stdout], [], [], 60)  # never wait forever on a job that did not start
    if not ready:
        p.kill()
        pytest.fail("the job did not start within 60 s")
    assert p.stdout.readline().strip() == "up"
    start = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        code = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("embrun did not stop on SIGTERM")
    assert code != 0 and time.monotonic() - start < 20


@pytest.mark.dist
def test_spawn_with_tcp_init_method_and_a_failing_worker():
    _mpiexec()
    proc = _run([sys.executable, os.path.join(HERE, "dist", "spawn_job.py")])
    assert proc.returncode == 0 and "spawn ok" in proc.stdout, proc.stdout + proc.stderr


def test_spawn_without_mpi_runs_in_multiprocessing_processes(tmp_path):
    code = ("import ember.multiprocessing as mp\n"
            "def f(i, k):\n"
            "    if i == k: raise ValueError('boom %d' % i)\n"
            "if __name__ == '__main__':\n"
            "    mp.spawn(f, args=(9,), nprocs=2)\n"
            "    try:\n"
            "        mp.spawn(f, args=(1,), nprocs=2)\n"
            "    except mp.ProcessRaisedException as e:\n"
            "        assert e.error_index == 1 and 'boom 1' in str(e), str(e)\n"
            "        print('ok')\n")
    path = str(tmp_path / "spawn_mp.py")
    with open(path, "w") as f:
        f.write(code)
    proc = _run(["env", "EMBER_SPAWN=mp", sys.executable, path])
    assert proc.stdout.strip() == "ok", proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------------------
# one process

def test_import_does_not_import_mpi4py():
    proc = _run([sys.executable, "-c", "import sys, ember, ember.distributed, ember.nn.parallel, "
                 "ember.multiprocessing; print('mpi4py' in sys.modules, 'mpi4py.MPI' in sys.modules)"])
    assert proc.stdout.strip() == "False False", proc.stderr


def test_names_match_torch():
    import torch.distributed as tdist

    import ember.distributed as dist

    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        assert repr(getattr(dist.ReduceOp, name)) == repr(getattr(tdist.ReduceOp, name))
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(tdist.ReduceOp, name))
    for name in ("gloo", "GLOO", "mpi", "nccl"):
        assert dist.Backend(name) == tdist.Backend(name)
    assert dist.Backend.GLOO == tdist.Backend.GLOO and dist.GroupMember.NON_GROUP_MEMBER == -100
    assert dist.is_available() and not dist.is_nccl_available()
    assert dist.group.WORLD is None and not dist.is_initialized()


@pytest.mark.parametrize("call", ["get_rank", "get_world_size", "all_reduce", "barrier", "destroy"])
def test_errors_before_init_match_torch(call):
    import torch.distributed as tdist

    import ember.distributed as dist

    def run(mod, lib):
        return {"get_rank": lambda: mod.get_rank(), "get_world_size": lambda: mod.get_world_size(),
                "all_reduce": lambda: mod.all_reduce(lib.ones(2)), "barrier": lambda: mod.barrier(),
                "destroy": lambda: mod.destroy_process_group()}[call]()

    with pytest.raises(Exception) as want:
        run(tdist, torch)
    with pytest.raises(type(want.value)) as got:
        run(dist, ember)
    assert str(got.value) == str(want.value)


def test_nccl_and_unknown_backends_are_refused():
    import ember.distributed as dist

    with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo")
    assert not dist.is_initialized()


def test_single_process_group_without_launcher():
    pytest.importorskip("mpi4py")
    code = ("import ember, ember.distributed as d\n"
            "d.init_process_group('gloo', rank=0, world_size=1)\n"
            "t = ember.arange(4.); d.all_reduce(t, op=d.ReduceOp.AVG); d.broadcast(t, 0); d.barrier()\n"
            "assert t.tolist() == [0., 1., 2., 3.] and d.get_rank() == 0 and d.get_world_size() == 1\n"
            "try:\n"
            "    d.init_process_group('gloo')\n"
            "except ValueError as e:\n"
            "    assert 'twice' in str(e)\n"
            "d.destroy_process_group()\n"
            "try:\n"
            "    d.init_process_group('gloo', world_size=2, rank=0)\n"
            "except RuntimeError as e:\n"
            "    assert 'embrun' in str(e) and 'mpiexec' in str(e)\n"
            "    print('ok')\n")
    proc = _run([sys.executable, "-c", code])
    assert proc.stdout.strip() == "ok", proc.stdout + proc.stderr


def _pair(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    em = ember.nn.Sequential(ember.nn.Linear(5, 7), ember.nn.ReLU(), ember.nn.Linear(7, 2))
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def test_data_parallel_without_devices_runs_the_module_like_torch():
    tm, em = _pair()
    tdp, edp = torch.nn.DataParallel(tm), ember.nn.DataParallel(em)
    assert list(edp.state_dict()) == list(tdp.state_dict())
    assert edp.device_ids == tdp.device_ids == [] and edp.module is em
    x = torch.randn(6, 5)
    tout, eout = tdp(x), edp(ember.tensor(x.numpy()))
    assert_same(eout, tout)
    tout.sum().backward()
    eout.sum().backward()
    for p, q in zip(em.parameters(), tm.parameters()):
        assert_same(p.grad, q.grad)
    assert ember.nn.parallel.data_parallel(em, ember.tensor(x.numpy())).shape == (6, 2)


def test_scatter_replicate_parallel_apply_gather_equal_one_pass():
    """DataParallel's multi-device steps, on CPU "devices": values and gradients equal one plain pass."""
    from ember.nn import parallel as P

    tm, em = _pair(1)
    x = ember.randn(7, 5)
    inputs = P.scatter((x,), ["cpu", "cpu", "cpu"])
    assert [i[0].shape[0] for i in inputs] == [3, 3, 1]
    replicas = P.replicate(em, ["cpu"] * 3)
    outs = P.parallel_apply(replicas, inputs)
    out = P.gather(outs, "cpu")
    ref = em(x)
    assert ember.allclose(out, ref)
    out.pow(2).sum().backward()
    grads = [p.grad.clone() for p in em.parameters()]
    em.zero_grad()
    ref.pow(2).sum().backward()
    for g, p in zip(grads, em.parameters()):
        assert ember.allclose(g, p.grad, atol=1e-6)


def test_ddp_refuses_what_torch_refuses():
    import torch.distributed as tdist

    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))
    assert not tdist.is_initialized()
    frozen = ember.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        ember.nn.parallel.DistributedDataParallel(frozen)


def test_launcher_arguments():
    from ember.distributed import run

    args = run.parse_args(["--nproc_per_node=3", "--rdzv-backend", "c10d", "--master-port", "1234", "x.py", "-v"])
    cmd = run.build_command(args)
    assert cmd[1:3] == ["-n", "3"] and cmd[-2:] == ["x.py", "-v"]
    assert "MASTER_PORT" in cmd and cmd[cmd.index("MASTER_PORT") + 1] == "1234"
    with pytest.raises(SystemExit, match="hostfile"):
        run.build_command(run.parse_args(["--nnodes", "2", "x.py"]))
    cmd = run.build_command(run.parse_args(["--nnodes", "2", "--nproc-per-node", "2", "--hostfile", "h", "x.py"]))
    assert cmd[1:7] == ["-n", "4", "-f", "h", "-ppn", "2"]


def test_multiprocessing_namespace():
    import multiprocessing

    import ember.multiprocessing as mp

    for name in ("Process", "Queue", "get_context", "spawn", "start_processes", "ProcessRaisedException",
                 "ProcessExitedException", "ProcessContext", "get_all_sharing_strategies"):
        assert hasattr(mp, name), name
    assert mp.Process is multiprocessing.Process
