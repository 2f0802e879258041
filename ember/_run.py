"""`python -m ember run script.py [args]`: run an unmodified PyTorch script on ember.

An import hook (a `sys.meta_path` finder) serves `torch` and every `torch.<sub>` as ember's own modules, and
`torchvision.<sub>` as `ember.vision.<sub>`, so `import torch` gives the script `ember` itself
(`sys.modules['torch'] is ember`). The script runs as `__main__` with its own `sys.argv` and `sys.path[0]`.
When it touches an API ember lacks, one line names the missing `torch.X` and the script line instead of a
traceback through ember's internals.
"""

import importlib
import importlib.abc
import importlib.util
import linecache
import os
import runpy
import sys
import traceback

_EMBER_DIR = os.path.dirname(os.path.abspath(__file__))
# torch name prefix -> ember name prefix
_ALIASES = (("torchvision", "ember.vision"), ("torch", "ember"))


def _ember_name(fullname):
    """The ember module that serves `fullname` (`torch.nn` -> `ember.nn`), or None if it is not ours."""
    for torch_prefix, ember_prefix in _ALIASES:
        if fullname == torch_prefix or fullname.startswith(torch_prefix + "."):
            return ember_prefix + fullname[len(torch_prefix):]
    return None


def _torch_name(ember_name):
    """The reverse mapping, for messages: `ember.nn.functional` -> `torch.nn.functional`."""
    for torch_prefix, ember_prefix in _ALIASES:
        if ember_name == ember_prefix or ember_name.startswith(ember_prefix + "."):
            return torch_prefix + ember_name[len(ember_prefix):]
    return ember_name


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-imported ember module instead of executing anything."""

    def __init__(self, ember_name):
        self.ember_name = ember_name

    def create_module(self, spec):
        return importlib.import_module(self.ember_name)

    def exec_module(self, module):
        pass  # the ember module is fully initialised by its own import


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Serves `torch`, `torch.*` and `torchvision.*` from ember."""

    def find_spec(self, fullname, path=None, target=None):
        ember_name = _ember_name(fullname)
        if ember_name is None:
            return None
        if importlib.util.find_spec(ember_name) is None:
            # never fall through to a real torch/torchvision installed beside ember
            raise ModuleNotFoundError(f"No module named '{fullname}' (ember has no {ember_name})", name=fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(ember_name))


_finder = TorchAliasFinder()


def install():
    """Put the torch -> ember import hook first on sys.meta_path (idempotent) and alias loaded modules."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    import ember

    sys.modules["torch"] = ember
    for name, module in list(sys.modules.items()):
        if name.startswith("ember.") and module is not None:
            sys.modules.setdefault(_torch_name(name), module)


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


# -------------------------------------------------------------------------------------------------------
# Running the script and reporting missing APIs


def _is_ember_file(filename):
    return os.path.abspath(filename).startswith(_EMBER_DIR + os.sep)


def _frames(tb):
    return [(frame, lineno) for frame, lineno in traceback.walk_tb(tb)]


def _user_location(tb, script):
    """(file, line number, source line) of the innermost frame in the user's code, preferring the script."""
    frames = _frames(tb)
    user = [(f, n) for f, n in frames if not _is_ember_file(f.f_code.co_filename)
            and os.path.abspath(f.f_code.co_filename) != os.path.abspath(__file__)
            and not f.f_code.co_filename.startswith("<frozen")]
    if script is not None:
        in_script = [(f, n) for f, n in user if os.path.abspath(f.f_code.co_filename) == os.path.abspath(script)]
        user = in_script or user
    if not user:
        return None
    frame, lineno = user[-1]
    filename = frame.f_code.co_filename
    return os.path.basename(filename), lineno, linecache.getline(filename, lineno).strip()


def _public_class_path(cls):
    import ember

    if getattr(ember, cls.__name__, None) is cls:
        return f"torch.{cls.__name__}"
    parts = [p for p in cls.__module__.split(".") if not p.startswith("_")]
    module = _torch_name(".".join(parts))
    return f"{module}.{cls.__name__}"


def missing_api_name(exc):
    """`torch.X` when `exc` says an ember module or object lacks an API, else None (an ordinary error)."""
    import types

    if isinstance(exc, ModuleNotFoundError):
        name = exc.name or ""
        if _ember_name(name) is not None or name.startswith("ember"):
            return _torch_name(name) if name.startswith("ember") else name
        return None
    if isinstance(exc, ImportError):
        # `from torch import X`: ImportError("cannot import name 'X' from 'ember' (...)", name='ember')
        module = exc.name or ""
        msg = str(exc)
        if module.startswith("ember") and msg.startswith("cannot import name '"):
            return f"{_torch_name(module)}.{msg.split(chr(39))[1]}"
        return None
    if isinstance(exc, AttributeError):
        frames = _frames(exc.__traceback__)
        if frames:
            code = frames[-1][0].f_code
            if _is_ember_file(code.co_filename) and code.co_name != "__getattr__":
                return None  # raised inside ember's own code: an ember bug, not a missing API
        obj, attr = getattr(exc, "obj", None), getattr(exc, "name", None)
        if attr is None:
            return None
        if isinstance(obj, types.ModuleType):
            if obj.__name__.startswith("ember"):
                return f"{_torch_name(obj.__name__)}.{attr}"
            return None
        cls = obj if isinstance(obj, type) else type(obj)
        if cls.__module__.startswith("ember"):
            return f"{_public_class_path(cls)}.{attr}"
        return None
    if isinstance(exc, NotImplementedError):
        # name the ember function the user's code called: the first ember frame after the last user frame
        frames = _frames(exc.__traceback__)
        called = None
        for frame, _ in frames:
            if _is_ember_file(frame.f_code.co_filename):
                if called is None:
                    called = frame
            else:
                called = None
        if called is None:
            return None
        module = _torch_name(".".join(p for p in called.f_globals.get("__name__", "ember").split(".")
                                      if not p.startswith("_")))
        func = called.f_code.co_name
        return f"{module}.{func}"
    return None


def _print_trimmed_traceback(exc):
    """The usual traceback, less the runner's frames (and ember's internals unless EMBER_FULL_TRACEBACK)."""
    full = os.environ.get("EMBER_FULL_TRACEBACK")
    tb = exc.__traceback__
    summary = traceback.extract_tb(tb)
    runner = {os.path.abspath(__file__), os.path.abspath(runpy.__file__),
              os.path.join(_EMBER_DIR, "__main__.py")}
    kept = [fs for fs in summary
            if os.path.abspath(fs.filename) not in runner and not fs.filename.startswith("<frozen")]
    if not full:
        user_only = [fs for fs in kept if not _is_ember_file(fs.filename)]
        kept = user_only or kept
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.StackSummary.from_list(kept).format()
    lines += traceback.format_exception_only(type(exc), exc)
    sys.stderr.write("".join(lines))


def run(target, args=(), module=False):
    """Run a script (or, with module=True, a module) with torch mapped to ember; returns the exit code."""
    install()
    script = None
    if module:
        sys.argv = [target, *args]
        sys.path.insert(0, os.getcwd())
    else:
        script = os.path.abspath(target)
        if not os.path.exists(script):
            sys.stderr.write(f"ember: can't open file '{target}': No such file or directory\n")
            return 2
        sys.argv = [target, *args]
        script_dir = os.path.dirname(script)
        if sys.path and sys.path[0] in ("", os.getcwd()):
            sys.path[0] = script_dir
        else:
            sys.path.insert(0, script_dir)
    try:
        if module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("KeyboardInterrupt\n")
        return 130
    except BaseException as exc:  # noqa: BLE001 - everything from the user's script is reported here
        name = missing_api_name(exc) if isinstance(exc, Exception) else None
        if name is None:
            _print_trimmed_traceback(exc)
            return 1
        where = _user_location(exc.__traceback__, script)
        location = f" ({where[0]}, line {where[1]}: {where[2]})" if where else ""
        detail = str(exc).removeprefix("ember: ") if isinstance(exc, NotImplementedError) else ""
        if detail:  # the function exists but not this use of it: say which use
            sys.stderr.write(f"ember: {name} is not fully implemented in ember: {detail}{location}\n")
        else:
            sys.stderr.write(f"ember: {name} is not implemented in ember{location}\n")
        return 1
    finally:
        sys.stdout.flush()
    return 0
