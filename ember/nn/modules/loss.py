"""loss layers (in progress)."""

__all__ = []
