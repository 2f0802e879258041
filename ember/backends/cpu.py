"""torch.backends.cpu: which vector instruction set the kernels use."""


def get_cpu_capability():
    """The best of PyTorch's capability names this CPU supports (ember itself relies on NumPy's dispatch)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    if "avx512f" in flags and "avx512bw" in flags and "avx512vl" in flags and "avx512dq" in flags:
        return "AVX512"
    if "avx2" in flags:
        return "AVX2"
    return "DEFAULT"
