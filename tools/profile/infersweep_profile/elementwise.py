"""Element-wise operators of a layer (norms, rotary embedding, activation, residual add) and the
kernels that can run them.

Plain PyTorch runs some of them as several kernels (an RMSNorm in eager mode reads and writes
the activations several times); a serving engine runs one fused kernel each. Fused kernels are
used where an installed package provides them (vLLM's custom operators) and they pass a check
against an fp32 reference; otherwise eager PyTorch. Each kernel says whether it is a single
fused kernel, and meta.json's "elementwise_kernels" is "fused" only when every element-wise
operator ran one."""
from dataclasses import dataclass
from typing import Callable

from .checks import run_check

NORM_EPS = 1e-5
ROPE_BASE = 10000.0


@dataclass(frozen=True)
class ElementwiseKernel:
    name: str
    op: str  # rms_norm, layer_norm, rope, silu_and_mul, gelu_tanh, add
    fused: bool  # one kernel per call, as in a serving engine
    make: Callable  # make(torch, inputs) -> zero-argument callable returning the output


# ---- eager PyTorch ------------------------------------------------------------------------

def _eager_rms_norm(torch, t):
    x, w = t["x"], t["weight"]

    def call():
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + NORM_EPS)).to(x.dtype) * w
    return call


def _torch_rms_norm(torch, t):
    x, w = t["x"], t["weight"]
    return lambda: torch.nn.functional.rms_norm(x, (x.shape[-1],), w, NORM_EPS)


def _torch_layer_norm(torch, t):
    x, w, b = t["x"], t["weight"], t["bias"]
    return lambda: torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, NORM_EPS)


def _rotate(torch, x, cos, sin):
    """GPT-NeoX-style rotary embedding: the first and second halves of each head form the pairs."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def _eager_rope(torch, t):
    q, k, positions, cache = t["q"], t["k"], t["positions"], t["cos_sin_cache"]

    def call():
        cos, sin = cache.index_select(0, positions).unsqueeze(1).chunk(2, dim=-1)
        return _rotate(torch, q, cos, sin), _rotate(torch, k, cos, sin)
    return call


def _eager_silu_and_mul(torch, t):
    a = t["a"]

    def call():
        gate, up = a.chunk(2, dim=-1)
        return torch.nn.functional.silu(gate) * up
    return call


def _torch_gelu_tanh(torch, t):
    a = t["a"]
    return lambda: torch.nn.functional.gelu(a, approximate="tanh")


def _torch_add(torch, t):
    x, r = t["x"], t["residual"]
    return lambda: x + r


# ---- vLLM's fused custom operators (used only when they pass the reference check) ---------

def _vllm_ops():
    import vllm._custom_ops as ops  # noqa: F401 (registers torch.ops._C)
    return ops


def _vllm_rms_norm(torch, t):
    ops = _vllm_ops()
    x, w = t["x"], t["weight"]
    out = torch.empty_like(x)

    def call():
        ops.rms_norm(out, x, w, NORM_EPS)
        return out
    return call


def _vllm_rope(torch, t):
    ops = _vllm_ops()
    q, k, positions, cache = t["q"], t["k"], t["positions"], t["cos_sin_cache"]
    # In place, as in serving; repeated calls keep rotating the same tensors, which keeps
    # their magnitude (a rotation) and their cost.
    qf, kf = q.clone(), k.clone()
    head_dim = q.shape[-1]

    def call():
        ops.rotary_embedding(positions, qf, kf, head_dim, cache, True)
        return qf, kf
    return call


def _vllm_silu_and_mul(torch, t):
    _vllm_ops()
    a = t["a"]
    out = torch.empty(a.shape[:-1] + (a.shape[-1] // 2,), dtype=a.dtype, device=a.device)

    def call():
        torch.ops._C.silu_and_mul(out, a)
        return out
    return call


def _vllm_gelu_tanh(torch, t):
    _vllm_ops()
    a = t["a"]
    out = torch.empty_like(a)

    def call():
        torch.ops._C.gelu_new(out, a)
        return out
    return call


EAGER = {
    "rms_norm": [ElementwiseKernel("torch.rms_norm", "rms_norm", False, _torch_rms_norm),
                 ElementwiseKernel("eager_rms_norm", "rms_norm", False, _eager_rms_norm)],
    "layer_norm": [ElementwiseKernel("torch.layer_norm", "layer_norm", True, _torch_layer_norm)],
    "rope": [ElementwiseKernel("eager_rope", "rope", False, _eager_rope)],
    "silu_and_mul": [ElementwiseKernel("eager_silu_and_mul", "silu_and_mul", False, _eager_silu_and_mul)],
    "gelu_tanh": [ElementwiseKernel("torch.gelu_tanh", "gelu_tanh", True, _torch_gelu_tanh)],
    "add": [ElementwiseKernel("torch.add", "add", True, _torch_add)],
}
FUSED = {
    "rms_norm": [ElementwiseKernel("vllm.rms_norm", "rms_norm", True, _vllm_rms_norm)],
    "rope": [ElementwiseKernel("vllm.rotary_embedding", "rope", True, _vllm_rope)],
    "silu_and_mul": [ElementwiseKernel("vllm.silu_and_mul", "silu_and_mul", True, _vllm_silu_and_mul)],
    "gelu_tanh": [ElementwiseKernel("vllm.gelu_new", "gelu_tanh", True, _vllm_gelu_tanh)],
}
MODES = ("auto", "eager")


def candidates(mode, op):
    """Kernels for `op` in order of preference: fused ones first unless mode is 'eager'."""
    if mode not in MODES:
        raise ValueError(f"element-wise mode: expected one of {', '.join(MODES)}, got '{mode}'")
    return (FUSED.get(op, []) if mode == "auto" else []) + EAGER[op]


# ---- fp32 references ------------------------------------------------------------------------

def reference(torch, op, t):
    f = torch.nn.functional
    if op == "rms_norm":
        x = t["x"].float()
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * t["weight"].float()
    if op == "layer_norm":
        x = t["x"].float()
        return f.layer_norm(x, (x.shape[-1],), t["weight"].float(), t["bias"].float(), NORM_EPS)
    if op == "rope":
        cs = t["cos_sin_cache"].float()[t["positions"]]
        half = cs.shape[-1] // 2
        cos, sin = cs[:, None, :half], cs[:, None, half:]
        out = []
        for x in (t["q"].float(), t["k"].float()):
            x1, x2 = x[..., :half], x[..., half:]
            out.append(torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1))
        return _flat(torch, out)
    if op == "silu_and_mul":
        a = t["a"].float()
        half = a.shape[-1] // 2
        return f.silu(a[..., :half]) * a[..., half:]
    if op == "gelu_tanh":
        return f.gelu(t["a"].float(), approximate="tanh")
    if op == "add":
        return t["x"].float() + t["residual"].float()
    raise ValueError(f"no reference for element-wise operator '{op}'")


def _flat(torch, outputs):
    if isinstance(outputs, (tuple, list)):
        return torch.cat([o.reshape(-1) for o in outputs])
    return outputs


def rope_cache(torch, max_positions, head_dim, device, dtype):
    """cos | sin of each position's angles, [max_positions, head_dim] (the layout vLLM reads)."""
    inv_freq = 1.0 / (ROPE_BASE ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.outer(torch.arange(max_positions, dtype=torch.float32), inv_freq)
    return torch.cat((angles.cos(), angles.sin()), dim=-1).to(device=device, dtype=dtype)


def check_kernel(torch, kernel, inputs, dtype):
    """The kernel's output on `inputs` (fresh copies, so in-place kernels leave them alone)
    against the fp32 reference."""
    copies = {k: v.clone() for k, v in inputs.items()}
    ref = reference(torch, kernel.op, inputs)
    return run_check(torch, kernel.name, kernel.op, lambda: _flat(torch, kernel.make(torch, copies)()), ref, dtype)


def choose(torch, mode, op, inputs, dtype, log=None):
    """The first candidate for `op` that passes its check, and every check's result."""
    results = []
    for kernel in candidates(mode, op):
        result = check_kernel(torch, kernel, inputs, dtype)
        results.append(result)
        if result.passed:
            return kernel, results
        if log:
            log(f"element-wise kernel {kernel.name} not used: {result.detail}")
    return None, results
