"""linalg ops (in progress)."""

__all__ = []

# names exported at ember's top level (torch.mm, torch.matmul, ...), as opposed to ember.linalg.*
_TOP_LEVEL = []
