"""ember.backends (torch.backends): the switches a CPU-only PyTorch build exposes for its backends, with the
values that build reports. ember computes with NumPy, so the flags are stored and read back but select nothing.
Imported on first use of `ember.backends`, not at `import ember`."""

from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
