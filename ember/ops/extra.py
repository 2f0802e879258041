"""Everyday torch functions and Tensor methods that are thin over existing ops: the top-level spellings of
in-place methods (torch.exp_), in-place shape changes (squeeze_, t_, ...), scatter-into-a-view functions
(select_scatter, ...), statistics helpers (cov, corrcoef, histogram, gradient), signal windows and small
predicates. Most are compositions of ember ops, so autograd comes from those ops."""

import builtins
import math

from .. import _dtype
from ..autograd.grad_mode import state as _grad
from ._common import (
    Node,
    Tensor,
    commit_inplace,
    finish_out,
    method,
    needs_grad,
    np,
    prepare_inplace,
    record,
    wrap,
    wrap_dim,
)
from .reduction import return_type

__all__ = [
    "clone", "detach", "detach_", "is_same_size", "is_signed", "is_conj", "is_neg", "is_inference", "typename",
    "get_device", "isin", "unravel_index", "frexp", "cov", "corrcoef", "vander", "select_scatter", "slice_scatter",
    "diagonal_scatter", "histogram", "hann_window", "hamming_window", "blackman_window", "bartlett_window",
    "kaiser_window", "gradient", "dropout_", "alpha_dropout_", "feature_alpha_dropout_",
]


# -------------------------------------------------------------------------------------------------------
# torch.<name>_ for in-place methods: the function form calls the method


_INPLACE_METHODS = (
    "abs_ acos_ asin_ atan_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp_ exp2_ "
    "expm1_ fix_ floor_ frac_ log_ log10_ log1p_ log2_ neg_ negative_ rad2deg_ reciprocal_ round_ rsqrt_ sigmoid_ "
    "sin_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ sinc_ i0_ lcm_ gcd_ ldexp_ logit_ xlogy_ nan_to_num_ acosh_ asinh_ "
    "atanh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ addmv_ conj_physical_ resize_as_").split()


def _check_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _function_form(name):
    def fn(input, *args, **kwargs):
        _check_tensor(input, name)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, ...): the function form of Tensor.{name}."
    return fn


for _name in _INPLACE_METHODS:
    globals()[_name] = _function_form(_name)
__all__ += _INPLACE_METHODS


def _dropout_inplace(kind):
    def fn(input, p, train):
        from ..nn import functional

        _check_tensor(input, kind + "_")
        return getattr(functional, kind)(input, p, train, inplace=True)

    fn.__name__ = fn.__qualname__ = kind + "_"
    return fn


dropout_ = _dropout_inplace("dropout")
alpha_dropout_ = _dropout_inplace("alpha_dropout")
feature_alpha_dropout_ = _dropout_inplace("feature_alpha_dropout")


def clone(input, *, memory_format=None):
    _check_tensor(input, "clone")
    return input.clone(memory_format=memory_format)


def detach(input):
    _check_tensor(input, "detach")
    return input.detach()


def detach_(input):
    _check_tensor(input, "detach_")
    return input.detach_()


# -------------------------------------------------------------------------------------------------------
# predicates


@method()
def is_same_size(input, other):
    return input._data.shape == other._data.shape


def is_signed(input):
    return input.is_signed()


@method()
def is_conj(input):
    """ember conjugates eagerly: no tensor carries a lazy conjugation bit."""
    return False


@method()
def is_neg(input):
    """ember negates eagerly: no tensor carries a lazy negation bit."""
    return False


@method()
def is_inference(input):
    """ember does not mark tensors made under inference_mode, so none reports being an inference tensor."""
    return False


@method()
def is_nonzero(input):
    return builtins.bool(input)  # Tensor.__bool__: torch's checks and messages


def typename(obj, /):
    """torch.typename: 'torch.FloatTensor' for a float32 tensor, else the object's qualified type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def get_device(input):
    return input.get_device()


# -------------------------------------------------------------------------------------------------------
# in-place shape changes: the out-of-place view, then `self` takes its geometry and history (PyTorch's
# squeeze_/unsqueeze_/t_/transpose_ change a tensor's sizes and strides in place)


class SqueezeBackward3(Node):  # squeeze_()
    def __init__(self, shape):
        self.shape = shape

    def backward(self, grad):
        return grad.reshape(self.shape)


class SqueezeBackward5(SqueezeBackward3):  # squeeze_(dims)
    pass


class TBackward1(Node):  # t_()
    def backward(self, grad):
        return grad.t()


def _restride_inplace(self, view, node_cls):
    """Give `self` the geometry of `view` (a view of self) and, when recorded, view's history renamed."""
    if needs_grad(self) and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    node = view.grad_fn  # read before the version changes (a stale view would get its history anew)
    self._data = view._data
    self._bump_version()
    if node is not None and self.requires_grad and _grad.enabled:
        node.__class__ = node_cls  # same backward as the out-of-place node, PyTorch's in-place name
        self._grad_fn = node
        self.__dict__.pop("_output_nr", None)
    if self._base is not None:  # a view keeps its (new) history: it is current, not stale
        self._view_version = self._version_counter[0]
    return self


@method()
def squeeze_(self, dim=None):
    from .shape import SqueezeBackward4

    if dim is None:
        node_cls = SqueezeBackward3
    else:
        node_cls = SqueezeBackward4 if isinstance(dim, int) else SqueezeBackward5
    return _restride_inplace(self, self.squeeze() if dim is None else self.squeeze(dim), node_cls)


@method()
def unsqueeze_(self, dim):
    from .shape import UnsqueezeBackward1

    return _restride_inplace(self, self.unsqueeze(dim), UnsqueezeBackward1)


@method("transpose_", "swapaxes_", "swapdims_")
def transpose_(self, dim0, dim1):
    from .shape import TransposeBackward1

    return _restride_inplace(self, self.transpose(dim0, dim1), TransposeBackward1)


@method()
def t_(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
    return _restride_inplace(self, self.t(), TBackward1)


@method()
def cumsum_(self, dim, *, dtype=None):
    return commit_inplace(self, prepare_inplace(self).cumsum(dim, dtype=dtype))


@method()
def cumprod_(self, dim, *, dtype=None):
    return commit_inplace(self, prepare_inplace(self).cumprod(dim, dtype=dtype))


@method()
def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all dims equal, or any 2-D shape) through strided views of self, so autograd
    sees view writes (CopySlices), as PyTorch's. `wrap` continues the diagonal below a tall matrix's square."""
    from .shape import as_strided

    arr = self._data
    if arr.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if arr.ndim > 2 and len(set(arr.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    stride_sum = builtins.sum(self.stride())
    offset = self.storage_offset()
    size = builtins.min(arr.shape)
    as_strided(self, (size,), (stride_sum,), offset).fill_(fill_value)
    height, width = arr.shape[0], arr.shape[1] if arr.ndim == 2 else 0
    if wrap and arr.ndim == 2 and height > width + 1:
        step = width + 1
        wrap_size = (arr.size + step - 1) // step - size
        as_strided(self, (wrap_size,), (stride_sum,), offset + self.stride(0) * (width + 1)).fill_(fill_value)
    return self


@method()
def resize_(self, *sizes, memory_format=None):
    """Resize in place, keeping the leading elements (new ones are zero here; PyTorch leaves them
    uninitialised). A tensor that requires grad cannot be resized, as in PyTorch."""
    if builtins.len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    arr = self._data
    n = math.prod(sizes)
    if arr.shape == tuple(sizes):
        return self
    if n <= arr.size and arr.flags.c_contiguous:
        self._data = arr.reshape(-1)[:n].reshape(sizes)  # same memory, as PyTorch keeps the storage
    else:
        new = np.zeros(n, arr.dtype)
        k = builtins.min(n, arr.size)
        new[:k] = arr.reshape(-1)[:k]
        self._data = new.reshape(sizes)
    self._bump_version()
    return self


@method()
def resize_as_(self, the_template, memory_format=None):
    return self.resize_(tuple(the_template.shape))


@method()
def new(self, *args, **kwargs):
    """The legacy `x.new(...)`: Tensor's legacy constructor with x's dtype."""
    from .creation import legacy_new

    return legacy_new(self.dtype, args, dict(kwargs), False)


@method()
def hardshrink(self, lambd=0.5):
    from .activation import hardshrink as _hardshrink

    return _hardshrink(self, lambd)


@method()
def prelu(self, weight):
    from .activation import prelu as _prelu

    return _prelu(self, weight)


# -------------------------------------------------------------------------------------------------------
# scatter a source into a copy of input at a view's place


def _check_src(view_shape, src):
    if tuple(view_shape) != tuple(src._data.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(view_shape)}")


class _ScatterIntoViewBackward(Node):
    """Gradient of input: zero at the view's place; of src: the view of the gradient."""

    def __init__(self, take):
        self.take = take  # a function giving the view of a tensor

    def backward(self, grad):
        g_input = grad.clone()
        self.take(g_input).zero_()
        return g_input, self.take(grad)


class SelectScatterBackward0(_ScatterIntoViewBackward):
    pass


class SliceScatterBackward0(_ScatterIntoViewBackward):
    pass


class DiagonalScatterBackward0(_ScatterIntoViewBackward):
    pass


def _scatter_into_view(input, src, take, node_cls):
    from ..autograd.grad_mode import no_grad

    with no_grad():
        view_shape = take(input)._data.shape
        _check_src(view_shape, src)
        out = wrap(input._data.copy())
        np.copyto(take(out)._data, src._data, casting="unsafe")
    if needs_grad(input, src) and (out.is_floating_point() or out.is_complex()):
        record(node_cls(take), (input, src), out)
    return out


@method()
def select_scatter(input, src, dim, index):
    return _scatter_into_view(input, src, lambda t: t.select(dim, index), SelectScatterBackward0)


@method()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    if step <= 0:
        raise RuntimeError("slice step must be positive")

    def take(t):
        index = [slice(None)] * t._data.ndim
        index[wrap_dim(dim, t._data.ndim)] = slice(start, end, step)
        return t[tuple(index)]

    return _scatter_into_view(input, src, take, SliceScatterBackward0)


@method()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _scatter_into_view(input, src, lambda t: t.diagonal(offset, dim1, dim2), DiagonalScatterBackward0)


# -------------------------------------------------------------------------------------------------------
# element queries


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}), but expected one of:\n"
                        " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = "
                        "False, Tensor out = None)")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return wrap(np.asarray(np.isin(a, b, assume_unique=assume_unique, invert=invert)))


def unravel_index(indices, shape):
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices.is_floating_point() or indices.is_complex() or indices.dtype == _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    for s in shape:
        if s < 0:
            raise RuntimeError("'shape' cannot have negative values, but got " + str(shape))
    idx = indices._data.astype(np.int64)
    out = []
    stride = math.prod(shape)
    for s in shape:  # one pass per dim; floor division and modulo as PyTorch (no bounds check)
        stride //= s if s else 1
        out.append(wrap(np.asarray((idx // stride) % s if s else idx * 0)))
    return tuple(out)


class FrexpBackward0(Node):
    def __init__(self, exponent):
        self.exponent = exponent

    def backward(self, grad, _unused=None):
        return grad / self.exponent.exp2()


@method()
def frexp(input, *, out=None):
    arr = input._data
    if not (input.is_floating_point()):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(arr.astype(np.float32) if arr.dtype == _dtype.bfloat16._np else arr)
    mantissa = wrap(np.asarray(m).astype(arr.dtype, copy=False))
    exponent = wrap(np.asarray(e).astype(np.int32))
    if out is not None:
        mantissa, exponent = finish_out(mantissa, out[0]), finish_out(exponent, out[1])
    elif needs_grad(input):
        record(FrexpBackward0(exponent), (input,), mantissa)
    return return_type("frexp", ("mantissa", "exponent"))((mantissa, exponent))


# -------------------------------------------------------------------------------------------------------
# statistics, written with ember ops (differentiable)


@method()
def cov(input, *, correction=1, fweights=None, aweights=None):
    from .. import mm

    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    x = input if input._data.ndim == 2 else input.reshape(1, -1)
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        if fweights._data.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fweights._data.ndim} dimensions")
        if fweights.is_floating_point() or fweights.is_complex():
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{fweights.dtype.scalar_type_name} dtype")
        _check_weights("fweights", fweights, n_obs)
        w = fweights
    if aweights is not None:
        if aweights._data.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aweights._data.ndim} dimensions")
        if not aweights.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{aweights.dtype.scalar_type_name} dtype")
        _check_weights("aweights", aweights, n_obs)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.sum(1) / w_sum
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is not None and correction != 0:
        norm = w_sum - correction * ((w * aweights).sum() / w_sum if aweights is not None else 1)
    else:
        norm = w_sum - correction
    if builtins.float(norm) <= 0:
        import warnings

        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = norm * 0 if isinstance(norm, Tensor) else 0
    xc = x - avg.unsqueeze(1)
    c = mm(xc, (xc if w is None else xc * w).t().conj())
    with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom: inf/nan, warned above
        return (c / norm).squeeze()


def _check_weights(name, w, n_obs):
    if w._data.size != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input "
                           f"but got {w._data.size} != {n_obs}")
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")


@method()
def corrcoef(input):
    c = cov(input)
    if c._data.ndim == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return c / c
    d = c.diagonal()
    std = (d.real if d.is_complex() else d).sqrt()
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant variable: nan, silently as in PyTorch
        c = c / std.reshape(-1, 1)
        c = c / std.reshape(1, -1)
    if c.is_complex():
        from .. import complex as _complex

        return _complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


def vander(x, N=None, increasing=False):
    from .. import ones

    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dtype.promote_types(x.dtype, _dtype.int64)
    result = ones((x._data.shape[0], n), dtype=dt)
    if n > 1:
        result[:, 1:] = x.unsqueeze(1).expand(x._data.shape[0], n - 1).cumprod(1)
    return result if increasing else result.flip(1)


@method()
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):  # noqa: A002 - PyTorch's name
    arr = input._data
    if not input.is_floating_point() or arr.dtype == _dtype.bfloat16._np or arr.dtype == np.float16:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.scalar_type_name}'")
    if isinstance(bins, Tensor):
        edges = bins._data.astype(arr.dtype)
        if edges.ndim != 1:
            raise RuntimeError("histogram(): bins tensor should have one dimension, but got "
                               f"{edges.ndim} dimensions")
    else:
        if bins <= 0:
            raise RuntimeError(f"histogramdd(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            lo, hi = builtins.float(range[0]), builtins.float(range[1])
        elif arr.size:
            lo, hi = builtins.float(arr.min()), builtins.float(arr.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"histogramdd(): min should not exceed max, but got min {lo} max {hi} for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        from .creation import linspace

        edges = linspace(lo, hi, bins + 1, dtype=input.dtype)._data  # PyTorch's linspace, in the input's dtype
    w = None if weight is None else weight._data.reshape(-1)
    hist, _ = np.histogram(arr.reshape(-1), bins=edges, weights=w, density=density)
    hist = wrap(np.asarray(hist).astype(arr.dtype))
    edges_t = wrap(np.asarray(edges))
    if out is not None:
        hist, edges_t = finish_out(hist, out[0]), finish_out(edges_t, out[1])
    return return_type("histogram", ("hist", "bin_edges"))((hist, edges_t))


# -------------------------------------------------------------------------------------------------------
# signal windows (computed in float64, returned in the requested floating dtype)


# how ATen's error messages print a dtype (its C++ type name)
_CPP_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _window(name, window_length, periodic, dtype, requires_grad, values):
    dt = _dtype.get_default_dtype() if dtype is None else dtype
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={_CPP_NAMES[dt._name]}, "
                           "device=cpu, "
                           "layout=Strided (default), requires_grad=false (default), pinned_memory=false, "
                           "memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length <= 1:
        out = wrap(np.ones(window_length, dt._np))
    else:
        m = window_length + 1 if periodic else window_length
        vals = values(np.arange(m, dtype=np.float64), m)
        out = wrap(np.asarray(vals[:window_length]).astype(dt._np))
    if requires_grad:
        out.requires_grad_(True)
    return out


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, requires_grad=requires_grad,
                          _name="hann_window")


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False, _name="hamming_window"):
    return _window(_name, window_length, periodic, dtype, requires_grad,
                   lambda n, m: alpha - beta * np.cos(2 * np.pi * n / (m - 1)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   lambda n, m: 0.42 - 0.5 * np.cos(2 * np.pi * n / (m - 1)) + 0.08 * np.cos(4 * np.pi * n / (m - 1)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    def values(n, m):
        half = (m - 1) / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, values)


# -------------------------------------------------------------------------------------------------------
# torch.gradient: second-order accurate central differences, with ember ops so it is differentiable


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    arr = input._data
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = tuple(builtins.range(arr.ndim))
    elif isinstance(dim, int):
        dims = (wrap_dim(dim, arr.ndim),)
    else:
        dims = tuple(wrap_dim(d, arr.ndim) for d in dim)
    if isinstance(spacing, (list, tuple)):
        if builtins.len(spacing) != builtins.len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{builtins.len(spacing)} and a dim argument of length {builtins.len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * builtins.len(dims)
    for d in dims:
        if arr.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if input.is_floating_point() or input.is_complex() else input.to(_dtype.get_default_dtype())
    return tuple(_gradient_along(f, d, s, edge_order) for d, s in zip(dims, spacings))


def _gradient_along(f, d, spacing, edge_order):
    n = f._data.shape[d]
    np_dt = f._data.dtype

    def part(start, stop):
        return f.narrow(d, start, stop - start)

    def coef(values):  # 1-D coefficients, shaped to broadcast along dim d
        shape = [1] * f._data.ndim
        shape[d] = -1
        return wrap(np.asarray(values, np.float64).astype(np_dt).reshape(shape))

    if isinstance(spacing, Tensor):  # coordinates along the dim
        x = spacing._data.astype(np.float64)
        dx = np.diff(x)
    else:
        dx = np.full(n - 1, builtins.float(spacing))
    hl, hr = dx[:-1], dx[1:]
    a = -hr / (hl * (hl + hr))
    b = (hr - hl) / (hl * hr)
    c = hl / (hr * (hl + hr))
    interior = part(0, n - 2) * coef(a) + part(1, n - 1) * coef(b) + part(2, n) * coef(c)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / builtins.float(dx[0])
        last = (part(n - 1, n) - part(n - 2, n - 1)) / builtins.float(dx[-1])
    else:
        h1, h2 = dx[0], dx[1]
        first = (part(0, 1) * builtins.float(-(2 * h1 + h2) / (h1 * (h1 + h2)))
                 + part(1, 2) * builtins.float((h1 + h2) / (h1 * h2))
                 + part(2, 3) * builtins.float(-h1 / (h2 * (h1 + h2))))
        h1, h2 = dx[-1], dx[-2]
        last = (part(n - 3, n - 2) * builtins.float(h1 / (h2 * (h1 + h2)))
                + part(n - 2, n - 1) * builtins.float(-(h2 + h1) / (h1 * h2))
                + part(n - 1, n) * builtins.float((2 * h1 + h2) / (h1 * (h1 + h2))))
    from .shape import cat

    return cat([first, interior, last], d)
