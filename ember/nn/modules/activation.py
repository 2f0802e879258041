"""activation layers (in progress)."""

__all__ = []
