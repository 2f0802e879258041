"""Package-level rules: ember never imports torch, starts fast, and reports its version."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import ember

ROOT = Path(ember.__file__).resolve().parent


def test_ember_never_imports_torch():
    def imports_torch(path):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n == "torch" or n.startswith("torch.") for n in names):
                return True
        return False

    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if imports_torch(p)]
    assert offenders == []
    code = "import sys, ember; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_version_command():
    out = subprocess.run([sys.executable, "-m", "ember", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"ember {ember.__version__}"


def test_import_is_fast():
    # as a user's install runs it: with compiled bytecode cached (the first import writes it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = "import time; t = time.perf_counter(); import ember; print(time.perf_counter() - t)"

    def once():
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    env=env).stdout)

    once()
    best = min(once() for _ in range(3))
    assert best < 0.5, f"import ember took {best:.3f} s (budget 0.25 s, 0.5 s allowed on a loaded CI machine)"
