"""ember.vision.datasets (torchvision.datasets): datasets read from their standard on-disk formats, and the
bundled 8x8 digits (`Digits`)."""

from . import cifar, digits, fakedata, folder, mnist
from .cifar import *  # noqa: F403
from .digits import *  # noqa: F403
from .fakedata import *  # noqa: F403
from .folder import *  # noqa: F403
from .mnist import *  # noqa: F403

__all__ = [*cifar.__all__, *digits.__all__, *fakedata.__all__, *folder.__all__, *mnist.__all__]
