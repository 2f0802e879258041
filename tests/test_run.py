"""`python -m ember run script.py`: torch imports served by ember, the script's argv/__main__/sys.path, exit
codes, and one clear line (no traceback) when a script uses an API ember lacks."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_ember(tmp_path, source, *args, name="script.py", extra=("run",)):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "ember", *extra, str(script), *args], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path.parent), timeout=60)


def test_torch_imports_are_ember_modules(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 42\n")
    result = run_ember(tmp_path, """
        import os, sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        from torch import optim
        from torch.optim.lr_scheduler import StepLR
        import torch.autograd, torch.linalg, torch.testing, torch.random, torch.special
        import ember
        import helper_mod  # found through sys.path[0], the script's own directory
        assert sys.modules["torch"] is ember and torch is ember
        assert nn is ember.nn and F is ember.nn.functional and optim is ember.optim
        assert torch.utils.data is ember.utils.data and torch.autograd is ember.autograd
        assert torch.linalg is ember.linalg and torch.special is ember.special
        assert StepLR is ember.optim.lr_scheduler.StepLR
        assert __name__ == "__main__"
        assert sys.path[0] == os.path.dirname(os.path.abspath(__file__))
        model = nn.Linear(3, 2)
        opt = optim.SGD(model.parameters(), lr=0.1)
        loader = DataLoader(TensorDataset(torch.randn(8, 3), torch.randn(8, 2)), batch_size=4)
        for x, y in loader:
            loss = F.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print("argv", sys.argv[1:], helper_mod.VALUE)
        sys.exit(int(sys.argv[1]))
        """, "3", "--lr", "0.5")
    assert result.returncode == 3, result.stderr
    assert "argv ['3', '--lr', '0.5'] 42" in result.stdout
    assert sys.argv[0] not in result.stdout


@pytest.mark.skipif(importlib.util.find_spec("ember.vision") is None, reason="ember.vision not present")
def test_torchvision_maps_to_ember_vision(tmp_path):
    result = run_ember(tmp_path, """
        import torchvision
        import ember
        assert torchvision is ember.vision
        print("vision ok")
        """)
    assert result.returncode == 0, result.stderr
    assert "vision ok" in result.stdout


@pytest.mark.parametrize("line, missing", [
    ("y = torch.frobnicate(x)", "torch.frobnicate"),
    ("y = x.frobnicate()", "torch.Tensor.frobnicate"),
    ("y = torch.nn.functional.frobnicate(x)", "torch.nn.functional.frobnicate"),
    ("from torch import frobnicate", "torch.frobnicate"),
    ("import torch.frobnicate_module", "torch.frobnicate_module"),
])
def test_missing_api_is_one_clear_line(tmp_path, line, missing):
    result = run_ember(tmp_path, f"""
        import torch
        x = torch.ones(3)
        {line}
        """)
    assert result.returncode == 1
    assert result.stderr == f"ember: {missing} is not implemented in ember (script.py, line 4: {line})\n"
    assert "Traceback" not in result.stderr


def test_not_implemented_error_from_ember_names_the_function(tmp_path):
    result = run_ember(tmp_path, """
        import torch
        x = torch.ones(3, requires_grad=True)
        g = torch.autograd.grad((x * 2).sum(), x, is_grads_batched=True)
        """)
    assert result.returncode == 1
    assert result.stderr.startswith("ember: torch.autograd.grad is not fully implemented in ember: ")
    assert result.stderr.endswith("(script.py, line 4: g = torch.autograd.grad((x * 2).sum(), x, "
                                  "is_grads_batched=True))\n")
    assert "Traceback" not in result.stderr


def test_user_errors_keep_their_traceback_without_runner_frames(tmp_path):
    result = run_ember(tmp_path, """
        import torch

        def broken(x):
            return x + undefined_name

        broken(torch.ones(2))
        """)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "line 7, in <module>" in result.stderr and "line 5, in broken" in result.stderr
    assert result.stderr.rstrip().endswith("NameError: name 'undefined_name' is not defined")
    assert "runpy" not in result.stderr and "_run.py" not in result.stderr


def test_attribute_error_on_user_objects_is_an_ordinary_error(tmp_path):
    result = run_ember(tmp_path, """
        class Thing:
            pass
        Thing().missing
        """)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "AttributeError" in result.stderr
    assert "not implemented in ember" not in result.stderr


def test_run_module(tmp_path):
    package = tmp_path / "pkg_for_run"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text("import sys, torch, ember\nassert torch is ember\nprint('module', sys.argv[1:])\n")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "ember", "run", "-m", "pkg_for_run.main", "a", "-b"],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "module ['a', '-b']" in result.stdout


def test_missing_script_and_help(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    missing = subprocess.run([sys.executable, "-m", "ember", "run", str(tmp_path / "nope.py")],
                             capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2 and "can't open file" in missing.stderr
    shown = subprocess.run([sys.executable, "-m", "ember", "run", "--help"], capture_output=True, text=True,
                           env=env, timeout=60)
    assert shown.returncode == 0 and "script" in shown.stdout
