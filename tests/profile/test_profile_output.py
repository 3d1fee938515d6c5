"""The tool end to end on the CPU: its files have the layout of the shared profiles, infersweep's
learned predictor reads them, meta.json says how they were made, and reruns resume."""
import csv
import json
import os
import subprocess

import pytest

from conftest import GPU_PROFILES, INFERSWEEP, TINY_GRID, VIDUR_DATA, run_in_process, run_profiler
from infersweep_profile import attention
from test_attention import TopLeftCausal

TINY = ("test-org", "tiny-gqa")
PARALLEL = ("test-org", "tiny-parallel")
# The columns src/predict/profiling_data.cpp reads (selection keys, features and targets).
MLP_READ = ["n_head", "n_kv_head", "n_embd", "n_expanded_embd", "use_gated_mlp", "vocab_size", "num_tokens",
            "num_tensor_parallel_workers"] + [f"time_stats.{op}.median" for op in (
                "attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj", "mlp_act", "attn_rope")]
ATTENTION_READ = ["n_embd", "n_q_head", "n_kv_head", "block_size", "num_tensor_parallel_workers", "batch_size",
                  "prefill_chunk_size", "kv_cache_size", "time_stats.attn_decode.median",
                  "time_stats.attn_prefill.median", "time_stats.attn_kv_cache_save.median"]
NETWORK_READ = ["num_workers", "devices_per_node", "collective", "size"]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def header(path):
    with open(path, newline="") as f:
        return next(csv.reader(f))


def compute_file(profile, model, name):
    return os.path.join(profile["dir"], "compute", "a100", *model, name)


def shared(*parts):
    path = os.path.join(*parts)
    if not os.path.exists(path):
        pytest.skip(f"shared profile {path} not found")
    return path


def test_mlp_header_is_vidurs(profile):
    vidur = shared(VIDUR_DATA, "profiling", "compute", "h100", "meta-llama", "Llama-2-7b-hf", "mlp.csv")
    assert header(compute_file(profile, TINY, "mlp.csv")) == header(vidur)
    # Without a post-attention norm, Vidur's phi-2 file has no such column; neither has ours.
    phi = shared(VIDUR_DATA, "profiling", "compute", "h100", "microsoft", "phi-2", "mlp.csv")
    assert header(compute_file(profile, PARALLEL, "mlp.csv")) == header(phi)


def test_attention_and_network_headers_are_those_of_the_shared_profiles(profile):
    ours = header(compute_file(profile, TINY, "attention.csv"))
    theirs = shared(GPU_PROFILES, "h100", "compute", "h100", "meta-llama", "Llama-2-7b-hf", "attention.csv")
    assert sorted(ours) == sorted(header(theirs))
    for collective in ("all_reduce", "send_recv"):
        vidur = shared(VIDUR_DATA, "profiling", "network", "h100_dgx", f"{collective}.csv")
        assert header(os.path.join(profile["dir"], "network", "a100_dgx", f"{collective}.csv")) == header(vidur)


def test_rows_hold_the_columns_the_predictor_reads_with_model_totals_and_tp(profile):
    mlp = rows(compute_file(profile, TINY, "mlp.csv"))
    assert set(MLP_READ) <= set(mlp[0])
    assert len(mlp) == 2 * 5  # TP 1 and 2, five token counts
    assert {(r["num_tensor_parallel_workers"], r["num_tokens"]) for r in mlp} == \
        {(tp, n) for tp in ("1", "2") for n in ("1", "4", "16", "64", "128")}
    # Shape columns hold the whole model's figures at every TP, as in Vidur's files.
    assert {(r["n_head"], r["n_kv_head"], r["n_embd"], r["n_expanded_embd"], r["vocab_size"], r["use_gated_mlp"])
            for r in mlp} == {("4", "2", "256", "512", "1024", "True")}
    assert all(float(r[c]) > 0 for r in mlp for c in r if c.startswith("time_stats."))

    attn = rows(compute_file(profile, TINY, "attention.csv"))
    assert set(ATTENTION_READ) <= set(attn[0])
    decode = [r for r in attn if r["is_prefill"] == "False"]
    prefill = [r for r in attn if r["is_prefill"] == "True"]
    assert len(decode) == 2 * 3 * 2 and len(prefill) == 2 * 2 * 2
    assert all(r["prefill_chunk_size"] == "0" and float(r["time_stats.attn_decode.median"]) > 0 and
               r["time_stats.attn_prefill.median"] == "" for r in decode)
    assert all(int(r["prefill_chunk_size"]) > 0 and r["batch_size"] == "1" and
               float(r["time_stats.attn_prefill.median"]) > 0 for r in prefill)
    assert all(float(r["time_stats.attn_kv_cache_save.median"]) > 0 for r in attn)
    assert {(r["n_q_head"], r["n_kv_head"], r["block_size"], r["max_model_len"]) for r in attn} == \
        {("4", "2", "16", "256")}
    assert {r["profile_method"] for r in attn} == {"cpu_perf_counter"}

    ar = rows(os.path.join(profile["dir"], "network", "a100_dgx", "all_reduce.csv"))
    assert set(NETWORK_READ) <= set(ar[0])
    assert [(r[""], r["num_workers"], r["devices_per_node"], r["collective"]) for r in ar] == \
        [(str(i), "2", "2", "all_reduce") for i in range(4)]
    assert [int(r["size"]) for r in ar] == [2048, 8192, 32768, 131072]
    sr = rows(os.path.join(profile["dir"], "network", "a100_dgx", "send_recv.csv"))
    assert {(r["num_workers"], r["devices_per_node"], r["collective"]) for r in sr} == {("2", "2", "send_recv")}


def test_meta_json_says_what_ran_and_how(profile):
    import torch
    meta = json.load(open(os.path.join(profile["dir"], "meta.json")))
    assert meta["elementwise_kernels"] == "eager"
    assert meta["sku"] == "a100" and meta["clock"] == "cpu_perf_counter" and meta["dtype"] == "float32"
    assert meta["device"]["type"] == "cpu" and meta["software"]["torch"] == torch.__version__
    assert meta["repetitions"] == 3 and meta["warmup"] == 1
    assert "perf_counter_ns" in meta["method"]
    assert meta["reference_check"]["atol"] == 1e-4 and meta["reference_check"]["rtol"] == 1e-4
    assert {u["unit"] for u in meta["completed"]} == {f"test-org/{m} tp{tp}" for m in ("tiny-gqa", "tiny-parallel")
                                                       for tp in (1, 2)}
    expected = "sdpa" if hasattr(torch.nn.functional, "scaled_dot_product_attention") else "matmul_softmax"
    assert meta["kernels"]["attn_decode"] == [expected] and meta["kernels"]["attn_kv_cache_save"] == ["index_copy"]
    assert "eager_rope" in meta["kernels"]["attn_rope"]
    assert set(meta["kernels"]) >= {"emb", "attn_pre_proj", "mlp_up_proj", "input_layernorm", "mlp_act", "add"}
    checks = [r for unit in meta["attention_checks"] for r in unit["results"]]
    assert checks and all(r["passed"] for r in checks if r["kernel"] == expected)
    assert meta["network"]["a100_dgx"]["backend"] == "gloo"
    assert meta["network"]["a100_dgx"]["files"] == ["network/a100_dgx/all_reduce.csv",
                                                    "network/a100_dgx/send_recv.csv"]


def predictor_report(profile, tp, tmp_path):
    if not INFERSWEEP:
        pytest.skip("INFERSWEEP (the infersweep binary) not set")
    # The profile's element-wise times are eager PyTorch: the predictor estimates fused kernels
    # from a directory of fused ones (Vidur's), listed after the profile.
    vidur_profiling = os.path.join(VIDUR_DATA, "profiling")
    if not os.path.isdir(vidur_profiling):
        pytest.skip(f"{vidur_profiling} (fused element-wise kernels to calibrate on) is missing")
    report = str(tmp_path / f"report-tp{tp}.csv")
    done = subprocess.run([INFERSWEEP, "predictor", "report", "--data-dir", profile["data_dir"], "--profiling-dir",
                           profile["dir"] + "," + vidur_profiling, "--model", "tiny-gqa", "--gpu", "a100", "--node", "a100_dgx", "--tp",
                           str(tp), "--predictor-cache-dir", "none", "--output", report,
                           "--prediction-max-tokens-per-request", "256", "--prediction-max-batch-size", "8",
                           "--prediction-max-prefill-chunk-size", "64"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["operator"]: r for r in rows(report)}


@pytest.mark.parametrize("tp", [1, 2])
def test_the_learned_predictor_reads_the_profile(profile, tp, tmp_path):
    report = predictor_report(profile, tp, tmp_path)
    ops = {"attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj", "mlp_act", "attn_rope",
           "input_layernorm", "post_attention_layernorm", "add", "attn_decode", "attn_prefill", "attn_kv_cache_save"}
    assert ops <= set(report)
    assert report["mlp_up_proj"]["rows"] == "5" and report["attn_decode"]["rows"] == "6"
    assert report["attn_prefill"]["rows"] == "4" and report["attn_kv_cache_save"]["rows"] == "10"
    assert report["attn_decode"]["source"].startswith(profile["dir"])
    assert report["mlp_up_proj"]["source"].startswith(profile["dir"])
    assert all(report[op]["origin"] == "estimated" for op in ("mlp_act", "attn_rope", "input_layernorm", "add"))
    assert f"num_tensor_parallel_workers == {tp}" in report["mlp_up_proj"]["filter"]
    if tp == 2:
        assert report["all_reduce"]["rows"] == "4"
        assert "num_workers == 2" in report["all_reduce"]["filter"]


def rerun(profile, *extra):
    return run_in_process("--model", "tiny-gqa", "--tp", "1,2", "--sku", "a100", "--output", profile["dir"],
                          "--data-dir", profile["data_dir"], *TINY_GRID, "--network", "off", *extra)


def test_a_rerun_resumes_measuring_only_what_is_missing(profile):
    mlp_path = compute_file(profile, TINY, "mlp.csv")
    before = open(mlp_path).read()
    code, stderr = rerun(profile)
    assert code == 0, stderr
    assert "test-org/tiny-gqa TP1: already in" in stderr and "TP2: already in" in stderr
    assert open(mlp_path).read() == before

    # As if a run had stopped while measuring TP2: its rows are in the file, but not in meta.json.
    meta_path = os.path.join(profile["dir"], "meta.json")
    meta = json.load(open(meta_path))
    meta["completed"] = [u for u in meta["completed"] if u["unit"] != "test-org/tiny-gqa tp2"]
    json.dump(meta, open(meta_path, "w"))
    code, stderr = rerun(profile)
    assert code == 0, stderr
    assert "TP1: already in" in stderr and "tiny-gqa TP2: 5 mlp and 10 attention rows written" in stderr
    after = rows(mlp_path)
    assert [r["num_tensor_parallel_workers"] for r in after] == ["1"] * 5 + ["2"] * 5  # TP1 kept, TP2 once
    assert [r for r in after if r["num_tensor_parallel_workers"] == "1"] == \
        [r for r in csv.DictReader(before.splitlines()) if r["num_tensor_parallel_workers"] == "1"]
    assert "test-org/tiny-gqa tp2" in {u["unit"] for u in json.load(open(meta_path))["completed"]}


def test_rows_measured_another_way_are_not_mixed_in(profile):
    code, stderr = rerun(profile, "--repetitions", "4")
    assert code == 1
    assert "holds a profile with repetitions = 3, this run has 4" in stderr


def test_a_kernel_failing_the_reference_check_writes_no_attention_rows(tmp_path, data_dir, monkeypatch):
    """The only candidate is a kernel with a top-left causal mask: the unit writes no rows,
    the exit code says so and meta.json records why."""
    monkeypatch.setattr(attention, "default_kernels", lambda torch: [TopLeftCausal(torch)])
    out = str(tmp_path / "out")
    code, stderr = run_in_process("--model", "tiny-gqa", "--tp", "1", "--sku", "a100", "--output", out, "--data-dir",
                                  data_dir, *TINY_GRID, "--network", "off")
    assert code == 3, stderr
    assert "no attention kernel passed the fp32 reference check" in stderr
    directory = os.path.join(out, "compute", "a100", *TINY)
    assert not os.path.exists(os.path.join(directory, "attention.csv"))
    assert not os.path.exists(os.path.join(directory, "mlp.csv"))
    meta = json.load(open(os.path.join(out, "meta.json")))
    assert meta["completed"] == []  # a rerun measures the unit again
    assert "no attention kernel passed" in meta["attention_checks"][0]["error"]
    assert any(not r["passed"] and r["kernel"] == "top_left_causal" for r in meta["attention_checks"][0]["results"])


def test_bad_input_is_one_clear_line(tmp_path, data_dir):
    done = run_profiler("--model", "no-such-model", "--sku", "a100", "--output", str(tmp_path), "--data-dir",
                        data_dir)  # through the entry script
    assert done.returncode == 1
    assert done.stderr.strip() == ("profile-gpu: error: unknown model 'no-such-model' (known: test-org/tiny-parallel, "
                                   "test-org/tiny-gqa)")
    base = ("--sku", "a100", "--output", str(tmp_path), "--data-dir", data_dir)
    code, stderr = run_in_process("--model", "tiny-gqa", *base, "--num-tokens", "1,x")
    assert code == 1 and "--num-tokens: expected whole numbers" in stderr
    code, stderr = run_in_process("--model", "tiny-gqa", *base, "--network", "on")
    assert code == 1 and "--node" in stderr
    code, stderr = run_in_process(*base)
    assert code == 1 and "--model: name the models to profile" in stderr
    code, stderr = run_in_process("--model", "tiny-gqa", "--sku", "../a100", *base[2:])
    assert code == 1 and "--sku: expected a name of letters" in stderr
