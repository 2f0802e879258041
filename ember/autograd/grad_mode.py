"""Grad modes: whether ops record the graph. Thread-local, as in PyTorch."""

import functools
import inspect
import threading


class _GradState(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False
        self.anomaly = False  # anomaly_mode.py: record forward stacks, check backward outputs for NaN
        self.anomaly_check_nan = True


state = _GradState()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _DecoratorContextManager:
    """A context manager that also works as a decorator (with or without parentheses), on functions and
    generators, entering a fresh copy of itself on every call."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise RuntimeError(f"{type(self).__name__} cannot be used to decorate a class")
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                value = None
                while True:
                    with self.clone():
                        try:
                            item = gen.send(value)
                        except StopIteration as stop:
                            return stop.value
                    value = yield item
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_DecoratorContextManager):
    """Disable graph recording inside the block."""

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):  # used as @no_grad without parentheses
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        self.prev = False

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class enable_grad(_DecoratorContextManager):
    """Enable graph recording inside the block (inside a no_grad block, say)."""

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        self.prev = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """set_grad_enabled(mode): takes effect at once when called, and restores the previous mode when used as
    a context manager's exit."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = state.enabled
        self.mode = mode
        state.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, fn):
        state.enabled = self.prev  # as a decorator it must not change the mode now
        return super().__call__(fn)

    def clone(self):
        return type(self)(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad, and tensors made inside are marked as inference tensors."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = mode
        self.prev = (True, False)

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev
        return False

    def clone(self):
        return type(self)(self.mode)
