"""torch.backends.opt_einsum: the opt_einsum package is not used by ember (PyTorch reports it unavailable when
the package is missing)."""

enabled = False
strategy = None


def is_available():
    return False


def get_opt_einsum():
    return None
