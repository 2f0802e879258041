"""torchvision.models' place: classification models with torchvision's state_dict layout."""

from ._api import Weights, WeightsEnum
from .alexnet import *  # noqa: F403
from .alexnet import __all__ as _alexnet_all
from .mobilenetv2 import *  # noqa: F403
from .mobilenetv2 import __all__ as _mobilenet_all
from .resnet import *  # noqa: F403
from .resnet import __all__ as _resnet_all
from .vgg import *  # noqa: F403
from .vgg import __all__ as _vgg_all

__all__ = ["Weights", "WeightsEnum", "get_weight"] + _alexnet_all + _mobilenet_all + _resnet_all + _vgg_all


def get_weight(name):
    """'ResNet18_Weights.IMAGENET1K_V1' -> the enum member."""
    enum_name, _, member = name.partition(".")
    return globals()[enum_name][member]
