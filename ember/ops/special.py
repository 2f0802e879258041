"""special ops (in progress)."""

__all__ = []
