"""ember.cpu (torch.cpu): the CPU as a device module (always available, one device) and its amp."""

from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize", "is_initialized", "set_device"]


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """The CPU runs synchronously: nothing to wait for."""


def is_initialized():
    return True


def set_device(device):
    """Only one CPU device exists: a no-op, as in PyTorch."""
