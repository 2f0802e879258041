"""repr/str of tensors, character for character as PyTorch prints them (torch/_tensor_str.py's rules).

How a tensor is printed:
- Only the elements that will be shown are ever looked at: past `threshold` elements each dimension keeps its
  first and last `edgeitems` entries (the rest become "..."), and that subset is cut out with one fancy index.
- One formatter per tensor (two for complex: real and imaginary parts) decides the style from the shown,
  nonzero finite values: integer-valued floats print as "1.", scientific notation when the largest/smallest
  magnitude ratio exceeds 1000, the largest exceeds 1e8 or the smallest is below 1e-4, else fixed point with
  `precision` digits. Every element is right-aligned to the widest formatted finite value.
- Values are formatted as Python floats (the exact value of a float16/bfloat16/float32 element as a double).
- Rows wrap to `linewidth`; nested dimensions indent by one column per level and are separated by dim-1 newlines.
- Suffixes: device (non-cpu), size (empty or edgeitems=0), dtype (unless default float/complex, int64 or bool),
  grad_fn or requires_grad; a suffix that would pass `linewidth` goes on its own line.
"""

import contextlib
import math

from ._backend import np
from ._dtype import _BOOL, _COMPLEX, _FLOAT, default_complex_dtype, get_default_dtype, int64

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set options for printing tensors (as torch.set_printoptions).

    A profile ('default', 'short', 'full') sets precision/threshold/edgeitems/linewidth first; the explicit
    arguments then override it. `sci_mode` is always set: leaving it out (None) restores automatic choice."""
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict that set_printoptions(**options) accepts."""
    return {name: getattr(PRINT_OPTS, name) for name in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (the arguments of set_printoptions)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------------------------------------------
# formatting of elements


class _Formatter:
    """Formats the elements of one real tensor (or one part of a complex tensor) to a common width.

    `shown` is the NumPy array of the elements that will be printed (float64 for floating types)."""

    __slots__ = ("floating", "int_mode", "sci_mode", "width", "precision")

    def __init__(self, shown, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self.precision = PRINT_OPTS.precision
        if shown.size == 0:
            return
        if not floating:
            # str() is longest at one of the extremes (bool: "False" is longer than "True")
            extremes = (shown.min().item(), shown.max().item())
            self.width = max(1, *(len(str(v)) for v in extremes))
            return

        values = shown[np.isfinite(shown) & (shown != 0)]
        if values.size == 0:  # nothing but zeros and non-finite values: the defaults above stand
            return
        magnitudes = np.abs(values)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool((values == np.ceil(values)).all())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # A formatted value's length only grows with its magnitude (fixed point: integer digits) or with the
        # size of its exponent (scientific), so among each sign the extreme magnitudes give the widest strings.
        positive, negative = values[values > 0], values[values < 0]
        candidates = [float(v) for part in (positive, negative) if part.size for v in (part.min(), part.max())]
        if self.sci_mode:
            spec = f".{self.precision}e"
            widths = (len(format(v, spec)) for v in candidates)
        elif self.int_mode:
            widths = (len(format(v, ".0f")) + 1 for v in candidates)  # + 1 for the trailing "."
        else:
            spec = f".{self.precision}f"
            widths = (len(format(v, spec)) for v in candidates)
        self.width = max(self.width, *widths)

    def format_all(self, values):
        """Formatted, right-aligned strings of a list of Python values."""
        width = self.width
        if not self.floating:
            return [str(v).rjust(width) for v in values]
        if self.sci_mode:
            spec = f"{width}.{self.precision}e"
            return [format(v, spec).rjust(width) for v in values]
        if self.int_mode:
            # integer-valued floats print as "3."; nan and inf keep their plain names
            return [(format(v, ".0f") + ("." if math.isfinite(v) else "")).rjust(width) for v in values]
        spec = f".{self.precision}f"
        return [format(v, spec).rjust(width) for v in values]


def _join_complex(real_strs, imag_strs):
    out = []
    for real, imag in zip(real_strs, imag_strs):
        imag = (imag + "j").lstrip()
        # a sign of its own (negative values, -0.0) joins directly; otherwise an explicit "+"
        out.append(real + imag if imag[0] in "+-" else real + "+" + imag)
    return out


def _shown_subset(arr, summarize):
    """The elements that will be printed: all of them, or with summarisation the first and last `edgeitems`
    entries of every dimension longer than 2 * edgeitems."""
    if not summarize or arr.ndim == 0:
        return arr
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 1:
        # PyTorch keeps a 1-D tensor whole when edgeitems is 0 (only "[...]" is printed anyway)
        if not edge or arr.shape[0] <= 2 * edge:
            return arr
        return arr[np.r_[0:edge, arr.shape[0] - edge:arr.shape[0]]]
    if not edge:
        return arr[(slice(0, 0),) * arr.ndim]
    index = [np.r_[0:edge, n - edge:n] if n > 2 * edge else np.arange(n) for n in arr.shape]
    return arr[np.ix_(*index)]


# ---------------------------------------------------------------------------------------------------------
# layout


def _layout(strs, shape, indent, summarize, element_length):
    """Nested brackets around a nested list `strs` of formatted elements; `shape` is the full tensor's shape
    (the list holds only the shown elements)."""
    edge = PRINT_OPTS.edgeitems
    cut = summarize and shape[0] > 2 * edge
    if len(shape) == 1:
        if summarize and not edge:
            items = ["..."]
        elif cut:
            items = strs[:edge] + [" ..."] + strs[edge:]
        else:
            items = strs
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // element_length)
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    inner = shape[1:]
    slices = [_layout(s, inner, indent + 1, summarize, element_length) for s in strs]
    if cut:
        slices = slices[:edge] + ["..."] + slices[edge:]
    return "[" + ("," + "\n" * (len(shape) - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(arr, indent):
    """The bracketed contents of a non-empty array, as PyTorch's _tensor_str."""
    summarize = arr.size > PRINT_OPTS.threshold
    shown = _shown_subset(arr, summarize)
    category = _category(arr.dtype)
    if category == _COMPLEX:
        shown = shown.astype(np.complex128)
        real_formatter = _Formatter(shown.real, True)
        imag_formatter = _Formatter(shown.imag, True)
        values = shown.reshape(-1)
        strs = _join_complex(real_formatter.format_all(values.real.tolist()),
                             imag_formatter.format_all(values.imag.tolist()))
        element_length = real_formatter.width + imag_formatter.width + 3  # ", " and the "j"
    else:
        if category == _FLOAT:
            shown = shown.astype(np.float64)
        formatter = _Formatter(shown, category == _FLOAT)
        strs = formatter.format_all(shown.reshape(-1).tolist())
        element_length = formatter.width + 2
    if arr.ndim == 0:
        return strs[0]
    nested = np.array(strs, dtype=object).reshape(shown.shape).tolist() if arr.ndim > 1 else strs
    return _layout(nested, arr.shape, indent, summarize, element_length)


def _category(np_dtype):
    if np_dtype.kind == "b":
        return _BOOL
    if np_dtype.kind == "c":
        return _COMPLEX
    if np_dtype.kind in "iu":
        return None
    return _FLOAT  # f, and ml_dtypes' bfloat16 (kind "V")


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    # PyTorch's own arithmetic (one more than the last line's length when there is no newline)
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _class_is_parameter(cls):
    return cls.__name__ == "Parameter" and cls.__module__.startswith("ember")


def tensor_repr(t, *, tensor_contents=None):
    """repr(t) and str(t) exactly as PyTorch writes them. `tensor_contents` replaces the bracketed values."""
    from ._tensor import Tensor

    cls = type(t)
    is_plain = cls is Tensor or _class_is_parameter(cls)
    prefix = "tensor(" if is_plain else cls.__name__ + "("
    indent = len(prefix)
    arr = t._data
    dtype = t.dtype
    suffixes = []

    device = t.device
    if device.type != "cpu":
        suffixes.append(f"device='{device}'")

    default = get_default_dtype()
    if arr.size == 0:
        if arr.ndim != 1:  # NumPy's habit: the shape is shown unless it is (0,)
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dtype is not default:  # no element to tell an integer tensor from a float one
            suffixes.append("dtype=" + str(dtype))
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dtype not in (default, default_complex_dtype(), int64) and dtype._category != _BOOL:
            suffixes.append("dtype=" + str(dtype))
        text = None if tensor_contents is not None else _tensor_str(arr, indent)
    if tensor_contents is not None:
        text = tensor_contents

    try:
        grad_fn = getattr(t, "grad_fn", None)
        grad_fn_name = None if grad_fn is None else type(grad_fn).__name__
    except RuntimeError:  # a view made in no_grad mode whose base was since written in place: as PyTorch
        grad_fn_name = "Invalid"
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    out = _add_suffixes(prefix + text, suffixes, indent)
    # subclasses of Parameter print as Parameter(...) (plain Parameter's "containing:" form is nn's business)
    if not is_plain and any(_class_is_parameter(c) for c in cls.__mro__):
        out = f"Parameter({out})"
    return out
