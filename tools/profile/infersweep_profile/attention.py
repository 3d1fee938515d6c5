"""Attention kernels (decode and prefill), their fp32 reference check, and the kv-cache save.

Layouts: decode q [B, Hq, 1, D] against a contiguous cache k, v [B, Hkv, S, D], every request
at context S; prefill q [1, Hq, C, D] (a chunk of C new tokens) against k, v [1, Hkv, P + C, D]
(P cached tokens, then the chunk's own), causal with the diagonal aligned bottom-right: query i
sees keys 0 .. P + i. Query head h reads KV head h // (Hq / Hkv) (grouped-query attention).

A kernel's decode()/prefill() prepare everything outside the timed region (masks, expanded
heads) and return a zero-argument callable that computes the output. A decode output may come
in the kernel's own layout (query heads grouped by KV head, possibly strided);
decode_result() turns it into [B, Hq, 1, D] for the check, outside the timed region, so that
no copy is timed."""
import math

from .checks import KernelRejected, random_normal, run_check


class SdpaKernel:
    """torch.nn.functional.scaled_dot_product_attention (PyTorch >= 2.0), which dispatches to
    FlashAttention or memory-efficient attention on GPUs. Decode folds each KV head's query
    group into the query dimension, which is exact for one query per request and needs no
    copy of K/V. Prefill uses native GQA (enable_gqa, PyTorch >= 2.5) and the bottom-right
    causal bias (PyTorch >= 2.3) where the installed PyTorch has them; the portable variant
    uses neither (K/V expanded to the query heads before timing, a boolean mask), for
    PyTorch versions where their combination fails the check."""

    def __init__(self, torch, portable=False):
        self.torch = torch
        self.portable = portable
        self.name = "sdpa_portable" if portable else "sdpa"
        self.sdpa = getattr(torch.nn.functional, "scaled_dot_product_attention", None)
        self._native_gqa = None
        causal_lower_right = None
        if not portable:
            try:
                from torch.nn.attention.bias import causal_lower_right
            except ImportError:
                pass
        self.causal_lower_right = causal_lower_right

    def unavailable(self):
        if self.sdpa is None:
            return f"torch {self.torch.__version__} has no scaled_dot_product_attention"
        return None

    def native_gqa(self, device, dtype):
        if self.portable:
            return False
        if self._native_gqa is None:
            t = self.torch.zeros(1, 2, 1, 8, device=device, dtype=dtype)
            try:
                self.sdpa(t, t[:, :1], t[:, :1], enable_gqa=True)
                self._native_gqa = True
            except (TypeError, RuntimeError):
                self._native_gqa = False
        return self._native_gqa

    def describe(self, device, dtype):
        if self.unavailable():
            return self.unavailable()
        return ("scaled_dot_product_attention; prefill GQA " +
                ("native (enable_gqa)" if self.native_gqa(device, dtype) else "by K/V expanded before timing") +
                ", causal bottom-right " + ("bias" if self.causal_lower_right else "boolean mask"))

    def decode(self, q, k, v):
        b, hq, _, d = q.shape
        hkv = k.shape[1]
        grouped = q.reshape(b, hkv, hq // hkv, d)
        return lambda: self.sdpa(grouped, k, v)

    @staticmethod
    def decode_result(out, q_shape):
        return out.reshape(q_shape)

    def prefill(self, q, k, v):
        torch = self.torch
        chunk, total = q.shape[2], k.shape[2]
        prefix = total - chunk
        hq, hkv = q.shape[1], k.shape[1]
        extra = {}
        if hq != hkv:
            if self.native_gqa(q.device, q.dtype):
                extra["enable_gqa"] = True
            else:
                k = k.repeat_interleave(hq // hkv, dim=1)
                v = v.repeat_interleave(hq // hkv, dim=1)
        if prefix == 0:  # square: top-left and bottom-right alignment agree
            return lambda: self.sdpa(q, k, v, is_causal=True, **extra)
        if self.causal_lower_right is not None:
            mask = self.causal_lower_right(chunk, total)
        else:
            mask = allowed_keys(torch, chunk, total, q.device)
        return lambda: self.sdpa(q, k, v, attn_mask=mask, **extra)


class MatmulSoftmaxKernel:
    """Scores by matmul, softmax, weighted sum by matmul: any PyTorch (1.13 has no SDPA). Each
    KV head's query group is folded into the query rows, so K/V are read once per KV head."""
    name = "matmul_softmax"

    def __init__(self, torch):
        self.torch = torch

    def unavailable(self):
        return None

    def describe(self, device, dtype):
        return "torch.matmul + softmax + torch.matmul, grouped query heads, additive causal mask"

    def decode(self, q, k, v):
        torch = self.torch
        b, hq, _, d = q.shape
        hkv = k.shape[1]
        grouped = q.reshape(b, hkv, hq // hkv, d)
        kt = k.transpose(-1, -2)
        scale = 1.0 / math.sqrt(d)

        def call():
            p = torch.softmax(torch.matmul(grouped, kt) * scale, dim=-1)
            return torch.matmul(p, v)
        return call

    @staticmethod
    def decode_result(out, q_shape):
        return out.reshape(q_shape)

    def prefill(self, q, k, v):
        torch = self.torch
        _, hq, chunk, d = q.shape
        hkv, total = k.shape[1], k.shape[2]
        group = hq // hkv
        rows = q.reshape(hkv, group * chunk, d)
        kt, vv = k[0].transpose(-1, -2), v[0]
        bias = torch.zeros(chunk, total, device=q.device, dtype=q.dtype)
        bias.masked_fill_(~allowed_keys(torch, chunk, total, q.device), float("-inf"))
        scale = 1.0 / math.sqrt(d)

        def call():
            scores = (torch.matmul(rows, kt) * scale).view(hkv, group, chunk, total) + bias
            p = torch.softmax(scores, dim=-1).view(hkv, group * chunk, total)
            return torch.matmul(p, vv).view(1, hq, chunk, d)
        return call


def allowed_keys(torch, chunk, total, device):
    """[chunk, total] booleans: query i (at position total - chunk + i) may see key j."""
    prefix = total - chunk
    return torch.arange(total, device=device)[None, :] <= torch.arange(chunk, device=device)[:, None] + prefix


def default_kernels(torch):
    """Candidates in order of preference."""
    return [SdpaKernel(torch), SdpaKernel(torch, portable=True), MatmulSoftmaxKernel(torch)]


def reference(torch, q, k, v):
    """fp32 attention with K/V heads expanded and the causal limit set query by query; for decode
    (one query) every key is visible."""
    q, k, v = q.float(), k.float(), v.float()
    group = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    chunk, total = q.shape[2], k.shape[2]
    for i in range(chunk):
        scores[:, :, i, total - chunk + i + 1:] = float("-inf")
    return torch.matmul(torch.softmax(scores, dim=-1), v)


# Check cases: small but with a real prefix (a top-left mask differs there), grouped heads and
# the model's head dim, so that kernel restrictions on head dims show up too.
DECODE_CASE = (3, 37)  # batch, context
PREFILL_CASES = ((19, 0), (19, 23))  # chunk, cached prefix


def check(torch, kernel, q_heads, kv_heads, head_dim, device, dtype, generator):
    """Results of `kernel` against the reference on decode and prefill inputs."""
    def randn(*shape):
        return random_normal(torch, shape, generator, device, dtype)

    results = []
    b, s = DECODE_CASE
    q, k, v = randn(b, q_heads, 1, head_dim), randn(b, kv_heads, s, head_dim), randn(b, kv_heads, s, head_dim)
    results.append(run_check(torch, kernel.name, f"decode batch {b} context {s}",
                             lambda: kernel.decode_result(kernel.decode(q, k, v)(), q.shape),
                             reference(torch, q, k, v), dtype))
    for chunk, prefix in PREFILL_CASES:
        q = randn(1, q_heads, chunk, head_dim)
        k, v = randn(1, kv_heads, prefix + chunk, head_dim), randn(1, kv_heads, prefix + chunk, head_dim)
        results.append(run_check(torch, kernel.name, f"prefill chunk {chunk} prefix {prefix}",
                                 lambda: kernel.prefill(q, k, v)(), reference(torch, q, k, v), dtype))
    return results


def choose(torch, kernels, q_heads, kv_heads, head_dim, device, dtype, generator, log=None):
    """The first kernel that is available and passes every check, with all results; raises
    KernelRejected when none does, so no attention row is written."""
    results = []
    for kernel in kernels:
        reason = kernel.unavailable()
        if reason:
            if log:
                log(f"attention kernel {kernel.name} unavailable: {reason}")
            continue
        outcome = check(torch, kernel, q_heads, kv_heads, head_dim, device, dtype, generator)
        results.extend(outcome)
        if all(r.passed for r in outcome):
            return kernel, results
        failed = "; ".join(f"{r.case}: max error {r.max_error:.3g} {r.detail}" for r in outcome if not r.passed)
        if log:
            log(f"attention kernel {kernel.name} rejected by the fp32 reference check: {failed}")
    names = ", ".join(k.name for k in kernels) or "none"
    raise KernelRejected(f"no attention kernel passed the fp32 reference check for {q_heads} query heads, "
                         f"{kv_heads} KV heads, head dim {head_dim} ({names}); no attention rows written", results)


class KvCacheSave:
    """Writing new tokens' K and V into a paged cache at their slots (block * block_size +
    offset), as a serving engine does after the QKV projection: index_copy_ over a slot mapping."""
    name = "index_copy"
    description = "index_copy_ of the new tokens' K and V into a paged cache at random distinct slots"

    def __init__(self, torch, kv_heads, head_dim, block_size, max_tokens, device, dtype, generator):
        self.torch = torch
        blocks = 2 * math.ceil(max_tokens / block_size) + 1
        slots = blocks * block_size
        self.k_cache = torch.zeros(blocks, block_size, kv_heads, head_dim, device=device, dtype=dtype)
        self.v_cache = torch.zeros_like(self.k_cache)
        self.slots = torch.randperm(slots, generator=generator, device=device)[:max_tokens]
        self.new_k = random_normal(torch, (max_tokens, kv_heads, head_dim), generator, device, dtype)
        self.new_v = random_normal(torch, (max_tokens, kv_heads, head_dim), generator, device, dtype)

    def call(self, n):
        k_flat = self.k_cache.view(-1, *self.k_cache.shape[2:])
        v_flat = self.v_cache.view(-1, *self.v_cache.shape[2:])
        slots, k, v = self.slots[:n], self.new_k[:n], self.new_v[:n]

        def save():
            k_flat.index_copy_(0, slots, k)
            v_flat.index_copy_(0, slots, v)
        return save

    def verify(self, n):
        """After call(n)() the slots hold exactly the new tokens."""
        self.call(n)()
        k_flat = self.k_cache.view(-1, *self.k_cache.shape[2:])
        v_flat = self.v_cache.view(-1, *self.v_cache.shape[2:])
        slots = self.slots[:n]
        if not (self.torch.equal(k_flat[slots], self.new_k[:n]) and self.torch.equal(v_flat[slots], self.new_v[:n])):
            raise KernelRejected("kv-cache save: the cache slots do not hold the saved tokens")
