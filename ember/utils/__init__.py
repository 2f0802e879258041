"""ember.utils: torch.utils's place (`data` for datasets and the DataLoader)."""

from . import data, dlpack
from .summary import summary

__all__ = ["data", "dlpack", "summary"]
