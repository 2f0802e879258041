"""Pictures of the autograd graph: `to_dot(loss, params=dict(model.named_parameters()))`.

The DOT text follows torchviz's `make_dot` conventions, so learners see the picture they know: a gray box per
backward function (`MulBackward0`), a light-blue box per leaf that gets a `.grad` (labelled with its
parameter name and shape), green boxes for the tensors passed in, dark green for the base of a view output,
orange for saved tensors (with show_saved=True). Edges follow `grad_fn.next_functions`, from inputs towards
the output. No dependency is needed for the text; rendering to SVG/PNG uses the `graphviz` package and the
Graphviz `dot` program when they are installed.
"""

_SAVED_PREFIX = "_saved_"
_RENDER_HELP = ("to render the graph install the graphviz package and the Graphviz binaries: "
                "pip install graphviz; apt-get install graphviz")
# Node attributes that are graph plumbing, not something the op remembered
_PLUMBING = frozenset({"next_functions", "variable", "num_outputs", "metadata"})


def _is_tensor(obj):
    from .._tensor import Tensor

    return isinstance(obj, Tensor)


def _quote(text):
    """A DOT double-quoted string; newlines become DOT's `\\n` (centered lines, as torchviz's labels)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _size_to_str(shape):
    return "(" + ", ".join(str(int(v)) for v in shape) + ")"


class DotGraph:
    """The DOT text of a graph (`.source`), renderable with graphviz when it is installed."""

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        lines = self.source.count("\n")
        return f"<ember DotGraph: {lines} lines of DOT; .source for the text, .render(path) for a picture>"

    def _graphviz_source(self):
        try:
            import graphviz
        except ImportError:
            raise RuntimeError(_RENDER_HELP) from None
        return graphviz, graphviz.Source(self.source)

    def pipe(self, format="svg"):
        """The rendered picture as bytes."""
        graphviz, src = self._graphviz_source()
        try:
            return src.pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(_RENDER_HELP) from None

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")

    def render(self, path, format=None):
        """Write the picture to `path` (format from `format`, or the path's extension, default svg)."""
        import os

        root, ext = os.path.splitext(os.fspath(path))
        if format is None:
            format = ext[1:] if ext else "svg"
        if not ext:
            path = f"{root}.{format}"
        data = self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return os.fspath(path)

    def save(self, path):
        """Write the DOT text itself."""
        with open(path, "w") as f:
            f.write(self.source)
        return path


def _node_attributes(fn, max_attr_chars):
    """What a backward node remembered, for show_attrs: its `_saved_*` attributes and plain public fields."""
    attrs = {}
    for attr in dir(fn):
        if attr.startswith(_SAVED_PREFIX) and attr != "_saved_for_user":
            attrs[attr[len(_SAVED_PREFIX):]] = getattr(fn, attr)
    for attr, val in vars(fn).items():
        if not attr.startswith("_") and attr not in _PLUMBING and not callable(val):
            attrs.setdefault(attr, val)
    shown = {}
    for attr, val in attrs.items():
        if _is_tensor(val):
            shown[attr] = "[saved tensor]"
        elif isinstance(val, tuple) and any(_is_tensor(t) for t in val):
            shown[attr] = "[saved tensors]"
        else:
            shown[attr] = str(val)
    return shown


def _fn_label(fn, show_attrs, max_attr_chars):
    name = fn.name() if hasattr(fn, "name") else type(fn).__name__
    if not show_attrs:
        return name
    attrs = _node_attributes(fn, max_attr_chars)
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    key_width = max(len(k) for k in attrs)
    value_width = min(max(len(v) for v in attrs.values()), max_attr_chars)

    def truncate(s):
        return s[:value_width - 3] + "..." if len(s) > value_width else s
    rows = "\n".join(f"{k:<{key_width}}: {truncate(v):>{value_width}}" for k, v in attrs.items())
    return name + "\n" + "-" * max(key_width + value_width + 2, len(name)) + "\n" + rows


def _saved_tensors(fn):
    """(label, tensor) for each tensor a node saved for backward."""
    out = []
    for attr in dir(fn):
        if attr.startswith(_SAVED_PREFIX) and attr != "_saved_for_user":
            val = getattr(fn, attr)
            name = attr[len(_SAVED_PREFIX):]
            if _is_tensor(val):
                out.append((name, val))
            elif isinstance(val, tuple):
                out += [(f"{name}[{i}]", t) for i, t in enumerate(val) if _is_tensor(t)]
    for i, saved in enumerate(vars(fn).get("_saved", ())):  # ember's own SavedTensor records
        t = getattr(saved, "tensor", None)
        if _is_tensor(t):
            out.append((f"saved[{i}]" if not getattr(saved, "is_output", False) else "result", t))
    return out


def to_dot(tensor_or_tensors, params=None, show_saved=False, show_attrs=False, max_attr_chars=50):
    """The backward graph of `tensor_or_tensors` as Graphviz DOT text, in torchviz's make_dot style.

    params: an optional {name: tensor} dict (`dict(model.named_parameters())`) naming the leaves.
    show_saved: also draw the tensors each node saved for backward. show_attrs: list what each node
    remembered. Returns a DotGraph: `.source` is the text; `.render('graph.svg')` draws it with graphviz.
    """
    param_names = {id(v): k for k, v in (params or {}).items()}
    nodes, edges = [], []
    seen = set()  # ids: tensors and nodes may not be hashable by identity
    alive = []  # keep everything we took an id of alive until the text is written

    def var_label(var, name=None):
        if not name:
            name = param_names.get(id(var), "")
        return f"{name}\n {_size_to_str(var.shape)}"

    def add_node(obj, label, fillcolor=None):
        alive.append(obj)
        color = f" fillcolor={fillcolor}" if fillcolor else ""
        nodes.append(f"\t{id(obj)} [label={_quote(label)}{color}]")

    def add_edge(src, dst, attrs=""):
        edges.append(f"\t{id(src)} -> {id(dst)}{attrs}")

    def add_fn(fn):
        stack = [fn]
        while stack:  # iterative: deep graphs (long RNN unrolls) would overflow Python's recursion limit
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                for label, t in _saved_tensors(fn):
                    if id(t) not in seen:
                        seen.add(id(t))
                        add_node(t, var_label(t, label), "orange")
                    add_edge(fn, t, " [dir=none]")
            variable = getattr(fn, "variable", None)
            if variable is not None:  # AccumulateGrad: draw the leaf it fills
                seen.add(id(variable))
                add_node(variable, var_label(variable), "lightblue")
                add_edge(variable, fn)
            add_node(fn, _fn_label(fn, show_attrs, max_attr_chars))
            inputs = [next_fn for next_fn, _ in getattr(fn, "next_functions", ()) if next_fn is not None]
            for next_fn in inputs:
                add_edge(next_fn, fn)
            stack += reversed(inputs)  # visit inputs in order, as torchviz's recursion does

    def add_output(var, color="darkolivegreen1"):
        if id(var) in seen:
            return
        seen.add(id(var))
        add_node(var, var_label(var), color)
        if var.grad_fn is not None:
            add_fn(var.grad_fn)
            add_edge(var.grad_fn, var)
        base = getattr(var, "_base", None)
        if base is not None:
            add_output(base, "darkolivegreen3")
            add_edge(base, var, " [style=dotted]")

    outputs = tensor_or_tensors if isinstance(tensor_or_tensors, (tuple, list)) else (tensor_or_tensors,)
    for out in outputs:
        add_output(out)
    size = max(12, (len(nodes) + len(edges)) * 0.15)  # torchviz's resize_graph
    header = ["digraph {", f'\tgraph [size="{size},{size}"]',
              "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]"]
    return DotGraph("\n".join(header + nodes + edges + ["}"]) + "\n")
