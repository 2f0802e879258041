"""Anomaly detection: record each node's forward stack, and stop a backward whose node returns NaN, naming
the node and the forward line that created it."""

import traceback
import warnings

from .grad_mode import state


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = (state.anomaly, state.anomaly_check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turns anomaly detection on or off at once; as a context manager, restores the previous mode on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev
        return False


def is_anomaly_enabled():
    return state.anomaly


def is_anomaly_check_nan_enabled():
    return state.anomaly_check_nan


def record_forward_stack(node):
    """Called by record() while anomaly mode is on: keep where the op ran (minus ember's own frames)."""
    frames = [f for f in traceback.extract_stack()[:-1] if "/ember/" not in f.filename.replace("\\", "/")]
    node.metadata["traceback_"] = "".join(traceback.format_list(frames))


def warn_forward_stack(node):
    stack = node.metadata.get("traceback_")
    if stack is not None:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{stack}",
                      stacklevel=2)


def check_nan(node, grad_inputs):
    for i, g in enumerate(grad_inputs):
        if g is not None and g._data.dtype.kind in "fc" and g._data.size and g.isnan().any().item():
            warn_forward_stack(node)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
