"""linear layers (in progress)."""

__all__ = []
