import math

import pytest
import torch

from infersweep_profile import attention
from infersweep_profile.checks import KernelRejected, TOLERANCES

F32 = torch.float32


def gen(seed=1):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


class TopLeftCausal(attention.MatmulSoftmaxKernel):
    """A plausible bug: the causal diagonal aligned top-left, so a chunk does not see the
    cached prefix's last keys (what is_causal=True does when queries are fewer than keys)."""
    name = "top_left_causal"

    def prefill(self, q, k, v):
        chunk, total = q.shape[2], k.shape[2]
        reference_mask = torch.arange(total)[None, :] <= torch.arange(chunk)[:, None]
        group = q.shape[1] // k.shape[1]
        kk, vv = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)

        def call():
            s = torch.matmul(q, kk.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            return torch.softmax(s.masked_fill(~reference_mask, float("-inf")), -1) @ vv
        return call


class InterleavedHeads(attention.MatmulSoftmaxKernel):
    """Another plausible bug: query head h reads KV head h % Hkv instead of h // group."""
    name = "interleaved_heads"

    def decode(self, q, k, v):
        group = q.shape[1] // k.shape[1]
        kk, vv = k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1)
        return lambda: torch.softmax(q @ kk.transpose(-1, -2) / math.sqrt(q.shape[-1]), -1) @ vv


def test_reference_sees_every_key_in_decode_and_the_prefix_in_prefill():
    v = torch.arange(6.0).view(1, 1, 6, 1).repeat(1, 1, 1, 2)
    k = torch.zeros(1, 1, 6, 2)  # equal scores: the output is the mean of the visible values
    decode = attention.reference(torch, torch.ones(1, 1, 1, 2), k, v)
    assert decode[0, 0, 0, 0].item() == pytest.approx(2.5)  # mean of 0..5
    prefill = attention.reference(torch, torch.ones(1, 1, 2, 2), k, v)  # chunk 2 after a prefix of 4
    assert prefill[0, 0, :, 0].tolist() == pytest.approx([2.0, 2.5])  # sees 0..4, then 0..5


def test_matmul_softmax_passes_the_reference_check():
    results = attention.check(torch, attention.MatmulSoftmaxKernel(torch), 8, 2, 64, torch.device("cpu"), F32, gen())
    assert [r.passed for r in results] == [True, True, True]
    assert all(r.max_error <= TOLERANCES["float32"][0] for r in results)
    assert {r.case for r in results} == {"decode batch 3 context 37", "prefill chunk 19 prefix 0",
                                         "prefill chunk 19 prefix 23"}


def test_a_top_left_causal_mask_is_rejected_where_a_prefix_exists():
    results = attention.check(torch, TopLeftCausal(torch), 4, 4, 32, torch.device("cpu"), F32, gen())
    by_case = {r.case: r for r in results}
    assert by_case["prefill chunk 19 prefix 0"].passed  # indistinguishable without a prefix
    wrong = by_case["prefill chunk 19 prefix 23"]
    assert not wrong.passed and wrong.max_error > 0.05 and "exceeds atol" in wrong.detail


def test_a_wrong_head_mapping_is_rejected():
    results = attention.check(torch, InterleavedHeads(torch), 8, 2, 32, torch.device("cpu"), F32, gen())
    assert not results[0].passed


def test_choose_skips_failing_kernels_and_refuses_when_none_passes():
    said = []
    kernel, results = attention.choose(torch, [TopLeftCausal(torch), attention.MatmulSoftmaxKernel(torch)], 4, 2, 32,
                                       torch.device("cpu"), F32, gen(), said.append)
    assert kernel.name == "matmul_softmax"
    assert any("top_left_causal rejected by the fp32 reference check" in m for m in said)
    assert any(not r.passed for r in results) and results[-1].passed
    with pytest.raises(KernelRejected, match="no attention kernel passed.*no attention rows written"):
        attention.choose(torch, [TopLeftCausal(torch), InterleavedHeads(torch)], 4, 2, 32, torch.device("cpu"), F32,
                         gen())


def fake_sdpa(with_gqa):
    """scaled_dot_product_attention as PyTorch 2 documents it: boolean masks mark the keys that
    take part, is_causal aligns the diagonal top-left, enable_gqa (>= 2.5) shares KV heads."""
    def sdpa(q, k, v, attn_mask=None, is_causal=False, **kwargs):
        if "enable_gqa" in kwargs and not with_gqa:
            raise TypeError("unexpected keyword argument 'enable_gqa'")
        if q.shape[1] != k.shape[1]:
            if not kwargs.get("enable_gqa"):
                raise RuntimeError("head counts differ")
            k = k.repeat_interleave(q.shape[1] // k.shape[1], 1)
            v = v.repeat_interleave(q.shape[1] // v.shape[1], 1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if is_causal:
            attn_mask = torch.ones(q.shape[2], k.shape[2], dtype=torch.bool).tril()
        if attn_mask is not None:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        out = torch.softmax(scores, -1) @ v
        # FlashAttention returns [B, L, H, D] memory viewed as [B, H, L, D]: strided, as here.
        return out.transpose(1, 2).contiguous().transpose(1, 2)
    return sdpa


@pytest.mark.parametrize("with_gqa", [True, False])
@pytest.mark.parametrize("portable", [True, False])
def test_sdpa_kernel_passes_its_arguments_as_the_documented_semantics_need(with_gqa, portable):
    kernel = attention.SdpaKernel(torch, portable=portable)
    kernel.sdpa = fake_sdpa(with_gqa)
    kernel.causal_lower_right = None  # the boolean-mask path (PyTorch 2.0 - 2.2)
    results = attention.check(torch, kernel, 8, 2, 32, torch.device("cpu"), F32, gen())
    assert all(r.passed for r in results), [r.detail for r in results]
    assert kernel.native_gqa(torch.device("cpu"), F32) is (with_gqa and not portable)


def test_sdpa_is_unavailable_without_the_function():
    kernel = attention.SdpaKernel(torch)
    kernel.sdpa = None
    assert "no scaled_dot_product_attention" in kernel.unavailable()


def test_kv_cache_save_writes_the_new_tokens_to_distinct_slots():
    save = attention.KvCacheSave(torch, 2, 8, 16, 40, torch.device("cpu"), F32, gen())
    assert len(set(save.slots.tolist())) == 40
    save.verify(40)
    assert int((save.k_cache.abs().sum(dim=(2, 3)) > 0).sum()) == 40  # exactly 40 slots written
