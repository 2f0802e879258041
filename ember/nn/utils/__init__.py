"""ember.nn.utils (torch.nn.utils): rnn packing helpers; gradient clipping and parametrizations follow."""

from . import rnn  # noqa: F401
