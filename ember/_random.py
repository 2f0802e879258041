"""Generator: PyTorch's CPU random generator, a 32-bit Mersenne Twister, over NumPy's `MT19937`.

PyTorch's CPU generator (aten CPUGeneratorImpl) is the standard mt19937 seeded with init_genrand on the low
32 bits of the seed, plus a one-value cache for Box-Muller normals. NumPy's `MT19937` bit generator produces
the same 32-bit words once its 624-word key and position are set, so every stream here starts from exactly
PyTorch's words; the distributions in `ops/random.py` turn words into values.

The state tensor has PyTorch's layout (5056 bytes, the `CPUGeneratorImplState` struct), so a state that
PyTorch produced can be set here and vice versa.
"""

import os

from ._backend import np
from ._device import CPU, as_device

DEFAULT_SEED = 67280421310721  # PyTorch's default_rng_seed_val: what a fresh torch.Generator() starts from
_N = 624  # words in the mt19937 state

# PyTorch's CPUGeneratorImplState: the legacy TH generator struct (initial seed, left, seeded, next, the state
# as 624 uint64, three doubles of a retired normal cache, a validity flag), then the float normal cache.
STATE_DTYPE = np.dtype({
    "names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho", "normal_is_valid",
              "next_float_normal", "next_float_normal_is_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _N), "<f8", "<f8", "<f8", "<i4", "<f4", "u1"],
    "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
    "itemsize": 5056,
})
STATE_SIZE = STATE_DTYPE.itemsize


def _seed_key(seed):
    """mt19937's init_genrand key for the low 32 bits of `seed` (NumPy's legacy seeding is that algorithm)."""
    return np.random.RandomState(seed & 0xFFFFFFFF).get_state(legacy=True)[1]


class _NoSeed(np.random.bit_generator.ISeedSequence):
    """A seed sequence of zeros: a new MT19937 is seeded over at once, so the 50 us of hashing that NumPy's
    SeedSequence spends on its first key would be wasted."""

    def generate_state(self, n_words, dtype=np.uint32):
        return np.zeros(n_words, dtype)


_NO_SEED = _NoSeed()


def _seed_bitgen(bitgen, seed):
    """Put `bitgen` at init_genrand(low 32 bits of seed), positioned to twist before its first word (PyTorch's
    engine right after seeding). MT19937's `_legacy_seeding` is exactly that and takes 1 us; where a NumPy lacks
    it, the key comes from RandomState (tests/test_random.py checks both against each other and torch)."""
    legacy = getattr(bitgen, "_legacy_seeding", None)
    if legacy is not None:
        legacy(seed & 0xFFFFFFFF)
    else:  # pragma: no cover - NumPy without the legacy seeding hook
        bitgen.state = {"bit_generator": "MT19937", "state": {"key": _seed_key(seed), "pos": _N}}


def _check_seed(seed, fn="manual_seed"):
    """A seed as PyTorch stores it: any int in [-2**63, 2**64), negative ones wrapped to uint64."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        if hasattr(seed, "__index__") and not isinstance(seed, bool):
            seed = seed.__index__()
        else:
            raise RuntimeError(f"{fn} expected a long, but got {type(seed).__name__}")
    if not -(2**63) <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


def _nondeterministic_seed():
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """torch.Generator for the CPU: manual_seed/seed/initial_seed, get_state/set_state, and the raw words the
    distributions consume (`_words`, `_words64`)."""

    __slots__ = ("_bitgen", "_np_gen", "_seed", "_seed_key", "_next_double_normal", "_next_float_normal",
                 "__weakref__")

    def __init__(self, device="cpu"):
        dev = as_device(device)
        if dev is not None and dev.type != "cpu":
            raise RuntimeError(f"ember: no {dev.type} generator (only the CPU backend exists)")
        self._bitgen = np.random.MT19937(_NO_SEED)
        self._np_gen = np.random.Generator(self._bitgen)
        self._set_seed(DEFAULT_SEED)

    @property
    def device(self):
        return CPU

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"

    # seeding -------------------------------------------------------------------------------------------------

    def _set_seed(self, seed):
        self._seed = seed
        self._seed_key = None  # computed when get_state needs it
        _seed_bitgen(self._bitgen, seed)
        self._next_double_normal = None
        self._next_float_normal = None

    def manual_seed(self, seed):
        self._set_seed(_check_seed(seed))
        return self

    def seed(self):
        """Seed from a non-deterministic source and return the seed."""
        seed = _nondeterministic_seed()
        self._set_seed(seed)
        return seed

    def initial_seed(self):
        return self._seed

    # state as PyTorch's byte tensor --------------------------------------------------------------------------

    def get_state(self):
        from ._tensor import _wrap

        inner = self._bitgen.state["state"]
        key, pos = inner["key"], int(inner["pos"])
        rec = np.zeros((), STATE_DTYPE)
        rec["seed"] = self._seed
        rec["seeded"] = 1
        rec["state"] = key
        if pos >= _N:
            # both mean "twist before the next word"; PyTorch says next=0 right after seeding, 624 after use
            rec["left"] = 1
            if self._seed_key is None:
                self._seed_key = _seed_key(self._seed)
            rec["next"] = 0 if np.array_equal(key, self._seed_key) else _N
        else:
            rec["left"] = _N + 1 - pos
            rec["next"] = pos
        if self._next_double_normal is not None:
            rec["normal_is_valid"] = 1
            rec["normal_y"] = self._next_double_normal
        if self._next_float_normal is not None:
            rec["next_float_normal_is_valid"] = 1
            rec["next_float_normal"] = self._next_float_normal
        return _wrap(np.frombuffer(rec.tobytes(), np.uint8).copy())

    def set_state(self, new_state):
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        arr = new_state._data
        if arr.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if arr.size != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG "
                               f"state size to be {arr.size}")
        rec = np.frombuffer(np.ascontiguousarray(arr).reshape(-1).tobytes(), STATE_DTYPE)[0]
        left, seeded, nxt = int(rec["left"]), int(rec["seeded"]), int(rec["next"]) & 0xFFFFFFFF
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = (rec["state"] & 0xFFFFFFFF).astype(np.uint32)  # PyTorch keeps the words as uint64
        self._seed = int(rec["seed"])
        self._seed_key = None
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N if left == 1 else nxt}}
        self._next_double_normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
        self._next_float_normal = float(rec["next_float_normal"]) if rec["next_float_normal_is_valid"] else None
        return self

    def __getstate__(self):
        return {"state": self.get_state()._data}

    def __setstate__(self, d):
        from ._tensor import _wrap

        self._bitgen = np.random.MT19937(_NO_SEED)
        self._np_gen = np.random.Generator(self._bitgen)
        self._set_seed(DEFAULT_SEED)
        self.set_state(_wrap(d["state"]))

    # raw words -----------------------------------------------------------------------------------------------

    def _words(self, n):
        """The next n 32-bit words of the stream (PyTorch's `random()`), as uint32.

        A full-range `integers` call hands out the bit generator's words unchanged, and is 3x faster than
        `random_raw`."""
        return self._np_gen.integers(0, 0xFFFFFFFF, size=n, dtype=np.uint32, endpoint=True)

    def _words64(self, n):
        """n 64-bit values, each from two consecutive words, the first as the high half (`random64()`)."""
        w = self._words(2 * n).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _numpy(self):
        """A NumPy Generator drawing from this stream, for distributions ember does not match bit for bit."""
        return self._np_gen


default_generator = Generator()
default_generator._set_seed(_nondeterministic_seed())  # PyTorch seeds its default generator nondeterministically


def manual_seed(seed):
    """Seed the default generator; returns it (torch.manual_seed, which takes int(seed) first)."""
    return default_generator.manual_seed(int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def check_generator(generator):
    """The generator to draw from: the default one for None, a TypeError for anything not a Generator."""
    if generator is None:
        return default_generator
    if type(generator) is not Generator and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator, not {type(generator).__name__}")
    return generator
