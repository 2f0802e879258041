"""ember.linalg: torch.linalg's namespace (the functions live in ops/linalg.py)."""

from .ops.linalg import *  # noqa: F403
