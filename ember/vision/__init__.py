"""ember.vision: torchvision's place in ember (`import ember.vision as torchvision`)."""

from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
