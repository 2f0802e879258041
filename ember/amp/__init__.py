"""ember.amp (torch.amp): automatic mixed precision. GradScaler works on the CPU as PyTorch's does; autocast
follows PyTorch's rules for turning itself off (CUDA absent, unsupported dtype) and refuses to run enabled on the
CPU, where ember has no per-op casting yet (see autocast_mode)."""

from . import autocast_mode, grad_scaler
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "autocast_mode",
           "grad_scaler"]
