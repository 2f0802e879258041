"""ember.vision: torchvision's place in ember (`import ember.vision as torchvision`)."""

from . import models, transforms, utils

__all__ = ["models", "transforms", "utils"]
