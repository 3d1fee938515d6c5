"""Collective times (all-reduce within a node, send/recv within and across nodes) with
torch.distributed, written like Vidur's network/<node>/{all_reduce,send_recv}.csv.

Two ways to run: on one node the profiler spawns one process per GPU itself
(torch.multiprocessing, NCCL, a file rendezvous in the output directory); across nodes it runs
under torchrun, which sets RANK, WORLD_SIZE and LOCAL_WORLD_SIZE (env:// rendezvous). Each
sample is the slowest participating rank's time for that repetition. Messages are fp16, so a
size of s bytes is s / 2 elements, which is what the predictor's num_tokens = size / (2 hidden)
assumes."""
import json
import os
import sys
import time
from dataclasses import astuple

from .layout import collective_columns, merge_rows, network_dir, write_csv
from .timing import make_clock, summarize

ELEMENT_BYTES = 2  # fp16


def torchrun_world():
    """(rank, world, local_world) when started by torchrun, else None."""
    env = os.environ
    if "RANK" in env and "WORLD_SIZE" in env and "LOCAL_WORLD_SIZE" in env:
        return int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_WORLD_SIZE"])
    return None


def worker_counts(local_world):
    """All-reduce group sizes: powers of two that fit one node (TP groups never span nodes)."""
    counts, n = [], 2
    while n <= local_world:
        counts.append(n)
        n *= 2
    return counts


def send_recv_pairs(world, local_world):
    """(peer rank, devices_per_node): within a node, and across two nodes when there are two."""
    pairs = []
    if local_world >= 2:
        pairs.append((1, 2))
    if world > local_world:
        pairs.append((local_world, 1))
    return pairs


def measure_collectives(rank, world, local_world, backend, sizes, repetitions, warmup, log):
    """Runs in every rank after init_process_group; returns rank 0's rows (others: [])."""
    import torch
    import torch.distributed as dist
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank % max(1, local_world)))) \
        if backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    clock = make_clock(torch, device)
    buffer = torch.zeros(max(sizes) // ELEMENT_BYTES, dtype=torch.float16, device=device)
    rows = []

    def everyone(group):
        def agree(ok):
            flag = torch.tensor([1 if ok else 0], dtype=torch.int32, device=device)
            dist.all_reduce(flag, op=dist.ReduceOp.MIN, group=group)
            return bool(flag.item())
        return agree

    def slowest(samples, group):
        t = torch.tensor(samples, dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=group)
        return summarize(t.tolist())

    for n in worker_counts(local_world):
        group = dist.new_group(list(range(n)))  # every rank takes part in creating it
        if rank < n:
            for i, size in enumerate(sizes):
                t = buffer[:size // ELEMENT_BYTES]
                call = [lambda: dist.all_reduce(t, group=group)]
                stats = slowest(clock.samples(call, repetitions, warmup, before=call[0], agree=everyone(group)), group)
                if rank == 0:
                    rows.append(("all_reduce", n, n, size, stats))
                    if i % 50 == 0 or i == len(sizes) - 1:
                        log(f"all_reduce {n} workers: {i + 1}/{len(sizes)} sizes")
        dist.barrier()

    for peer, devices_per_node in send_recv_pairs(world, local_world):
        pair = dist.new_group([0, peer])  # every rank takes part in creating it
        if rank in (0, peer):
            for i, size in enumerate(sizes):
                t = buffer[:size // ELEMENT_BYTES]
                call = [(lambda: dist.send(t, peer)) if rank == 0 else (lambda: dist.recv(t, 0))]
                stats = slowest(clock.samples(call, repetitions, warmup, before=call[0], agree=everyone(pair)), pair)
                if rank == 0:
                    rows.append(("send_recv", 2, devices_per_node, size, stats))
                    if i % 50 == 0 or i == len(sizes) - 1:
                        log(f"send_recv devices_per_node {devices_per_node}: {i + 1}/{len(sizes)} sizes")
        dist.barrier()
    return rows, clock.name


def rows_by_collective(rows, local_world):
    out = {}
    for collective, workers, devices_per_node, size, stats in rows:
        row = {"rank": 0, "num_workers": workers, "size": size, "collective": collective,
               "devices_per_node": devices_per_node, "max_devices_per_node": local_world}
        row.update(stats.columns(collective))
        out.setdefault(collective, []).append(row)
    return out


def write_network(root, node, rows, local_world):
    """Writes each collective's file; rows of (num_workers, devices_per_node) pairs measured
    now replace those of an earlier run, others are kept. Returns the files written."""
    written = []
    for collective, new_rows in rows_by_collective(rows, local_world).items():
        path = os.path.join(network_dir(root, node), f"{collective}.csv")
        columns = collective_columns(collective)
        measured = {(str(r["num_workers"]), str(r["devices_per_node"])) for r in new_rows}
        merged = merge_rows(path, columns, lambda r: (r["num_workers"], r["devices_per_node"]) not in measured,
                            new_rows)
        for i, r in enumerate(merged):
            r[""] = i
        write_csv(path, columns, merged)
        written.append(path)
    return written


def _log(message):
    print(f"[network] {message}", file=sys.stderr, flush=True)


def _spawned_worker(rank, world, store, backend, sizes, repetitions, warmup, result_path):
    import torch.distributed as dist
    dist.init_process_group(backend, init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        rows, clock = measure_collectives(rank, world, world, backend, sizes, repetitions, warmup, _log)
        if rank == 0:
            serial = [(c, w, d, s, list(astuple(stats))) for c, w, d, s, stats in rows]
            with open(result_path, "w", encoding="utf-8") as f:
                json.dump({"rows": serial, "clock": clock}, f)
    finally:
        dist.destroy_process_group()


def run_spawned(workers, backend, sizes, repetitions, warmup, scratch_dir):
    """Spawns `workers` processes on this node; returns (rank 0's rows, clock name)."""
    import torch.multiprocessing as mp
    from .timing import TimeStats
    os.makedirs(scratch_dir, exist_ok=True)
    store = os.path.join(scratch_dir, f"rendezvous-{os.getpid()}-{time.time_ns()}")
    result = os.path.join(scratch_dir, f"network-{os.getpid()}.json")
    try:
        mp.spawn(_spawned_worker, args=(workers, store, backend, list(sizes), repetitions, warmup, result),
                 nprocs=workers, join=True)
        with open(result, encoding="utf-8") as f:
            data = json.load(f)
    finally:
        for path in (store, result):
            if os.path.exists(path):
                os.remove(path)
    rows = [(c, w, d, s, TimeStats(*values)) for c, w, d, s, values in data["rows"]]
    return rows, data["clock"]
