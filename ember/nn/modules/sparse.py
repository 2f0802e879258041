"""sparse layers (in progress)."""

__all__ = []
