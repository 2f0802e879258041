"""Elementwise operators: arithmetic, comparison, logical, bitwise and the math functions.

Every binary op goes through `_operands`, which applies PyTorch's promotion once and casts the arrays, so
NumPy's own promotion never decides a result dtype. float16/bfloat16 math is computed in float32 and
rounded back, as PyTorch's CPU kernels do.

Autograd: each differentiable op records its backward node (named as PyTorch's grad_fn, defined in the
"backward nodes" section) only when grad mode is on and an operand requires grad, so the no-grad path costs
one attribute test. In-place variants go through prepare_inplace/commit_inplace when grad is needed and keep
their ufunc-with-out= path otherwise.
"""

import builtins
import math
import warnings

from .. import _dtype
from .._backend import cast, np
from .._dtype import result_dtype, scalar_dtype
from ..autograd.grad_mode import state as _grad_state
from ._common import (
    Node,
    NotImplemented,
    Tensor,
    broadcast_error,
    broadcast_shapes,
    commit_inplace,
    finish_out,
    from_numpy_dtype,
    method,
    needs_grad,
    prepare_inplace,
    promote_operands,
    record,
    sum_to_shape,
    wrap,
)
from ._fma import fma

__all__ = [  # extended below, family by family
    "result_type",
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


def _float32_scalar(value, converted):
    """ATen's original_scalar_value<float> (mul and div on half types): a Python number or a 0-dim tensor as the
    second operand enters the float32 computation as itself in float32, not first rounded to the half type."""
    if isinstance(value, Tensor):
        arr = value._data
        return np.float32(arr) if arr.ndim == 0 and arr.dtype.kind in "biuf" else converted
    if type(value) in (int, float, builtins.bool):
        return np.float32(value)
    return converted


def _scalar_as(value, dt):
    kind = dt.kind
    if type(value) is int and kind in "iu":
        return _int_scalar(value, dt)
    if kind == "b":
        return builtins.bool(value)
    if dt in _HALF_TYPES or kind in "iu":
        return cast(np.asarray(value), dt)[()]  # the scalar rounded to the result dtype, as PyTorch casts it
    return value


def result_type(tensor1, tensor2):
    """The dtype `tensor1 op tensor2` would have under PyTorch's promotion."""
    return promote_operands(tensor1, tensor2)


def _half_to_float(x):
    return x.astype(_F32) if isinstance(x, np.ndarray) and x.dtype in _HALF_TYPES else x


def _apply2(ufunc, x, y, dt):
    """ufunc(x, y) as an array of dtype dt: half types computed in float32, PyTorch's broadcast error."""
    try:
        if dt in _HALF_TYPES:
            return np.asarray(ufunc(_half_to_float(x), _half_to_float(y))).astype(dt)
        return np.asarray(ufunc(x, y))
    except ValueError:
        raise broadcast_error(np.shape(x), np.shape(y)) from None


def _data(value, fn_name, position=1, arg="input"):
    """The array of a Tensor argument; PyTorch's TypeError for anything else."""
    try:
        return value._data
    except AttributeError:
        raise TypeError(f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}") from None


def _need_tensor(value, fn_name, position=2, arg="other"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


def _binary(ufunc, a, b, out=None, scalar_in_float32=False):
    x, y, dt = _operands(a, b)
    if scalar_in_float32 and dt in _HALF_TYPES:
        y = _float32_scalar(b, y)
    try:
        if dt in _HALF_TYPES:  # compute in float32, round once (PyTorch's opmath for half types)
            r = ufunc(_half_to_float(x), _half_to_float(y)).astype(dt)
        else:
            r = ufunc(x, y)
    except ValueError:
        raise broadcast_error(np.shape(x), np.shape(y)) from None
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    return finish_out(wrap(r), out) if out is not None else wrap(r)


def type_label(np_dtype):
    """PyTorch's C++ scalar-type name ('Float', 'Long', ...) used in "not implemented for" errors."""
    return from_numpy_dtype(np_dtype).scalar_type_name


def not_implemented(kernel, np_dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{type_label(np_dtype)}\'')


def _check_out(name, out, *operands):
    """PyTorch refuses out= when autograd would have to record the op."""
    if out is not None and needs_grad(out, *operands):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")


# -------------------------------------------------------------------------------------------------------
# autograd: backward nodes
#
# Each differentiable op records a Node named as PyTorch's grad_fn when grad mode is on and an input requires
# grad. Formulas are written with ember's own ops (operators and Tensor methods), so create_graph records them
# again. Complex inputs follow PyTorch's convention (the gradient is multiplied by the conjugate derivative).
# A gradient for an input is summed back over broadcast dims and cast to that input's dtype (`_to_input`).

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _meta(t):
    """What backward needs to shape a gradient for operand t: (shape, dtype), None for a Python number."""
    return (t._data.shape, t._data.dtype) if isinstance(t, Tensor) else None


def _to_input(grad, meta):
    shape, dt = meta
    grad = sum_to_shape(grad, shape)
    if grad._data.dtype != dt:
        if grad._data.dtype.kind == "c" and dt.kind != "c":
            grad = grad.real  # a real input of a complex result gets the real part
        grad = grad.to(from_numpy_dtype(dt))  # ToCopyBackward0 under create_graph
    return grad


def _conj(t):
    if isinstance(t, Tensor):
        return conj(t) if t._data.dtype.kind == "c" else t
    return t.conjugate() if isinstance(t, complex) else t


def _zeros(t):
    return wrap(np.zeros(t._data.shape, t._data.dtype))


def _where(condition, a, b):
    from .indexing import where

    return where(condition, a, b)


def _not_implemented_node(op):
    return NotImplemented("aten::" + op)


class _Unary(Node):
    """A unary op's node built as node(input, result); subclasses save what their formula needs."""

    def __init__(self, input=None, result=None):
        pass


class _SavesInput(_Unary):
    def __init__(self, input, result):
        self.input = self.save(input)


class _SavesResult(_Unary):
    def __init__(self, input, result):
        self.result = self.save(result, is_output=True)


class _ZeroGrad(_Unary):
    """Piecewise-constant ops (floor, sign, ...): zero gradients, as PyTorch."""

    def backward(self, grad):
        return _zeros(grad)


class NegBackward0(_Unary):
    def backward(self, grad):
        return -grad


class AbsBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * (sgn(x) if x._data.dtype.kind == "c" else sign(x))  # 0 at 0


class ExpBackward0(_SavesResult):
    def backward(self, grad):
        return grad * _conj(self.result.unpack())


class Exp2Backward0(_SavesResult):
    def backward(self, grad):
        return grad * _conj(self.result.unpack() * _LN2)


class Expm1Backward0(_SavesResult):
    def backward(self, grad):
        return grad * _conj(self.result.unpack() + 1)


class LogBackward0(_SavesInput):
    def backward(self, grad):
        return grad / _conj(self.input.unpack())


class Log2Backward0(_SavesInput):
    def backward(self, grad):
        return grad / _conj(self.input.unpack() * _LN2)


class Log10Backward0(_SavesInput):
    def backward(self, grad):
        return grad / _conj(self.input.unpack() * _LN10)


class Log1PBackward0(_SavesInput):
    def backward(self, grad):
        return grad / _conj(self.input.unpack() + 1)


class SqrtBackward0(_SavesResult):
    def backward(self, grad):
        return grad / _conj(self.result.unpack() * 2)


class RsqrtBackward0(_SavesResult):
    def backward(self, grad):
        return grad * _conj(self.result.unpack().pow(3)) * -0.5


class ReciprocalBackward0(_SavesResult):
    def backward(self, grad):
        r = self.result.unpack()
        return -grad * _conj(r * r)


class SinBackward0(_SavesInput):
    def backward(self, grad):
        return grad * _conj(self.input.unpack().cos())


class CosBackward0(_SavesInput):
    def backward(self, grad):
        return grad * -_conj(self.input.unpack().sin())


class TanBackward0(_SavesResult):
    def backward(self, grad):
        r = self.result.unpack()
        return grad * _conj(r * r + 1)


class AsinBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * _conj((1 - x * x).rsqrt())


class AcosBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * -_conj((1 - x * x).rsqrt())


class AtanBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad / _conj(x * x + 1)


class SinhBackward0(_SavesInput):
    def backward(self, grad):
        return grad * _conj(self.input.unpack().cosh())


class CoshBackward0(_SavesInput):
    def backward(self, grad):
        return grad * _conj(self.input.unpack().sinh())


class TanhBackward0(_SavesResult):
    def backward(self, grad):
        r = self.result.unpack()
        return grad * _conj(1 - r * r)


class AsinhBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * _conj((x * x + 1).rsqrt())


class AcoshBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad * _conj((x * x - 1).rsqrt())


class AtanhBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        return grad / _conj(1 - x * x)


class SigmoidBackward0(_SavesResult):
    def backward(self, grad):
        r = self.result.unpack()
        return grad * _conj(r * (1 - r))


class SincBackward0(_SavesInput):
    def backward(self, grad):
        x = self.input.unpack()
        px = x * math.pi
        slope = (px * px.cos() - px.sin()) / (px * x)
        return _where(x == 0, 0, grad * _conj(slope))


class Deg2RadBackward0(_Unary):
    def backward(self, grad):
        return grad * (math.pi / 180)


class Rad2DegBackward0(_Unary):
    def backward(self, grad):
        return grad * (180 / math.pi)


class FloorBackward0(_ZeroGrad):
    pass


class CeilBackward0(_ZeroGrad):
    pass


class TruncBackward0(_ZeroGrad):
    pass


class RoundBackward0(_ZeroGrad):
    pass


class RoundBackward1(_ZeroGrad):
    pass


class SignBackward0(_ZeroGrad):
    pass


class FracBackward0(_Unary):
    def backward(self, grad):
        return grad


class SgnBackward0(_Unary):
    def __init__(self, input, result):
        if input._data.dtype.kind == "c":
            self.input, self.result = self.save(input), self.save(result, is_output=True)

    def backward(self, grad):
        if "input" not in self.__dict__:
            return _zeros(grad)
        # d sgn(z): (g - conj(g) sgn^2) / (2|z|), 0 at z = 0
        z, s = self.input.unpack(), self.result.unpack()
        mag = z.abs()
        return _where(mag == 0, 0, (grad - _conj(grad) * s * s) / (mag * 2))


class AngleBackward0(_Unary):
    def __init__(self, input, result):
        if input._data.dtype.kind == "c":
            self.input = self.save(input)

    def backward(self, grad):
        if "input" not in self.__dict__:
            return _zeros(grad)
        z = self.input.unpack()
        mag2 = z.abs().pow(2)
        return _where(z == 0, 0, grad * z / mag2 * 1j)


class ConjBackward0(_Unary):
    def backward(self, grad):
        return _conj(grad)


class ConjPhysicalBackward0(_Unary):
    def backward(self, grad):
        return conj_physical(grad)


class NanToNumBackward0(_SavesInput):
    def backward(self, grad):
        return _where(isfinite(self.input.unpack()), grad, 0)


class LogitBackward0(Node):
    def __init__(self, input, eps):
        self.input, self.eps = self.save(input), eps

    def backward(self, grad):
        x, eps = self.input.unpack(), self.eps
        g = grad / (x * (1 - x))
        if eps is None:
            return _where((x < 0) | (x > 1), math.nan, g)
        return _where((x < eps) | (x > 1 - eps), 0, g)


# binary ops: a Python-number operand has no edge (None, 0), or no slot at all where PyTorch's overload drops it


class AddBackward0(Node):
    def __init__(self, a, b, alpha):
        self.a, self.b, self.alpha = _meta(a), _meta(b), alpha

    def backward(self, grad):
        needs = self.needs_input_grad
        ga = _to_input(grad, self.a) if needs[0] else None
        gb = None
        if needs[1]:
            gb = _to_input(grad if self.alpha == 1 else grad * _conj(self.alpha), self.b)
        return ga, gb


class SubBackward0(AddBackward0):
    def backward(self, grad):
        needs = self.needs_input_grad
        ga = _to_input(grad, self.a) if needs[0] else None
        gb = _to_input(-grad if self.alpha == 1 else grad * -_conj(self.alpha), self.b) if needs[1] else None
        return ga, gb


class RsubBackward0(AddBackward0):
    """rsub(a, b, alpha) = b - alpha * a."""

    def backward(self, grad):
        needs = self.needs_input_grad
        ga = _to_input(-grad if self.alpha == 1 else grad * -_conj(self.alpha), self.a) if needs[0] else None
        gb = _to_input(grad, self.b) if needs[1] else None
        return ga, gb


class RsubBackward1(Node):
    def __init__(self, a, alpha):
        self.a, self.alpha = _meta(a), alpha

    def backward(self, grad):
        return _to_input(-grad if self.alpha == 1 else grad * -_conj(self.alpha), self.a)


class MulBackward0(Node):
    def __init__(self, a, b):
        self.meta = _meta(a), _meta(b)
        # save only what the needed gradients use: b for a's, a for b's
        self.b = self.save(b) if getattr(a, "requires_grad", False) else None
        self.a = self.save(a) if getattr(b, "requires_grad", False) else None

    def backward(self, grad):
        needs = self.needs_input_grad
        ga = _to_input(grad * _conj(self.b.unpack()), self.meta[0]) if needs[0] else None
        gb = _to_input(grad * _conj(self.a.unpack()), self.meta[1]) if needs[1] else None
        return ga, gb


class DivBackward0(Node):
    def __init__(self, a, b):
        self.meta = _meta(a), _meta(b)
        self.b = self.save(b)
        self.a = self.save(a) if getattr(b, "requires_grad", False) else None

    def backward(self, grad):
        needs = self.needs_input_grad
        b = self.b.unpack()
        ga = _to_input(grad / _conj(b), self.meta[0]) if needs[0] else None
        gb = _to_input(-grad * _conj(self.a.unpack() / b / b), self.meta[1]) if needs[1] else None
        return ga, gb


class DivBackward2(DivBackward0):
    """div called with rounding_mode: 'trunc'/'floor' are piecewise constant (zero gradients); an explicit None
    differentiates as true division (ATen's div.Tensor_mode either way)."""

    def __init__(self, a, b, rounding_mode="trunc"):
        self.rounding_mode = rounding_mode
        if rounding_mode is None:
            super().__init__(a, b)
        else:
            self.meta = _meta(a), _meta(b)

    def backward(self, grad):
        if self.rounding_mode is None:
            return super().backward(grad)
        return tuple(_to_input(_zeros(grad), m) if need else None for m, need in zip(self.meta, self.needs_input_grad))


class _NoneByDefault:
    """div's rounding_mode default: None to the user, told apart from an explicit None as ATen's overloads are."""

    def __repr__(self):
        return "None"


_NO_ROUNDING_MODE = _NoneByDefault()


class RemainderBackward0(Node):
    def __init__(self, a):
        pass

    def backward(self, grad):
        return grad


class RemainderBackward1(Node):
    _rounding = "floor"

    def __init__(self, a, b):
        self.meta = _meta(a), _meta(b)
        self.a, self.b = self.save(a), self.save(b)

    def backward(self, grad):
        needs = self.needs_input_grad
        ga = _to_input(grad, self.meta[0]) if needs[0] else None
        gb = None
        if needs[1]:
            q = div(self.a.unpack(), self.b.unpack(), rounding_mode=self._rounding)
            gb = _to_input(-grad * q, self.meta[1])
        return ga, gb


class FmodBackward0(RemainderBackward0):
    pass


class FmodBackward1(RemainderBackward1):
    _rounding = "trunc"


class PowBackward0(Node):
    def __init__(self, x, exponent):
        self.x, self.exponent = self.save(x), exponent

    def backward(self, grad):
        e = self.exponent
        if e == 0:
            return _zeros(grad)
        x = self.x.unpack()
        return grad * _conj(x.pow(e - 1) * e)


class PowBackward1(Node):
    def __init__(self, x, exponent, result):
        self.meta = _meta(x), _meta(exponent)
        self.x, self.exponent = self.save(x), self.save(exponent)
        self.result = self.save(result, is_output=True) if exponent.requires_grad else None

    def backward(self, grad):
        needs = self.needs_input_grad
        x, e = self.x.unpack(), self.exponent.unpack()
        gx = ge = None
        if needs[0]:
            gx = _to_input(_where(e == 0, 0, grad * _conj((x.pow(e - 1)) * e)), self.meta[0])
        if needs[1]:
            real_e = e.real
            zero_base = (x == 0) & (real_e >= 0)
            ge = _to_input(grad * _conj(_where(zero_base, 0, self.result.unpack() * x.log())), self.meta[1])
        return gx, ge


class PowBackward2(Node):
    """A Python number to a tensor power."""

    def __init__(self, base, exponent, result):
        self.base, self.meta = base, _meta(exponent)
        self.exponent, self.result = self.save(exponent), self.save(result, is_output=True)

    def backward(self, grad):
        r = self.result.unpack()
        if self.base == 0:
            return _to_input(_where(self.exponent.unpack() >= 0, 0, grad * _conj(r * -math.inf)), self.meta)
        return _to_input(grad * _conj(r * cmath_log(self.base)), self.meta)


def cmath_log(value):
    """log of a Python number, complex for a negative or complex one (as PyTorch's scalar log)."""
    import cmath

    if isinstance(value, complex) or value < 0:
        return cmath.log(value)
    return math.log(value)


class _Binary(Node):
    """A binary op's node built as node(a, b, result) with both operands saved."""

    def __init__(self, a, b, result):
        self.meta = _meta(a), _meta(b)
        self.a, self.b = self.save(a), self.save(b)

    def backward(self, grad):
        needs = self.needs_input_grad
        ga, gb = self.formula(grad, self.a.unpack(), self.b.unpack(), needs)
        return (_to_input(ga, self.meta[0]) if needs[0] else None,
                _to_input(gb, self.meta[1]) if needs[1] else None)


class Atan2Backward0(_Binary):
    def formula(self, grad, a, b, needs):
        scale = grad / (a * a + b * b)
        return (scale * b if needs[0] else None), (scale * -a if needs[1] else None)


class HypotBackward0(_Binary):
    def __init__(self, a, b, result):
        super().__init__(a, b, result)
        self.result = self.save(result, is_output=True)

    def formula(self, grad, a, b, needs):
        scale = grad / self.result.unpack()
        return (scale * a if needs[0] else None), (scale * b if needs[1] else None)


class LogaddexpBackward0(_Binary):
    def formula(self, grad, a, b, needs):
        return ((grad / ((b - a).exp() + 1) if needs[0] else None),
                (grad / ((a - b).exp() + 1) if needs[1] else None))


class Logaddexp2Backward0(_Binary):
    def formula(self, grad, a, b, needs):
        return ((grad / ((b - a).exp2() + 1) if needs[0] else None),
                (grad / ((a - b).exp2() + 1) if needs[1] else None))


class LdexpBackward0(_Binary):
    def formula(self, grad, a, b, needs):
        scale = grad * b.exp2()
        return (scale if needs[0] else None), (scale * a * _LN2 if needs[1] else None)


class NextafterBackward0(_Binary):
    def formula(self, grad, a, b, needs):  # as PyTorch reports: the step passes the gradient to input only
        return (grad if needs[0] else None), (_zeros(grad) if needs[1] else None)


class MaximumBackward0(_Binary):
    _lose_a, _lose_b = staticmethod(lambda a, b: a < b), staticmethod(lambda a, b: a > b)

    def formula(self, grad, a, b, needs):
        # ties split the gradient in half
        shared = _where(a == b, grad / 2, grad)
        return ((_where(self._lose_a(a, b), 0, shared) if needs[0] else None),
                (_where(self._lose_b(a, b), 0, shared) if needs[1] else None))


class MinimumBackward0(MaximumBackward0):
    _lose_a, _lose_b = staticmethod(lambda a, b: a > b), staticmethod(lambda a, b: a < b)


class FmaxBackward0(_Binary):
    _wins = staticmethod(lambda a, b: (a >= b) | b.isnan())

    def formula(self, grad, a, b, needs):
        # no tie split here (PyTorch): input wins ties and a NaN other
        wins = self._wins(a, b)
        return (_where(wins, grad, 0) if needs[0] else None), (_where(wins, 0, grad) if needs[1] else None)


class FminBackward0(FmaxBackward0):
    _wins = staticmethod(lambda a, b: (a <= b) | b.isnan())


class CopysignBackward0(Node):
    def __init__(self, a, b, result):
        self.meta = _meta(a), _meta(b)
        self.a, self.result = self.save(a), self.save(result, is_output=True)

    def backward(self, grad):
        needs = self.needs_input_grad
        ga = gb = None
        if needs[0]:
            a = self.a.unpack()
            ga = _to_input(grad * _where(a == 0, 0, self.result.unpack() / a), self.meta[0])
        if needs[1]:
            gb = _to_input(_zeros(grad), self.meta[1])
        return ga, gb


class CopysignBackward1(CopysignBackward0):
    single_input = True

    def backward(self, grad):
        a = self.a.unpack()
        return _to_input(grad * _where(a == 0, 0, self.result.unpack() / a), self.meta[0])


class XlogyBackward0(Node):
    def __init__(self, a, b):
        self.meta = _meta(a), _meta(b)
        self.a, self.b = self.save(a), self.save(b)

    def backward(self, grad):
        needs = self.needs_input_grad
        a, b = self.a.unpack(), self.b.unpack()
        ga = _to_input(_xlogy_self_grad(grad, a, b), self.meta[0]) if needs[0] else None
        gb = _to_input(grad * a / b, self.meta[1]) if needs[1] else None
        return ga, gb


def _xlogy_self_grad(grad, a, b):
    return _where((a == 0) & (b <= 0), 0, xlogy(grad, b))


class XlogyBackward1(Node):
    """A Python number times log(tensor)."""

    def __init__(self, a, b):
        self.a, self.meta, self.b = a, _meta(b), self.save(b)

    def backward(self, grad):
        return _to_input(grad * self.a / self.b.unpack(), self.meta)


class XlogyBackward2(Node):
    """A tensor times log(Python number)."""

    def __init__(self, a, b):
        self.a, self.meta, self.b = self.save(a), _meta(a), b

    def backward(self, grad):
        a, b = self.a.unpack(), self.b
        g = xlogy(grad, b)
        if b <= 0:
            g = _where(a == 0, 0, g)
        return _to_input(g, self.meta)


class ClampBackward1(Node):
    """clamp with Python-number bounds: the gradient passes where min <= x <= max."""

    def __init__(self, x, min, max):
        self.x, self.min, self.max = self.save(x), min, max

    def backward(self, grad):
        x = self.x.unpack()
        if self.min is not None and self.max is not None:
            inside = (x >= self.min) & (x <= self.max)
        elif self.min is not None:
            inside = x >= self.min
        else:
            inside = x <= self.max
        return _where(inside, grad, 0)


class ClampBackward0(Node):
    """clamp with tensor bounds (either may be None: no edge)."""

    def __init__(self, x, min, max):
        self.meta = _meta(x), _meta(min), _meta(max)
        self.x, self.min, self.max = self.save(x), self.save(min), self.save(max)

    def backward(self, grad):
        needs = self.needs_input_grad
        x, lo, hi = self.x.unpack(), self.min.unpack(), self.max.unpack()
        gx = glo = ghi = None
        if lo is not None and hi is not None:
            if needs[0]:
                gx = _where((x >= lo) & (x <= hi), grad, 0)
            if needs[1]:
                glo = _where((x < lo) & (lo < hi), grad, 0)
            if needs[2]:
                ghi = _where((x > hi) | (hi < lo), grad, 0)
        elif lo is not None:
            gx = _where(x >= lo, grad, 0) if needs[0] else None
            glo = _where(x < lo, grad, 0) if needs[1] else None
        else:
            gx = _where(x <= hi, grad, 0) if needs[0] else None
            ghi = _where(x > hi, grad, 0) if needs[2] else None
        return tuple(None if g is None else _to_input(g, m) for g, m in zip((gx, glo, ghi), self.meta))


class ClampMinBackward0(Node):
    def __init__(self, x, bound):
        self.x, self.bound = self.save(x), bound

    def backward(self, grad):
        return _where(self.x.unpack() >= self.bound, grad, 0)


class ClampMaxBackward0(ClampMinBackward0):
    def backward(self, grad):
        return _where(self.x.unpack() <= self.bound, grad, 0)


class ClampMinBackward1(Node):
    def __init__(self, x, bound):
        self.meta = _meta(x), _meta(bound)
        self.x, self.bound = self.save(x), self.save(bound)

    def backward(self, grad):
        needs = self.needs_input_grad
        passes = self._passes(self.x.unpack(), self.bound.unpack())
        return (_to_input(_where(passes, grad, 0), self.meta[0]) if needs[0] else None,
                _to_input(_where(passes, 0, grad), self.meta[1]) if needs[1] else None)

    @staticmethod
    def _passes(x, bound):
        return x >= bound


class ClampMaxBackward1(ClampMinBackward1):
    @staticmethod
    def _passes(x, bound):
        return x <= bound


class LerpBackward0(Node):
    """lerp with a Python-number weight."""

    def __init__(self, start, end, weight):
        self.meta, self.weight = (_meta(start), _meta(end)), weight

    def backward(self, grad):
        needs, w = self.needs_input_grad, self.weight
        return (_to_input(grad * _conj(1 - w), self.meta[0]) if needs[0] else None,
                _to_input(grad * _conj(w), self.meta[1]) if needs[1] else None)


class LerpBackward1(Node):
    def __init__(self, start, end, weight):
        self.meta = _meta(start), _meta(end), _meta(weight)
        self.weight = self.save(weight)
        if weight.requires_grad:
            self.start, self.end = self.save(start), self.save(end)

    def backward(self, grad):
        needs = self.needs_input_grad
        w = self.weight.unpack()
        gs = _to_input(grad * _conj(1 - w), self.meta[0]) if needs[0] else None
        ge = _to_input(grad * _conj(w), self.meta[1]) if needs[1] else None
        gw = None
        if needs[2]:
            gw = _to_input(grad * _conj(self.end.unpack() - self.start.unpack()), self.meta[2])
        return gs, ge, gw


class AddcmulBackward0(Node):
    def __init__(self, input, t1, t2, value):
        self.meta = _meta(input), _meta(t1), _meta(t2)
        self.t1, self.t2, self.value = self.save(t1), self.save(t2), value

    def backward(self, grad):
        needs, v = self.needs_input_grad, self.value
        return (_to_input(grad, self.meta[0]) if needs[0] else None,
                _to_input(grad * _conj(self.t2.unpack() * v), self.meta[1]) if needs[1] else None,
                _to_input(grad * _conj(self.t1.unpack() * v), self.meta[2]) if needs[2] else None)


class AddcdivBackward0(AddcmulBackward0):
    def backward(self, grad):
        needs, v = self.needs_input_grad, self.value
        t1, t2 = self.t1.unpack(), self.t2.unpack()
        return (_to_input(grad, self.meta[0]) if needs[0] else None,
                _to_input(grad * _conj(v / t2), self.meta[1]) if needs[1] else None,
                _to_input(-grad * _conj(t1 * v / (t2 * t2)), self.meta[2]) if needs[2] else None)


# -------------------------------------------------------------------------------------------------------
# arithmetic


def _scaled(input, other, alpha):
    """other * alpha, with PyTorch's checks on alpha's type."""
    _check_alpha(input, other, alpha)
    # computed without recording: the node of the op that uses it carries alpha
    return _binary(np.multiply, other, alpha) if isinstance(other, Tensor) else other * alpha


def _check_alpha(input, other, alpha):
    """PyTorch's checks on the type of add/sub's alpha."""
    kind = promote_operands(input, other)._category
    if kind < 2 and isinstance(alpha, (float, complex)) or kind < 3 and isinstance(alpha, complex):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number."
                           if kind < 2 else "For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    if kind and type(alpha) is builtins.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def _fused_alpha(ufunc, input, other, alpha):
    """input +/- alpha * other for real floating tensors as ATen's kernel computes it: one fused multiply-add in
    float32 (the alpha rounded to the half type first for float16/bfloat16) or float64. None elsewhere."""
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)) or type(alpha) not in (int, float):
        return None
    x, y, dt = _operands(input, other)
    if dt.kind != "f" and dt not in _HALF_TYPES:
        return None
    _check_alpha(input, other, alpha)
    if dt == np.float64:
        a = float(alpha)
    else:
        a = np.float32(alpha)
        if dt in _HALF_TYPES:
            a = np.float32(np.asarray(a).astype(dt))
    if ufunc is np.subtract:
        a = -a
    try:
        shape = broadcast_shapes(np.shape(x), np.shape(y))
    except RuntimeError:
        return None  # the generic path raises PyTorch's message
    return wrap(np.ascontiguousarray(fma(a, np.broadcast_to(y, shape), np.broadcast_to(x, shape), dt)))


@method("add", "__add__", "__radd__")
def add(input, other, *, alpha=1, out=None):
    if alpha != 1 or type(alpha) is not int:
        return _add_sub(np.add, AddBackward0, input, other, alpha, out)
    if out is not None:
        _check_out("add", out, input, other)
        return _binary(np.add, input, other, out)
    r = _binary(np.add, input, other)
    if (getattr(input, "requires_grad", False) or getattr(other, "requires_grad", False)) and _grad_state.enabled:
        record(AddBackward0(input, other, 1), (input, other), r)
    return r


def _add_sub(ufunc, node, input, other, alpha, out):
    if out is not None:
        _check_out(ufunc.__name__.replace("subtract", "sub"), out, input, other)
    fused = _fused_alpha(ufunc, input, other, alpha)
    if fused is not None:
        r = finish_out(fused, out) if out is not None else fused
    else:
        r = _binary(ufunc, input, _scaled(input, other, alpha) if alpha != 1 or type(alpha) is not int else other, out)
    if out is None and needs_grad(input, other):
        record(node(input, other, alpha), (input, other), r)
    return r


@method("sub", "subtract", "__sub__")
def sub(input, other, *, alpha=1, out=None):
    _check_not_bool_sub(input, other)
    if alpha != 1 or type(alpha) is not int or out is not None:
        return _add_sub(np.subtract, SubBackward0, input, other, alpha, out)
    r = _binary(np.subtract, input, other)
    if (getattr(input, "requires_grad", False) or getattr(other, "requires_grad", False)) and _grad_state.enabled:
        record(SubBackward0(input, other, 1), (input, other), r)
    return r


@method()
def rsub(input, other, *, alpha=1):
    """other - alpha * input (PyTorch's reversed subtraction; `2 - x` calls it)."""
    _check_not_bool_sub(input, other)
    r = _binary(np.subtract, other, _scaled(other, input, alpha) if alpha != 1 or type(alpha) is not int else input)
    if needs_grad(input, other):
        if isinstance(other, Tensor):
            record(RsubBackward0(input, other, alpha), (input, other), r)
        else:
            record(RsubBackward1(input, alpha), (input,), r)
    return r


subtract = sub


def _check_not_bool_sub(a, b):
    a_bool = a._data.dtype.kind == "b" if isinstance(a, Tensor) else type(a) is builtins.bool
    b_bool = b._data.dtype.kind == "b" if isinstance(b, Tensor) else type(b) is builtins.bool
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                           "or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def _rsub(self, other):
    return rsub(self, other)


Tensor.__rsub__ = _rsub


@method("mul", "multiply", "__mul__", "__rmul__")
def mul(input, other, *, out=None):
    if out is not None:
        _check_out("mul", out, input, other)
        return _binary(np.multiply, input, other, out, scalar_in_float32=True)
    r = _binary(np.multiply, input, other, scalar_in_float32=True)
    if (getattr(input, "requires_grad", False) or getattr(other, "requires_grad", False)) and _grad_state.enabled:
        record(MulBackward0(input, other), (input, other), r)
    return r


multiply = mul


@method("div", "divide", "true_divide", "__truediv__")
def div(input, other, *, rounding_mode=_NO_ROUNDING_MODE, out=None):
    if out is not None:
        _check_out("div", out, input, other)
    if rounding_mode is None or rounding_mode is _NO_ROUNDING_MODE:
        x, y, dt = _operands(input, other)
        if dt.kind in "biu":
            dt = _dtype.get_default_dtype()._np
            x = x.astype(dt) if isinstance(x, np.ndarray) else dt.type(x)
            y = y.astype(dt) if isinstance(y, np.ndarray) else dt.type(y)
        if dt in _HALF_TYPES:
            y = _float32_scalar(other, y)
        r = wrap(_apply2(np.true_divide, x, y, dt))
        if out is not None:
            return finish_out(r, out)
        if (getattr(input, "requires_grad", False) or getattr(other, "requires_grad", False)) and _grad_state.enabled:
            explicit = rounding_mode is not _NO_ROUNDING_MODE
            node = DivBackward2(input, other, None) if explicit else DivBackward0(input, other)
            record(node, (input, other), r)
        return r
    if rounding_mode == "floor":
        r = _floor_divide(input, other, out)
    elif rounding_mode == "trunc":
        r = _divide_trunc(input, other, out)
    else:
        r = None
    if r is not None:
        if out is None and needs_grad(input, other):  # piecewise constant: zero gradients
            record(DivBackward2(input, other, rounding_mode), (input, other), r)
        return r
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


divide = true_divide = div


def _rtruediv(self, other):
    return mul(reciprocal(self), other)  # as PyTorch computes `2 / x` (MulBackward0 of ReciprocalBackward0)


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
        q = _apply2(np.floor_divide, x, y, dt)
        q = np.asarray(q + ((q < 0) & (q * y != x)).astype(dt))
    else:
        q = np.trunc(_apply2(np.true_divide, _half_to_float(x), _half_to_float(y), _F32 if dt in _HALF_TYPES
                             else dt)).astype(dt)
    return finish_out(wrap(np.asarray(q)), out)


@method("floor_divide", "__floordiv__")
def floor_divide(input, other, *, out=None):
    if out is not None:
        _check_out("floor_divide", out, input, other)
    r = _floor_divide(input, other, out)
    if out is None and needs_grad(input, other):  # `x // 2` has one edge, as PyTorch's Scalar overload
        record(_not_implemented_node("floor_divide"), (input, other) if isinstance(other, Tensor) else (input,), r)
    return r


def _floor_divide(input, other, out):
    x, y, dt = _operands(input, other)
    if dt.kind == "b":
        raise not_implemented("div_floor_cpu", dt)
    if dt.kind == "c":
        raise not_implemented("div_floor_cpu", dt)
    _check_int_divisor(y, dt)
    return finish_out(wrap(_apply2(np.floor_divide, x, y, dt)), out)


def _rfloordiv(self, other):
    return floor_divide(other, self)


Tensor.__rfloordiv__ = _rfloordiv


@method("remainder", "__mod__")
def remainder(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind in "bc":
        raise not_implemented("remainder_cpu", dt)
    _check_int_divisor(y, dt)
    r = wrap(_apply2(np.remainder, x, y, dt))
    return _record_mod(RemainderBackward0, RemainderBackward1, "remainder", input, other, r, out)


def _record_mod(scalar_node, tensor_node, name, input, other, r, out):
    """remainder/fmod: gradient 1 for the dividend, -quotient for the divisor."""
    if out is not None:
        _check_out(name, out, input, other)
        return finish_out(r, out)
    if needs_grad(input, other):
        if isinstance(other, Tensor):
            record(tensor_node(input, other), (input, other), r)
        else:
            record(scalar_node(input), (input,), r)
    return r


def _rmod(self, other):
    return remainder(other, self)


Tensor.__rmod__ = _rmod


@method()
def fmod(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind in "bc":
        raise not_implemented("fmod_cpu", dt)
    _check_int_divisor(y, dt)
    return _record_mod(FmodBackward0, FmodBackward1, "fmod", input, other, wrap(_apply2(np.fmod, x, y, dt)), out)


@method("pow", "__pow__")
def pow(input, exponent, *, out=None):
    if out is not None:
        _check_out("pow", out, input, exponent)
        return finish_out(_pow(input, exponent), out)
    r = _pow(input, exponent)
    if needs_grad(input, exponent):
        if not isinstance(exponent, Tensor):
            record(PowBackward0(input, exponent), (input,), r)
        elif isinstance(input, Tensor):
            record(PowBackward1(input, exponent, r), (input, exponent), r)
        else:
            record(PowBackward2(input, exponent, r), (exponent,), r)
    return r


def _pow(input, exponent, out=None):
    x, y, dt = _operands(input, exponent)
    if dt.kind == "b":
        if type(exponent) is builtins.bool:  # x ** True is x, x ** False is all True
            return finish_out(wrap(x.copy() if exponent else np.ones(x.shape, bool)), out)
        raise not_implemented("pow", dt)
    if dt.kind in "iu":
        if np.any(np.asarray(y) < 0):
            if not isinstance(exponent, Tensor):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            # integer base to a negative integer power: 1 for base 1, +-1 for base -1, else 0 (as C++ pow)
            yb = np.broadcast_to(y, broadcast_shapes(np.shape(x), np.shape(y)))
            neg = yb < 0
            r = np.power(x, np.where(neg, 0, yb))
            r = np.where(neg, np.where(x == 1, 1, np.where(x == -1, np.where(yb % 2 == 0, 1, -1), 0)), r).astype(dt)
            return finish_out(wrap(np.asarray(r)), out)
    return finish_out(wrap(_apply2(np.power, x, y, dt)), out)


def _rpow(self, other):
    return pow(other, self)


Tensor.__rpow__ = _rpow


# -------------------------------------------------------------------------------------------------------
# comparison


def _compare(ufunc, kernel, a, b, out, ordered=True):
    if not isinstance(a, Tensor):
        raise TypeError(f"{kernel.removesuffix('_cpu')}() received an invalid combination of arguments - got "
                        f"({type(a).__name__}, {type(b).__name__})")
    x, y, dt = _operands(a, b)
    if ordered and dt.kind == "c":
        raise not_implemented(kernel, dt)
    return finish_out(wrap(_apply2(ufunc, x, y, None)), out)


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
    return finish_out(wrap(_apply2(ufunc, x, y, None)), out)


@method("bitwise_and", "__and__", "__rand__")
def bitwise_and(input, other, *, out=None):
    return _bitwise(np.bitwise_and, "bitwise_and_cpu", input, other, out)


@method("bitwise_or", "__or__", "__ror__")
def bitwise_or(input, other, *, out=None):
    return _bitwise(np.bitwise_or, "bitwise_or_cpu", input, other, out)


@method("bitwise_xor", "__xor__", "__rxor__")
def bitwise_xor(input, other, *, out=None):
    return _bitwise(np.bitwise_xor, "bitwise_xor_cpu", input, other, out)


def _shift_left(x, y):
    bits = np.asarray(x).dtype.itemsize * 8
    y = np.asarray(y)
    in_range = (y >= 0) & (y < bits)
    return np.where(in_range, np.left_shift(x, np.where(in_range, y, 0)), 0).astype(np.asarray(x).dtype)


def _shift_right(x, y):
    x = np.asarray(x)
    bits = x.dtype.itemsize * 8
    y = np.asarray(y)
    in_range = (y >= 0) & (y < bits)
    overflow = np.where(x < 0, -1, 0) if x.dtype.kind == "i" else 0  # shifting everything out leaves the sign
    return np.where(in_range, np.right_shift(x, np.where(in_range, y, 0)), overflow).astype(x.dtype)


_shift_left.__name__, _shift_right.__name__ = "bitwise_left_shift", "bitwise_right_shift"


@method("bitwise_left_shift", "__lshift__")
def bitwise_left_shift(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind not in "iu":
        raise not_implemented("lshift_cpu", dt)
    return finish_out(wrap(_apply2(_shift_left, x, y, dt).astype(dt)), out)


@method("bitwise_right_shift", "__rshift__")
def bitwise_right_shift(input, other, *, out=None):
    x, y, dt = _operands(input, other)
    if dt.kind not in "iu":
        raise not_implemented("rshift_cpu", dt)
    return finish_out(wrap(_apply2(_shift_right, x, y, dt).astype(dt)), out)


Tensor.__rlshift__ = lambda self, other: bitwise_left_shift(other, self)
Tensor.__rrshift__ = lambda self, other: bitwise_right_shift(other, self)


@method("bitwise_not", "__invert__")
def bitwise_not(input, *, out=None):
    x = _data(input, "bitwise_not")
    if x.dtype.kind not in "biu":
        raise not_implemented("bitwise_not_cpu", x.dtype)
    return finish_out(wrap(np.asarray(np.invert(x))), out)


def _logical(ufunc, a, b, out):
    name = ufunc.__name__
    x = _data(a, name)
    y = _data(b, name, 2, "other")
    return finish_out(wrap(_apply2(ufunc, x, y, None)), out)


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
    return finish_out(wrap(np.asarray(np.logical_not(_data(input, "logical_not")))), out)


# -------------------------------------------------------------------------------------------------------
# unary ops that keep the input's dtype


@method("neg", "negative", "__neg__")
def neg(input, *, out=None):
    x = _data(input, "neg")
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return _unary_result("neg", NegBackward0, input, wrap(np.asarray(np.negative(x))), out)


negative = neg


@method("positive", "__pos__")
def positive(input):
    if _data(input, "positive").dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@method("abs", "absolute", "__abs__")
def abs(input, *, out=None):
    x = _data(input, "abs")
    if x.dtype.kind == "b":
        raise not_implemented("abs_cpu", x.dtype)
    return _unary_result("abs", AbsBackward0, input, wrap(np.asarray(np.abs(x))), out)


absolute = abs


def _real_sign(x):
    # (0 < x) - (x < 0): 0 for NaN, as PyTorch's sign kernel
    return (np.greater(x, 0).astype(x.dtype) - np.less(x, 0).astype(x.dtype)).astype(x.dtype)


@method()
def sign(input, *, out=None):
    x = _data(input, "sign")
    if x.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    r = x.copy() if x.dtype.kind == "b" else _real_sign(x)
    return _unary_result("sign", SignBackward0, input, wrap(np.asarray(r)), out)


@method()
def sgn(input, *, out=None):
    x = _data(input, "sgn")
    if x.dtype.kind != "c":
        r = x.copy() if x.dtype.kind == "b" else _real_sign(x)
        return _unary_result("sgn", SgnBackward0, input, wrap(np.asarray(r)), out)
    mag = np.abs(x)
    r = np.where(mag == 0, 0, x / np.where(mag == 0, 1, mag)).astype(x.dtype)
    return _unary_result("sgn", SgnBackward0, input, wrap(np.asarray(r)), out)


@method()
def signbit(input, *, out=None):
    x = _data(input, "signbit")
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    r = np.zeros(x.shape, bool) if x.dtype.kind in "bu" else np.signbit(_half_to_float(x))
    return finish_out(wrap(np.asarray(r)), out)


@method()
def square(input, *, out=None):
    x = _data(input, "square")
    if x.dtype.kind == "b":
        return pow(input, 2, out=out)  # bool ** 2 promotes to int64
    if out is not None:
        _check_out("square", out, input)
    r = wrap(np.asarray(np.square(x)))
    if input.requires_grad and _grad_state.enabled:
        record(PowBackward0(input, 2), (input,), r)  # PyTorch's square is pow(x, 2)
    return finish_out(r, out)


def _rounding(name, ufunc, kernel, node):
    """floor/ceil/trunc: the identity on integers, refused on bool."""

    def fn(input, *, out=None):
        x = _data(input, name)
        kind = x.dtype.kind
        if kind in "iu":
            return finish_out(wrap(x.copy()), out)
        if kind in "bc":
            raise not_implemented(kernel, x.dtype)
        return _unary_result(name, node, input, wrap(np.asarray(ufunc(x))), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, *, out=None) -> Tensor"
    return fn


floor = method()(_rounding("floor", np.floor, "floor_vml_cpu", lambda x, r: FloorBackward0()))
ceil = method()(_rounding("ceil", np.ceil, "ceil_vml_cpu", lambda x, r: CeilBackward0()))
trunc = method("trunc", "fix")(_rounding("trunc", np.trunc, "trunc_vml_cpu", lambda x, r: TruncBackward0()))
fix = trunc


@method()
def round(input, *, decimals=0, out=None):
    x = _data(input, "round")
    kind = x.dtype.kind
    if kind in "bc" or (kind in "iu" and decimals != 0):
        raise not_implemented("round_cpu", x.dtype)
    if kind in "iu":
        return finish_out(wrap(x.copy()), out)
    if decimals == 0:
        return _unary_result("round", lambda i, r: RoundBackward0(), input, wrap(np.asarray(np.rint(x))), out)
    work = _half_to_float(x)
    scale = work.dtype.type(10.0 ** builtins.abs(decimals))
    r = np.rint(work * scale) / scale if decimals > 0 else np.rint(work / scale) * scale
    return _unary_result("round", lambda i, r: RoundBackward1(), input, wrap(np.asarray(r).astype(x.dtype)), out)


@method()
def frac(input, *, out=None):
    x = _data(input, "frac")
    if x.dtype.kind not in "f" and x.dtype != _HALF_TYPES[1]:
        raise not_implemented("frac_cpu", x.dtype)
    return _unary_result("frac", lambda i, r: FracBackward0(), input, wrap(np.asarray(x - np.trunc(x))), out)


@method()
def conj(input):
    x = _data(input, "conj")
    if x.dtype.kind != "c":
        return input
    return _unary_result("conj", lambda i, r: ConjBackward0(), input, wrap(np.conj(x)), None)


@method()
def conj_physical(input, *, out=None):
    x = _data(input, "conj_physical")
    r = wrap(np.asarray(np.conj(x)) if x.dtype.kind == "c" else x.copy())
    return _unary_result("conj_physical", lambda i, r: ConjPhysicalBackward0(), input, r, out)


@method()
def resolve_conj(input):
    return input


@method()
def resolve_neg(input):
    return input


def real(input):
    x = _data(input, "real")
    if x.dtype.kind == "c" and input.requires_grad and _grad_state.enabled:
        return _complex_part(input, 0)
    return input.real


def imag(input):
    x = _data(input, "imag")
    if x.dtype.kind == "c" and input.requires_grad and _grad_state.enabled:
        return _complex_part(input, 1)
    return input.imag


def _complex_part(input, index):
    """As PyTorch records it: view_as_real(z).select(-1, index) (SelectBackward0 of ViewAsRealBackward0)."""
    from .shape import select, view_as_real

    return select(view_as_real(input), -1, index)


@method()
def angle(input, *, out=None):
    x = _data(input, "angle")
    if x.dtype.kind == "c":
        return _unary_result("angle", AngleBackward0, input, wrap(np.asarray(np.angle(x))), out)
    r = float_unary(lambda v: np.where(np.isnan(v), v, np.where(v < 0, v.dtype.type(np.pi), v.dtype.type(0))), x)
    return _unary_result("angle", AngleBackward0, input, wrap(r), out)


# -------------------------------------------------------------------------------------------------------
# floating-point math: integer and bool inputs give the default dtype, half types compute in float32


def float_unary(ufunc, x):
    """Apply a floating-point math ufunc with PyTorch's dtype rules: integer and bool inputs compute in the
    default dtype, half types in float32 rounded back."""
    dt = x.dtype
    if dt.kind in "biu":
        return np.asarray(ufunc(x.astype(_dtype.get_default_dtype()._np)))
    if dt in _HALF_TYPES:
        return np.asarray(ufunc(x.astype(_F32))).astype(dt)
    return np.asarray(ufunc(x))


def _unary_result(name, node, input, result, out):
    """Record a unary op (node(input, result) builds its Node) or write it into `out`."""
    if out is not None:
        _check_out(name, out, input)
        return finish_out(result, out)
    if input.requires_grad and _grad_state.enabled:
        record(node(input, result), (input,), result)
    return result


def _math(name, ufunc, node, complex_ok=True):
    def fn(input, *, out=None):
        x = _data(input, name)
        if not complex_ok and x.dtype.kind == "c":
            raise not_implemented(f"{name}_cpu", x.dtype)
        r = wrap(float_unary(ufunc, x))
        if out is None:
            if input.requires_grad and _grad_state.enabled:
                record(node(input, r), (input,), r)
            return r
        _check_out(name, out, input)
        return finish_out(r, out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, *, out=None) -> Tensor, elementwise."
    return method(name)(fn)


def _rsqrt(x):
    return np.reciprocal(np.sqrt(x))


def _sigmoid(x):
    # 1 / (1 + e^-x) as PyTorch computes it (e^-x overflowing to inf gives exactly 0, as in PyTorch), in one
    # buffer: each step writes over the previous temporary
    out = np.negative(x, out=np.empty(x.shape, x.dtype))  # an explicit buffer: 0-d inputs give arrays too
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _sinc(x):
    px = x * x.dtype.type(np.pi)
    with np.errstate(all="ignore"):
        return np.where(x == 0, x.dtype.type(1), np.sin(px) / px)


exp = _math("exp", np.exp, ExpBackward0)
exp2 = _math("exp2", np.exp2, Exp2Backward0)
expm1 = _math("expm1", np.expm1, Expm1Backward0)
log = _math("log", np.log, LogBackward0)
log2 = _math("log2", np.log2, Log2Backward0)
log10 = _math("log10", np.log10, Log10Backward0)
log1p = _math("log1p", np.log1p, Log1PBackward0)
sqrt = _math("sqrt", np.sqrt, SqrtBackward0)
rsqrt = _math("rsqrt", _rsqrt, RsqrtBackward0)
reciprocal = _math("reciprocal", np.reciprocal, ReciprocalBackward0)
sin = _math("sin", np.sin, SinBackward0)
cos = _math("cos", np.cos, CosBackward0)
tan = _math("tan", np.tan, TanBackward0)
asin = _math("asin", np.arcsin, AsinBackward0)
acos = _math("acos", np.arccos, AcosBackward0)
atan = _math("atan", np.arctan, AtanBackward0)
sinh = _math("sinh", np.sinh, SinhBackward0)
cosh = _math("cosh", np.cosh, CoshBackward0)
tanh = _math("tanh", np.tanh, TanhBackward0)
asinh = _math("asinh", np.arcsinh, AsinhBackward0)
acosh = _math("acosh", np.arccosh, AcoshBackward0)
atanh = _math("atanh", np.arctanh, AtanhBackward0)
sigmoid = _math("sigmoid", _sigmoid, SigmoidBackward0)
sinc = _math("sinc", _sinc, SincBackward0)
deg2rad = _math("deg2rad", np.deg2rad, Deg2RadBackward0, complex_ok=False)
rad2deg = _math("rad2deg", np.rad2deg, Rad2DegBackward0, complex_ok=False)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
for _alias, _fn in (("arcsin", asin), ("arccos", acos), ("arctan", atan), ("arcsinh", asinh), ("arccosh", acosh),
                    ("arctanh", atanh)):
    setattr(Tensor, _alias, _fn)


@method()
def logit(input, eps=None, *, out=None):
    x = _data(input, "logit")

    def kernel(v):
        if eps is not None:
            v = np.clip(v, eps, 1 - eps)
        with np.errstate(all="ignore"):
            return np.log(v / (1 - v))

    return _unary_result("logit", lambda i, r: LogitBackward0(i, eps), input, wrap(float_unary(kernel, x)), out)


# -------------------------------------------------------------------------------------------------------
# predicates


def _predicate(name, float_test, int_value):
    def fn(input):
        x = _data(input, name)
        if x.dtype.kind in "biu":
            return wrap(np.full(x.shape, int_value))
        return wrap(np.asarray(float_test(x)))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input) -> Tensor of bool"
    return method(name)(fn)


isnan = _predicate("isnan", np.isnan, False)
isinf = _predicate("isinf", np.isinf, False)
isfinite = _predicate("isfinite", np.isfinite, True)
isposinf = _predicate("isposinf", np.isposinf, False)
isneginf = _predicate("isneginf", np.isneginf, False)
isreal = _predicate("isreal", lambda x: x.imag == 0 if x.dtype.kind == "c" else np.ones(x.shape, bool), True)


@method()
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    x = _data(input, "nan_to_num")
    if x.dtype.kind in "biu":
        return finish_out(wrap(x.copy()), out)
    if x.dtype.kind == "c":
        parts = [nan_to_num(wrap(np.ascontiguousarray(p)), nan, posinf, neginf)._data for p in (x.real, x.imag)]
        return finish_out(wrap(np.asarray(parts[0] + 1j * parts[1]).astype(x.dtype)), out)
    info = _dtype.finfo(from_numpy_dtype(x.dtype))
    r = x.copy()
    r[np.isnan(x)] = nan
    r[np.isposinf(x)] = info.max if posinf is None else posinf
    r[np.isneginf(x)] = info.min if neginf is None else neginf
    return _unary_result("nan_to_num", NanToNumBackward0, input, wrap(r), out)


# -------------------------------------------------------------------------------------------------------
# binary math


def _float_operands(a, b):
    """Promote, then move integer/bool results to the default dtype (ops that always give floats)."""
    x, y, dt = _operands(a, b)
    if dt.kind in "biu":
        dt = _dtype.get_default_dtype()._np
    # scalars become NumPy scalars of the result dtype, so that e.g. log(2) stays in float32
    x = (x if x.dtype == dt else x.astype(dt)) if isinstance(x, np.ndarray) else dt.type(x)
    y = (y if y.dtype == dt else y.astype(dt)) if isinstance(y, np.ndarray) else dt.type(y)
    return x, y, dt


def _float_binary(name, ufunc, node, tensor_other=False, complex_ok=False, int_ok=True):
    def fn(input, other, *, out=None):
        if tensor_other:
            _data(input, name)
            _need_tensor(other, name)
        if int_ok:
            x, y, dt = _float_operands(input, other)
        else:
            x, y, dt = _operands(input, other)
            if dt.kind in "biu":
                raise not_implemented(f"{name}_cpu", dt)
        if not complex_ok and dt.kind == "c":
            raise not_implemented(f"{name}_cpu", dt)
        return _binary_result(name, node, input, other, wrap(_apply2(ufunc, x, y, dt)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, other, *, out=None) -> Tensor, elementwise."
    return method(name)(fn)


def _logaddexp(x, y):
    hi = np.maximum(x, y)
    with np.errstate(all="ignore"):
        r = hi + np.log1p(np.exp(-np.abs(x - y)))
    return np.where(x == y, x + np.log(x.dtype.type(2)), r)  # equal infinities: avoid inf - inf


def _logaddexp2(x, y):
    hi = np.maximum(x, y)
    with np.errstate(all="ignore"):
        r = hi + np.log1p(np.exp2(-np.abs(x - y))) / np.log(x.dtype.type(2))
    return np.where(x == y, x + 1, r)


def _xlogy(x, y):
    with np.errstate(all="ignore"):
        r = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), x.dtype.type(0) if hasattr(x, "dtype") else 0.0, r)


def _ldexp(x, y):
    return x * np.exp2(y)


def _binary_result(name, node, input, other, result, out):
    """Record a binary op (node(input, other, result) builds its Node; a Python-number operand gets no edge,
    or none at all where PyTorch's overload drops it) or write it into `out`."""
    if out is not None:
        _check_out(name, out, input, other)
        return finish_out(result, out)
    if needs_grad(input, other):
        built = node(input, other, result)
        record(built, (input,) if getattr(built, "single_input", False) else (input, other), result)
    return result


def _copysign_node(input, other, result):
    return (CopysignBackward0 if isinstance(other, Tensor) else CopysignBackward1)(input, other, result)


atan2 = _float_binary("atan2", np.arctan2, Atan2Backward0, tensor_other=True)
arctan2 = atan2
Tensor.arctan2 = atan2
copysign = _float_binary("copysign", np.copysign, _copysign_node)
hypot = _float_binary("hypot", np.hypot, HypotBackward0, tensor_other=True, int_ok=False)
logaddexp = _float_binary("logaddexp", _logaddexp, LogaddexpBackward0, tensor_other=True, int_ok=False)
logaddexp2 = _float_binary("logaddexp2", _logaddexp2, Logaddexp2Backward0, tensor_other=True, int_ok=False)
nextafter = _float_binary("nextafter", np.nextafter, NextafterBackward0, tensor_other=True, int_ok=False)
ldexp = _float_binary("ldexp", _ldexp, LdexpBackward0, tensor_other=True, complex_ok=True)


@method()
def xlogy(input, other, *, out=None):
    x, y, dt = _float_operands(input, other)
    if dt.kind == "c":
        raise not_implemented("xlogy_cpu", dt)
    x = np.asarray(x, dt) if not isinstance(x, np.ndarray) else x
    r = wrap(_apply2(_xlogy, x, y, dt))
    if out is not None:
        _check_out("xlogy", out, input, other)
        return finish_out(r, out)
    if needs_grad(input, other):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            record(XlogyBackward0(input, other), (input, other), r)
        elif isinstance(input, Tensor):
            record(XlogyBackward2(input, other), (input,), r)
        else:
            record(XlogyBackward1(input, other), (other,), r)
    return r


@method()
def float_power(input, exponent, *, out=None):
    dt = promote_operands(input, exponent)
    target = _dtype.complex128 if dt.is_complex else _dtype.float64
    if out is not None and isinstance(out, Tensor) and out.dtype is not target:
        raise RuntimeError(f"the output given to float_power has dtype {type_label(out._data.dtype)} but the "
                           f"operation's result requires dtype {type_label(target._np)}")
    if needs_grad(input, exponent):  # PyTorch: pow of the inputs converted to double (ToCopyBackward0)
        _check_out("float_power", out, input, exponent)
        x = input.to(target) if isinstance(input, Tensor) else input
        y = exponent.to(target) if isinstance(exponent, Tensor) else exponent
        return pow(x, y)
    x = input._data.astype(target._np) if isinstance(input, Tensor) else input
    y = exponent._data.astype(target._np) if isinstance(exponent, Tensor) else exponent
    return finish_out(wrap(_apply2(np.power, x, y, target._np)), out)


def _extremum(name, ufunc, complex_message, node):
    def fn(input, other, *, out=None):
        _data(input, name)
        _need_tensor(other, name)
        x, y, dt = _operands(input, other)
        if dt.kind == "c":
            raise RuntimeError(complex_message)
        return _binary_result(name, node, input, other, wrap(_apply2(ufunc, x, y, dt)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, other, *, out=None) -> Tensor, elementwise."
    return method(name)(fn)


maximum = _extremum("maximum", np.maximum, "maximum not implemented for complex tensors.", MaximumBackward0)
minimum = _extremum("minimum", np.minimum, "minimum not implemented for complex tensors.", MinimumBackward0)
fmax = _extremum("fmax", np.fmax, "fmax not implemented for complex tensors.", FmaxBackward0)
fmin = _extremum("fmin", np.fmin, "fmin not implemented for complex tensors.", FminBackward0)


def _integer_binary(name, ufunc):
    def fn(input, other, *, out=None):
        _data(input, name)
        _need_tensor(other, name)
        x, y, dt = _operands(input, other)
        if dt.kind not in "iu":
            raise not_implemented(f"{name}_cpu", dt)
        return finish_out(wrap(_apply2(ufunc, x, y, dt).astype(dt)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, other, *, out=None) -> Tensor, elementwise."
    return method(name)(fn)


gcd = _integer_binary("gcd", np.gcd)
lcm = _integer_binary("lcm", np.lcm)


@method()
def heaviside(input, values, *, out=None):
    x = _data(input, "heaviside")
    _need_tensor(values, "heaviside", 2, "values")
    if x.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if x.dtype.kind == "c":
        raise not_implemented("heaviside_cpu", x.dtype)
    v = values._data

    def kernel(a, b):
        return np.where(a == 0, b, a > 0).astype(x.dtype)

    return _binary_result("heaviside", lambda a, b, r: _not_implemented_node("heaviside"), input, values,
                          wrap(_apply2(kernel, x, v, None)), out)


# -------------------------------------------------------------------------------------------------------
# comparison helpers returning tensors or Python bools


@method()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    x = _data(input, "isclose")
    _need_tensor(other, "isclose")
    y = other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{type_label(x.dtype)} did not match {type_label(y.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if x.dtype.kind == "b":
        return wrap(_apply2(np.equal, x, y, None))
    work = np.float64 if x.dtype.kind in "iuf" and x.dtype.itemsize == 8 else None
    xs = _half_to_float(x) if work is None else x.astype(work)
    ys = _half_to_float(y) if work is None else y.astype(work)
    if xs.dtype.kind in "iu":
        xs, ys = xs.astype(np.float64), ys.astype(np.float64)

    def kernel(a, b):
        with np.errstate(all="ignore"):
            close = (a == b) | (np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= atol + rtol * np.abs(b)))
        if equal_nan:
            close |= np.isnan(a) & np.isnan(b)
        return close

    return wrap(_apply2(kernel, xs, ys, None))


@method()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@method()
def equal(input, other):
    x = _data(input, "equal")
    _need_tensor(other, "equal")
    y = other._data
    if x.shape != y.shape:
        return False
    return builtins.bool(np.array_equal(x, y))


# -------------------------------------------------------------------------------------------------------
# clamp, lerp, addcmul, addcdiv


@method("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    r = _clamp(input, min, max, out)
    if out is None and needs_grad(input, min, max):
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            record(ClampBackward0(input, min, max), (input, min, max), r)
        else:
            record(ClampBackward1(input, min, max), (input,), r)
    return r


def _clamp(input, min, max, out):
    x = _data(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if (isinstance(min, Tensor) and max is not None and not isinstance(max, Tensor)) or \
            (isinstance(max, Tensor) and min is not None and not isinstance(min, Tensor)):
        raise TypeError("clamp() received an invalid combination of arguments - got (Tensor, "
                        f"{type(min).__name__}, {type(max).__name__})")
    if x.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    bounds = [b for b in (min, max) if b is not None]
    dt = promote_operands(input, *bounds)._np
    r = x.astype(dt) if x.dtype != dt else x
    work = _F32 if dt in _HALF_TYPES else dt

    def as_operand(b):
        return b._data.astype(work) if isinstance(b, Tensor) else _scalar_as(b, np.dtype(dt))

    r = _half_to_float(r)
    try:
        if min is not None:
            r = np.maximum(r, as_operand(min))
        if max is not None:
            r = np.minimum(r, as_operand(max))
    except ValueError:
        raise broadcast_error(x.shape, np.shape(as_operand(min if min is not None else max))) from None
    if out is not None:
        _check_out("clamp", out, input, min, max)
    return finish_out(wrap(np.asarray(r).astype(dt, copy=False)), out)


clip = clamp


@method()
def clamp_min(input, min, *, out=None):
    r = _clamp(input, min, None, out)
    if out is None and needs_grad(input, min):
        if isinstance(min, Tensor):
            record(ClampMinBackward1(input, min), (input, min), r)
        else:
            record(ClampMinBackward0(input, min), (input,), r)
    return r


@method()
def clamp_max(input, max, *, out=None):
    r = _clamp(input, None, max, out)
    if out is None and needs_grad(input, max):
        if isinstance(max, Tensor):
            record(ClampMaxBackward1(input, max), (input, max), r)
        else:
            record(ClampMaxBackward0(input, max), (input,), r)
    return r


@method()
def lerp(input, end, weight, *, out=None):
    x = _data(input, "lerp")
    _need_tensor(end, "lerp", 2, "end")
    e = end._data
    if e.dtype != x.dtype:
        raise RuntimeError(f"expected dtype {from_numpy_dtype(x.dtype)._name.replace('float32', 'float')} for "
                           f"`end` but got dtype {from_numpy_dtype(e.dtype)._name.replace('float64', 'double')}")
    if x.dtype.kind not in "fc" and x.dtype != _HALF_TYPES[1]:
        raise not_implemented("lerp_kernel_scalar" if not isinstance(weight, Tensor) else "lerp_kernel_tensor",
                              x.dtype)
    if isinstance(weight, Tensor):
        w = weight._data
        if w.ndim and w.dtype != x.dtype:
            raise RuntimeError(f"expected dtype {from_numpy_dtype(x.dtype)._name} for `weight` but got dtype "
                               f"{from_numpy_dtype(w.dtype)._name}")
        w = _half_to_float(w.astype(x.dtype))
    else:
        w = weight
    a, b = _half_to_float(x), _half_to_float(e)

    def kernel(start, stop):
        diff = stop - start
        wa = np.asarray(w, start.dtype) if not isinstance(w, np.ndarray) else w
        small = np.abs(wa) < 0.5
        if start.dtype.kind == "c":
            return np.where(small, start + wa * diff, stop - diff * (1 - wa))
        # ATen: one fused multiply-add from the nearer end: start + w * diff, or end + (w - 1) * diff
        coeff = np.where(small, wa, wa - np.asarray(1, start.dtype))
        return fma(coeff, diff, np.where(small, start, stop), start.dtype)

    shape = broadcast_shapes(a.shape, b.shape, np.shape(w))
    r = wrap(np.asarray(_apply2(kernel, np.broadcast_to(a, shape), np.broadcast_to(b, shape), None)).astype(x.dtype))
    if out is not None:
        _check_out("lerp", out, input, end, weight)
        return finish_out(r, out)
    if needs_grad(input, end, weight):
        if isinstance(weight, Tensor):
            record(LerpBackward1(input, end, weight), (input, end, weight), r)
        else:
            record(LerpBackward0(input, end, weight), (input, end), r)
    return r


def _addc(name, ufunc, input, tensor1, tensor2, value, out):
    _data(input, name)
    _need_tensor(tensor1, name, 2, "tensor1")
    _need_tensor(tensor2, name, 3, "tensor2")
    dt = promote_operands(input, tensor1, tensor2)._np
    if name == "addcdiv" and tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
                           "tensor2), for all dtypes.")
    work = _F32 if dt in _HALF_TYPES else dt
    a, b, c = (t._data.astype(work, copy=False) for t in (input, tensor1, tensor2))
    if isinstance(value, Tensor):
        scale = value._data.astype(work)
    elif dt in _HALF_TYPES:
        scale = np.float32(value)  # ATen's opmath: the value in float32, not rounded to the half type
    else:
        scale = _scalar_as(value, np.dtype(dt))
    if dt.kind in "iu":
        scale = _int_scalar(int(value), dt)  # value is cast to the integer result type, as PyTorch does
    try:
        if np.dtype(work).kind == "f":  # ATen's kernels: fma(value * t1, t2, input) and input + (value * t1) / t2
            scaled = np.asarray(scale, work) * b
            if name == "addcmul":
                shape = broadcast_shapes(a.shape, b.shape, c.shape)
                r = fma(np.broadcast_to(scaled, shape), np.broadcast_to(c, shape), np.broadcast_to(a, shape), work)
            else:
                r = a + scaled / c
        else:
            r = a + np.asarray(scale, work) * ufunc(b, c)
    except ValueError:
        broadcast_shapes(a.shape, b.shape, c.shape)
        raise
    r = wrap(np.asarray(r).astype(dt, copy=False))
    if out is not None:
        _check_out(name, out, input, tensor1, tensor2)
        return finish_out(r, out)
    if needs_grad(input, tensor1, tensor2):
        node = AddcmulBackward0 if name == "addcmul" else AddcdivBackward0
        record(node(input, tensor1, tensor2, value), (input, tensor1, tensor2), r)
    return r


@method()
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _addc("addcmul", np.multiply, input, tensor1, tensor2, value, out)


@method()
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return _addc("addcdiv", np.true_divide, input, tensor1, tensor2, value, out)


# -------------------------------------------------------------------------------------------------------
# special functions (kernels in special.py)

from .special import digamma, erf, erfc, erfinv, i0, lgamma, mvlgamma, polygamma  # noqa: E402
from .special import polygamma_inplace_result as _polygamma_inplace_result  # noqa: E402

# -------------------------------------------------------------------------------------------------------
# in-place variants: one generic writer, made from each out-of-place function


def _write_into(self, res):
    """Store an op's result array into self in place, with PyTorch's checks, and return self."""
    dst = self._data
    if res.shape != dst.shape:
        raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                           f"{list(res.shape)}")
    if res.dtype != dst.dtype and not _dtype.can_cast(from_numpy_dtype(res.dtype), from_numpy_dtype(dst.dtype)):
        raise RuntimeError(f"result type {type_label(res.dtype)} can't be cast to the desired output type "
                           f"{type_label(dst.dtype)}")
    if not dst.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    np.copyto(dst, res, casting="unsafe")
    self._bump_version()
    return self


def _grad_inplace(self, compute, others):
    """An in-place op that autograd records: computed out of place from prepare_inplace's stand-in (which refuses
    leaves that require grad), then written into self, which takes over the result's history."""
    src = prepare_inplace(self, *others)
    result = compute(src)
    res = result._data
    if res.dtype != self._data.dtype and not _dtype.can_cast(from_numpy_dtype(res.dtype),
                                                              from_numpy_dtype(self._data.dtype)):
        raise RuntimeError(f"result type {type_label(res.dtype)} can't be cast to the desired output type "
                           f"{type_label(self._data.dtype)}")
    return commit_inplace(self, result)


def _inplace(fn, name):
    def fn_(self, *args, **kwargs):
        if _grad_state.enabled and (self.requires_grad or needs_grad(*args, *kwargs.values())):
            return _grad_inplace(self, lambda src: fn(src, *args, **kwargs), (*args, *kwargs.values()))
        return _write_into(self, fn(self, *args, **kwargs)._data)

    fn_.__name__ = fn_.__qualname__ = name
    fn_.__doc__ = f"In-place version of {fn.__name__}()."
    return fn_


def _inplace_ufunc(fn, ufunc, name, kinds):
    """An in-place arithmetic method that writes with `ufunc(..., out=self)` when the result dtype is self's
    (the common case), and otherwise falls back to the generic path and its checks."""

    def fn_(self, other, **kwargs):
        if (self.requires_grad or getattr(other, "requires_grad", False)) and _grad_state.enabled:
            return _grad_inplace(self, lambda src: fn(src, other, **kwargs), (other,))
        dst = self._data
        if not kwargs and dst.dtype.kind in kinds and dst.dtype not in _HALF_TYPES:
            x, y, dt = _operands(self, other)
            if dt == dst.dtype and dst.flags.writeable:
                try:
                    ufunc(dst, y, out=dst)
                except ValueError:
                    pass  # shapes: the generic path raises PyTorch's error
                else:
                    self._bump_version()
                    return self
        return _write_into(self, fn(self, other, **kwargs)._data)

    fn_.__name__ = fn_.__qualname__ = name
    fn_.__doc__ = f"In-place version of {fn.__name__}()."
    return fn_


def _float_power_(self, exponent):
    target = _dtype.complex128 if promote_operands(self, exponent).is_complex else _dtype.float64
    if self._data.dtype != target._np:
        raise RuntimeError(f"the base given to float_power_ has dtype {type_label(self._data.dtype)} but the "
                           f"operation's result requires dtype {type_label(target._np)}")
    if needs_grad(self, exponent):
        return _grad_inplace(self, lambda src: float_power(src, exponent), (exponent,))
    return _write_into(self, float_power(self, exponent)._data)


def _polygamma_(self, n):
    if needs_grad(self):
        return _grad_inplace(self, lambda src: _polygamma_inplace_result(n, src), ())
    return _write_into(self, polygamma(n, self)._data)


_FAST_INPLACE = {"add": (np.add, "biuf"), "sub": (np.subtract, "iuf"), "subtract": (np.subtract, "iuf"),
                 "mul": (np.multiply, "biuf"), "multiply": (np.multiply, "biuf"), "div": (np.true_divide, "f"),
                 "divide": (np.true_divide, "f"), "true_divide": (np.true_divide, "f")}

# names with a Tensor.<name>_ method in PyTorch
_INPLACE_NAMES = (
    "add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow reciprocal neg "
    "negative abs absolute sign sgn copysign eq ne lt le gt ge greater greater_equal less less_equal not_equal "
    "logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not "
    "bitwise_left_shift bitwise_right_shift exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sin cos tan "
    "asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh arccosh arctanh atan2 arctan2 "
    "hypot sigmoid logit erf erfc erfinv lgamma digamma mvlgamma i0 sinc xlogy deg2rad rad2deg floor ceil trunc "
    "frac round fix clamp clip clamp_min clamp_max lerp addcmul addcdiv nan_to_num heaviside gcd lcm "
    "conj_physical nextafter ldexp"
).split()

for _name in _INPLACE_NAMES:
    _fn = getattr(Tensor, _name)
    if _name in _FAST_INPLACE:
        _ufunc, _kinds = _FAST_INPLACE[_name]
        setattr(Tensor, _name + "_", _inplace_ufunc(_fn, _ufunc, _name + "_", _kinds))
    else:
        setattr(Tensor, _name + "_", _inplace(_fn, _name + "_"))
Tensor.float_power_ = _float_power_
Tensor.polygamma_ = _polygamma_

# relu lives with the activations (ops/activation.py, nn.functional's); torch.relu, Tensor.relu and relu_ are
# these thin entries (imported last: activation may import from this module)
from .activation import relu as _activation_relu  # noqa: E402
from .activation import relu_ as _activation_relu_  # noqa: E402


@method()
def relu(input):
    return _activation_relu(input)


@method()
def relu_(input):
    return _activation_relu_(input)

for _dunder, _name in (("__iadd__", "add_"), ("__isub__", "sub_"), ("__imul__", "mul_"), ("__itruediv__", "div_"),
                       ("__ifloordiv__", "floor_divide_"), ("__imod__", "remainder_"), ("__ipow__", "pow_"),
                       ("__iand__", "bitwise_and_"), ("__ior__", "bitwise_or_"), ("__ixor__", "bitwise_xor_"),
                       ("__ilshift__", "bitwise_left_shift_"), ("__irshift__", "bitwise_right_shift_")):
    setattr(Tensor, _dunder, getattr(Tensor, _name))

__all__ += [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "float_power", "reciprocal", "neg", "negative", "positive", "abs", "absolute", "sign", "sgn",
    "signbit", "copysign", "square",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "isclose",
    "allclose", "equal", "maximum", "minimum", "fmax", "fmin",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos",
    "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh",
    "arctanh", "atan2", "arctan2", "hypot", "sigmoid", "logit", "sinc", "xlogy", "logaddexp", "logaddexp2",
    "deg2rad", "rad2deg", "nextafter", "ldexp",
    "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0",
    "floor", "ceil", "trunc", "fix", "frac", "round", "clamp", "clip", "clamp_min", "clamp_max", "lerp", "addcmul",
    "addcdiv", "nan_to_num", "isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "heaviside", "gcd",
    "lcm", "angle", "conj", "conj_physical", "resolve_conj", "resolve_neg", "real", "imag", "rsub", "relu", "relu_",
]
