"""Reading a sweep's HDF5 file (schema: docs/sweep.md) into pandas.

The file is opened for SWMR reading, so a file that a sweep is still writing, or one left by a
killed sweep, reads too. Only committed rows are returned: the /progress record says how many
rows of /results and /probes are complete, and anything past them is ignored."""

import dataclasses
import os

import h5py
import numpy as np
import pandas as pd

STATES = {0: "running", 1: "complete", 2: "stopped", 3: "failed"}  # files whose state is a plain integer


@dataclasses.dataclass
class SweepFile:
    """Everything a sweep file holds, as Python and pandas values."""
    path: str
    results: pd.DataFrame       # one row per config (latest result), committed rows only
    probes: pd.DataFrame        # one row per probe of every search
    attributes: dict            # root attributes: schema version, provenance of the latest run
    runs: list                  # provenance of every run (first run and each resume), in order
    progress: dict              # the /progress record, plus "state_name"

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


def _read_table(group, rows):
    """The first `rows` rows of a column group, columns in the file's order, with units."""
    names = [_text(n) for n in group.attrs["columns"]] if "columns" in group.attrs else sorted(group)
    columns, units, descriptions = {}, {}, {}
    for name in names:
        dataset = group[name]
        dataset.refresh()  # a no-op on a finished file; picks up new extents while a sweep writes
        values = dataset[:rows]
        names = _enum_names(dataset.dtype)
        if names is not None:  # an enum column (status): its names, as the file gives them
            values = np.array([names.get(int(v), f"unknown ({int(v)})") for v in values], dtype=object)
        elif values.dtype.kind == "S":
            values = np.array([v.decode("utf-8", "replace") for v in values], dtype=object)
        columns[name] = values
        units[name] = _text(dataset.attrs.get("units", ""))
        descriptions[name] = _text(dataset.attrs.get("description", ""))
    table = pd.DataFrame(columns, columns=names)
    table.attrs["units"] = units
    table.attrs["descriptions"] = descriptions
    return table


def load(path):
    """Reads a sweep file. Raises FileNotFoundError when it is missing and ValueError when it
    is not an infersweep sweep file."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        handle = h5py.File(path, "r", libver="latest", swmr=True)
    except OSError as error:
        raise ValueError(f"{path}: not an HDF5 file that can be read ({error})") from error
    with handle as f:
        if "progress" not in f or "results" not in f or "probes" not in f:
            raise ValueError(f"{path}: not an infersweep sweep file (no /progress, /results or /probes)")
        f["progress"].refresh()
        record = f["progress"][0]
        progress = {name: _text(record[name]) for name in record.dtype.names}
        states = _enum_names(record.dtype.fields["state"][0]) or STATES
        progress["state_name"] = states.get(int(progress["state"]), f"unknown ({progress['state']})")
        results = _read_table(f["results"], int(progress["results_rows"]))
        probes = _read_table(f["probes"], int(progress["probes_rows"]))
        attributes = {k: _text(v) for k, v in f.attrs.items()}
        runs = [{k: _text(v) for k, v in f["runs"][name].attrs.items()} for name in sorted(f.get("runs", {}))]
    return SweepFile(path=path, results=results, probes=probes, attributes=attributes, runs=runs, progress=progress)


def load_results(path):
    """The results table of a sweep file: one row per config."""
    return load(path).results


def load_probes(path):
    """The probes table of a sweep file: one row per probe of every capacity search."""
    return load(path).probes
