"""torchvision.transforms' place (v1 API)."""

from . import functional
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all

__all__ = ["functional"] + list(_transforms_all)
