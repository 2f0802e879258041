"""A context manager that sets module-level flags and puts the old values back (the `flags()` of
torch.backends.cudnn and torch.backends.mkldnn)."""

import contextlib


@contextlib.contextmanager
def set_flags(module, **values):
    old = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(module, name, value)
