"""The per-token operators of one layer (mlp.csv): GEMMs over rotating weight copies, the
embedding lookup and the element-wise operators, for one model shard at any token count."""
import math

from . import elementwise
from .checks import random_normal

# Vidur's mlp.csv columns, in its order. post_attention_layernorm is left out for models
# without that norm (parallel attention/MLP blocks, as Vidur's phi-2 file).
TOKEN_OPS = ("emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj", "post_attention_layernorm",
             "mlp_up_proj", "mlp_act", "mlp_down_proj", "add")
GEMM_OPS = ("attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj")


def token_ops(model):
    return tuple(op for op in TOKEN_OPS if op != "post_attention_layernorm" or model.post_attention_norm)


def elementwise_op(model, op):
    """The element-wise kernel family an mlp.csv column runs, or None for GEMMs and the embedding."""
    return {
        "input_layernorm": model.norm,
        "post_attention_layernorm": model.norm,
        "attn_rope": "rope",
        "mlp_act": "silu_and_mul" if model.gated_mlp else "gelu_tanh",
        "add": "add",
    }.get(op)


def copies_for(one_copy_bytes, rotate_bytes):
    """How many copies of a weight make at least rotate_bytes, so that consecutive timed calls
    read weights no cache still holds (in serving, every layer's weights differ)."""
    return max(1, math.ceil(rotate_bytes / max(1, one_copy_bytes)))


class TokenOperators:
    """Weights and activations of one shard, sized for max_tokens; calls(op, n) gives the
    callables that time `op` at n tokens (several when its weights rotate)."""

    def __init__(self, torch, model, shard, device, dtype, max_tokens, rotate_bytes, generator, elementwise_kernels,
                 with_weights=True):
        self.torch = torch
        self.model = model
        self.shard = shard
        self.kernels = elementwise_kernels  # element-wise family -> ElementwiseKernel
        s = shard
        qkv_width = (s.q_heads + 2 * s.kv_heads) * s.head_dim
        element = torch.tensor([], dtype=dtype).element_size()

        def randn(*shape, scale=1.0):
            # Random, not constant, values: a GEMM over zeros draws less power and can run faster.
            return random_normal(torch, shape, generator, device, dtype) * scale

        def weights(rows, cols):
            # Weights as nn.Linear holds them, [out, in]; scaled so activations stay O(1).
            return [randn(rows, cols, scale=cols ** -0.5) for _ in range(copies_for(rows * cols * element,
                                                                                      rotate_bytes))]

        self.weights = {} if not with_weights else {
            "emb": weights(s.vocab, s.hidden),
            "attn_pre_proj": weights(qkv_width, s.hidden),
            "attn_post_proj": weights(s.hidden, s.q_heads * s.head_dim),
            "mlp_up_proj": weights(s.up_width, s.hidden),
            "mlp_down_proj": weights(s.hidden, s.mlp_width),
        }
        n = max_tokens
        self.x = randn(n, s.hidden)
        self.residual = randn(n, s.hidden)
        self.attn_out = randn(n, s.q_heads * s.head_dim)
        self.mlp_in = randn(n, s.up_width)
        self.mlp_mid = randn(n, s.mlp_width)
        self.q = randn(n, s.q_heads, s.head_dim)
        self.k = randn(n, s.kv_heads, s.head_dim)
        self.token_ids = torch.randint(0, s.vocab, (n,), generator=generator, device=device)
        self.positions = torch.arange(n, device=device) % model.max_position_embeddings
        self.cos_sin_cache = elementwise.rope_cache(torch, min(n, model.max_position_embeddings), s.head_dim,
                                                    device, dtype)
        self.norm_weight = (1 + randn(s.hidden, scale=0.1))
        self.norm_bias = randn(s.hidden, scale=0.1)

    def elementwise_inputs(self, family, n):
        if family in ("rms_norm", "layer_norm"):
            return {"x": self.x[:n], "weight": self.norm_weight, "bias": self.norm_bias}
        if family == "rope":
            return {"q": self.q[:n], "k": self.k[:n], "positions": self.positions[:n],
                    "cos_sin_cache": self.cos_sin_cache}
        if family in ("silu_and_mul", "gelu_tanh"):
            return {"a": self.mlp_in[:n]}
        if family == "add":
            return {"x": self.x[:n], "residual": self.residual[:n]}
        raise ValueError(f"unknown element-wise operator '{family}'")

    def calls(self, op, n):
        torch = self.torch
        linear = torch.nn.functional.linear
        if op == "emb":
            ids = self.token_ids[:n]
            return [lambda w=w: torch.nn.functional.embedding(ids, w) for w in self.weights["emb"]]
        inputs = {"attn_pre_proj": self.x, "attn_post_proj": self.attn_out, "mlp_up_proj": self.x,
                  "mlp_down_proj": self.mlp_mid}
        if op in inputs:
            x = inputs[op][:n]
            return [lambda w=w: linear(x, w) for w in self.weights[op]]
        family = elementwise_op(self.model, op)
        if family is None:
            raise ValueError(f"unknown operator '{op}'")
        return [self.kernels[family].make(torch, self.elementwise_inputs(family, n))]

    def kernel_names(self):
        names = {"emb": "torch.embedding"}
        names.update({op: "torch.nn.functional.linear" for op in GEMM_OPS})
        for op in token_ops(self.model):
            family = elementwise_op(self.model, op)
            if family:
                names[op] = self.kernels[family].name
        return names
