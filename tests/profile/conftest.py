"""Fixtures of the profiler's tests (tools/profile). They run on the CPU with Debian's
python3-torch; without PyTorch the whole suite exits 77, which ctest reports as skipped.
ctest passes INFERSWEEP (the binary, for reading the output back with the predictor),
VIDUR_DATA and GPU_PROFILES (the shared profiles whose layout the output must match) and
WORK_DIR."""
import os
import shutil
import subprocess
import sys

import pytest

try:
    import torch  # noqa: F401
    TORCH_MISSING = None
except ImportError as e:
    TORCH_MISSING = str(e)


def pytest_sessionstart(session):
    if TORCH_MISSING:
        pytest.exit(f"skipped: PyTorch is not installed for this Python ({TORCH_MISSING}; Debian package "
                    f"python3-torch), and the profiler's tests need it", returncode=77)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "profile"))

PROFILE_GPU = os.path.join(ROOT, "tools", "profile", "profile-gpu")
INFERSWEEP = os.environ.get("INFERSWEEP")
VIDUR_DATA = os.environ.get("VIDUR_DATA", os.path.join(ROOT, "..", "shared", "vidur-data"))
GPU_PROFILES = os.environ.get("GPU_PROFILES", os.path.join(ROOT, "..", "shared", "gpu-profiles"))

# A two-layer model small enough to profile on a CPU in a second: grouped-query attention
# (4 query heads, 2 KV heads), gated MLP; and a variant without the post-attention norm and
# with a plain GELU MLP (phi-2's structure).
TINY = """\
name = test-org/tiny-gqa
num_layers = 2
num_q_heads = 4
num_kv_heads = 2
hidden_size = 256
mlp_hidden_size = 512
gated_mlp = true
vocab_size = 1024
norm = rms_norm
post_attention_norm = true
max_position_embeddings = 512
"""
TINY_PARALLEL = """\
name = test-org/tiny-parallel
num_layers = 2
num_q_heads = 4
num_kv_heads = 4
hidden_size = 128
mlp_hidden_size = 512
gated_mlp = false
vocab_size = 512
norm = layer_norm
post_attention_norm = false
max_position_embeddings = 256
"""

# A grid with the few points the learned predictor needs (>= 4 rows per operator).
TINY_GRID = ["--num-tokens", "1,4,16,64,128", "--decode-batch-sizes", "1,2,4", "--decode-kv-sizes", "16,64",
             "--prefill-chunk-sizes", "16,64", "--prefill-kv-sizes", "0,32", "--max-model-len", "256",
             "--collective-sizes", "2048,8192,32768,131072", "--repetitions", "3", "--warmup", "1",
             "--rotate-mb", "0.25"]


def make_data_dir(path):
    """models/ with the tiny models, gpus/ and nodes/ from the repository's data/."""
    os.makedirs(os.path.join(path, "models"), exist_ok=True)
    for name, text in (("tiny.ini", TINY), ("tiny-parallel.ini", TINY_PARALLEL)):
        with open(os.path.join(path, "models", name), "w") as f:
            f.write(text)
    for sub in ("gpus", "nodes"):
        shutil.copytree(os.path.join(ROOT, "data", sub), os.path.join(path, sub), dirs_exist_ok=True)
    return path


def run_profiler(*args, timeout=300):
    return subprocess.run([sys.executable, PROFILE_GPU, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


def run_in_process(*args):
    """profile-gpu's main() in this process (no second PyTorch import): (exit code, stderr)."""
    import contextlib
    import io
    from infersweep_profile import cli
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, err.getvalue()


def work_dir(name):
    base = os.environ.get("WORK_DIR")
    if not base:
        return None
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return make_data_dir(str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def profile(tmp_path_factory, data_dir):
    """One CPU profile of both tiny models at TP 1 and 2, with collectives over 2 gloo workers."""
    out = work_dir("profile") or str(tmp_path_factory.mktemp("profile"))
    done = run_profiler("--model", "tiny-gqa,test-org/tiny-parallel", "--tp", "1,2", "--sku", "a100",
                        "--output", out, "--data-dir", data_dir, *TINY_GRID,
                        "--network", "on", "--node", "a100_dgx", "--network-workers", "2",
                        "--network-backend", "gloo")
    assert done.returncode == 0, done.stderr
    return {"dir": out, "stderr": done.stderr, "data_dir": data_dir}
