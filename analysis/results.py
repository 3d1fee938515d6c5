"""Reading a sweep's HDF5 file (schema: docs/sweep.md), or a search's output (capacity.csv,
probes.csv and capacity.json in its --output-dir), into pandas.

A sweep file is opened for SWMR reading, so a file that a sweep is still writing, or one left by
a killed sweep, reads too. Only committed rows are returned: the /progress record says how many
rows of /results and /probes are complete, and anything past them is ignored. Each stored row
carries a checksum (column row_checksum, FNV-1a over the row's other columns as stored); rows
whose checksum differs are left out and listed in SweepFile.damaged. A damaged, truncated or
foreign file raises ValueError with one line naming the path, within about a second.

A search's CSV files are typed by the column declarations that capacity.json carries, so that
their tables have the dtypes of a sweep file's: text and status as str, integers as int64,
booleans as bool, and NaN where a number's cell is empty. They lack the sweep's execution
columns `run` and `rank`."""

import ctypes
import csv
import dataclasses
import json
import math
import os
import re
import signal
import time

import h5py
import numpy as np
import pandas as pd

STATES = {0: "running", 1: "complete", 2: "stopped", 3: "failed"}  # files whose state is a plain integer
CHECKSUM_COLUMN = "row_checksum"  # declared in src/sweep/sweep_schema.cpp
# HDF5 retries a metadata read whose checksum fails (an SWMR reader may catch the writer
# mid-flush) 100 times by default, with doubling pauses: hours on a damaged file. As in
# src/sweep/results_file.cpp, 25 attempts cover a flush and fail a damaged file at once.
METADATA_READ_ATTEMPTS = 25


@dataclasses.dataclass
class SweepFile:
    """Everything a sweep file holds, as Python and pandas values."""
    path: str
    results: pd.DataFrame       # one row per config (latest result), committed rows only
    probes: pd.DataFrame        # one row per probe of every search
    attributes: dict            # root attributes: schema version, provenance of the latest run
    runs: list                  # provenance of every run (first run and each resume), in order
    progress: dict              # the /progress record, plus "state_name"
    source: str = "sweep"       # "sweep" (an .h5 file) or "search" (a search's output)
    damaged: list = dataclasses.field(default_factory=list)  # (table, row, config_id) of rows left out
    checked: bool = True        # False: the file has no row checksums (written before them)

    @property
    def units(self):
        """Units of the results columns ("s", "$/h", ...; "" when none)."""
        return self.results.attrs.get("units", {})

    @property
    def finished(self):
        return self.progress["state_name"] == "complete"


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _enum_names(dtype):
    """{code: name} of an HDF5 enum type as h5py describes it, or None for any other type
    (booleans, which h5py reads as numpy.bool_, included)."""
    members = h5py.check_enum_dtype(dtype)
    return {code: name for name, code in members.items()} if members else None


FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)


def row_checksums(raw_columns):
    """FNV-1a (64 bits) of each row over the bytes of `raw_columns` (numpy arrays as h5py reads
    them: fixed-width bytes, native numbers, one-byte enums and booleans), as an int64 array:
    what src/sweep/row_checksum.cpp computes."""
    rows = len(raw_columns[0]) if raw_columns else 0
    hashes = np.full(rows, FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for values in raw_columns:
            data = np.ascontiguousarray(values)
            as_bytes = data.view(np.uint8).reshape(rows, data.dtype.itemsize) if rows else data
            for b in range(data.dtype.itemsize if rows else 0):
                hashes = (hashes ^ as_bytes[:, b].astype(np.uint64)) * FNV_PRIME
    return hashes.view(np.int64)


def _read_table(group, rows, table, damaged):
    """The first `rows` rows of a column group, columns in the file's order, with units; rows
    whose checksum differs are left out and appended to `damaged`. Returns (table, checked)."""
    names = [_text(n) for n in group.attrs["columns"]] if "columns" in group.attrs else sorted(group)
    checked = bool(names) and names[-1] == CHECKSUM_COLUMN
    raw = {}
    for name in names:
        dataset = group[name]
        dataset.refresh()  # a no-op on a finished file; picks up new extents while a sweep writes
        if dataset.shape[0] < rows:
            raise ValueError(f"{table}/{name} has {dataset.shape[0]} rows, {rows} are committed")
        raw[name] = dataset[:rows]
    keep = np.ones(rows, dtype=bool)
    if checked:
        names = names[:-1]
        keep = row_checksums([raw[n] for n in names]) == raw[CHECKSUM_COLUMN]
        ids = raw.get("config_id")
        for row in np.flatnonzero(~keep):
            damaged.append((table, int(row), _text(ids[row]).rstrip("\0") if ids is not None else ""))
    columns, units, descriptions = {}, {}, {}
    for name in names:
        dataset = group[name]
        values = raw[name][keep]
        names = _enum_names(dataset.dtype)
        if names is not None:  # an enum column (status): its names, as the file gives them
            values = np.array([names.get(int(v), f"unknown ({int(v)})") for v in values], dtype=object)
        elif values.dtype.kind == "S":
            values = np.array([v.decode("utf-8", "replace") for v in values], dtype=object)
        columns[name] = values
        units[name] = _text(dataset.attrs.get("units", ""))
        descriptions[name] = _text(dataset.attrs.get("description", ""))
    frame = pd.DataFrame(columns, columns=names)
    frame.attrs["units"] = units
    frame.attrs["descriptions"] = descriptions
    return frame, checked


def describe_damaged(damaged):
    """One line naming the rows left out for a differing checksum ("" when none)."""
    if not damaged:
        return ""
    named = ", ".join(f"{table} row {row} config {config or '?'}" for table, row, config in damaged[:10])
    more = ", ..." if len(damaged) > 10 else ""
    return f"{len(damaged)} damaged row{'s' if len(damaged) != 1 else ''} (checksum differs) left out: {named}{more}"


def _hdf5_library():
    """The HDF5 library h5py loaded (found among the process's mappings), or None."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "libhdf5" in os.path.basename(path) and "_hl" not in os.path.basename(path):
                    return ctypes.CDLL(path)
    except OSError:
        pass
    return None


def _bound_metadata_attempts(fapl):
    """Sets METADATA_READ_ATTEMPTS on an h5py file-access list; False where that cannot be done
    (h5py has no setting for it: the HDF5 call is made through the library h5py loaded)."""
    library = _hdf5_library()
    if library is None:
        return False
    try:
        function = library.H5Pset_metadata_read_attempts
    except AttributeError:
        return False
    function.argtypes = [ctypes.c_int64, ctypes.c_uint]
    return function(fapl.id, METADATA_READ_ATTEMPTS) >= 0


def _open_swmr(path):
    """h5py.File for SWMR reading, with bounded metadata retries."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    if not _bound_metadata_attempts(fapl):
        # Without bounded retries, a plain open first finds damaged metadata at once; it fails
        # on a file in SWMR-write mode, which the SWMR open below then reads.
        try:
            return h5py.File(path, "r")
        except OSError:
            pass
    return h5py.File(h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl))


def _unreadable(path, error):
    text = " ".join(str(error).split())
    if any(m in text for m in ("already open for write", "consistency flags", "not already open for SWMR writing")):
        return ValueError(f"{path}: marked as still open for writing by a process that is gone (HDF5 status flag; "
                          f"{text}); if no sweep is writing it, clear the mark with `h5clear -s {path}` and retry")
    return ValueError(f"{path}: not an infersweep sweep file (damaged or truncated HDF5 file: {text}); its rows "
                      f"cannot be read: move it aside and start a fresh sweep")


def search_capacity_csv(path):
    """The capacity.csv of a search's output when `path` is its directory or that file (or any
    .csv); None for anything else (a sweep file)."""
    if os.path.isdir(path):
        return os.path.join(path, "capacity.csv")
    return path if path.endswith(".csv") else None


_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def _inferred_kind(cells):
    """A column's kind from its cells alone (a capacity.csv without its capacity.json): a float
    column whose values are all whole numbers then reads as int64."""
    if cells and all(c in ("true", "false") for c in cells):
        return "boolean"
    if cells and all(_INTEGER.match(c) for c in cells):
        return "int64"
    try:
        for c in cells:
            if c != "":
                float(c)
        return "float64" if any(c != "" for c in cells) else "text"
    except ValueError:
        return "text"


def _typed_column(path, name, kind, cells, lines):
    def bad(i, expected):
        return ValueError(f"{path}:{lines[i]}: column '{name}': expected {expected}, got '{cells[i]}'")

    if kind == "int64":
        out = np.empty(len(cells), dtype=np.int64)
        for i, c in enumerate(cells):
            if not _INTEGER.match(c.strip()):
                raise bad(i, "an integer")
            out[i] = int(c)
        return out
    if kind == "float64":
        out = np.empty(len(cells), dtype=np.float64)
        for i, c in enumerate(cells):
            try:
                out[i] = float(c) if c.strip() != "" else np.nan
            except ValueError:
                raise bad(i, "a number (or an empty cell for none)") from None
        return out
    if kind == "boolean":
        for i, c in enumerate(cells):
            if c not in ("true", "false"):
                raise bad(i, "true or false")
        return np.array([c == "true" for c in cells], dtype=bool)
    return np.array(cells, dtype=object)


def _read_csv_table(path, declared):
    """A CSV written from a table declaration, typed by `declared` (the list of column
    declarations from capacity.json) or, when that is None, by its cells."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}:1: the file is empty (expected a header)")
        rows, lines = [], []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path}:{reader.line_num}: expected {len(header)} cells as in the header, "
                                 f"got {len(row)}")
            rows.append(row)
            lines.append(reader.line_num)
    if declared is not None:
        names = [c["name"] for c in declared]
        for i in range(max(len(header), len(names))):
            if i < len(header) and i < len(names) and header[i] == names[i]:
                continue
            if i >= len(header):
                problem = f"column {i + 1} '{names[i]}' is missing"
            elif i >= len(names):
                problem = f"column {i + 1} '{header[i]}' is not declared"
            else:
                problem = f"column {i + 1} is '{header[i]}', expected '{names[i]}'"
            raise ValueError(f"{path}:1: header: {problem} (capacity.json declares {','.join(names)})")
    else:
        declared = [{"name": h} for h in header]
    columns, units, descriptions = {}, {}, {}
    for i, column in enumerate(declared):
        name = column["name"]
        cells = [row[i] for row in rows]
        kind = column.get("kind") or _inferred_kind(cells)
        columns[name] = _typed_column(path, name, kind, cells, lines)
        units[name] = column.get("units", "")
        descriptions[name] = column.get("description", "")
    table = pd.DataFrame(columns, columns=list(columns))
    table.attrs["units"] = units
    table.attrs["descriptions"] = descriptions
    return table


def load_search(path):
    """Reads a search's output: its --output-dir, or the capacity.csv in it (probes.csv and
    capacity.json are read from beside it when there)."""
    capacity = search_capacity_csv(path) or path
    if not os.path.exists(capacity):
        raise FileNotFoundError(f"{capacity}: no such file (expected a search's --output-dir or its capacity.csv)")
    directory = os.path.dirname(capacity)
    summary = {}
    summary_path = os.path.join(directory, "capacity.json")
    if os.path.exists(summary_path):
        with open(summary_path, encoding="utf-8") as f:
            try:
                summary = json.load(f)
            except ValueError as error:
                raise ValueError(f"{summary_path}: not JSON ({error})") from error
    columns = summary.get("columns", {})
    results = _read_csv_table(capacity, columns.get("results"))
    probes_path = os.path.join(directory, "probes.csv")
    if os.path.exists(probes_path):
        probes = _read_csv_table(probes_path, columns.get("probes"))
    else:
        probes = pd.DataFrame({c["name"]: [] for c in columns.get("probes", [])})
    attributes = {k: v for k, v in summary.items() if k not in ("columns", "results", "search")}
    attributes.update({f"search_{k}": v for k, v in summary.get("search", {}).items()})
    rows = len(results)
    progress = {"results_rows": rows, "probes_rows": len(probes), "grid_configs": rows, "grid_done": rows,
                "state": 1, "state_name": "complete"}
    return SweepFile(path=path, results=results, probes=probes, attributes=attributes, runs=[], progress=progress,
                     source="search")


def _trial_read(path):
    """Reads the sweep file in a child process first, as infersweep does (src/sweep/isolated_run.cpp):
    HDF5 1.10 can crash or loop on damaged metadata, which would end or hang this process. Raises
    ValueError when the child crashed or did not end in time; a child's own error is left to the
    read in this process, which meets it again."""
    limit_s = math.ceil(10 + os.path.getsize(path) / 20e6)
    pid = os.fork()
    if pid == 0:  # the child: its diagnostics are not ours to print
        code = 0
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            _read_in_process(path)
        except BaseException:  # noqa: B902 - any error: the parent reads again and reports it
            code = 97
        os._exit(code)
    deadline = time.monotonic() + limit_s
    pause = 0.0002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise _unreadable(path, f"reading it did not end within {limit_s:g} s")
        time.sleep(pause)
        pause = min(2 * pause, 0.02)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        raise _unreadable(path, f"reading it crashed the HDF5 library: signal {number} ({signal.strsignal(number)})")


def load(path):
    """Reads a sweep file, or a search's output directory or its capacity.csv. Raises
    FileNotFoundError when it is missing and ValueError when it is not an infersweep sweep file
    or search output."""
    if search_capacity_csv(path) is not None:
        return load_search(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path}: not an infersweep sweep file (not an HDF5 file)")
    _trial_read(path)
    return _read_in_process(path)


def _read_in_process(path):
    try:
        handle = _open_swmr(path)
    except (OSError, RuntimeError, ValueError) as error:
        raise _unreadable(path, error) from None
    with handle as f:
        try:
            if "progress" not in f or "results" not in f or "probes" not in f:
                raise ValueError(f"{path}: not an infersweep sweep file (no /progress, /results or /probes)")
            return _read_sweep(path, f)
        except (OSError, RuntimeError) as error:
            raise _unreadable(path, error) from None
        except ValueError:
            raise
        except (KeyError, TypeError, IndexError, AttributeError) as error:
            raise ValueError(f"{path}: not an infersweep sweep file ({type(error).__name__}: {error})") from None


def _read_sweep(path, f):
    f["progress"].refresh()
    record = f["progress"][0]
    progress = {name: _text(record[name]) for name in record.dtype.names}
    states = _enum_names(record.dtype.fields["state"][0]) or STATES
    progress["state_name"] = states.get(int(progress["state"]), f"unknown ({progress['state']})")
    damaged = []
    results, results_checked = _read_table(f["results"], int(progress["results_rows"]), "results", damaged)
    probes, probes_checked = _read_table(f["probes"], int(progress["probes_rows"]), "probes", damaged)
    attributes = {k: _text(v) for k, v in f.attrs.items()}
    runs = [{k: _text(v) for k, v in f["runs"][name].attrs.items()} for name in sorted(f.get("runs", {}))]
    return SweepFile(path=path, results=results, probes=probes, attributes=attributes, runs=runs, progress=progress,
                     damaged=damaged, checked=results_checked and probes_checked)


def load_results(path):
    """The results table of a sweep file or search output: one row per config."""
    return load(path).results


def load_probes(path):
    """The probes table of a sweep file or search output: one row per probe of every capacity search."""
    return load(path).probes
