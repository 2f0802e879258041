"""ember.cuda (torch.cuda) without a GPU backend yet: it answers as a CPU-only PyTorch build does, so scripts
that check `torch.cuda.is_available()` take their CPU path. The CuPy backend (issue 11) replaces this."""

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Seeding an absent device does nothing, as in PyTorch (its CUDA seeding is lazy)."""


def manual_seed_all(seed):
    """See manual_seed."""


def seed():
    pass


def seed_all():
    pass


def empty_cache():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def _not_compiled(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


current_device = synchronize = get_device_name = get_device_properties = get_device_capability = _not_compiled
set_device = init = _not_compiled


def __getattr__(name):
    # torch.cuda.amp is imported on first use (it pulls in ember.amp)
    if name == "amp":
        import importlib

        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
