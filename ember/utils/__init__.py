"""ember.utils: torch.utils's place (`data` for datasets and the DataLoader)."""

from . import data

__all__ = ["data"]
