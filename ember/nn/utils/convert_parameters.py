"""Flatten parameters into one vector and back (torch.nn.utils.convert_parameters)."""

from ... import _tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the flattened parameters into one 1-D tensor (differentiable)."""
    import ember

    return ember.cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Replace each parameter's data by the matching slice of vec, viewed in the parameter's shape."""
    if not isinstance(vec, _tensor.Tensor):
        module = type(vec).__module__
        name = type(vec).__qualname__
        raise TypeError(f"expected torch.Tensor, but got: {name if module == 'builtins' else module + '.' + name}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
