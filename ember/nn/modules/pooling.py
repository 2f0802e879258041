"""pooling layers (in progress)."""

__all__ = []
