"""flatten layers (in progress)."""

__all__ = []
