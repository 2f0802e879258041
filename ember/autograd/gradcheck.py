"""gradcheck / gradgradcheck: backward formulas checked against central finite differences.

The numerical Jacobian perturbs one input element at a time by +-eps; the analytical one runs one
vector-Jacobian product per output element. Inputs should be float64 (PyTorch warns otherwise, so do we).
"""

import warnings

from .._backend import np
from .._tensor import Tensor
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ (torch's class name)."""


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(func, inputs):
    out = func(*inputs)
    return _as_tuple(out)


def _differentiable_outputs(outs):
    return [o for o in outs if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobians(func, inputs, eps):
    """jac[i][j]: d output j / d input i, as an (input.numel(), output.numel()) array, for real outputs.

    A complex input z = x + iy is perturbed along x and along y separately; its column is ds/dx + i ds/dy
    (twice the conjugate Wirtinger derivative), which is what backward computes for a real output s."""
    with no_grad():
        outs = _floating(_outputs(func, inputs))
    result = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            result.append(None)
            continue
        is_complex = t.is_complex()
        cols = [np.zeros((t.numel(), o.numel()), dtype=np.complex128 if is_complex else np.float64) for o in outs]
        arr = t._data
        for k in range(t.numel()):
            idx = np.unravel_index(k, arr.shape)
            orig = arr[idx].copy()
            for step, weight in ((eps, 1), (eps * 1j, 1j)) if is_complex else ((eps, 1),):
                with no_grad():
                    arr[idx] = orig + step
                    plus = [o._data.astype(np.float64).reshape(-1) for o in _floating(_outputs(func, inputs))]
                    arr[idx] = orig - step
                    minus = [o._data.astype(np.float64).reshape(-1) for o in _floating(_outputs(func, inputs))]
                    arr[idx] = orig
                for j, (p, m) in enumerate(zip(plus, minus)):
                    cols[j][k] += weight * (p - m) / (2 * eps)
        result.append(cols)
    return result


def _floating(outs):
    return [o for o in outs if isinstance(o, Tensor) and (o.is_floating_point() or o.is_complex())]


def _analytical_jacobians(func, inputs):
    """The same layout as _numerical_jacobians, one backward per output element (outputs are real here)."""
    from .._tensor import _wrap
    from . import grad as autograd_grad

    with enable_grad():
        outs = _floating(_outputs(func, inputs))
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    jac = {id(t): [np.zeros((t.numel(), o.numel()), dtype=np.complex128 if t.is_complex() else np.float64)
                   for o in outs] for t in diff_inputs}
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for k in range(o.numel()):
            seed = np.zeros(o._data.shape, dtype=o._data.dtype)
            seed.reshape(-1)[k] = 1
            grads = autograd_grad(o, diff_inputs, _wrap(seed), retain_graph=True, allow_unused=True)
            for t, g in zip(diff_inputs, grads):
                if g is not None:
                    jac[id(t)][j][:, k] = g._data.reshape(-1)
    return [jac.get(id(t)) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]


def _real_and_imag_output(func):
    """func with real() / imag() applied to its complex outputs: torch checks each part as a real function."""
    from ..ops.pointwise import imag, real

    def apply_to_complex_outputs(part):
        def wrapped(*inputs):
            return tuple(part(o) if isinstance(o, Tensor) and o.is_complex() else o for o in _outputs(func, inputs))
        return wrapped

    return apply_to_complex_outputs(real), apply_to_complex_outputs(imag)


def _as_printed(jacobian):
    from .._tensor import _wrap

    return _wrap(jacobian)


def _check_real_outputs(func, inputs, eps, atol, rtol, complex_outputs=(), part="real"):
    """The slow-mode comparison of one real-valued function: None if it passes, else torch's message."""
    with enable_grad():
        differentiable = [o.requires_grad for o in _floating(_outputs(func, inputs))]
    numerical = _numerical_jacobians(func, inputs, eps)
    if not any(differentiable):  # then the function must not depend on its inputs at all
        for num in numerical:
            if num is not None and any(np.any(n != 0) for n in num):
                return "Numerical gradient for function expected to be zero"
        return None
    analytical = _analytical_jacobians(func, inputs)
    for i, (num, ana) in enumerate(zip(numerical, analytical)):
        if num is None:
            continue
        # outputs are numbered among the differentiable ones, as in torch
        pairs = [(n, a) for n, a, d in zip(num, ana, differentiable) if d]
        for j, (n, a) in enumerate(pairs):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                prefix = f"While considering the {part} part of complex outputs only, " if j in complex_outputs else ""
                return (f"{prefix}Jacobian mismatch for output {j} with respect to input {i},\n"
                        f"numerical:{_as_printed(n)}\nanalytical:{_as_printed(a)}\n")
    return None


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True if func's backward agrees with finite differences for every input that requires grad.

    Complex outputs are checked as torch does: once through their imaginary parts, then through their real
    parts, each a real-valued function of the (possibly complex) inputs."""
    inputs = _as_tuple(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype._name not in ("float64", "complex128"):
            warnings.warn(f"Input #{inputs.index(t)} requires gradient and is not a double precision floating point "
                          "or complex. This check will likely fail if all the inputs are not of double precision "
                          "floating point or complex. ", stacklevel=2)
    if not check_backward_ad:
        return True
    with enable_grad():
        outs = _floating(_outputs(func, inputs))
    complex_outputs = [j for j, o in enumerate([o for o in outs if o.requires_grad]) if o.is_complex()]
    if any(o.is_complex() for o in outs):
        real_fn, imag_fn = _real_and_imag_output(func)
        error = _check_real_outputs(imag_fn, inputs, eps, atol, rtol, complex_outputs, "imaginary") or \
            _check_real_outputs(real_fn, inputs, eps, atol, rtol, complex_outputs, "real")
    else:
        error = _check_real_outputs(func, inputs, eps, atol, rtol)
    if error is None:
        return True
    if raise_exception:
        raise GradcheckError(error)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the gradient itself: checks second derivatives through create_graph=True."""
    from .._tensor import _wrap
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    diff_positions = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _floating(_outputs(func, inputs))
        grad_outputs = tuple(_wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
                             for o in outs if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gouts = args[:n_in], args[n_in:]
        with enable_grad():  # the numerical Jacobian calls this under no_grad; the first gradients need a graph
            outs = [o for o in _floating(_outputs(func, ins)) if o.requires_grad]
            diff_inputs = [ins[i] for i in diff_positions]
            grads = autograd_grad(outs, diff_inputs, gouts, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
