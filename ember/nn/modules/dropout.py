"""dropout layers (in progress)."""

__all__ = []
