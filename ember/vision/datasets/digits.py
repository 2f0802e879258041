"""digits dataset (in progress)."""

__all__ = []
