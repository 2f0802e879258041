"""`ember.utils.summary(model, input_size)`: a per-layer table in the style of torchinfo's summary.

The model runs once on a dummy input (or the given `input_data`) under no_grad with forward hooks recording
each module call's output shape; its buffers (BatchNorm's running statistics) are restored afterwards, so
taking a summary leaves the model as it was.
"""

import math

__all__ = ["summary", "ModelStatistics", "LayerInfo"]

_ALL_COLUMNS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
                "params_percent": "Param %", "kernel_size": "Kernel Shape", "mult_adds": "Mult-Adds",
                "trainable": "Trainable"}
_NAME_WIDTH = 40
_COLUMN_WIDTH = 25


class LayerInfo:
    """One module call: its class name, depth, index at that depth, shapes and parameter counts."""

    def __init__(self, module, class_name, depth, depth_index, var_name):
        self.module = module
        self.class_name = class_name
        self.depth = depth
        self.depth_index = depth_index
        self.var_name = var_name
        self.input_size = None
        self.output_size = None
        self.output_bytes = 0
        self.is_leaf = not any(True for _ in module.children())
        own = list(module.parameters(recurse=False))
        every = list(module.parameters())
        # containers show only the parameters they hold themselves; their children show the rest
        counted = every if self.is_leaf else own
        self.num_params = sum(p.numel() for p in counted)
        self.all_params = sum(p.numel() for p in every)
        self.trainable_params = sum(p.numel() for p in every if p.requires_grad)
        weight = getattr(module, "weight", None)
        self.kernel_size = list(weight.shape[2:]) if weight is not None and weight.dim() > 2 else None
        self.macs = 0

    @property
    def trainable(self):
        if self.all_params == 0:
            return "--"
        if self.trainable_params == self.all_params:
            return "True"
        return "False" if self.trainable_params == 0 else "Partial"

    def label(self):
        if self.depth == 0:
            return self.class_name
        branch = "├─" if self.depth == 1 else "│    " * (self.depth - 1) + "└─"
        return f"{branch}{self.class_name}: {self.depth}-{self.depth_index}"


def _first_shape(value):
    """The shape of a tensor, or of the first tensor in a (nested) tuple/list/dict output."""
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return list(value.shape)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        for item in value:
            shape = _first_shape(item)
            if shape is not None:
                return shape
    return None


def _tensor_bytes(value):
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def _format_number(n):
    return f"{n:,}" if n else "--"


class ModelStatistics:
    """What summary() measured; str() is the table."""

    def __init__(self, summary_list, input_bytes, col_names, depth, model_name):
        self.summary_list = summary_list
        self.col_names = tuple(col_names)
        self.depth = depth
        self.model_name = model_name
        root = summary_list[0].module if summary_list else None
        params = list(root.parameters()) if root is not None else []
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.total_param_bytes = sum(p.numel() * p.element_size() for p in params)
        self.total_mult_adds = sum(layer.macs for layer in summary_list)
        self.total_input = input_bytes
        # outputs of leaf layers, counted twice: the forward values and their gradients in the backward pass
        self.total_output_bytes = 2 * sum(layer.output_bytes for layer in summary_list if layer.is_leaf)

    @property
    def non_trainable_params(self):
        return self.total_params - self.trainable_params

    def _cell(self, layer, column):
        if column == "output_size":
            return str(layer.output_size) if layer.output_size is not None else "--"
        if column == "input_size":
            return str(layer.input_size) if layer.input_size is not None else "--"
        if column == "num_params":
            # a container at the depth limit stands for its hidden children too
            return _format_number(layer.all_params if layer.depth >= self.depth else layer.num_params)
        if column == "params_percent":
            if not layer.num_params or not self.total_params:
                return "--"
            return f"{100 * layer.num_params / self.total_params:.2f}%"
        if column == "kernel_size":
            return str(layer.kernel_size) if layer.kernel_size is not None else "--"
        if column == "mult_adds":
            return _format_number(layer.macs)
        if column == "trainable":
            return layer.trainable
        raise ValueError(f"unknown column {column!r}; choose from {sorted(_ALL_COLUMNS)}")

    def __str__(self):
        width = _NAME_WIDTH + _COLUMN_WIDTH * len(self.col_names)  # each cell also has one space after it
        rule = "=" * width
        header = f"{'Layer (type:depth-idx)':<{_NAME_WIDTH}} " + "".join(
            f"{_ALL_COLUMNS[c]:<{_COLUMN_WIDTH}} " for c in self.col_names)
        lines = [rule, header.rstrip(), rule]
        for layer in self.summary_list:
            if layer.depth > self.depth:
                continue
            row = f"{layer.label():<{_NAME_WIDTH}} " + "".join(
                f"{self._cell(layer, c):<{_COLUMN_WIDTH}} " for c in self.col_names)
            lines.append(row.rstrip())
        mb = 1e6
        total_mb = (self.total_input + self.total_output_bytes + self.total_param_bytes) / mb
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Total mult-adds (M): {self.total_mult_adds / 1e6:.2f}",
            rule,
            f"Input size (MB): {self.total_input / mb:.2f}",
            f"Forward/backward pass size (MB): {self.total_output_bytes / mb:.2f}",
            f"Params size (MB): {self.total_param_bytes / mb:.2f}",
            f"Estimated Total Size (MB): {total_mb:.2f}",
            rule,
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _dummy_inputs(input_size, batch_dim, dtypes):
    """ember.rand tensors of the requested sizes (one per size; a single shape may be given bare)."""
    import ember

    sizes = [input_size] if input_size and all(isinstance(d, int) for d in input_size) else list(input_size)
    dtypes = list(dtypes) if dtypes is not None else [None] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: got {len(dtypes)} dtypes for {len(sizes)} inputs")
    inputs = []
    for size, dtype in zip(sizes, dtypes):
        size = list(size)
        if batch_dim is not None:
            size.insert(batch_dim, 1)
        if dtype is None or dtype.is_floating_point:
            inputs.append(ember.rand(*size, dtype=dtype))
        else:
            inputs.append(ember.zeros(*size, dtype=dtype))
    return inputs


def summary(model, input_size=None, input_data=None, batch_dim=None, depth=3,
            col_names=("output_size", "num_params"), dtypes=None, verbose=1, **forward_kwargs):
    """Print (verbose >= 1) and return a per-layer table of `model`: output shapes and parameter counts.

    input_size: the shape of the model's input (or a list of shapes, one per input) for a dummy ember.rand
    input; or input_data: the actual tensor(s) (a tensor, a list/tuple of positional inputs, or a dict of
    keyword inputs). batch_dim: insert a batch dimension of 1 at this position of each input_size.
    col_names: any of input_size, output_size, num_params, params_percent, kernel_size, mult_adds, trainable.
    """
    import ember

    for column in col_names:
        if column not in _ALL_COLUMNS:
            raise ValueError(f"unknown column {column!r}; choose from {sorted(_ALL_COLUMNS)}")
    args, kwargs = (), dict(forward_kwargs)
    if input_data is not None:
        if isinstance(input_data, dict):
            kwargs.update(input_data)
        elif isinstance(input_data, (tuple, list)):
            args = tuple(input_data)
        else:
            args = (input_data,)
    elif input_size is not None:
        args = tuple(_dummy_inputs(input_size, batch_dim, dtypes))
    input_bytes = _tensor_bytes(list(args) + list(kwargs.values()))

    names = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name)
    summary_list, depth_counts, handles = [], {}, []
    open_calls = {}  # id(module) -> stack of LayerInfo waiting for their outputs

    def pre_hook(module, inputs):
        name = names.get(id(module))
        if name is None:
            return
        layer_depth = 0 if name == "" else name.count(".") + 1
        depth_counts[layer_depth] = depth_counts.get(layer_depth, 0) + 1
        layer = LayerInfo(module, type(module).__name__, layer_depth, depth_counts[layer_depth], name)
        layer.input_size = _first_shape(inputs)
        summary_list.append(layer)
        open_calls.setdefault(id(module), []).append(layer)

    def hook(module, inputs, output):
        stack = open_calls.get(id(module))
        if not stack:
            return
        layer = stack.pop()
        layer.output_size = _first_shape(output)
        layer.output_bytes = _tensor_bytes(output)
        own = sum(p.numel() for p in module.parameters(recurse=False))
        weight = getattr(module, "weight", None)
        # as torchinfo, layers with a weight count mult-adds; a free-standing parameter does not
        if own and layer.output_size and isinstance(weight, ember.Tensor):
            if weight.dim() >= 2 and len(layer.output_size) >= 2:
                # a weight applied at every output position: its params times the number of positions
                positions = math.prod(layer.output_size) // max(weight.shape[0], 1)
            else:
                positions = layer.output_size[0]
            layer.macs = own * positions

    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(hook))
    saved_buffers = [(b, b.clone()) for b in model.buffers()]
    try:
        with ember.no_grad():
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
        for buffer, value in saved_buffers:  # the dummy pass must not move BatchNorm's running statistics
            buffer.copy_(value)

    stats = ModelStatistics(summary_list, input_bytes, col_names, depth, type(model).__name__)
    if verbose:
        print(stats)
    return stats
