"""cifar dataset (in progress)."""

__all__ = []
