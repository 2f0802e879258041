"""torch.backends.openmp: the CPU build reports OpenMP (ember's BLAS threads on its own)."""


def is_available():
    return True
