import csv
import os

import pytest

from conftest import GPU_PROFILES, VIDUR_DATA
from infersweep_profile import grids


def test_standard_preset_has_the_shared_gpu_profiles_spacing():
    g = grids.make_grid()
    assert g.num_tokens[:5] == (1, 2, 4, 8, 16) and g.num_tokens[-1] == 4096 and len(g.num_tokens) == 116
    assert len(g.decode_batch_sizes) == 16 and len(g.decode_kv_sizes) == 17
    assert len(g.decode_points()) == 16 * 17
    # 17 chunks x 13 prefixes, less those with chunk + prefix above 4096.
    assert len(g.prefill_points()) == sum(1 for c in g.prefill_chunk_sizes for kv in g.prefill_kv_sizes
                                          if c + kv <= 4096) == 165


def test_vidur_preset_matches_vidur_num_tokens_and_collective_sizes():
    mlp = os.path.join(VIDUR_DATA, "profiling", "compute", "h100", "meta-llama", "Llama-2-7b-hf", "mlp.csv")
    network = os.path.join(VIDUR_DATA, "profiling", "network", "h100_dgx", "all_reduce.csv")
    if not (os.path.exists(mlp) and os.path.exists(network)):
        pytest.skip("shared Vidur profiling data not found")
    with open(mlp) as f:
        tokens = sorted({int(r["num_tokens"]) for r in csv.DictReader(f)})
    with open(network) as f:
        sizes = sorted({int(r["size"]) for r in csv.DictReader(f)})
    g = grids.make_grid("vidur")
    assert list(g.num_tokens) == tokens
    assert list(g.collective_sizes) == sizes


def test_decode_and_prefill_points_respect_the_max_model_length():
    g = grids.make_grid("small", max_model_len=1024)
    assert all(kv < 1024 for _, kv in g.decode_points())
    assert {kv for _, kv in g.decode_points()} == {128}
    assert all(c + kv <= 1024 for c, kv in g.prefill_points())
    assert (512, 512) in g.prefill_points() and (512, 2048) not in g.prefill_points()


def test_lists_and_ranges_parse_and_override_one_axis():
    assert grids.parse_int_list("1,2, 8") == [1, 2, 8]
    assert grids.parse_int_list("16:64:16,100") == [16, 32, 48, 64, 100]
    assert grids.parse_int_list("0:10:4") == [0, 4, 8]
    g = grids.make_grid("small", {"num_tokens": [64, 8, 8, 1]})
    assert g.num_tokens == (1, 8, 64)  # sorted, duplicates gone
    assert g.decode_batch_sizes == tuple(grids.PRESETS["small"]["decode_batch_sizes"])


@pytest.mark.parametrize("text", ["1,,2", "a", "1:8", "1:8:0", "4.5"])
def test_malformed_lists_are_refused(text):
    with pytest.raises(grids.GridError, match="--x"):
        grids.parse_int_list(text, "--x")


def test_zero_is_a_prefix_length_but_not_a_token_count():
    assert grids.make_grid("small", {"prefill_kv_sizes": [0, 64]}).prefill_kv_sizes == (0, 64)
    with pytest.raises(grids.GridError, match="num_tokens: expected values >= 1"):
        grids.make_grid("small", {"num_tokens": [0, 8]})
    with pytest.raises(grids.GridError, match="unknown grid preset"):
        grids.make_grid("huge")


def test_a_grid_without_any_attention_point_is_refused():
    with pytest.raises(grids.GridError, match="no decode point"):
        grids.make_grid("small", {"decode_kv_sizes": [4096]}, max_model_len=4096)
    with pytest.raises(grids.GridError, match="no prefill point"):
        grids.make_grid("small", {"prefill_chunk_sizes": [8192]})


def test_gpu_profiles_readme_values_are_the_standard_ones():
    readme = os.path.join(GPU_PROFILES, "README.md")
    if not os.path.exists(readme):
        pytest.skip("shared gpu-profiles not found")
    text = open(readme).read()
    # "num_tokens 1, 2, 4, 8, 16..1008 step 16, 1024..4096 step 64 (116 points per TP)"
    assert "116 points per TP" in text
    assert len(grids.make_grid().num_tokens) == 116
