"""DataParallel and its parts (scatter, replicate, parallel_apply, gather): one process, several devices.

ember computes on the CPU only, so, as PyTorch without CUDA, DataParallel then runs the wrapped module itself
(keeping the `module.` prefix of its state_dict keys). The multi-device path is written out anyway: it splits
the batch along `dim`, makes differentiable replicas of the module (their parameters are views of the
originals, so gradients flow back), runs them in threads and concatenates the outputs on `output_device`.
"""

import threading

from ..._device import device as _device
from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel", "scatter", "scatter_kwargs", "gather", "replicate", "parallel_apply"]


def _devices_available():
    from ... import cuda

    return cuda.device_count() if cuda.is_available() else 0


def _as_device(d):
    if isinstance(d, int):
        return _device("cuda", d)
    return _device(d)


class DataParallel(Module):
    """Split each batch across `device_ids`, run a replica of `module` on each part, gather the outputs."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if _devices_available() == 0:  # as PyTorch without CUDA: just the module
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(_devices_available()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_as_device(d) for d in device_ids]
        self.output_device = _as_device(output_device)
        self.src_device_obj = self.device_ids[0]

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        inputs, kwargs = scatter_kwargs(inputs, kwargs, self.device_ids, self.dim)
        if not inputs and not kwargs:
            inputs, kwargs = ((),), ({},)
        if len(self.device_ids) == 1:
            return self.module(*inputs[0], **kwargs[0])
        from ...autograd.grad_mode import is_grad_enabled

        replicas = replicate(self.module, self.device_ids[:len(inputs)], not is_grad_enabled())
        outputs = parallel_apply(replicas, inputs, kwargs, self.device_ids[:len(replicas)])
        return gather(outputs, self.output_device, dim=self.dim)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """DataParallel's forward as a function."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    module_kwargs = module_kwargs or {}
    if device_ids is None:
        if _devices_available() == 0:
            return module(*inputs, **module_kwargs)
        device_ids = list(range(_devices_available()))
    devices = [_as_device(d) for d in device_ids]
    output_device = devices[0] if output_device is None else _as_device(output_device)
    inputs, module_kwargs = scatter_kwargs(inputs, module_kwargs, devices, dim)
    if not inputs and not module_kwargs:
        inputs, module_kwargs = ((),), ({},)
    if len(devices) == 1:
        return module(*inputs[0], **module_kwargs[0])
    replicas = replicate(module, devices[:len(inputs)])
    outputs = parallel_apply(replicas, inputs, module_kwargs, devices[:len(replicas)])
    return gather(outputs, output_device, dim)


def scatter(inputs, target_gpus, dim=0):
    """Split the tensors in `inputs` into one chunk per device along `dim` (other objects are repeated)."""
    devices = [_as_device(d) for d in target_gpus]

    def split(obj):
        if isinstance(obj, Tensor):
            return [c.to(d) for c, d in zip(obj.chunk(len(devices), dim), devices)]
        if isinstance(obj, tuple) and obj:
            return list(zip(*map(split, obj)))
        if isinstance(obj, list) and obj:
            return [list(x) for x in zip(*map(split, obj))]
        if isinstance(obj, dict) and obj:
            return [type(obj)(x) for x in zip(*map(split, obj.items()))]
        return [obj for _ in devices]

    return split(inputs)


def scatter_kwargs(inputs, kwargs, target_gpus, dim=0):
    """scatter of positional and keyword arguments, padded to the same number of parts."""
    scattered_inputs = scatter(inputs, target_gpus, dim) if inputs else []
    scattered_kwargs = scatter(kwargs, target_gpus, dim) if kwargs else []
    if len(scattered_inputs) < len(scattered_kwargs):
        scattered_inputs.extend(() for _ in range(len(scattered_kwargs) - len(scattered_inputs)))
    elif len(scattered_kwargs) < len(scattered_inputs):
        scattered_kwargs.extend({} for _ in range(len(scattered_inputs) - len(scattered_kwargs)))
    return tuple(scattered_inputs), tuple(scattered_kwargs)


def gather(outputs, target_device, dim=0):
    """Concatenate the per-device outputs along `dim` on `target_device` (recursively in tuples, lists, dicts)."""
    from ...ops.shape import cat

    target = _as_device(target_device) if target_device != -1 else _device("cpu")

    def join(parts):
        first = parts[0]
        if isinstance(first, Tensor):
            if first.dim() == 0:  # scalars (a loss per replica) become a vector, as in PyTorch
                return cat([p.to(target).reshape(1) for p in parts])
            return cat([p.to(target) for p in parts], dim)
        if first is None:
            return None
        if isinstance(first, dict):
            if not all(len(first) == len(d) for d in parts):
                raise ValueError("All dicts must have the same number of keys")
            return type(first)((k, join([d[k] for d in parts])) for k in first)
        return type(first)(map(join, zip(*parts)))

    return join(outputs)


def replicate(network, devices, detach=False):
    """Copies of `network`, one per device, whose parameters are differentiable copies of the original ones."""
    devices = [_as_device(d) for d in devices]
    modules = list(network.modules())
    replicas = []
    for d in devices:
        copies = {}
        for m in modules:
            r = m.__new__(type(m))
            r.__dict__ = m.__dict__.copy()
            r._parameters = dict(m._parameters)
            r._buffers = dict(m._buffers)
            r._modules = dict(m._modules)
            copies[id(m)] = r
        for m in modules:
            r = copies[id(m)]
            for name, sub in m._modules.items():
                r._modules[name] = copies[id(sub)] if sub is not None else None
            for name, p in m._parameters.items():
                if p is None:
                    continue
                q = p.to(d) if p.device != d else p.view(p.shape)  # a view: its gradient reaches `p`
                r._parameters[name] = q.detach() if detach else q
            for name, b in m._buffers.items():
                if b is not None and b.device != d:
                    r._buffers[name] = b.to(d)
        replicas.append(copies[id(network)])
    return replicas


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """Run modules[i](*inputs[i], **kwargs_tup[i]) in threads; returns the outputs in order, re-raising errors."""
    if len(modules) != len(inputs):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the number of inputs "
                             f"{len(inputs)}")
    kwargs_tup = kwargs_tup if kwargs_tup is not None else ({},) * len(modules)
    from ...autograd.grad_mode import is_grad_enabled, set_grad_enabled

    grad_enabled = is_grad_enabled()
    results = [None] * len(modules)

    def work(i):
        try:
            with set_grad_enabled(grad_enabled):  # grad mode is per thread
                inp = inputs[i] if isinstance(inputs[i], (list, tuple)) else (inputs[i],)
                results[i] = modules[i](*inp, **kwargs_tup[i])
        except Exception as e:  # handed to the caller's thread below
            results[i] = _Failure(i, e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, len(modules))]
    for t in threads:
        t.start()
    if modules:
        work(0)
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, _Failure):
            raise r.error
    return results


class _Failure:
    def __init__(self, index, error):
        self.index, self.error = index, error
