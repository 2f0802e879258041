"""ember.linalg: torch.linalg's namespace (the implementations live in ops/linalg.py)."""
