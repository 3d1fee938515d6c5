"""The files a profile writes, in the layout of Vidur's profiling data (what infersweep's
learned predictor reads, src/predict/profiling_data.cpp): their paths, columns and cell format.
Files are replaced atomically (written aside, then renamed), so an interrupted run never leaves
half a file."""
import csv
import os

from .timing import STAT_NAMES
from .token_ops import token_ops

MLP_SHAPE_COLUMNS = ("n_head", "n_kv_head", "n_embd", "n_expanded_embd", "vocab_size", "use_gated_mlp", "num_tokens",
                     "num_tensor_parallel_workers")
ATTENTION_OPS = ("attn_decode", "attn_kv_cache_save", "attn_prefill")
ATTENTION_SHAPE_COLUMNS = ("n_embd", "n_q_head", "n_kv_head", "block_size", "num_tensor_parallel_workers",
                           "max_model_len", "batch_size", "prefill_chunk_size", "kv_cache_size", "is_prefill",
                           "attention_backend", "profile_method")
COLLECTIVE_COLUMNS = ("rank", "num_workers", "size", "collective", "devices_per_node", "max_devices_per_node")
INDEX_COLUMN = ""  # pandas' unnamed index column, first in Vidur's network files


class LayoutError(ValueError):
    """An existing file in the way of the one this profile writes."""


def stat_columns(op):
    return [f"time_stats.{op}.{name}" for name in STAT_NAMES]


def mlp_columns(model):
    return [c for op in token_ops(model) for c in stat_columns(op)] + list(MLP_SHAPE_COLUMNS)


def attention_columns():
    return list(ATTENTION_SHAPE_COLUMNS) + [c for op in ATTENTION_OPS for c in stat_columns(op)]


def collective_columns(collective):
    return [INDEX_COLUMN] + stat_columns(collective) + list(COLLECTIVE_COLUMNS)


def compute_dir(root, sku, model):
    return os.path.join(root, "compute", sku, *model.name.split("/"))


def network_dir(root, node):
    return os.path.join(root, "network", node)


def cell(value):
    """Booleans as pandas writes them (True/False), times with 6 significant digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def write_csv(path, columns, rows):
    """rows: dicts (missing keys become empty cells); replaces `path` atomically."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.partial-{os.getpid()}"
    with open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueError(f"{path}: row has columns outside the layout: {sorted(unknown)}")
            writer.writerow([cell(row.get(c)) for c in columns])
    os.replace(temporary, path)


def read_csv(path):
    """(columns, rows as dicts of strings) of a file written before, or (None, []) if absent."""
    if not os.path.exists(path):
        return None, []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        columns = next(reader, None)
        rows = [dict(zip(columns, r)) for r in reader] if columns else []
    return columns, rows


def merge_rows(path, columns, keep, new_rows):
    """The rows of `path` that `keep(row)` accepts, then `new_rows`. A file with other columns
    (another model shape or an older layout) is an error rather than silently mixed."""
    existing_columns, existing = read_csv(path)
    if existing_columns is not None and existing_columns != list(columns):
        raise LayoutError(f"{path}: existing file has other columns than this profile writes; "
                         f"move it away or use --fresh")
    return [r for r in existing if keep(r)] + list(new_rows)
