"""normalization layers (in progress)."""

__all__ = []
