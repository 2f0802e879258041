"""Device objects, as torch.device."""

_KNOWN_TYPES = ("cpu", "cuda", "meta", "mps", "xpu")


class device:
    __slots__ = ("type", "index")

    def __new__(cls, type, index=None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            return type
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) means cuda:0
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type.__class__.__name__})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _KNOWN_TYPES:
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                f"lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self = object.__new__(cls)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)
        return self

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        raise NotImplementedError("ember: using a device as a context manager (default device) is not supported yet")

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def as_device(d):
    """Normalise a device argument (None, str, int or device) to a device, or None."""
    if d is None or type(d) is device:
        return d
    return device(d)


# set_default_device's choice (ember._settings): None for the CPU
default_device = None


def check_device(d):
    """Refuse devices no backend serves yet, with PyTorch's message for CUDA on a CPU-only build."""
    d = as_device(d)
    if d is None:
        d = default_device
    if d is None or d.type == "cpu":
        return CPU
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if d.type == "meta":
        raise NotImplementedError("ember: the 'meta' device is not supported")
    raise RuntimeError(f"ember has no backend for device type '{d.type}'")
