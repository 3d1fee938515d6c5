import os

import pytest

from conftest import ROOT
from infersweep_profile.model_specs import SpecError, find_models, read_model, read_models, shard, tp_problem


def models():
    return read_models(os.path.join(ROOT, "data"))


def test_every_shipped_model_reads():
    names = {m.name for m in models()}
    assert {"meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-70b-hf", "microsoft/phi-2"} <= names


def test_models_are_found_by_hugging_face_id_or_short_name():
    found = find_models(models(), ["Llama-2-70b-hf", "microsoft/phi-2"])
    assert [m.name for m in found] == ["meta-llama/Llama-2-70b-hf", "microsoft/phi-2"]
    assert len(find_models(models(), ["all"])) == len(models())
    with pytest.raises(SpecError, match="unknown model 'Llama-9'.*known: .*Llama-2-7b-hf"):
        find_models(models(), ["Llama-9"])


def test_shards_divide_heads_and_mlp_width_as_vidur_does():
    llama3 = find_models(models(), ["Meta-Llama-3-8B"])[0]
    s = shard(llama3, 8)
    assert (s.q_heads, s.kv_heads, s.head_dim, s.mlp_width, s.up_width) == (4, 1, 128, 1792, 3584)
    phi = find_models(models(), ["phi-2"])[0]
    s = shard(phi, 2)
    assert (s.q_heads, s.kv_heads, s.mlp_width, s.up_width, s.vocab) == (16, 16, 5120, 5120, 25600)


def test_degrees_a_model_cannot_be_split_over_are_named():
    llama2 = find_models(models(), ["Llama-2-7b-hf"])[0]
    assert tp_problem(llama2, 4) is None
    assert "query heads" in tp_problem(llama2, 3)
    with pytest.raises(SpecError, match="32 query heads do not divide by TP 3"):
        shard(llama2, 3)


@pytest.mark.parametrize("line, message", [
    ("colour = red", r":12: unknown key 'colour'"),
    ("num_layers = 3", r":12: key 'num_layers' repeated \(first on line 2\)"),
    ("just words", r":12: expected 'key = value'"),
])
def test_bad_spec_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.ini"
    path.write_text(_valid() + line + "\n")
    with pytest.raises(SpecError, match=message):
        read_model(str(path))


def test_bad_values_and_missing_keys_are_refused(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text(_valid().replace("gated_mlp = true", "gated_mlp = yes"))
    with pytest.raises(SpecError, match=r"bad.ini:7: gated_mlp: expected true or false, got 'yes'"):
        read_model(str(path))
    path.write_text(_valid().replace("vocab_size = 1000\n", ""))
    with pytest.raises(SpecError, match="missing key\\(s\\) vocab_size"):
        read_model(str(path))


def _valid():
    return ("name = org/m\nnum_layers = 2\nnum_q_heads = 4\nnum_kv_heads = 2\nhidden_size = 64\n"
            "mlp_hidden_size = 128\ngated_mlp = true\nvocab_size = 1000\nnorm = rms_norm\n"
            "post_attention_norm = true\nmax_position_embeddings = 128\n")
