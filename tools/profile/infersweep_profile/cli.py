"""Command line of tools/profile/profile-gpu (see docs/profiler.md)."""
import argparse
import os
import re
import sys
import time

from . import grids, meta as meta_file
from .checks import TOLERANCES, KernelRejected
from .layout import LayoutError, attention_columns, compute_dir, merge_rows, mlp_columns, write_csv
from .model_specs import SpecError, find_models, read_models, tp_problem

EXIT_INPUT = 1
EXIT_KERNEL_REJECTED = 3
_REPO_DATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "data"))
DTYPES = ("auto", "float16", "bfloat16", "float32")


class UsageError(ValueError):
    pass


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not (value >= 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def build_parser():
    p = argparse.ArgumentParser(
        prog="profile-gpu",
        description="Time a transformer layer's operators on this machine's GPU and write them in Vidur's profiling "
                    "layout, for infersweep's learned predictor (--profiling-dir).")
    what = p.add_argument_group("what to profile")
    what.add_argument("--model", metavar="NAMES",
                      help="comma-separated models of data/models by Hugging Face id or the part after '/', or "
                           "'all' (required unless only collectives are measured)")
    what.add_argument("--tp", default="1,2,4,8", metavar="LIST",
                      help="tensor-parallel degrees, emulated on one GPU (default 1,2,4,8)")
    what.add_argument("--sku", required=True, metavar="NAME",
                      help="GPU SKU name the predictor will be asked for (--gpu), e.g. h100")
    what.add_argument("--output", required=True, metavar="DIR",
                      help="profiling directory to write (compute/, network/, meta.json)")
    what.add_argument("--data-dir", metavar="DIR", default=os.environ.get("INFERSWEEP_DATA_DIR") or _REPO_DATA,
                      help="directory with models/*.ini (default $INFERSWEEP_DATA_DIR or the repository's data/)")
    g = p.add_argument_group("grid (lists: 1,2,8 or start:stop:step, stop included)")
    g.add_argument("--grid", default="standard", choices=sorted(grids.PRESETS),
                   help="preset: standard (about 550 points per model and TP, default), vidur (Vidur's spacing, "
                        "about 15,000), small (about 30)")
    for axis in grids.AXES:
        g.add_argument("--" + axis.replace("_", "-"), metavar="LIST", help=f"replace the preset's {axis}")
    g.add_argument("--max-model-len", type=positive_int, metavar="N", default=4096,
                   help="longest sequence: decode contexts below it, prefill chunk + prefix up to it (default 4096)")
    g.add_argument("--block-size", type=positive_int, metavar="N", default=16,
                   help="KV-cache block size in tokens, the predictor's --block-size (default 16)")
    m = p.add_argument_group("measurement")
    m.add_argument("--repetitions", type=positive_int, metavar="N", default=10,
                   help="timed calls per point (default 10)")
    m.add_argument("--warmup", type=positive_int, metavar="N", default=3, help="untimed calls before them (default 3)")
    m.add_argument("--rotate-mb", type=non_negative_float, metavar="MIB", default=256.0,
                   help="each GEMM's weights rotate over copies totalling at least this many MiB, well above the L2 "
                        "cache, so that they come from memory as in serving (default 256; 0: one copy)")
    m.add_argument("--dtype", default="auto", choices=DTYPES, help="auto: float16 on a GPU, float32 on the CPU")
    m.add_argument("--device", default="auto", help="auto (the first GPU, else the CPU), cuda:N or cpu")
    m.add_argument("--elementwise", default="auto", choices=("auto", "eager"),
                   help="auto: fused kernels where installed (vLLM's) and passing the reference check, else eager "
                        "PyTorch; eager: always eager")
    m.add_argument("--attention-kernel", default="auto", choices=("auto", "sdpa", "sdpa_portable", "matmul_softmax"),
                   help="auto: the first of sdpa, sdpa_portable, matmul_softmax that is available and passes the "
                        "fp32 reference check")
    m.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    r = p.add_argument_group("output")
    r.add_argument("--fresh", action="store_true",
                   help="discard what an earlier run wrote to --output (its meta.json and the files it lists) "
                        "instead of resuming it")
    n = p.add_argument_group("network (collectives between GPUs)")
    n.add_argument("--node", metavar="NAME", help="node name for network/<node>/ (a data/nodes name, e.g. h100_dgx)")
    n.add_argument("--network", default="auto", choices=("auto", "on", "off"),
                   help="auto: measure collectives when several GPUs are visible")
    n.add_argument("--network-only", action="store_true", help="measure collectives only")
    n.add_argument("--network-workers", type=positive_int, metavar="N",
                   help="processes to spawn (default: the visible GPUs); under torchrun its world is used")
    n.add_argument("--network-backend", choices=("nccl", "gloo"),
                   help="default nccl; gloo runs on CPUs (for testing the tool, not for profiles)")
    return p


def check_name(option, value):
    """SKU and node names become directory names."""
    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        raise UsageError(f"{option}: expected a name of letters, digits, '_', '.' and '-' (it names a directory), "
                         f"got '{value}'")


def parse_tps(text):
    tps = grids.parse_int_list(text, "--tp")
    if any(t < 1 for t in tps):
        raise UsageError(f"--tp: expected degrees >= 1, got '{text}'")
    return sorted(set(tps))


def make_grid(args):
    overrides = {}
    for axis in grids.AXES:
        text = getattr(args, axis)
        if text is not None:
            overrides[axis] = grids.parse_int_list(text, "--" + axis.replace("_", "-"))
    return grids.make_grid(args.grid, overrides, args.max_model_len)


class Log:
    """Progress on stderr, at most one point line every few seconds."""

    def __init__(self, stream=None, interval=5.0):
        self.stream, self.interval = stream, interval  # stream None: sys.stderr when writing
        self.start = time.monotonic()
        self.last = 0.0
        self.said = set()

    def __call__(self, message):
        print(f"[{time.monotonic() - self.start:8.1f} s] {message}", file=self.stream or sys.stderr, flush=True)

    def once(self, message):
        """For what repeats per unit (a kernel not used and why)."""
        if message not in self.said:
            self.said.add(message)
            self(message)

    def progress(self, label):
        def report(done, total, what):
            now = time.monotonic()
            if done == total or now - self.last >= self.interval:
                self.last = now
                self(f"{label}: {done}/{total} points ({what})")
        return report


def import_torch():
    try:
        import torch
    except ImportError:
        raise UsageError("PyTorch is not installed for this Python (Debian: apt-get install python3-torch; "
                         "elsewhere: pip install torch)") from None
    return torch


def select_device(torch, text):
    if text == "auto":
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        raise UsageError(f"--device: expected auto, cpu or cuda:N, got '{text}'") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {text}: no GPU is visible to PyTorch")
        if device.index is None:
            device = torch.device("cuda", 0)
        if device.index >= torch.cuda.device_count():
            raise UsageError(f"--device {text}: only {torch.cuda.device_count()} GPU(s) visible")
    elif device.type != "cpu":
        raise UsageError(f"--device: expected auto, cpu or cuda:N, got '{text}'")
    return device


def select_dtype(torch, text, device):
    if text == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return getattr(torch, text)


def attention_candidates(torch, choice):
    from .attention import default_kernels
    kernels = default_kernels(torch)
    return kernels if choice == "auto" else [k for k in kernels if k.name == choice]


def open_meta(args, identity, torch, device, clock, log):
    root = args.output
    existing = meta_file.load(root)
    if existing is not None and args.fresh:
        for unit in existing.get("completed", []):
            for path in unit.get("files", []):
                full = os.path.join(root, path)
                if os.path.exists(full):
                    os.remove(full)
        for node, facts in existing.get("network", {}).items():
            for path in facts.get("files", []):
                full = os.path.join(root, path)
                if os.path.exists(full):
                    os.remove(full)
        log(f"--fresh: removed the files of the earlier profile in {root}")
        existing = None
    if existing is not None:
        meta_file.check_identity(root, existing, identity)
        return existing
    return meta_file.new_meta(identity, torch, device, clock.description)


def profile_compute(args, settings, models, tps, meta, log):
    """Every (model, TP) unit not completed before; returns the units whose attention kernel
    was rejected (they write no rows)."""
    from .compute import Progress, profile_attention, profile_token_ops, unit_points
    root = args.output
    failed = []
    done_units = meta_file.completed_units(meta)
    for model in models:
        directory = compute_dir(root, args.sku, model)
        mlp_path, attention_path = os.path.join(directory, "mlp.csv"), os.path.join(directory, "attention.csv")
        for tp in tps:
            unit = meta_file.unit_key(model.name, tp)
            problem = tp_problem(model, tp)
            if problem:
                log(f"{model.name} TP{tp}: skipped, {problem}")
                if unit not in [s["unit"] for s in meta["skipped"]]:
                    meta["skipped"].append({"unit": unit, "reason": problem})
                continue
            if unit in done_units:
                log(f"{model.name} TP{tp}: already in {root}, skipped (--fresh to measure again)")
                continue
            # Rows of units completed before stay; rows of a unit interrupted half-way go.
            kept_tps = {str(t) for t in meta_file.completed_tps(meta, model.name)}

            def keep(row):
                return row["num_tensor_parallel_workers"] in kept_tps

            started = time.monotonic()
            progress = Progress(settings, unit_points(settings.grid))
            settings.progress = log.progress(f"{model.name} TP{tp}")
            token = profile_token_ops(settings, model, tp, progress)
            checks = token.checks
            try:
                attn = profile_attention(settings, model, tp, progress)
            except KernelRejected as e:
                log(f"{model.name} TP{tp}: {e}")
                meta["attention_checks"] = [c for c in meta["attention_checks"] if c["unit"] != unit]
                meta["attention_checks"].append({"unit": unit, "results": checks + [r.as_dict() for r in e.results],
                                                 "error": str(e)})
                meta_file.save(root, meta)
                failed.append(unit)
                continue
            # A unit's rows are written together once both parts are measured, so the files
            # always hold exactly the units meta.json lists as completed.
            write_csv(mlp_path, mlp_columns(model), merge_rows(mlp_path, mlp_columns(model), keep, token.rows))
            write_csv(attention_path, attention_columns(),
                      merge_rows(attention_path, attention_columns(), keep, attn.rows))
            kernels = dict(token.kernels, **attn.kernels)
            files = [os.path.relpath(p, root) for p in (mlp_path, attention_path)]
            meta["attention_checks"] = [c for c in meta["attention_checks"] if c["unit"] != unit]
            meta["attention_checks"].append({"unit": unit, "results": checks + attn.checks})
            meta_file.record_unit(meta, model.name, tp, kernels, token.elementwise_fused, files,
                                  {"mlp": len(token.rows), "attention": len(attn.rows)})
            meta.setdefault("kernel_details", {}).update(attn.details)
            meta_file.save(root, meta)
            done_units.add(unit)
            log(f"{model.name} TP{tp}: {len(token.rows)} mlp and {len(attn.rows)} attention rows written in "
                f"{time.monotonic() - started:.1f} s")
    return failed


def record_network(meta, args, files, backend, clock, world, local_world, sizes):
    meta["network"][args.node] = {
        "files": [os.path.relpath(f, args.output) for f in files], "backend": backend, "clock": clock,
        "world_size": world, "devices_per_node": local_world, "sizes": len(sizes),
        "element": "float16", "sample": "slowest participating rank per repetition",
    }


def network_requested(args, torch, device):
    if args.network_only:
        return True
    if args.network == "off":
        return False
    if args.network == "on":
        return True
    return device.type == "cuda" and torch.cuda.device_count() > 1


def run_under_torchrun(args, world_facts, log):
    """One rank of a torchrun job: collectives only; rank 0 writes."""
    import torch
    import torch.distributed as dist
    from . import network
    rank, world, local_world = world_facts
    if not args.node:
        raise UsageError("--node is required under torchrun (the node name of network/<node>/)")
    check_name("--sku", args.sku)
    check_name("--node", args.node)
    grid = make_grid(args)
    backend = args.network_backend or "nccl"
    dist.init_process_group(backend, init_method="env://")
    try:
        rows, clock_name = network.measure_collectives(rank, world, local_world, backend, list(grid.collective_sizes),
                                                       args.repetitions, args.warmup,
                                                       log if rank == 0 else (lambda _m: None))
    finally:
        dist.destroy_process_group()
    if rank == 0:
        device = torch.device("cuda", 0) if backend == "nccl" else torch.device("cpu")
        clock = network.make_clock(torch, device)
        identity = make_identity(args, torch, device, select_dtype(torch, args.dtype, device), clock, grid)
        meta = open_meta(args, identity, torch, device, clock, log)
        files = network.write_network(args.output, args.node, rows, local_world)
        record_network(meta, args, files, backend, clock_name, world, local_world, grid.collective_sizes)
        meta_file.save(args.output, meta)
        log(f"network: wrote {', '.join(files)}")
    return 0


def make_identity(args, torch, device, dtype, clock, grid):
    name = torch.cuda.get_device_properties(device).name if device.type == "cuda" else "cpu"
    return {"sku": args.sku, "device_name": name, "dtype": str(dtype).replace("torch.", ""), "clock": clock.name,
            "elementwise_mode": args.elementwise, "repetitions": args.repetitions, "warmup": args.warmup,
            "rotate_bytes": int(args.rotate_mb * 2 ** 20), "block_size": args.block_size, "grid": grid.describe()}


def run(argv):
    args = build_parser().parse_args(argv)
    log = Log()
    from . import network
    world_facts = network.torchrun_world()
    if world_facts is not None and world_facts[1] > 1:
        return run_under_torchrun(args, world_facts, log)

    check_name("--sku", args.sku)
    check_name("--node", args.node)
    grid = make_grid(args)
    tps = parse_tps(args.tp)
    models = []
    if not args.network_only:
        names = [m.strip() for m in (args.model or "").split(",") if m.strip()]
        if not names:
            raise UsageError("--model: name the models to profile (or 'all'), or pass --network-only")
        models = find_models(read_models(args.data_dir), names)
    torch = import_torch()
    device = select_device(torch, args.device)
    dtype = select_dtype(torch, args.dtype, device)
    if device.type == "cpu" and dtype != torch.float32:
        raise UsageError(f"--dtype {args.dtype}: CPU matrix products need float32 in many PyTorch builds; "
                         f"use --dtype float32 (or auto) on the CPU")
    clock = network.make_clock(torch, device)
    want_network = network_requested(args, torch, device)
    if want_network and not args.node:
        raise UsageError("several GPUs are visible: name the node with --node (e.g. h100_dgx) or pass --network off")
    identity = make_identity(args, torch, device, dtype, clock, grid)
    meta = open_meta(args, identity, torch, device, clock, log)
    atol, rtol = TOLERANCES[identity["dtype"]]
    meta["reference_check"] = {"reference": "fp32", "passes_when": "|out - ref| <= atol + rtol * |ref| everywhere",
                               "atol": atol, "rtol": rtol}
    meta_file.save(args.output, meta)
    log(f"profiling on {meta['device'].get('name')} ({device}, {identity['dtype']}, clock {clock.name}) into "
        f"{args.output}")

    failed = []
    if not args.network_only:
        from .compute import ProfileSettings
        settings = ProfileSettings(torch=torch, device=device, dtype=dtype, clock=clock, grid=grid,
                                   repetitions=args.repetitions, warmup=args.warmup,
                                   rotate_bytes=identity["rotate_bytes"], block_size=args.block_size,
                                   elementwise_mode=args.elementwise, seed=args.seed,
                                   attention_kernels=attention_candidates(torch, args.attention_kernel), log=log.once)
        failed = profile_compute(args, settings, models, tps, meta, log)

    if want_network:
        backend = args.network_backend or ("nccl" if device.type == "cuda" else "gloo")
        workers = args.network_workers or (torch.cuda.device_count() if device.type == "cuda" else 0)
        if workers < 2:
            raise UsageError("collectives need at least 2 workers: pass --network-workers N (or run on several GPUs)")
        if backend == "nccl" and workers > torch.cuda.device_count():
            raise UsageError(f"--network-workers {workers}: only {torch.cuda.device_count()} GPU(s) visible")
        log(f"network: {workers} workers, backend {backend}, {len(grid.collective_sizes)} sizes")
        rows, clock_name = network.run_spawned(workers, backend, grid.collective_sizes, args.repetitions, args.warmup,
                                               args.output)
        files = network.write_network(args.output, args.node, rows, workers)
        record_network(meta, args, files, backend, clock_name, workers, workers, grid.collective_sizes)
        meta_file.save(args.output, meta)
        log(f"network: wrote {', '.join(files)}")

    if failed:
        log(f"no rows written for {', '.join(failed)}: no attention kernel passed the reference check")
        return EXIT_KERNEL_REJECTED
    log("done")
    return 0


def main(argv=None):
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except (UsageError, SpecError, grids.GridError, meta_file.MetaError, LayoutError) as e:
        print(f"profile-gpu: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("profile-gpu: interrupted; finished (model, TP) units are kept and a rerun resumes after them",
              file=sys.stderr)
        return 130
