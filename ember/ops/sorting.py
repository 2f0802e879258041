"""sorting ops (in progress)."""

__all__ = []
