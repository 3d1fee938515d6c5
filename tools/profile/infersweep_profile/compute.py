"""Profiling one model at one TP degree: every per-token operator over the token grid
(mlp.csv rows) and attention over the decode and prefill grids (attention.csv rows)."""
from dataclasses import dataclass, field
from typing import Callable, List

from . import attention, elementwise
from .checks import KernelRejected, random_normal
from .model_specs import shard as make_shard
from .timing import measure
from .token_ops import TokenOperators, elementwise_op, token_ops


@dataclass
class ProfileSettings:
    torch: object
    device: object
    dtype: object
    clock: object
    grid: object
    repetitions: int
    warmup: int
    rotate_bytes: int
    block_size: int
    elementwise_mode: str
    seed: int
    attention_kernels: List = field(default_factory=list)  # candidates in order of preference
    log: Callable = print
    progress: Callable = None  # progress(done, total, what)


@dataclass
class Measured:
    rows: list
    kernels: dict  # operator -> kernel name
    checks: list  # reference-check results (dicts)
    elementwise_fused: bool = True
    details: dict = field(default_factory=dict)  # kernel name -> what it is


def _generator(s, salt):
    g = s.torch.Generator(device=s.device)
    g.manual_seed(s.seed * 1000003 + salt)
    return g


def _choose_elementwise(s, model, shard, generator):
    """The kernel of each element-wise family the model uses, each checked on a few tokens."""
    families = sorted({elementwise_op(model, op) for op in token_ops(model)} - {None})
    probe = TokenOperators(s.torch, model, shard, s.device, s.dtype, 13, 0, generator, {}, with_weights=False)
    chosen, checks = {}, []
    for family in families:
        kernel, results = elementwise.choose(s.torch, s.elementwise_mode, family,
                                             probe.elementwise_inputs(family, 13), s.dtype, s.log)
        checks.extend(r.as_dict() for r in results)
        if kernel is None:
            raise KernelRejected(f"no kernel for {family} passed its fp32 reference check")
        chosen[family] = kernel
    return chosen, checks


class Progress:
    """Counts a unit's points for the progress callback."""

    def __init__(self, s, total):
        self.s, self.total, self.done = s, total, 0

    def advance(self, what):
        self.done += 1
        if self.s.progress:
            self.s.progress(self.done, self.total, what)


def unit_points(grid):
    return len(grid.num_tokens) + len(grid.decode_points()) + len(grid.prefill_points())


def profile_token_ops(s, model, tp, progress):
    """mlp.csv rows of `model` at TP `tp`: every per-token operator at every grid token count."""
    shard = make_shard(model, tp)
    gen = _generator(s, tp)
    family_kernels, checks = _choose_elementwise(s, model, shard, gen)
    ops = TokenOperators(s.torch, model, shard, s.device, s.dtype, max(s.grid.num_tokens), s.rotate_bytes, gen,
                         family_kernels)
    rows = []
    for n in s.grid.num_tokens:
        row = {}
        for op in token_ops(model):
            row.update(measure(s.clock, ops.calls(op, n), s.repetitions, s.warmup).columns(op))
        row.update(n_head=model.num_q_heads, n_kv_head=model.num_kv_heads, n_embd=model.hidden_size,
                   n_expanded_embd=model.mlp_hidden_size, vocab_size=model.vocab_size, use_gated_mlp=model.gated_mlp,
                   num_tokens=n, num_tensor_parallel_workers=tp)
        rows.append(row)
        progress.advance(f"mlp num_tokens {n}")
    kernels = ops.kernel_names()
    del ops
    _release(s)
    return Measured(rows, kernels, checks, all(k.fused for k in family_kernels.values()))


def profile_attention(s, model, tp, progress):
    """attention.csv rows of `model` at TP `tp`: decode and prefill attention with the first
    kernel that passes the fp32 reference check (KernelRejected if none does), and the
    kv-cache save of each row's new tokens."""
    shard = make_shard(model, tp)
    grid = s.grid
    gen = _generator(s, 7919 + tp)
    kernel, results = attention.choose(s.torch, s.attention_kernels, shard.q_heads, shard.kv_heads, shard.head_dim,
                                       s.device, s.dtype, gen, s.log)
    checks = [r.as_dict() for r in results]
    decode_points, prefill_points = grid.decode_points(), grid.prefill_points()
    max_save = max([b for b, _ in decode_points] + [c for c, _ in prefill_points])
    save = attention.KvCacheSave(s.torch, shard.kv_heads, shard.head_dim, s.block_size, max_save, s.device, s.dtype,
                                 gen)
    save.verify(min(max_save, 7))
    kernels = {"attn_decode": kernel.name, "attn_prefill": kernel.name, "attn_kv_cache_save": save.name}
    details = {kernel.name: kernel.describe(s.device, s.dtype), save.name: save.description}

    def base(batch, chunk, kv):
        return dict(n_embd=model.hidden_size, n_q_head=model.num_q_heads, n_kv_head=model.num_kv_heads,
                    block_size=s.block_size, num_tensor_parallel_workers=tp, max_model_len=grid.max_model_len,
                    batch_size=batch, prefill_chunk_size=chunk, kv_cache_size=kv, is_prefill=chunk > 0,
                    attention_backend=kernel.name, profile_method=s.clock.name)

    torch, d, hq, hkv = s.torch, shard.head_dim, shard.q_heads, shard.kv_heads

    def randn(count):
        return random_normal(torch, (count,), gen, s.device, s.dtype)

    def timed(call, op):
        return measure(s.clock, [call], s.repetitions, s.warmup).columns(op)

    rows = []
    # One flat buffer per tensor, viewed at each point's shape: no copies, no reallocation.
    max_b, max_kv = max(b for b, _ in decode_points), max(kv for _, kv in decode_points)
    k_buf, v_buf, q_buf = randn(max_b * hkv * max_kv * d), randn(max_b * hkv * max_kv * d), randn(max_b * hq * d)
    for b, kv in decode_points:
        n = b * hkv * kv * d
        q = q_buf[:b * hq * d].view(b, hq, 1, d)
        k, v = k_buf[:n].view(b, hkv, kv, d), v_buf[:n].view(b, hkv, kv, d)
        row = base(b, 0, kv)
        row.update(timed(kernel.decode(q, k, v), "attn_decode"))
        row.update(timed(save.call(b), "attn_kv_cache_save"))
        rows.append(row)
        progress.advance(f"decode batch {b} context {kv}")
    del k_buf, v_buf, q_buf

    max_total = max(c + kv for c, kv in prefill_points)
    max_chunk = max(c for c, _ in prefill_points)
    k_buf, v_buf, q_buf = randn(hkv * max_total * d), randn(hkv * max_total * d), randn(hq * max_chunk * d)
    for c, kv in prefill_points:
        n = hkv * (kv + c) * d
        q = q_buf[:hq * c * d].view(1, hq, c, d)
        k, v = k_buf[:n].view(1, hkv, kv + c, d), v_buf[:n].view(1, hkv, kv + c, d)
        row = base(1, c, kv)
        row.update(timed(kernel.prefill(q, k, v), "attn_prefill"))
        row.update(timed(save.call(c), "attn_kv_cache_save"))
        rows.append(row)
        progress.advance(f"prefill chunk {c} prefix {kv}")
    del k_buf, v_buf, q_buf, save
    _release(s)
    return Measured(rows, kernels, checks, details=details)


def _release(s):
    if s.device.type == "cuda":
        s.torch.cuda.empty_cache()
