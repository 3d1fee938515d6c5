"""The collectives under torchrun's environment (RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR/PORT on the loopback address), here two 'nodes' of one gloo process
each on this machine: send/recv across nodes, and no all-reduce (a TP group never spans nodes).
Within a node, the spawned workers of the profile fixture cover both collectives."""
import csv
import json
import os
import socket
import subprocess
import sys

from conftest import PROFILE_GPU


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_nodes_of_one_process(tmp_path, data_dir):
    out = str(tmp_path / "out")
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", LOCAL_WORLD_SIZE="1", LOCAL_RANK="0",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen(
            [sys.executable, PROFILE_GPU, "--sku", "a100", "--output", out, "--data-dir",
             data_dir, "--grid", "small", "--collective-sizes", "2048,65536", "--repetitions", "2", "--warmup", "1",
             "--node", "a100_dgx", "--network-backend", "gloo"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = []
    for p in procs:
        try:
            outputs.append(p.communicate(timeout=300))
        finally:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outputs]

    network = os.path.join(out, "network", "a100_dgx")
    assert not os.path.exists(os.path.join(network, "all_reduce.csv"))
    with open(os.path.join(network, "send_recv.csv")) as f:
        send_recv = list(csv.DictReader(f))
    assert [(r["num_workers"], r["devices_per_node"], r["max_devices_per_node"], r["size"]) for r in send_recv] == \
        [("2", "1", "1", "2048"), ("2", "1", "1", "65536")]
    assert all(float(r["time_stats.send_recv.median"]) > 0 for r in send_recv)
    meta = json.load(open(os.path.join(out, "meta.json")))
    assert meta["network"]["a100_dgx"]["world_size"] == 2 and meta["network"]["a100_dgx"]["devices_per_node"] == 1
    assert not os.path.exists(os.path.join(out, "compute"))  # under torchrun only collectives are measured
