"""ember.nn: modules, parameters and (later) layers, losses, functional, init and utils (torch.nn's namespace)."""

from . import functional, init, modules, parallel, parameter, utils  # noqa: F401  (as in torch.nn)
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parallel import DataParallel
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "DataParallel", *_modules_all]
