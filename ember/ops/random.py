"""random ops (in progress)."""

__all__ = []
