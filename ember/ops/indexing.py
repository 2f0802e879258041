"""indexing ops (in progress)."""

__all__ = []
