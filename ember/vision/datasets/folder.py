"""folder dataset (in progress)."""

__all__ = []
