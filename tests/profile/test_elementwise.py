import pytest
import torch

from infersweep_profile import elementwise, meta
from infersweep_profile.model_specs import ModelSpec, shard
from infersweep_profile.token_ops import TokenOperators, copies_for, elementwise_op, token_ops

MODEL = ModelSpec("org/m", 2, 4, 2, 64, 96, True, 100, "rms_norm", True, 32)
PARALLEL = ModelSpec("org/p", 2, 4, 4, 64, 96, False, 100, "layer_norm", False, 32)


def operators(model, tokens=8, rotate_bytes=0, kernels=None):
    g = torch.Generator()
    g.manual_seed(3)
    return TokenOperators(torch, model, shard(model, 1), torch.device("cpu"), torch.float32, tokens, rotate_bytes, g,
                          kernels or {})


@pytest.mark.parametrize("family", ["rms_norm", "layer_norm", "rope", "silu_and_mul", "gelu_tanh", "add"])
def test_the_eager_kernel_of_every_family_passes_its_reference_check(family):
    inputs = operators(MODEL).elementwise_inputs(family, 8)
    kernel, results = elementwise.choose(torch, "eager", family, inputs, torch.float32)
    assert kernel is not None and kernel.op == family
    assert results[-1].passed and results[-1].max_error < 1e-4


def test_a_wrong_fused_kernel_is_not_used():
    wrong = elementwise.ElementwiseKernel("wrong_rms_norm", "rms_norm", True,
                                          lambda t, i: (lambda: i["x"] * i["weight"]))  # forgot to normalize
    inputs = operators(MODEL).elementwise_inputs("rms_norm", 8)
    result = elementwise.check_kernel(torch, wrong, inputs, torch.float32)
    assert not result.passed and "exceeds" in result.detail


def test_auto_mode_tries_fused_kernels_first_and_falls_back_to_eager():
    assert elementwise.candidates("auto", "rope")[0].name == "vllm.rotary_embedding"
    assert all(not k.name.startswith("vllm") for k in elementwise.candidates("eager", "rope"))
    inputs = operators(MODEL).elementwise_inputs("rope", 8)
    kernel, _ = elementwise.choose(torch, "auto", "rope", inputs, torch.float32)
    try:
        import vllm  # noqa: F401
    except ImportError:
        assert kernel.name == "eager_rope" and not kernel.fused


def test_models_without_a_post_attention_norm_have_no_such_column():
    assert "post_attention_layernorm" in token_ops(MODEL)
    assert "post_attention_layernorm" not in token_ops(PARALLEL)
    assert elementwise_op(PARALLEL, "mlp_act") == "gelu_tanh" and elementwise_op(MODEL, "mlp_act") == "silu_and_mul"


def test_weights_rotate_over_enough_copies_to_exceed_the_rotation_size():
    assert copies_for(100 << 20, 256 << 20) == 3
    assert copies_for(1 << 30, 256 << 20) == 1
    ops = operators(MODEL, rotate_bytes=1 << 20)
    up = ops.weights["mlp_up_proj"]  # 192 x 64 floats = 48 KiB each
    assert len(up) == copies_for(192 * 64 * 4, 1 << 20) == 22
    assert len({w.data_ptr() for w in up}) == 22
    assert len(ops.calls("mlp_up_proj", 4)) == 22
    assert ops.calls("mlp_up_proj", 4)[0]().shape == (4, 192)


def test_elementwise_label_is_fused_only_when_every_unit_ran_fused_kernels():
    m = {"completed": [{"elementwise_fused": True}, {"elementwise_fused": False}]}
    assert meta.elementwise_label(m) == "eager"
    m["completed"].pop()
    assert meta.elementwise_label(m) == "fused"
    assert meta.elementwise_label({"completed": []}) == "eager"
