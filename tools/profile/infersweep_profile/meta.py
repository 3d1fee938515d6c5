"""meta.json at the output root: what the profile ran on, how it measured, which kernel ran
each operator, and which (model, TP) units and collectives are complete (a rerun resumes from
there). One output directory holds one GPU SKU's profile measured one way; a rerun that would
mix in other settings is refused."""
import datetime
import json
import os
import platform
import re
import shutil
import subprocess

from . import FORMAT_VERSION

META_FILE = "meta.json"
# Settings that must agree for rows of two runs to sit in one directory.
IDENTITY_KEYS = ("sku", "device_name", "dtype", "clock", "elementwise_mode", "repetitions", "warmup", "rotate_bytes",
                 "block_size", "grid")


class MetaError(ValueError):
    pass


def _driver_version():
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    return None


def device_facts(torch, device):
    facts = {"type": device.type}
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        facts.update(name=p.name, sm_count=p.multi_processor_count, memory_gib=round(p.total_memory / 2 ** 30, 2),
                     compute_capability=f"{p.major}.{p.minor}", driver=_driver_version(),
                     cuda=torch.version.cuda, hip=getattr(torch.version, "hip", None),
                     visible_devices=torch.cuda.device_count())
    else:
        facts.update(name=platform.processor() or platform.machine(), cpu_count=os.cpu_count())
    return facts


def software_facts(torch):
    return {"torch": torch.__version__, "python": platform.python_version(),
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}


def new_meta(identity, torch, device, method):
    return {
        "format_version": FORMAT_VERSION,
        "tool": "infersweep tools/profile/profile-gpu",
        "sku": identity["sku"],
        "elementwise_kernels": None,  # set from the kernels that ran, see elementwise_label
        "identity": identity,
        "device": device_facts(torch, device),
        "software": software_facts(torch),
        "date": datetime.date.today().isoformat(),
        "clock": identity["clock"],
        "method": method,
        "dtype": identity["dtype"],
        "repetitions": identity["repetitions"],
        "warmup": identity["warmup"],
        "rotate_bytes": identity["rotate_bytes"],
        "kernels": {},
        "completed": [],
        "attention_checks": [],
        "skipped": [],
        "network": {},
    }


def load(root):
    path = os.path.join(root, META_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise MetaError(f"{path}: cannot read: {e}") from e
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise MetaError(f"{path}: not a meta.json of this profiler (format_version {FORMAT_VERSION})")
    return meta


def check_identity(root, meta, identity):
    """Refuses to add rows measured differently to a directory."""
    held = meta.get("identity", {})
    for key in IDENTITY_KEYS:
        if held.get(key) != identity.get(key):
            raise MetaError(f"{os.path.join(root, META_FILE)}: this directory holds a profile with {key} = "
                            f"{json.dumps(held.get(key))[:200]}, this run has {json.dumps(identity.get(key))[:200]}; "
                            f"use another --output, or --fresh to start over")


def save(root, meta):
    os.makedirs(root, exist_ok=True)
    meta["updated"] = datetime.datetime.now().isoformat(timespec="seconds")
    meta["elementwise_kernels"] = elementwise_label(meta)
    path = os.path.join(root, META_FILE)
    temporary = f"{path}.partial-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(to_json(meta) + "\n")
    os.replace(temporary, path)


def to_json(meta):
    """Indented JSON with lists of numbers kept on one line (grids have thousands of points)."""
    text = json.dumps(meta, indent=1)
    return re.sub(r"\[[-+0-9.eE,\s]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)


def elementwise_label(meta):
    """'fused' when every element-wise operator of every completed unit ran a single fused
    kernel, else 'eager' (the learned predictor keeps such data from replacing fused data)."""
    units = meta.get("completed", [])
    if not units:
        return "eager"
    return "fused" if all(u.get("elementwise_fused") for u in units) else "eager"


def unit_key(model_name, tp):
    return f"{model_name} tp{tp}"


def completed_tps(meta, model_name):
    return {u["tp"] for u in meta.get("completed", []) if u.get("model") == model_name}


def completed_units(meta):
    return {u["unit"] for u in meta.get("completed", [])}


def record_unit(meta, model_name, tp, kernels, elementwise_fused, files, rows):
    unit = unit_key(model_name, tp)
    meta["completed"] = [u for u in meta["completed"] if u["unit"] != unit]
    meta["completed"].append({"unit": unit, "model": model_name, "tp": tp, "files": files, "rows": rows,
                              "kernels": kernels, "elementwise_fused": elementwise_fused})
    merged = {}
    for u in meta["completed"]:
        for op, name in u["kernels"].items():
            merged.setdefault(op, set()).add(name)
    meta["kernels"] = {op: sorted(names) for op, names in merged.items()}
