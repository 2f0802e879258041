"""torch.utils.dlpack: DLPack capsules in and out (ember tensors also speak __dlpack__ directly)."""

from ..ops.legacy import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
