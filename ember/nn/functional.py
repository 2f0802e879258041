"""ember.nn.functional (torch.nn.functional): thin re-exports; each op's forward and backward live in ops/."""

from ..ops.activation import *  # noqa: F403
from ..ops.conv import *  # noqa: F403
from ..ops.ctc import ctc_loss  # noqa: F401
from ..ops.loss import *  # noqa: F403
from ..ops.misc import pdist  # noqa: F401 - torch.nn.functional.pdist
from ..ops.nn_misc import *  # noqa: F403
from ..ops.normalization import *  # noqa: F403
from ..ops.pooling import *  # noqa: F403
from ..ops.sampling import *  # noqa: F403
from .modules.activation_attention import (  # noqa: F401 - torch keeps these in F
    _canonical_mask,
    _none_or_dtype,
    multi_head_attention_forward,
)
