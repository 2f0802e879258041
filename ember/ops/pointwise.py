"""Elementwise operators: arithmetic, comparison, logical, bitwise and the math functions.

Every binary op goes through `_operands`, which applies PyTorch's promotion once and casts the arrays, so
NumPy's own promotion never decides a result dtype. float16/bfloat16 math is computed in float32 and
rounded back, as PyTorch's CPU kernels do.
"""

import builtins
import warnings

from .. import _dtype
from .._backend import np
from .._dtype import result_dtype, scalar_dtype
from ._common import Tensor, finish_out, from_numpy_dtype, method, promote_operands, wrap

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "neg", "negative", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "logical_and", "logical_or", "logical_xor", "logical_not", "abs", "absolute", "exp",
    "log", "sqrt", "sigmoid", "tanh", "result_type",
]

# NumPy reports floating-point edge cases (1/0, overflow, nan) as warnings; PyTorch never does. The filter only
# matches warnings raised from ember's own modules, so the user's NumPy code is untouched.
warnings.filterwarnings("ignore", message=r"(overflow|divide by zero|invalid value|underflow) encountered",
                        category=RuntimeWarning, module=r"ember(\.|$)")

_HALF_TYPES = (np.dtype(np.float16), _dtype.bfloat16._np)
_F32 = np.dtype(np.float32)

_INT_BOUNDS = {}


def _int_scalar(value, np_dtype):
    """A Python int taken into an integer dtype, wrapping out-of-range values as PyTorch does."""
    bounds = _INT_BOUNDS.get(np_dtype)
    if bounds is None:
        info = np.iinfo(np_dtype)
        bounds = _INT_BOUNDS[np_dtype] = (int(info.min), int(info.max))
    if bounds[0] <= value <= bounds[1]:
        return value
    return np.array(value, dtype=np.int64 if value < 0 else np.uint64).astype(np_dtype)[()]


def _operands(a, b):
    """Promote two operands (Tensors or Python numbers) under PyTorch's rules.

    Returns (x, y, dtype): arrays (or Python scalars) already in the result dtype, ready for a ufunc."""
    if isinstance(a, Tensor):
        x = a._data
        if isinstance(b, Tensor):
            y = b._data
            if x.dtype == y.dtype:
                return x, y, x.dtype
            dt = result_dtype(((from_numpy_dtype(x.dtype), 2 if x.ndim else 1),
                               (from_numpy_dtype(y.dtype), 2 if y.ndim else 1)))._np
            return (x if x.dtype == dt else x.astype(dt)), (y if y.dtype == dt else y.astype(dt)), dt
        dt = result_dtype(((from_numpy_dtype(x.dtype), 2 if x.ndim else 1), (scalar_dtype(b), 0)))._np
        return (x if x.dtype == dt else x.astype(dt)), _scalar_as(b, dt), dt
    if isinstance(b, Tensor):
        y, x, dt = _operands(b, a)
        return x, y, dt
    raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(a).__name__}")


def _scalar_as(value, dt):
    kind = dt.kind
    if type(value) is int and kind in "iu":
        return _int_scalar(value, dt)
    if kind == "b":
        return builtins.bool(value)
    if dt in _HALF_TYPES or kind in "iu":
        return np.asarray(value).astype(dt)[()]  # the scalar rounded to the result dtype, as PyTorch casts it
    return value


def result_type(tensor1, tensor2):
    """The dtype `tensor1 op tensor2` would have under PyTorch's promotion."""
    return promote_operands(tensor1, tensor2)


def _half_to_float(x):
    return x.astype(_F32) if isinstance(x, np.ndarray) and x.dtype in _HALF_TYPES else x


def _binary(ufunc, a, b, out=None):
    x, y, dt = _operands(a, b)
    if dt in _HALF_TYPES:  # compute in float32, round once (PyTorch's opmath for half types)
        r = ufunc(_half_to_float(x), _half_to_float(y)).astype(dt)
    else:
        r = ufunc(x, y)
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    return finish_out(wrap(r), out) if out is not None else wrap(r)


_TYPE_LABEL = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def type_label(np_dtype):
    """PyTorch's C++ scalar-type name ('Float', 'Long', ...) used in "not implemented for" errors."""
    return _TYPE_LABEL[from_numpy_dtype(np_dtype)._name]


def not_implemented(kernel, np_dtype):
    return RuntimeError(f'"{kernel}" not implemented for \'{type_label(np_dtype)}\'')


# -------------------------------------------------------------------------------------------------------
# arithmetic


@method("add", "__add__", "__radd__")
def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _binary(np.add, input, other, out)


@method("sub", "subtract", "__sub__")
def sub(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    _check_not_bool_sub(input, other)
    return _binary(np.subtract, input, other, out)


subtract = sub


def _check_not_bool_sub(a, b):
    def is_bool(v):
        return v._data.dtype.kind == "b" if isinstance(v, Tensor) else type(v) is builtins.bool

    if is_bool(a) and is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                           "or `logical_xor()` operator instead.")


def _rsub(self, other):
    return sub(other, self)


Tensor.__rsub__ = _rsub


@method("mul", "multiply", "__mul__", "__rmul__")
def mul(input, other, *, out=None):
    return _binary(np.multiply, input, other, out)


multiply = mul


@method("div", "divide", "true_divide", "__truediv__")
def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        x, y, dt = _operands(input, other)
        if dt.kind in "biu":
            dt = _dtype.get_default_dtype()._np
            x = x.astype(dt) if isinstance(x, np.ndarray) else x
            y = y.astype(dt) if isinstance(y, np.ndarray) else y
        if dt in _HALF_TYPES:
            r = np.true_divide(_half_to_float(x), _half_to_float(y)).astype(dt)
        else:
            r = np.true_divide(x, y)
        r = wrap(np.asarray(r))
        return finish_out(r, out) if out is not None else r
    if rounding_mode == "floor":
        return floor_divide(input, other, out=out)
    if rounding_mode == "trunc":
        return _divide_trunc(input, other, out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


divide = true_divide = div


def _rtruediv(self, other):
    return div(other, self)


Tensor.__rtruediv__ = _rtruediv


def _check_int_divisor(y, dt):
    if dt.kind in "iub" and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


def _divide_trunc(a, b, out):
    x, y, dt = _operands(a, b)
    if dt.kind in "iub":
        if dt.kind == "b":
            raise not_implemented("div_trunc_cpu", dt)
        _check_int_divisor(y, dt)
        q = np.floor_divide(x, y)
        q = np.asarray(q + ((q < 0) & (q * y != x)).astype(dt))
    else:
        q = np.trunc(np.true_divide(_half_to_float(x), _half_to_float(y))).astype(dt)
    return finish_out(wrap(np.asarray(q)), out)


@method("floor_divide", "__floordiv__")
def floor_divide(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind == "b":
        raise not_implemented("div_floor_cpu", dt)
    if dt.kind == "c":
        raise not_implemented("div_floor_cpu", dt)
    _check_int_divisor(y, dt)
    if dt in _HALF_TYPES:
        r = np.floor_divide(_half_to_float(x), _half_to_float(y)).astype(dt)
    else:
        r = np.floor_divide(x, y)
    return finish_out(wrap(np.asarray(r)), out)


def _rfloordiv(self, other):
    return floor_divide(other, self)


Tensor.__rfloordiv__ = _rfloordiv


@method("remainder", "__mod__")
def remainder(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind in "bc":
        raise not_implemented("remainder_cpu", dt)
    _check_int_divisor(y, dt)
    if dt in _HALF_TYPES:
        r = np.remainder(_half_to_float(x), _half_to_float(y)).astype(dt)
    else:
        r = np.remainder(x, y)
    return finish_out(wrap(np.asarray(r)), out)


def _rmod(self, other):
    return remainder(other, self)


Tensor.__rmod__ = _rmod


@method()
def fmod(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind in "bc":
        raise not_implemented("fmod_cpu", dt)
    _check_int_divisor(y, dt)
    return _binary(np.fmod, input, other, out)


@method("pow", "__pow__")
def pow(input, exponent, *, out=None):
    x, y, dt = _operands(input, exponent)
    if dt.kind == "b":
        raise not_implemented("pow", dt)
    if dt.kind in "iu":
        if np.any(np.asarray(y) < 0):
            if not isinstance(exponent, Tensor):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            # integer base to a negative integer power: 1 for base 1, +-1 for base -1, else 0 (as C++ pow)
            yb = np.broadcast_to(y, np.broadcast_shapes(np.shape(x), np.shape(y)))
            neg = yb < 0
            r = np.power(x, np.where(neg, 0, yb))
            r = np.where(neg, np.where(x == 1, 1, np.where(x == -1, np.where(yb % 2 == 0, 1, -1), 0)), r).astype(dt)
            return finish_out(wrap(np.asarray(r)), out)
    if dt in _HALF_TYPES:
        r = np.power(_half_to_float(x), _half_to_float(y)).astype(dt)
    else:
        r = np.power(x, y)
    return finish_out(wrap(np.asarray(r)), out)


def _rpow(self, other):
    return pow(other, self)


Tensor.__rpow__ = _rpow


# -------------------------------------------------------------------------------------------------------
# comparison


def _compare(ufunc, kernel, a, b, out, ordered=True):
    x, y, dt = _operands(a, b)
    if ordered and dt.kind == "c":
        raise not_implemented(kernel, dt)
    r = ufunc(x, y)
    return finish_out(wrap(np.asarray(r)), out)


@method("eq", "__eq__")
def eq(input, other, *, out=None):
    return _compare(np.equal, "eq_cpu", input, other, out, ordered=False)


@method("ne", "not_equal", "__ne__")
def ne(input, other, *, out=None):
    return _compare(np.not_equal, "ne_cpu", input, other, out, ordered=False)


@method("lt", "less", "__lt__")
def lt(input, other, *, out=None):
    return _compare(np.less, "lt_cpu", input, other, out)


@method("le", "less_equal", "__le__")
def le(input, other, *, out=None):
    return _compare(np.less_equal, "le_cpu", input, other, out)


@method("gt", "greater", "__gt__")
def gt(input, other, *, out=None):
    return _compare(np.greater, "gt_cpu", input, other, out)


@method("ge", "greater_equal", "__ge__")
def ge(input, other, *, out=None):
    return _compare(np.greater_equal, "ge_cpu", input, other, out)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


# -------------------------------------------------------------------------------------------------------
# bitwise and logical


def _bitwise(ufunc, kernel, a, b, out):
    x, y, dt = _operands(a, b)
    if dt.kind not in "biu":
        raise not_implemented(kernel, dt)
    return finish_out(wrap(np.asarray(ufunc(x, y))), out)


@method("bitwise_and", "__and__", "__rand__")
def bitwise_and(input, other, *, out=None):
    return _bitwise(np.bitwise_and, "bitwise_and_cpu", input, other, out)


@method("bitwise_or", "__or__", "__ror__")
def bitwise_or(input, other, *, out=None):
    return _bitwise(np.bitwise_or, "bitwise_or_cpu", input, other, out)


@method("bitwise_xor", "__xor__", "__rxor__")
def bitwise_xor(input, other, *, out=None):
    return _bitwise(np.bitwise_xor, "bitwise_xor_cpu", input, other, out)


@method("bitwise_left_shift", "__lshift__")
def bitwise_left_shift(input, other, *, out=None):
    return _bitwise(np.left_shift, "lshift_cpu", input, other, out)


@method("bitwise_right_shift", "__rshift__")
def bitwise_right_shift(input, other, *, out=None):
    return _bitwise(np.right_shift, "rshift_cpu", input, other, out)


@method("bitwise_not", "__invert__")
def bitwise_not(input, *, out=None):
    x = input._data
    if x.dtype.kind not in "biu":
        raise not_implemented("bitwise_not_cpu", x.dtype)
    return finish_out(wrap(np.asarray(np.invert(x))), out)


def _logical(ufunc, a, b, out):
    x = a._data if isinstance(a, Tensor) else np.asarray(a)
    y = b._data if isinstance(b, Tensor) else np.asarray(b)
    r = wrap(np.asarray(ufunc(x, y)))
    return finish_out(r, out)


@method()
def logical_and(input, other, *, out=None):
    return _logical(np.logical_and, input, other, out)


@method()
def logical_or(input, other, *, out=None):
    return _logical(np.logical_or, input, other, out)


@method()
def logical_xor(input, other, *, out=None):
    return _logical(np.logical_xor, input, other, out)


@method()
def logical_not(input, *, out=None):
    return finish_out(wrap(np.asarray(np.logical_not(input._data))), out)


# -------------------------------------------------------------------------------------------------------
# unary


@method("neg", "negative", "__neg__")
def neg(input, *, out=None):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return finish_out(wrap(np.asarray(np.negative(x))), out)


negative = neg


def _pos(self):
    if self._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


Tensor.__pos__ = _pos
Tensor.positive = _pos


@method("abs", "absolute", "__abs__")
def abs(input, *, out=None):
    x = input._data
    if x.dtype.kind == "b":
        raise not_implemented("abs_cpu", x.dtype)
    return finish_out(wrap(np.asarray(np.abs(x))), out)


absolute = abs


def float_unary(ufunc, x):
    """Apply a floating-point math ufunc with PyTorch's dtype rules: integer and bool inputs compute in the
    default dtype, half types in float32 rounded back."""
    dt = x.dtype
    if dt.kind in "biu":
        return np.asarray(ufunc(x.astype(_dtype.get_default_dtype()._np)))
    if dt in _HALF_TYPES:
        return np.asarray(ufunc(x.astype(_F32))).astype(dt)
    return np.asarray(ufunc(x))


@method()
def exp(input, *, out=None):
    return finish_out(wrap(float_unary(np.exp, input._data)), out)


@method()
def log(input, *, out=None):
    return finish_out(wrap(float_unary(np.log, input._data)), out)


@method()
def sqrt(input, *, out=None):
    return finish_out(wrap(float_unary(np.sqrt, input._data)), out)


@method()
def tanh(input, *, out=None):
    return finish_out(wrap(float_unary(np.tanh, input._data)), out)


def _sigmoid(x):
    # exp of the negative magnitude never overflows: sigmoid(x) = 1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@method()
def sigmoid(input, *, out=None):
    return finish_out(wrap(float_unary(_sigmoid, input._data)), out)
