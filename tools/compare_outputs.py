#!/usr/bin/env python3
"""Compares two outputs of infersweep, leaving out what depends on the machine (wall time):

  compare_outputs.py text A B    byte for byte, after dropping a CSV's wall_s column or a JSON
                                 document's "wall_s" members; top-level JSON members that only
                                 B has (new metadata) are listed, not compared
  compare_outputs.py sweep A B   the committed rows of two sweep files, column by column, rows
                                 keyed by config id (and probe number), doubles by their bits,
                                 enum columns by their names; wall_s, rank and run left out

Exit 0 when equal, 1 otherwise."""
import csv
import io
import json
import struct
import sys

import h5py

SKIPPED = {"wall_s", "rank", "run"}


def committed(f, table):
    record = f["progress"][0]
    return int(record[f"{table}_rows"])


def column_values(dataset, rows):
    data = dataset[:rows]
    names = h5py.check_enum_dtype(dataset.dtype)
    if names:
        by_value = {v: k for k, v in names.items()}
        return [by_value.get(int(v), f"?{v}") for v in data]
    out = []
    for v in data:
        if isinstance(v, bytes):
            out.append(v.decode("utf-8", "replace").rstrip("\0"))
        elif hasattr(v, "dtype") and v.dtype.kind == "f":
            out.append(struct.pack("<d", float(v)).hex())
        else:
            out.append(v.item() if hasattr(v, "item") else v)
    return out


def table(path, name):
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        rows = committed(f, name)
        group = f[name]
        columns = {c: column_values(group[c], rows) for c in group.keys() if c not in SKIPPED}
    key_columns = ["config_id"] + (["probe"] if "probe" in columns else [])
    keyed = {}
    for i in range(rows):
        key = tuple(columns[k][i] for k in key_columns)
        if key in keyed:
            raise SystemExit(f"{path}: /{name} has row {key} twice")
        keyed[key] = {c: v[i] for c, v in columns.items()}
    return keyed, set(columns)


def without_wall_time(path, only_members=None):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if path.endswith(".json"):
        def drop(value):
            if isinstance(value, dict):
                return {k: drop(v) for k, v in value.items() if k != "wall_s"}
            if isinstance(value, list):
                return [drop(v) for v in value]
            return value
        # Numbers stay text, so that the comparison is exact.
        document = json.loads(text, parse_float=str, parse_int=str)
        if only_members is not None and isinstance(document, dict):
            document = {k: v for k, v in document.items() if k in only_members}
        return json.dumps(drop(document), indent=1)
    rows = list(csv.reader(io.StringIO(text)))
    if rows and "wall_s" in rows[0]:
        i = rows[0].index("wall_s")
        rows = [r[:i] + r[i + 1:] for r in rows]
    return "\n".join(",".join(r) for r in rows)


def top_level_members(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    return set(document) if isinstance(document, dict) else None


def compare_text(a_path, b_path):
    members = None
    if a_path.endswith(".json"):
        a_members, b_members = top_level_members(a_path), top_level_members(b_path)
        if a_members is not None and b_members is not None:
            for added in sorted(b_members - a_members):
                print(f"{b_path}: new member '{added}' (not compared)")
            members = a_members
    same = without_wall_time(a_path, members) == without_wall_time(b_path, members)
    if not same:
        print(f"{a_path} and {b_path} differ beyond wall time")
    return same


def compare_sweeps(a_path, b_path):
    same = True
    for name in ("results", "probes"):
        a, a_cols = table(a_path, name)
        b, b_cols = table(b_path, name)
        if a_cols != b_cols:
            print(f"/{name}: columns only in {a_path}: {sorted(a_cols - b_cols)}, only in {b_path}: {sorted(b_cols - a_cols)}")
        common = sorted(a_cols & b_cols)
        if set(a) != set(b):
            print(f"/{name}: different row keys ({len(set(a) - set(b))} only in A, {len(set(b) - set(a))} only in B)")
            same = False
            continue
        diffs = [(k, c) for k in sorted(a) for c in common if a[k][c] != b[k][c]]
        for k, c in diffs[:20]:
            print(f"/{name} {k} {c}: {a[k][c]!r} != {b[k][c]!r}")
        same = same and not diffs
        print(f"/{name}: {len(a)} rows, {len(common)} columns compared, {len(diffs)} differences")
    return same


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("text", "sweep"):
        raise SystemExit("usage: compare_outputs.py text|sweep A B")
    compare = compare_text if sys.argv[1] == "text" else compare_sweeps
    sys.exit(0 if compare(sys.argv[2], sys.argv[3]) else 1)


if __name__ == "__main__":
    main()
