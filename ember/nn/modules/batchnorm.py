"""batchnorm layers (in progress)."""

__all__ = []
