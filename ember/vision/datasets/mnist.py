"""mnist dataset (in progress)."""

__all__ = []
