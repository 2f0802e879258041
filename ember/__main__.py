"""`python -m ember --version` (and, in later issues, `run` and `demo`)."""

import argparse
import sys


def main(argv=None):
    import ember

    parser = argparse.ArgumentParser(prog="python -m ember", description="ember: PyTorch's API on NumPy")
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
