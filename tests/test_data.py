"""ember.utils.data datasets, samplers and collation against torch.utils.data."""

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from data_fixtures import LIBS, both

import ember
import ember.utils.data as edata

# -----------------------------------------------------------------------------------------------------------
# datasets


class Squares:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


def test_tensor_dataset():
    def f(m, d):
        ds = d.TensorDataset(m.arange(12.).reshape(6, 2), m.arange(6))
        return [len(ds), ds[2], ds[-1], ds[1:3]]

    both(f)
    both(lambda m, d: d.TensorDataset(m.zeros(3), m.zeros(4)))  # AssertionError: size mismatch


def test_concat_dataset_and_add():
    def f(m, d):
        class A(d.Dataset):
            def __init__(self, lo, hi):
                self.r = list(range(lo, hi))

            def __len__(self):
                return len(self.r)

            def __getitem__(self, i):
                return self.r[i]

        ds = A(0, 3) + A(10, 12) + A(20, 24)
        return [type(ds).__name__, len(ds), [ds[i] for i in range(len(ds))], ds[-1], ds[-9], ds.cumulative_sizes]

    both(f)
    both(lambda m, d: d.ConcatDataset([]))
    both(lambda m, d: d.ConcatDataset([Squares(3)])[-4])
    both(lambda m, d: d.ConcatDataset([Squares(3), make_iterable(d, 0, 2)]))
    both(lambda m, d: d.IterableDataset())


def test_base_dataset_errors():
    both(lambda m, d: d.Dataset()[0])


def make_iterable(d, lo, hi, with_len=True):
    class Stream(d.IterableDataset):
        def __iter__(self):
            return iter(range(lo, hi))

    if with_len:
        Stream.__len__ = lambda self: hi - lo
    return Stream()


def test_chain_dataset():
    def f(m, d):
        a, b = make_iterable(d, 0, 3), make_iterable(d, 5, 7)
        chained = a + b
        return [type(chained).__name__, list(chained), len(chained), list(d.ChainDataset([a, b, a]))]

    both(f)
    both(lambda m, d: list(d.ChainDataset([make_iterable(d, 0, 2), Squares(3)])))
    both(lambda m, d: len(d.ChainDataset([make_iterable(d, 0, 2), Squares(3)])))


def test_subset():
    def f(m, d):
        base = d.TensorDataset(m.arange(10) * 3)
        sub = d.Subset(base, [7, 2, 5])
        return [len(sub), sub[0], sub[-1], sub.__getitems__([2, 0])]

    both(f)

    def override_only_getitem(m, d):
        class S(d.Subset):
            def __getitem__(self, i):
                return 0

        S(Squares(3), [0])

    both(override_only_getitem)


def test_stack_dataset():
    def f(m, d):
        a = d.TensorDataset(m.arange(4))
        b = Squares(4)
        tup = d.StackDataset(a, b)
        dic = d.StackDataset(x=a, y=b)
        return [len(tup), tup[1], dic[2], tup.__getitems__([3, 0]), dic.__getitems__([1, 2])]

    both(f)
    both(lambda m, d: d.StackDataset())
    both(lambda m, d: d.StackDataset(Squares(2), Squares(3)))
    both(lambda m, d: d.StackDataset(Squares(2), y=Squares(2)))


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0], [10], [4, 5], [0.2, 0.2]])
def test_random_split_lengths(lengths):
    def f(m, d):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = d.random_split(range(10), lengths, generator=m.Generator().manual_seed(0))
        return [[len(p) for p in parts], sorted(i for p in parts for i in p.indices),
                [str(w.message) for w in caught]]

    both(f)


def test_random_split_fraction_errors_and_determinism():
    both(lambda m, d: d.random_split(range(10), [1.2, -0.2]))
    a = edata.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    b = edata.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    assert [p.indices for p in a] == [p.indices for p in b]
    # default generator: seeded the same way, the same split
    ember.manual_seed(7)
    c = edata.random_split(range(20), [0.5, 0.5])
    ember.manual_seed(7)
    assert [p.indices for p in c] == [p.indices for p in edata.random_split(range(20), [0.5, 0.5])]


# -----------------------------------------------------------------------------------------------------------
# samplers


def test_sequential_and_batch_sampler():
    def f(m, d):
        seq = d.SequentialSampler(range(10))
        return [list(seq), len(seq), list(d.BatchSampler(seq, 3, False)), len(d.BatchSampler(seq, 3, False)),
                list(d.BatchSampler(seq, 3, True)), len(d.BatchSampler(seq, 3, True)),
                list(d.BatchSampler(range(4), 2, True)), list(d.BatchSampler([], 2, False))]

    both(f)
    for bad in [0, -1, 2.0, True]:
        both(lambda m, d: d.BatchSampler(range(3), bad, False))
    both(lambda m, d: d.BatchSampler(range(3), 2, 1))


def test_sampler_base():
    both(lambda m, d: iter(d.Sampler()))
    both(lambda m, d: list(d.Sampler()))


@pytest.mark.parametrize("replacement,num_samples", [(False, None), (False, 7), (False, 25), (True, None),
                                                     (True, 70), (True, 5)])
def test_random_sampler_lengths_and_coverage(replacement, num_samples):
    sampler = edata.RandomSampler(range(10), replacement, num_samples, generator=ember.Generator().manual_seed(1))
    tsampler = tdata.RandomSampler(range(10), replacement, num_samples, generator=torch.Generator().manual_seed(1))
    order = list(sampler)
    assert len(order) == len(sampler) == len(list(tsampler)) == len(tsampler)
    assert all(type(i) is int and 0 <= i < 10 for i in order)
    if not replacement:  # every full pass is a permutation
        n = len(order)
        for start in range(0, n - n % 10, 10):
            assert sorted(order[start:start + 10]) == list(range(10))
        assert len(set(order[n - n % 10:])) == n % 10
    again = list(edata.RandomSampler(range(10), replacement, num_samples, generator=ember.Generator().manual_seed(1)))
    assert again == order


def test_random_sampler_default_generator_draws_like_torch():
    # without a generator, each pass draws its seed from the default generator as torch does
    ember.manual_seed(5)
    s = edata.RandomSampler(range(50))
    first, second = list(s), list(s)
    assert first != second and sorted(first) == list(range(50))
    ember.manual_seed(5)
    assert list(s) == first
    ember.manual_seed(11)
    torch.manual_seed(11)
    list(edata.RandomSampler(range(5)))
    list(tdata.RandomSampler(range(5)))
    # the default generators advanced identically: the next draws agree
    assert ember.empty((), dtype=ember.int64).random_().item() == torch.empty((), dtype=torch.int64).random_().item()


def test_random_sampler_errors():
    both(lambda m, d: d.RandomSampler(range(3), replacement=1))
    both(lambda m, d: d.RandomSampler(range(3), num_samples=0))
    both(lambda m, d: d.RandomSampler(range(3), num_samples=2.5))
    both(lambda m, d: d.RandomSampler([]))


def test_subset_random_sampler():
    indices = [3, 9, 4, 11, 20]
    s = edata.SubsetRandomSampler(indices, generator=ember.Generator().manual_seed(0))
    order = list(s)
    assert len(s) == 5 and sorted(order) == sorted(indices)
    assert list(edata.SubsetRandomSampler(indices, generator=ember.Generator().manual_seed(0))) == order


def test_weighted_random_sampler():
    w = [0.0, 1.0, 0.0, 3.0, 0.0]
    s = edata.WeightedRandomSampler(w, 200, generator=ember.Generator().manual_seed(0))
    order = list(s)
    assert len(order) == len(s) == 200 and set(order) <= {1, 3}
    assert order.count(3) > order.count(1)
    s = edata.WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False, generator=ember.Generator().manual_seed(0))
    assert sorted(s) == [0, 1, 2, 3]
    assert str(s.weights.dtype) == str(tdata.WeightedRandomSampler([1, 2], 1).weights.dtype)
    both(lambda m, d: d.WeightedRandomSampler([1, 2], 0))
    both(lambda m, d: d.WeightedRandomSampler([1, 2], True))
    both(lambda m, d: d.WeightedRandomSampler([1, 2], 2, replacement="yes"))
    both(lambda m, d: d.WeightedRandomSampler([[1, 2]], 2))


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (2, 5, False),
                                                  (11, 4, True), (1, 3, False)])
def test_distributed_sampler_unshuffled_matches_torch(n, replicas, drop_last):
    def f(m, d):
        return [[list(s), len(s), s.total_size] for s in
                (d.DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
                 for r in range(replicas))]

    both(f)


def test_distributed_sampler_shuffle_and_epochs():
    samplers = [edata.DistributedSampler(range(10), 3, r, seed=4) for r in range(3)]
    epoch0 = [list(s) for s in samplers]
    flat = sorted(i for part in epoch0 for i in part)
    assert len(flat) == 12 and set(flat) == set(range(10))  # 2 padded indices repeat
    assert [list(s) for s in samplers] == epoch0  # same epoch, same order
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert epoch1 != epoch0 and set(i for part in epoch1 for i in part) == set(range(10))
    both(lambda m, d: d.DistributedSampler(range(4), 2, 2))
    both(lambda m, d: d.DistributedSampler(range(4), 2, -1))


# -----------------------------------------------------------------------------------------------------------
# collation


Point = collections.namedtuple("Point", "x y")


def batches(m):
    t = m.tensor
    return {
        "tensors": [t([1, 2]), t([3, 4])],
        "int_tensors_0d": [t(1), t(2), t(3)],
        "floats": [1.5, 2.0],
        "float64_precision": [0.15270061183021355, 1 / 3, 1e300],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "int_then_float": [1, 2.5],
        "float_then_int": [2.5, 1],
        "strings": ["a", "b"],
        "bytes": [b"a", b"b"],
        "np_str": [np.str_("a"), np.str_("b")],
        "np_arrays": [np.array([1, 2]), np.array([3, 4])],
        "np_float32_arrays": [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
        "np_scalars": [np.float32(1), np.float32(2)],
        "np_int_scalars": [np.int16(1), np.int16(2)],
        "np_bools": [np.bool_(True), np.bool_(False)],
        "tuples": [(1, "a", 2.0), (2, "b", 3.0)],
        "lists": [[1, 2], [3, 4]],
        "dicts": [{"a": 1, "b": t([1.0])}, {"a": 2, "b": t([2.0])}],
        "ordered": [collections.OrderedDict(z=1, a=2), collections.OrderedDict(z=3, a=4)],
        "namedtuples": [Point(1, t(1.0)), Point(2, t(2.0))],
        "nested": [{"p": (t([1]), [1.0, {"q": "s"}])}, {"p": (t([2]), [2.0, {"q": "r"}])}],
        "mixed_dtypes": [t([1], dtype=m.int32), t([1.5])],
    }


@pytest.mark.parametrize("name", list(batches(ember)))
def test_default_collate_matches_torch(name):
    both(lambda m, d: d.default_collate(batches(m)[name]))


@pytest.mark.parametrize("name", list(batches(ember)))
def test_default_convert_matches_torch(name):
    both(lambda m, d: [d.default_convert(x) for x in batches(m)[name]])
    both(lambda m, d: d.default_convert(batches(m)[name]))


def test_collate_errors():
    both(lambda m, d: d.default_collate([m.zeros(3), m.zeros(4)]))
    both(lambda m, d: d.default_collate([object(), object()]))
    both(lambda m, d: d.default_collate([None, None]))
    both(lambda m, d: d.default_collate([np.array(["a"]), np.array(["b"])]))
    both(lambda m, d: d.default_collate([np.array([object()])]))
    both(lambda m, d: d.default_collate([[1, 2], [3]]))
    e, _ = both(lambda m, d: d.default_collate([m.zeros(3), m.zeros(4)]))
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[3\] at entry 0 "
                                           r"and \[4\] at entry 1"):
        edata.default_collate([ember.zeros(3), ember.zeros(4)])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        edata.default_collate([object()])


def fast_path_batches(m):
    """Batches that reach or just miss default_collate's same-shape fast path."""
    base = m.arange(24.0).reshape(2, 3, 4)
    return {
        "same_shape": [m.arange(12.0).reshape(3, 4) + i for i in range(5)],
        "noncontiguous": [base[0].t(), base[1].t(), m.arange(24.0).reshape(4, 6)[:, ::2]],
        "first_dim_ragged_same_total": [m.zeros(2, 3), m.zeros(4, 3), m.zeros(3, 3), m.zeros(3, 3)],
        "other_dim_ragged": [m.zeros(3, 2), m.zeros(3, 4)],
        "ndim_differs": [m.zeros(3), m.zeros(3, 1)],
        "dtypes_differ": [m.zeros(3), m.zeros(3, dtype=m.float64)],
        "int_dtypes_differ": [m.zeros(3, dtype=m.int8), m.zeros(3, dtype=m.int64)],
        "zero_sized": [m.zeros(0, 2), m.zeros(0, 2)],
        "bool": [m.tensor([True, False]), m.tensor([False, False])],
        "ints_big": [2**62, -(2**63), 5],
        "ints_overflow": [1, 2**63],
        "int_and_bool": [1, True],
    }


@pytest.mark.parametrize("name", list(fast_path_batches(ember)))
def test_default_collate_fast_paths_match_torch(name):
    both(lambda m, d: d.default_collate(fast_path_batches(m)[name]))


def test_default_collate_stack_keeps_grad_and_subclass_paths():
    for m, d in LIBS:
        a, b = m.ones(2, requires_grad=True), m.zeros(2)
        out = d.default_collate([a, b])
        assert type(out.grad_fn).__name__ == "StackBackward0"
        out.sum().backward()
        assert a.grad.tolist() == [1.0, 1.0]
        p = m.nn.Parameter(m.ones(2))
        assert type(d.default_collate([p, p]).grad_fn).__name__ == "StackBackward0"
    out = edata.default_collate([ember.ones(2), ember.ones(2)])
    out[0, 0] = 5.0  # a new array: the items are not written through
    assert out.is_contiguous() and out.tolist() == [[5.0, 1.0], [1.0, 1.0]]


def test_collate_custom_map():
    from ember.utils.data._collate import collate, default_collate_fn_map

    def collate_str(batch, *, collate_fn_map=None):
        return "|".join(batch)

    out = collate([("a", 1), ("b", 2)], collate_fn_map={**default_collate_fn_map, str: collate_str})
    assert out[0] == "a|b" and out[1].tolist() == [1, 2]


def test_package_surface():
    assert sorted(n for n in tdata.__all__ if not any(k in n for k in ("Pipe", "pipe", "DataChunk", "validation",
                                                                       "determinism", "non_det"))) == sorted(
        edata.__all__)
    import importlib

    assert importlib.import_module("ember.utils").data is edata
