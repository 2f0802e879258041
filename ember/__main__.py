"""`python -m ember` (and the `ember` console script): `--version`, `run script.py [args]`, `demo`."""

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
    demo = commands.add_parser(
        "demo", help="train a small CNN on the bundled 8x8 digits and save a checkpoint PyTorch loads",
        description="Train a small CNN on the bundled 8x8 digits (ember.vision.datasets.Digits) and print the loss "
                    "and test accuracy per epoch; save the weights (loadable by PyTorch) and, with matplotlib, "
                    "plots of the loss curve and the misclassified test digits.")
    demo.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    demo.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    demo.add_argument("--out", default="ember-demo", metavar="DIR",
                      help="where to write digits_cnn.pt and the plots (default: ./ember-demo)")
    demo.add_argument("--no-plots", action="store_true", help="do not write loss.png and misclassified.png")
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
    options = parser.parse_args(argv)
    if options.command == "demo":
        if options.epochs < 1 or options.batch_size < 1:
            parser.error("demo: --epochs and --batch-size must be positive")
        from . import _demo

        return _demo.main(epochs=options.epochs, batch_size=options.batch_size, out_dir=options.out,
                          plots=not options.no_plots)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
