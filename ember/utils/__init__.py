"""ember.utils: torch.utils's place (`data` for datasets and the DataLoader)."""

from . import data
from .summary import summary

__all__ = ["data", "summary"]
