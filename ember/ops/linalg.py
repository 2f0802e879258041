"""linalg ops (in progress)."""

__all__ = []  # top-level names (torch.mm, torch.matmul, ...); ember/linalg.py holds torch.linalg.*
