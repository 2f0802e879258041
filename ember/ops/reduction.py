"""reduction ops (in progress)."""

__all__ = []
