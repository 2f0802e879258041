"""The differential harness: run one callable with ember and with torch, compare what comes out.

    compare(lambda m: m.tensor([1, 2]) + 1)                     # m is the ember or the torch module
    compare(lambda m, x: x.sum(0), np.ones((2, 3)))             # NumPy inputs become tensors of each library
    compare(lambda m, x: x[5], np.ones(3), message=True)        # both must raise the same type (and message)

Values are compared with torch.testing.assert_close (its default tolerances per dtype, NaN equal to NaN),
after checking that shapes and dtypes agree exactly. Errors must have the same exception type; with
`message=True` the messages must match too (or with `message="some words"`, both must contain them).
"""

import numpy as np
import torch

import ember

BF16 = ember.bfloat16._np


def to_torch_dtype(d):
    return getattr(torch, d._name)


def to_ember_dtype(d):
    return getattr(ember, str(d).removeprefix("torch."))


def tensor_of(m, arr, requires_grad=False):
    """A tensor of library `m` holding a copy of NumPy array `arr` (any ember dtype, bfloat16 included).

    Non-contiguous arrays stay non-contiguous (same strides) so ops see the layout the test asked for."""
    arr = np.asarray(arr)
    if arr.flags.c_contiguous:
        t = ember.from_numpy(arr.copy()) if m is ember else _torch_from_numpy(arr.copy())
    else:
        t = _same_layout(m, arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _torch_from_numpy(arr):
    if arr.dtype == BF16:
        return torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(arr)


def _same_layout(m, arr):
    """A strided view in library m with arr's shape and strides (built from a copy of arr's full buffer)."""
    base = arr
    while isinstance(base.base, np.ndarray):
        base = base.base
    offset = (arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // arr.itemsize
    flat = np.array(base).reshape(-1)
    t = ember.from_numpy(flat) if m is ember else _torch_from_numpy(flat)
    strides = tuple(s // arr.itemsize for s in arr.strides)
    return t.as_strided(arr.shape, strides, offset) if m is torch else ember.as_strided(t, arr.shape, strides, offset)


def noncontiguous(arr):
    """The same values as `arr` laid out non-contiguously (every other element of a wider buffer)."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return arr
    wide = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), arr.dtype)
    wide[..., ::2] = arr
    return wide[..., ::2]


def to_numpy(t):
    """ember or torch tensor -> NumPy array (bfloat16 as ml_dtypes' bfloat16)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(BF16)
        return t.resolve_conj().numpy()
    return t.detach().numpy()


def ember_to_torch(t):
    arr = to_numpy(t)
    if arr.dtype == BF16:
        return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.array(arr))


def assert_same(actual, expected, path="result", rtol=None, atol=None, check_stride=False):
    """Recursively compare an ember result with a torch result."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, ember.Tensor), f"{path}: expected a Tensor, got {type(actual).__name__}"
        assert tuple(actual.shape) == tuple(expected.shape), \
            f"{path}: shape {tuple(actual.shape)} != torch's {tuple(expected.shape)}"
        assert str(actual.dtype) == str(expected.dtype), f"{path}: dtype {actual.dtype} != torch's {expected.dtype}"
        assert actual.requires_grad == expected.requires_grad, f"{path}: requires_grad differs"
        if check_stride:
            assert actual.stride() == expected.stride(), f"{path}: stride {actual.stride()} != {expected.stride()}"
        torch.testing.assert_close(ember_to_torch(actual), expected.detach().resolve_conj(), equal_nan=True,
                                   rtol=rtol, atol=atol, msg=lambda m: f"{path}: {m}")
    elif isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{path}: expected a sequence, got {type(actual).__name__}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != torch's {len(expected)}"
        if hasattr(expected, "_fields"):  # named tuples (values, indices) keep their field names
            assert getattr(actual, "_fields", None) == expected._fields, f"{path}: fields differ"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{i}]", rtol, atol, check_stride)
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), f"{path}: keys differ"
        for k in expected:
            assert_same(actual[k], expected[k], f"{path}[{k!r}]", rtol, atol, check_stride)
    elif isinstance(expected, torch.dtype):
        assert str(actual) == str(expected), f"{path}: {actual} != {expected}"
    elif isinstance(expected, torch.Size):
        assert isinstance(actual, ember.Size) and tuple(actual) == tuple(expected), f"{path}: {actual} != {expected}"
    elif isinstance(expected, float) and expected != expected:
        assert isinstance(actual, float) and actual != actual, f"{path}: {actual!r} != nan"
    elif isinstance(expected, float):
        assert type(actual) is float, f"{path}: expected float, got {type(actual).__name__}"
        assert actual == expected or abs(actual - expected) <= (atol or 1e-6) + (rtol or 1e-6) * abs(expected), \
            f"{path}: {actual!r} != {expected!r}"
    else:
        assert type(actual) is type(expected) and actual == expected, f"{path}: {actual!r} != torch's {expected!r}"


def run_both(fn, *arrays, requires_grad=False):
    """Call fn(module, *tensors) for torch then ember; returns ((torch_result, torch_exc), (ember_..., ...))."""
    out = []
    for m in (torch, ember):
        args = [tensor_of(m, a, requires_grad) if isinstance(a, np.ndarray) else a for a in arrays]
        try:
            out.append((fn(m, *args), None))
        except Exception as e:  # noqa: BLE001 - we compare exceptions too
            out.append((None, e))
    return out


def compare(fn, *arrays, message=False, rtol=None, atol=None, check_stride=False, requires_grad=False):
    """Assert that fn behaves the same with ember as with torch (result or exception)."""
    (expected, texc), (actual, eexc) = run_both(fn, *arrays, requires_grad=requires_grad)
    if texc is not None:
        assert eexc is not None, f"torch raised {type(texc).__name__}: {texc}; ember returned {actual!r}"
        assert isinstance(eexc, _torch_exc_type(texc)), \
            f"torch raised {type(texc).__name__}: {texc}; ember raised {type(eexc).__name__}: {eexc}"
        if message is True:
            assert str(eexc).strip() == str(texc).strip(), f"message differs:\n ember: {eexc}\n torch: {texc}"
        elif isinstance(message, str):
            assert message in str(eexc) and message in str(texc), f"ember: {eexc}\ntorch: {texc}"
        return None
    if eexc is not None:
        raise AssertionError(f"ember raised {type(eexc).__name__}: {eexc}; torch returned {expected!r}") from eexc
    assert_same(actual, expected, rtol=rtol, atol=atol, check_stride=check_stride)
    return actual


def _torch_exc_type(e):
    """The builtin exception type ember should raise for a torch exception (torch's own subclasses map to
    their builtin base)."""
    for base in type(e).__mro__:
        if base.__module__ == "builtins":
            return base
    return type(e)


# dtypes and sample data ---------------------------------------------------------------------------------

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
              "complex64", "complex128"]
FLOAT_DTYPES = ["float16", "bfloat16", "float32", "float64"]
INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]


def np_dtype(name):
    return BF16 if name == "bfloat16" else np.dtype(name)


def sample(shape, dtype="float32", seed=0, low=-5, high=5):
    """Deterministic sample data of an ember dtype name, as a NumPy array."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in INT_DTYPES:
        lo = 0 if dtype == "uint8" else low
        return rng.integers(lo, high, size=shape).astype(dtype)
    vals = rng.uniform(low, high, size=shape)
    if dtype.startswith("complex"):
        vals = vals + 1j * rng.uniform(low, high, size=shape)
    return np.asarray(vals).astype(np_dtype(dtype))


# autograd ------------------------------------------------------------------------------------------------

def graph_signature(t):
    """(grad_fn name, [(next node name or None, input_nr), ...]) of a tensor, comparable across libraries."""
    fn = t.grad_fn
    if fn is None:
        return None
    return type(fn).__name__, [(None if n is None else type(n).__name__, nr) for n, nr in fn.next_functions]


def compare_grad(fn, *arrays, rtol=None, atol=None, check_graph=True, seed=0):
    """fn(m, *tensors) -> a tensor (or tuple of tensors, the first is differentiated). Floating NumPy inputs
    become tensors that require grad; both libraries backpropagate the same random seed gradient. Compares
    the outputs, the grad_fn name and next_functions structure, and the gradient of every input."""
    results = []
    for m in (torch, ember):
        inputs = [tensor_of(m, a, requires_grad=np.asarray(a).dtype.kind in "fc") if isinstance(a, np.ndarray)
                  else a for a in arrays]
        out = fn(m, *inputs)
        first = out[0] if isinstance(out, (tuple, list)) else out
        seed_grad = sample(tuple(first.shape), str(first.dtype).removeprefix("torch."), seed=seed)
        first.backward(tensor_of(m, seed_grad))
        grads = [t.grad if isinstance(t, (torch.Tensor, ember.Tensor)) and t.requires_grad else None for t in inputs]
        results.append((out, graph_signature(first), grads))
    (t_out, t_sig, t_grads), (e_out, e_sig, e_grads) = results
    assert_same(e_out, t_out, "output", rtol, atol)
    if check_graph:
        assert e_sig == t_sig, f"graph {e_sig} != torch's {t_sig}"
    for i, (eg, tg) in enumerate(zip(e_grads, t_grads)):
        if tg is None:
            assert eg is None, f"input {i}: ember has a grad, torch has none"
        else:
            assert eg is not None, f"input {i}: ember has no grad"
            assert_same(eg, tg, f"grad of input {i}", rtol, atol)
