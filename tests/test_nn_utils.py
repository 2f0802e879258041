"""ember.nn.utils against torch.nn.utils: gradient clipping, parameter vectors, weight/spectral norm,
parametrizations (state_dict keys, forward values and gradients with the same weights copied in)."""

import warnings

import numpy as np
import pytest
import torch
from harness import assert_same, compare, compare_grad, sample

import ember

GRAD_SHAPES = [(3, 4), (5,), (), (2, 3, 2)]


def _grads(seed=0, scale=3.0):
    return [sample(shape, seed=seed + i) * scale for i, shape in enumerate(GRAD_SHAPES)]


def _params_with_grads(m, grads, none_at=None):
    params = []
    for i, g in enumerate(grads):
        p = m.nn.Parameter(m.zeros(g.shape))
        p.grad = None if i == none_at else g.clone()
        params.append(p)
    return params


def _to_ember(t):
    return ember.from_numpy(t.detach().numpy().copy())


def _copy_torch_state(ember_module, torch_module):
    """Load the torch module's state_dict into the ember module (strict: the keys must match)."""
    state = {k: _to_ember(v) for k, v in torch_module.state_dict().items()}
    ember_module.load_state_dict(state)


# ---------------------------------------------------------------------------------------------------------
# clipping


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 0.5, 3])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("foreach", [None, False])
def test_clip_grad_norm(norm_type, max_norm, foreach):
    def fn(m, *grads):
        params = _params_with_grads(m, grads, none_at=1)
        total = m.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type, foreach=foreach)
        return [total] + [p.grad for p in params if p.grad is not None]

    compare(fn, *_grads())


def test_clip_grad_norm_single_tensor_and_float64():
    def fn(m, g):
        p = m.nn.Parameter(m.zeros(g.shape, dtype=m.float64))
        p.grad = g.clone()
        return m.nn.utils.clip_grad_norm_(p, 1.0), p.grad

    compare(fn, sample((4, 3), dtype="float64"))


def test_clip_grad_norm_nonfinite():
    grads = _grads()
    grads[0][0, 0] = np.inf

    def raising(m, *gs):
        return m.nn.utils.clip_grad_norm_(_params_with_grads(m, gs), 1.0, error_if_nonfinite=True)

    compare(raising, *grads, message=True)

    def lenient(m, *gs):
        params = _params_with_grads(m, gs)
        return [m.nn.utils.clip_grad_norm_(params, 1.0)] + [p.grad for p in params]

    compare(lenient, *grads)


def test_clip_grad_norm_empty():
    compare(lambda m: m.nn.utils.clip_grad_norm_([], 1.0))
    compare(lambda m: m.nn.utils.clip_grad_norm_([m.nn.Parameter(m.ones(2))], 1.0))  # no grads at all
    with pytest.warns(UserWarning, match="empty generator"):
        ember.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_after_backward():
    x = sample((8, 3))

    def fn(m, x):
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2)
        with m.no_grad():
            lin.weight.copy_(m.arange(6.0).reshape(2, 3) / 7)
            lin.bias.fill_(0.25)
        (lin(x) ** 2).sum().backward()
        total = m.nn.utils.clip_grad_norm_(lin.parameters(), max_norm=2.0)
        return total, lin.weight.grad, lin.bias.grad

    compare(fn, x)


def test_get_total_norm_and_clip_grads_with_norm():
    def fn(m, *grads):
        params = _params_with_grads(m, grads)
        total = m.nn.utils.get_total_norm([p.grad for p in params], norm_type=1.5)
        m.nn.utils.clip_grads_with_norm_(params, 2.0, total)
        return [total] + [p.grad for p in params]

    compare(fn, *_grads())
    compare(lambda m: m.nn.utils.get_total_norm([]))


@pytest.mark.parametrize("clip_value", [0.5, 2, 100.0])
def test_clip_grad_value(clip_value):
    def fn(m, *grads):
        params = _params_with_grads(m, grads, none_at=2)
        assert m.nn.utils.clip_grad_value_(params, clip_value) is None
        return [p.grad for p in params if p.grad is not None]

    compare(fn, *_grads())


# ---------------------------------------------------------------------------------------------------------
# parameter vectors


def test_parameters_to_vector_roundtrip():
    def fn(m, a, b):
        params = [m.nn.Parameter(a), m.nn.Parameter(b)]
        vec = m.nn.utils.parameters_to_vector(params)
        m.nn.utils.vector_to_parameters(vec * 2, params)
        return vec, params[0], params[1]

    compare(fn, sample((3, 4)), sample((5,), seed=1))


def test_parameters_to_vector_grad():
    def fn(m, a, b):
        vec = m.nn.utils.parameters_to_vector([a, b])
        (vec * m.arange(float(vec.numel()))).sum().backward()
        return a.grad, b.grad

    compare(fn, sample((2, 3)), sample((4,), seed=1), requires_grad=True)


def test_vector_to_parameters_type_error():
    compare(lambda m: m.nn.utils.vector_to_parameters([1.0, 2.0], [m.nn.Parameter(m.ones(2))]), message=True)


# ---------------------------------------------------------------------------------------------------------
# hook-based weight_norm


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_hook(dim):
    # float64: v's gradient subtracts two nearly equal terms, so float32 rounding in the convolution's weight
    # gradient (BLAS summation order) can move a single element by 1e-3 relative
    x = sample((5, 3, 6, 6), "float64")

    def fn(m, x):
        m.manual_seed(0)
        conv = m.nn.Conv2d(3, 4, 3, dtype=m.float64)
        with m.no_grad():
            conv.weight.copy_(m.linspace(-1, 1, conv.weight.numel()).reshape(conv.weight.shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            m.nn.utils.weight_norm(conv, dim=dim)
        keys = list(conv.state_dict().keys())
        shapes = [tuple(v.shape) for v in conv.state_dict().values()]
        out = conv(x)
        out.square().sum().backward()
        g_grad, v_grad = conv.weight_g.grad, conv.weight_v.grad
        m.nn.utils.remove_weight_norm(conv)
        return keys, shapes, out, g_grad, v_grad, conv.weight, list(conv.state_dict().keys())

    compare(fn, x, atol=1e-9, rtol=1e-9)


def test_weight_norm_hook_errors():
    def twice(m):
        lin = m.nn.Linear(2, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            m.nn.utils.weight_norm(lin)
            m.nn.utils.weight_norm(lin)

    compare(twice, message=True)
    compare(lambda m: m.nn.utils.remove_weight_norm(m.nn.Linear(2, 3)), message="weight_norm of 'weight' not found")
    with pytest.warns(FutureWarning, match="deprecated"):
        ember.nn.utils.weight_norm(ember.nn.Linear(2, 3))


# ---------------------------------------------------------------------------------------------------------
# hook-based spectral_norm


@pytest.mark.parametrize("make", [lambda m: m.nn.Linear(6, 4), lambda m: m.nn.Conv2d(3, 5, 3),
                                  lambda m: m.nn.ConvTranspose2d(3, 5, 3)])
def test_spectral_norm_hook_matches_torch(make):
    torch.manual_seed(0)
    tmod = torch.nn.utils.spectral_norm(make(torch))
    emod = ember.nn.utils.spectral_norm(make(ember))
    tkeys = list(tmod.state_dict().keys())
    assert list(emod.state_dict().keys()) == tkeys == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert [tuple(v.shape) for v in emod.state_dict().values()] == [tuple(v.shape) for v in tmod.state_dict().values()]
    assert tmod.state_dict()._metadata[""]["spectral_norm"] == emod.state_dict()._metadata[""]["spectral_norm"]
    _copy_torch_state(emod, tmod)
    x = sample((2, 6)) if isinstance(tmod, torch.nn.Linear) else sample((2, 3, 5, 5))
    for _ in range(3):  # training: each forward runs one power iteration step
        tout, eout = tmod(torch.from_numpy(x)), emod(ember.from_numpy(x))
        assert_same(eout, tout, atol=1e-5, rtol=1e-4)
    assert_same(emod.weight_u, tmod.weight_u, atol=1e-5, rtol=1e-4)
    tout.sum().backward()
    eout.sum().backward()
    assert_same(emod.weight_orig.grad, tmod.weight_orig.grad, atol=1e-4, rtol=1e-4)
    emod.eval()
    u_before = emod.weight_u.clone()
    emod(ember.from_numpy(x))
    assert ember.equal(u_before, emod.weight_u)  # eval: no power iteration
    ember.nn.utils.remove_spectral_norm(emod)
    torch.nn.utils.remove_spectral_norm(tmod)
    assert list(emod.state_dict().keys()) == list(tmod.state_dict().keys())
    assert_same(emod.weight, tmod.weight, atol=1e-5, rtol=1e-4)


def test_spectral_norm_hook_normalizes():
    ember.manual_seed(1)
    lin = ember.nn.utils.spectral_norm(ember.nn.Linear(10, 7), n_power_iterations=5)
    for _ in range(10):
        lin(ember.ones(1, 10))
    sigma = np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1) < 1e-3


def test_spectral_norm_hook_errors():
    compare(lambda m: m.nn.utils.spectral_norm(m.nn.Linear(2, 3), n_power_iterations=0), message=True)

    def twice(m):
        lin = m.nn.utils.spectral_norm(m.nn.Linear(2, 3))
        m.nn.utils.spectral_norm(lin)

    compare(twice, message=True)
    compare(lambda m: m.nn.utils.remove_spectral_norm(m.nn.Linear(2, 3)), message="spectral_norm of 'weight' not")


# ---------------------------------------------------------------------------------------------------------
# parametrize


def _symmetric(m):
    class Symmetric(m.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def _scale(m):
    class Scale(m.nn.Module):
        def forward(self, X):
            return X * 2

    return Scale()


def test_register_parametrization_layout_and_values():
    x = sample((4, 3))

    def fn(m, x):
        lin = m.nn.Linear(3, 3)
        with m.no_grad():
            lin.weight.copy_(m.arange(9.0).reshape(3, 3))
            lin.bias.fill_(0.5)
        original = lin.weight
        m.nn.utils.parametrize.register_parametrization(lin, "weight", _symmetric(m))
        assert lin.parametrizations.weight.original is original  # the parameter keeps its identity
        m.nn.utils.parametrize.register_parametrization(lin, "weight", _scale(m))
        info = [type(lin).__name__, m.nn.utils.parametrize.is_parametrized(lin),
                m.nn.utils.parametrize.is_parametrized(lin, "weight"),
                m.nn.utils.parametrize.is_parametrized(lin, "bias"),
                m.nn.utils.parametrize.type_before_parametrizations(lin).__name__,
                list(lin.state_dict().keys()), [n for n, _ in lin.named_parameters()]]
        out = lin(x)
        out.sum().backward()
        return info, lin.weight, out, lin.parametrizations.weight.original.grad

    compare(fn, x)


def test_parametrization_assignment_and_removal():
    def fn(m, leave):
        lin = m.nn.Linear(3, 3)
        with m.no_grad():
            lin.weight.copy_(m.arange(9.0).reshape(3, 3))
        m.nn.utils.parametrize.register_parametrization(lin, "weight", _symmetric(m))
        lin.weight = m.ones(3, 3) * 4  # goes through right_inverse
        stored = lin.parametrizations.weight.original.clone()
        m.nn.utils.parametrize.remove_parametrizations(lin, "weight", leave_parametrized=leave)
        return (stored, lin.weight, type(lin).__name__, list(lin.state_dict().keys()),
                isinstance(lin.weight, m.nn.Parameter), hasattr(lin, "parametrizations"))

    compare(fn, True)
    compare(fn, False)


def test_parametrize_cached():
    calls = []

    class Counting(ember.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X + 1

    lin = ember.nn.Linear(2, 2)
    ember.nn.utils.parametrize.register_parametrization(lin, "weight", Counting())
    calls.clear()  # registration itself evaluates the parametrization once (its shape/dtype check)
    with ember.nn.utils.parametrize.cached():
        a, b = lin.weight, lin.weight
        assert a is b
    assert len(calls) == 1
    _ = lin.weight
    assert len(calls) == 2


def test_parametrize_errors():
    compare(lambda m: m.nn.utils.parametrize.register_parametrization(m.nn.Linear(2, 2), "nope", _scale(m)),
            message="does not have a parameter, a buffer, or a parametrized element with name 'nope'")
    compare(lambda m: m.nn.utils.parametrize.remove_parametrizations(m.nn.Linear(2, 2), "weight"),
            message="does not have a parametrization on weight")

    def shape_change(m):
        class Flat(m.nn.Module):
            def forward(self, X):
                return X.flatten()

        m.nn.utils.parametrize.register_parametrization(m.nn.Linear(2, 2), "weight", Flat())

    compare(shape_change, message=True)

    def no_inverse(m):
        lin = m.nn.utils.parametrize.register_parametrization(m.nn.Linear(2, 2), "weight", _scale(m))
        lin.weight = m.ones(2, 2)

    compare(no_inverse, message=True)


# ---------------------------------------------------------------------------------------------------------
# parametrizations.weight_norm / spectral_norm / orthogonal


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm(dim):
    x = sample((4, 5))

    def fn(m, x):
        lin = m.nn.Linear(5, 3)
        with m.no_grad():
            lin.weight.copy_(m.linspace(-2, 2, 15).reshape(3, 5))
            lin.bias.fill_(0.5)
        m.nn.utils.parametrizations.weight_norm(lin, dim=dim)
        state = lin.state_dict()
        out = lin(x)
        out.square().sum().backward()
        plist = lin.parametrizations.weight
        return (list(state.keys()), [tuple(v.shape) for v in state.values()], out, lin.weight,
                plist.original0.grad, plist.original1.grad)

    compare(fn, x, atol=1e-5, rtol=1e-5)


def test_parametrizations_weight_norm_loads_old_checkpoint():
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3))
    new = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(4, 3))
    new.load_state_dict({k: _to_ember(v) for k, v in old.state_dict().items()})
    x = sample((2, 4))
    assert_same(new(ember.from_numpy(x)), old(torch.from_numpy(x)), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("make", [lambda m: m.nn.Linear(6, 4), lambda m: m.nn.Conv1d(3, 5, 3),
                                  lambda m: m.nn.ConvTranspose1d(3, 5, 3)])
def test_parametrizations_spectral_norm(make):
    torch.manual_seed(0)
    tmod = torch.nn.utils.parametrizations.spectral_norm(make(torch))
    emod = ember.nn.utils.parametrizations.spectral_norm(make(ember))
    assert list(emod.state_dict().keys()) == list(tmod.state_dict().keys())
    assert [tuple(v.shape) for v in emod.state_dict().values()] == [tuple(v.shape) for v in tmod.state_dict().values()]
    _copy_torch_state(emod, tmod)
    x = sample((2, 6)) if isinstance(tmod, torch.nn.Linear) else sample((2, 3, 7))
    for _ in range(2):
        tout, eout = tmod(torch.from_numpy(x)), emod(ember.from_numpy(x))
        assert_same(eout, tout, atol=1e-5, rtol=1e-4)
    tout.sum().backward()
    eout.sum().backward()
    assert_same(emod.parametrizations.weight.original.grad, tmod.parametrizations.weight.original.grad,
                atol=1e-4, rtol=1e-4)
    emod.eval()
    tmod.eval()
    assert_same(emod(ember.from_numpy(x)), tmod(torch.from_numpy(x)), atol=1e-5, rtol=1e-4)


def test_parametrizations_spectral_norm_normalizes():
    ember.manual_seed(3)
    conv = ember.nn.utils.parametrizations.spectral_norm(ember.nn.Conv2d(4, 6, 3))
    w = conv.weight.detach().numpy().reshape(6, -1)
    assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1) < 1e-3


def test_parametrizations_spectral_norm_errors():
    compare(lambda m: m.nn.utils.parametrizations.spectral_norm(m.nn.Linear(2, 3), dim=2), message=True)
    compare(lambda m: m.nn.utils.parametrizations.spectral_norm(m.nn.Linear(2, 3), n_power_iterations=0),
            message=True)
    compare(lambda m: m.nn.utils.parametrizations.spectral_norm(m.nn.Linear(2, 3), "nope"), message="no parameter")


@pytest.mark.parametrize("shape,orthogonal_map", [((4, 4), None), ((5, 3), None), ((3, 5), None),
                                                  ((4, 4), "cayley"), ((5, 3), "matrix_exp"),
                                                  ((4, 4), "householder")])
def test_parametrizations_orthogonal(shape, orthogonal_map):
    torch.manual_seed(0)
    tmod = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(shape[1], shape[0]),
                                                      orthogonal_map=orthogonal_map)
    ember.manual_seed(0)
    emod = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(shape[1], shape[0]),
                                                      orthogonal_map=orthogonal_map)
    assert list(emod.state_dict().keys()) == list(tmod.state_dict().keys())
    assert [tuple(v.shape) for v in emod.state_dict().values()] == [tuple(v.shape) for v in tmod.state_dict().values()]
    w = emod.weight
    q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose((q.T @ q).detach().numpy(), np.eye(min(shape)), atol=1e-5)
    # same originals and base in, same orthogonal weight and gradients out
    _copy_torch_state(emod, tmod)
    with torch.no_grad():
        tmod.parametrizations.weight.original.add_(0.1 * torch.randn(shape))
    emod.parametrizations.weight.original.data = _to_ember(tmod.parametrizations.weight.original)
    assert_same(emod.weight, tmod.weight, atol=1e-5, rtol=1e-4)
    x = sample((2, shape[1]))
    tmod(torch.from_numpy(x)).square().sum().backward()
    emod(ember.from_numpy(x)).square().sum().backward()
    assert_same(emod.parametrizations.weight.original.grad, tmod.parametrizations.weight.original.grad,
                atol=1e-4, rtol=1e-4)


def test_orthogonal_errors():
    compare(lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(2, 2), orthogonal_map="qr"), message=True)

    def vector(m):
        mod = m.nn.Linear(2, 2)
        return m.nn.utils.parametrizations.orthogonal(mod, "bias")

    compare(vector, message=True)



def test_parametrized_module_deepcopy_and_pickle():
    import copy
    import pickle

    lin = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    twin = copy.deepcopy(lin)
    assert type(twin).__name__ == "ParametrizedLinear"
    assert ember.equal(twin.weight, lin.weight)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(lin)


# the graph weight norm records: ATen's fused node for the first or last dim, norm_except_dim's composite else
@pytest.mark.parametrize("dim", [0, 1, 2, 3, None, -1])
@pytest.mark.parametrize("parametrized", [False, True])
def test_weight_norm_records_torchs_graph(dim, parametrized):
    from test_autograd_graphs import graph_of

    graphs = []
    for m in (torch, ember):
        m.manual_seed(0)
        conv = m.nn.Conv2d(3, 4, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            if parametrized:
                conv = m.nn.utils.parametrizations.weight_norm(conv, dim=dim)
            else:
                m.nn.utils.weight_norm(conv, dim=dim)
        graphs.append(graph_of(conv(m.ones(1, 3, 5, 5))))
    assert graphs[1] == graphs[0]


@pytest.mark.parametrize("shape, g_shape, dim, dtype", [
    ((4, 3, 2, 2), (4, 1, 1, 1), 0, "float32"), ((5, 3), (1, 3), 1, "float32"), ((5, 3), (5, 1), 0, "float64"),
    ((4, 3, 2), (1, 3, 1), 1, "float64"), ((6,), (6,), 0, "float64"), ((4, 3), (4, 1), 0, "bfloat16")])
def test_weight_norm_primitive(shape, g_shape, dim, dtype):
    if dtype == "bfloat16":  # NumPy has no bfloat16 samples: cast inside (a ToCopy node before the fused one)
        compare_grad(lambda m, v, g: m._weight_norm(v.bfloat16(), g.bfloat16(), dim), sample(shape),
                     sample(g_shape, seed=1), rtol=2e-2, atol=2e-2, check_graph=False)
    else:
        compare_grad(lambda m, v, g: m._weight_norm(v, g, dim), sample(shape, dtype), sample(g_shape, dtype, seed=1))
    compare(lambda m, v: m.norm_except_dim(v, 2, dim), sample(shape))


@pytest.mark.parametrize("shape, g_shape, dim", [((4, 3, 2, 2), (4, 1, 1, 1), 0), ((5, 3), (1, 3), 1)])
def test_weight_norm_double_backward_treats_the_norms_as_constants_as_torch(shape, g_shape, dim):
    results = []
    for m in (torch, ember):
        v = m.tensor(sample(shape, "float64"), requires_grad=True)
        g = m.tensor(sample(g_shape, "float64", seed=1), requires_grad=True)
        w = m._weight_norm(v, g, dim)
        grad_v, grad_g = m.autograd.grad(w, (v, g), m.tensor(sample(shape, "float64", seed=2)), create_graph=True)
        (grad_v.pow(2).sum() + grad_g.pow(3).sum()).backward()
        results.append([t.detach().numpy() for t in (w, grad_v, grad_g, v.grad, g.grad)])
    for e, t in zip(results[1], results[0]):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)
