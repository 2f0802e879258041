"""ember.nn.modules: Module and the layers, one file per family (as torch/nn/modules)."""

from ..parameter import UninitializedBuffer, UninitializedParameter
from . import (
    activation,
    activation_attention,
    batchnorm,
    channelshuffle,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    linear,
    loss,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from .activation import *  # noqa: F403
from .activation_attention import *  # noqa: F403
from .batchnorm import *  # noqa: F403
from .channelshuffle import *  # noqa: F403
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .fold import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .pixelshuffle import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
from .upsampling import *  # noqa: F403

__all__ = ["Module", "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "UninitializedParameter", "UninitializedBuffer",
           *activation.__all__, *batchnorm.__all__, *conv.__all__, *dropout.__all__, *flatten.__all__,
           *linear.__all__, *loss.__all__, *normalization.__all__, *pooling.__all__, *sparse.__all__,
           *activation_attention.__all__, *rnn.__all__, *transformer.__all__,
           *upsampling.__all__, *pixelshuffle.__all__, *channelshuffle.__all__, *padding.__all__, *fold.__all__,
           *distance.__all__]
