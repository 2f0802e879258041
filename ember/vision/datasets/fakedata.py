"""fakedata dataset (in progress)."""

__all__ = []
