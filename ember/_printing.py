"""repr/str of tensors. Placeholder until the full PyTorch-exact printer lands."""


def tensor_repr(t):
    return f"tensor({t._data.tolist()})"
