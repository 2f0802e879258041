"""conv layers (in progress)."""

__all__ = []
