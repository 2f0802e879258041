"""dtypes and PyTorch's type promotion.

A dtype is a small immutable object naming a backend dtype. Promotion follows PyTorch (c10's
`promoteTypes` and `ResultTypeState`), never NumPy's: categories bool < integer < floating < complex, and
within a category dimensioned tensors decide over 0-dim tensors, which decide over Python scalars.
"""

import builtins

from ._backend import bfloat16 as _np_bfloat16
from ._backend import np

# category codes
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    __slots__ = ("_name", "_np", "_category", "_signed", "itemsize", "__weakref__")

    def __init__(self, name, np_dtype, category, signed):
        self._name = name
        self._np = np.dtype(np_dtype)
        self._category = category
        self._signed = signed
        self.itemsize = self._np.itemsize

    @property
    def is_floating_point(self):
        return self._category == _FLOAT

    @property
    def is_complex(self):
        return self._category == _COMPLEX

    @property
    def is_signed(self):
        return self._signed

    @property
    def scalar_type_name(self):
        """PyTorch's C++ name of this scalar type ('Float', 'Long', ...), as its error messages print it."""
        return _SCALAR_TYPE_NAMES[self._name]

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self._name, self)

    def to_complex(self):
        # float16 has complex32 in PyTorch, which ember lacks; bfloat16 has no complex partner and goes to complex64
        return {"float32": complex64, "float64": complex128, "float16": complex64, "bfloat16": complex64}.get(
            self._name, self)

    def __repr__(self):
        return "torch." + self._name

    __str__ = __repr__

    def __reduce__(self):  # pickles as the module attribute, so it unpickles to the same object
        return self._name

    def __setattr__(self, name, value):
        if hasattr(self, "itemsize"):
            raise AttributeError(f"attribute '{name}' of 'torch.dtype' objects is not writable")
        object.__setattr__(self, name, value)


bool = dtype("bool", np.bool_, _BOOL, False)  # noqa: A001 - PyTorch's name
uint8 = dtype("uint8", np.uint8, _INT, False)
int8 = dtype("int8", np.int8, _INT, True)
int16 = dtype("int16", np.int16, _INT, True)
int32 = dtype("int32", np.int32, _INT, True)
int64 = dtype("int64", np.int64, _INT, True)
float16 = dtype("float16", np.float16, _FLOAT, True)
bfloat16 = dtype("bfloat16", _np_bfloat16, _FLOAT, True)
float32 = dtype("float32", np.float32, _FLOAT, True)
float64 = dtype("float64", np.float64, _FLOAT, True)
complex64 = dtype("complex64", np.complex64, _COMPLEX, True)
complex128 = dtype("complex128", np.complex128, _COMPLEX, True)

_SCALAR_TYPE_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
ALIASES = {
    "half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
    "cfloat": complex64, "cdouble": complex128,
}

_FROM_NP = {d._np: d for d in ALL_DTYPES}


def from_numpy_dtype(np_dtype):
    """The ember dtype of a backend dtype; TypeError for dtypes PyTorch has no counterpart of."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ) from None


# ---------------------------------------------------------------------------------------------------------
# default dtype

_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or d._category != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    _result_cache.clear()


def default_complex_dtype():
    return complex128 if _default[0] is float64 else complex64


# ---------------------------------------------------------------------------------------------------------
# promotion

_INT_ORDER = (int8, int16, int32, int64)
_FLOAT_RANK = {float16: 0, bfloat16: 0, float32: 1, float64: 2}


def _promote(a, b):
    """c10::promoteTypes for two dtypes."""
    if a is b:
        return a
    if a is bool:
        return b
    if b is bool:
        return a
    ca, cb = a._category, b._category
    if ca == _INT and cb == _INT:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a.itemsize > b.itemsize else b
    if ca < cb:
        a, b, ca, cb = b, a, cb, ca
    # now a has the higher category (float or complex)
    if cb == _INT:
        return a
    if ca == _FLOAT:  # both floating
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if _FLOAT_RANK[a] > _FLOAT_RANK[b] else b
    if cb == _COMPLEX:  # both complex
        return a if a.itemsize > b.itemsize else b
    # complex with floating: the wider of the two precisions
    return complex128 if (a is complex128 or b is float64) else complex64


def promote_types(type1, type2):
    if not isinstance(type1, dtype) or not isinstance(type2, dtype):
        raise TypeError(
            f"promote_types(): argument 'type1' must be torch.dtype, not {type(type1).__name__}"
            if not isinstance(type1, dtype)
            else f"promote_types(): argument 'type2' must be torch.dtype, not {type(type2).__name__}"
        )
    return _promote(type1, type2)


def _combine(higher, lower):
    """c10's combine_categories: `higher` comes from operands of higher priority."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._category == _COMPLEX:
        return higher
    if lower._category == _COMPLEX:
        return higher.to_complex() if higher._category == _FLOAT else lower
    if higher._category == _FLOAT:
        return higher
    if higher is bool or lower._category == _FLOAT:
        return _promote(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python number takes part in promotion with."""
    t = type(value)
    if t is builtins.bool:
        return bool
    if t is builtins.int:
        return int64
    if t is builtins.float:
        return _default[0]
    if t is builtins.complex:
        return default_complex_dtype()
    if isinstance(value, np.generic):  # NumPy scalars count as Python numbers, by their kind
        return scalar_dtype(value.item())
    raise TypeError(f"expected a Python number, got {t.__name__}")


_result_cache = {}


def result_dtype(dtypes_by_priority):
    """Promotion over operands given as (dtype, priority), priority 2 = dimensioned tensor, 1 = 0-dim
    tensor, 0 = Python scalar."""
    key = tuple(dtypes_by_priority)
    try:
        return _result_cache[key]
    except KeyError:
        pass
    best = [None, None, None]
    for d, prio in key:
        best[prio] = d if best[prio] is None else _promote(best[prio], d)
    out = _combine(best[2], _combine(best[1], best[0]))
    _result_cache[key] = out
    return out


def can_cast(from_, to):
    """PyTorch's can_cast: no casting to a lower category (float -> int, complex -> float, non-bool -> bool)."""
    if not isinstance(from_, dtype) or not isinstance(to, dtype):
        raise TypeError("can_cast(): argument 'from_' and 'to' must be torch.dtype")
    if from_._category == _COMPLEX and to._category != _COMPLEX:
        return False
    if from_._category == _FLOAT and to._category < _FLOAT:
        return False
    if from_ is not bool and to is bool:
        return False
    return True


# ---------------------------------------------------------------------------------------------------------
# finfo / iinfo


class finfo:
    """Machine limits of a floating dtype, as torch.finfo."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's name
        type = get_default_dtype() if type is None else type
        if not isinstance(type, dtype) or type._category < _FLOAT:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{getattr(type, '_name', type)}'")
        info = np.finfo(type.to_real()._np) if type is not bfloat16 else _bf16_finfo()
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)
        self.dtype = type.to_real()._name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


def _bf16_finfo():
    import ml_dtypes

    return ml_dtypes.finfo(ml_dtypes.bfloat16)


class iinfo:
    """Machine limits of an integer dtype, as torch.iinfo."""

    def __init__(self, type):  # noqa: A002
        if not isinstance(type, dtype) or type._category >= _FLOAT:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{getattr(type, '_name', type)}'")
        info = np.iinfo(type._np) if type is not bool else None
        self.bits = 8 if info is None else info.bits
        self.max = 1 if info is None else int(info.max)
        self.min = 0 if info is None else int(info.min)
        self.dtype = type._name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
