"""Samplers: the index streams a DataLoader draws from, with torch.utils.data.sampler's code paths (random ones
draw from ember's generators exactly where PyTorch draws from torch's)."""

import itertools
from typing import Generic, TypeVar

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses implement `__iter__` (indices or lists of indices) and may implement `__len__`.
    No default `__len__`, so `list(sampler)` falls back to iteration as with PyTorch."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _fresh_seed():
    """A seed drawn from the default generator as PyTorch's RandomSampler draws it:
    `int(torch.empty((), dtype=torch.int64).random_().item())`."""
    from ... import _dtype
    from ...ops.creation import empty

    return int(empty((), dtype=_dtype.int64).random_().item())


class RandomSampler(Sampler[int]):
    """A shuffled order (randperm per pass over the data), or `num_samples` indices drawn with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        # the dataset's size may change between epochs
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        # chain flattens the drawn lists in C: per index, no generator frame resumes (a tenth of an epoch of small
        # items went there). The draws stay lazy: the seed and each list are drawn when the first index of that
        # list is asked for, as PyTorch's generator function draws them.
        return itertools.chain.from_iterable(self._index_lists())

    def _index_lists(self):
        from ... import _dtype
        from ..._random import Generator
        from ...ops.random import randint, randperm

        n = len(self.data_source)
        if self.generator is None:
            generator = Generator()
            generator.manual_seed(_fresh_seed())
        else:
            generator = self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield randint(high=n, size=(32,), dtype=_dtype.int64, generator=generator).tolist()
            yield randint(high=n, size=(self.num_samples % 32,), dtype=_dtype.int64, generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield randperm(n, generator=generator).tolist()
            yield randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        return itertools.chain.from_iterable(self._index_lists())  # lazy draw, C-level flattening (see above)

    def _index_lists(self):
        from ...ops.random import randperm

        indices = self.indices
        yield [indices[i] for i in randperm(len(indices), generator=self.generator).tolist()]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """`num_samples` indices into `weights`, drawn with probabilities proportional to the weights."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        from ... import _dtype
        from ...ops.creation import as_tensor

        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = as_tensor(weights, dtype=_dtype.float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        from ...ops.random import multinomial

        drawn = multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Lists of `batch_size` indices from `sampler` (the last one shorter unless `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            # zip over one iterator repeated batch_size times yields full batches only
            for batch in zip(*[sampler_iter] * self.batch_size):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
