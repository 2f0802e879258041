"""Weights enums and local checkpoint loading (torchvision.models._api's place).

Nothing is downloaded: a checkpoint is looked up by torchvision's file name in the hub cache PyTorch uses
(`$TORCH_HOME/hub/checkpoints`, default ~/.cache/torch/hub/checkpoints) and under `$EMBER_HOME`.
"""

import enum
import functools
import json
import os
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Weights", "WeightsEnum", "checkpoint_dirs", "load_state_dict_from_url"]


@dataclass(eq=False)
class Weights:
    url: str
    transforms: Callable
    meta: dict = field(default_factory=dict)


class WeightsEnum(enum.Enum):
    """Base of ResNet18_Weights etc.: each member's value is a Weights record."""

    @classmethod
    def verify(cls, obj):
        if obj is None:
            return None
        if isinstance(obj, str):
            obj = cls[obj.replace(cls.__name__ + ".", "")]
        elif not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                            f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, progress=True, check_hash=False):
        return load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    def __eq__(self, other):
        return isinstance(other, WeightsEnum) and self.__class__ is other.__class__ and self._name_ == other._name_

    def __hash__(self):
        return hash((self.__class__.__name__, self._name_))

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def checkpoint_dirs():
    """Directories searched for checkpoints, in order."""
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"),
                                                                         "torch")))
    dirs = [os.path.join(torch_home, "hub", "checkpoints")]
    ember_home = os.getenv("EMBER_HOME")
    if ember_home:
        ember_home = os.path.expanduser(ember_home)
        dirs += [os.path.join(ember_home, "hub", "checkpoints"), os.path.join(ember_home, "checkpoints"), ember_home]
    return dirs


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None,
                             weights_only=True):
    """torch.hub.load_state_dict_from_url without the network: load the cached file or explain where to put it."""
    from ... import serialization

    filename = file_name or os.path.basename(url.split("?")[0])
    dirs = [model_dir] if model_dir is not None else checkpoint_dirs()
    for directory in dirs:
        path = os.path.join(directory, filename)
        if os.path.isfile(path):
            return serialization.load(path, map_location=map_location, weights_only=weights_only)
    raise RuntimeError(
        f"Pretrained weights '{filename}' are not available: ember cannot download them ({url}). Download that file "
        f"elsewhere and put it at {os.path.join(dirs[0], filename)} (the directory is $TORCH_HOME/hub/checkpoints, "
        f"or set $EMBER_HOME and use $EMBER_HOME/hub/checkpoints/{filename}).")


_DATA_DIR = os.path.dirname(os.path.abspath(__file__))
_CATEGORIES_MARK = "<ImageNet-1K categories>"  # what weights_meta.json writes for the ImageNet list


@functools.cache
def _imagenet_categories():
    """The 1000 ImageNet-1K class names in class-index order (torchvision's list; see THIRD_PARTY_NOTICES.txt).
    Read once, when the first weights enum is built: ember.vision is not imported by `import ember`."""
    with open(os.path.join(_DATA_DIR, "imagenet_categories.txt"), encoding="utf-8") as f:
        return f.read().splitlines()


@functools.cache
def _all_weights_meta():
    with open(os.path.join(_DATA_DIR, "weights_meta.json"), encoding="utf-8") as f:
        return json.load(f)


def _weights_meta(url):
    """torchvision's meta dict for the checkpoint at `url`, keys in torchvision's order: min_size a tuple and
    "categories" the shared ImageNet list (or None where torchvision has none)."""
    meta = dict(_all_weights_meta()[os.path.basename(url)])
    meta["min_size"] = tuple(meta["min_size"])
    if meta.get("categories") == _CATEGORIES_MARK:
        meta["categories"] = _imagenet_categories()
    return meta


def _classification_transforms(crop_size=224, resize_size=256, **kwargs):
    from ..transforms.transforms import ImageClassification

    return functools.partial(ImageClassification, crop_size=crop_size, resize_size=resize_size, **kwargs)


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _load_weights(model, weights, progress):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model

