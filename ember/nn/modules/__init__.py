"""ember.nn.modules: Module and the layers, one file per family (as torch/nn/modules)."""

from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module

__all__ = ["Module", "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
