"""`python -m ember` (and the `ember` console script): `--version`, `run script.py [args]`."""

import argparse
import sys


def _parser(version):
    parser = argparse.ArgumentParser(prog="python -m ember", description="ember: PyTorch's API on NumPy")
    parser.add_argument("--version", action="version", version=f"ember {version}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run an unmodified PyTorch script with `torch` mapped to ember",
        description="Run a PyTorch script with `import torch` (torch.nn, torch.utils.data, torchvision, ...) "
                    "served by ember. Everything after the script name is passed to the script.")
    run.add_argument("-m", dest="module", metavar="MODULE", help="run a library module as a script (like python -m)")
    run.add_argument("script", nargs="?", help="the script to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    return parser


def _run_command(argv, parser):
    """`run [-m module | script] [args...]`: parsed by hand so the script's own options pass through untouched."""
    if not argv or argv[0] in ("-h", "--help"):
        parser.parse_args(["run", "--help"])
    from . import _run

    if argv[0] == "-m":
        if len(argv) < 2:
            parser.error("run -m: a module name is required")
        return _run.run(argv[1], argv[2:], module=True)
    return _run.run(argv[0], argv[1:])


def main(argv=None):
    import ember

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(ember.__version__)
    if argv and argv[0] == "run":
        return _run_command(argv[1:], parser)
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
