"""repr/str of tensors. Placeholder until the full PyTorch-exact printer lands."""


def tensor_repr(t):
    return f"tensor({t._data.tolist()})"


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    raise NotImplementedError("ember: set_printoptions is not implemented yet")


def get_printoptions():
    raise NotImplementedError("ember: get_printoptions is not implemented yet")
