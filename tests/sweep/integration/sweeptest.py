"""Helpers of the sweep integration tests: run `infersweep sweep` under mpiexec, read its HDF5
file with h5py (SWMR, so files being written or left by a killed sweep read too), and compare
result sets bit for bit, ignoring how rows were produced (wall time, run, rank) and row order.

Configured by ctest through the environment: INFERSWEEP, MPIEXEC, SWEEP_GRID, TRACE_DIR,
WORK_DIR."""
import os
import re
import signal
import subprocess
import time

import h5py
import numpy as np

EXECUTION_COLUMNS = {"wall_s", "run", "rank", "row_checksum"}

INFERSWEEP = os.environ["INFERSWEEP"]
MPIEXEC = os.environ["MPIEXEC"]
GRID = os.environ["SWEEP_GRID"]
TRACE_DIR = os.environ["TRACE_DIR"]
WORK_DIR = os.environ["WORK_DIR"]


def scaled_grid(path, factor):
    """Writes the test grid with `factor` times the requests of each trace to `path`: a sweep
    long enough to be read or signalled while it runs."""
    with open(GRID) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"num_requests: (\d+)", lambda m: f"num_requests: {factor * int(m.group(1))}", text))
    return path


def work_path(name):
    os.makedirs(WORK_DIR, exist_ok=True)
    return os.path.join(WORK_DIR, name)


def fresh(path):
    for suffix in ("", ".lock", ".STOP"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return path


def sweep_command(out, ranks, *extra):
    return [MPIEXEC, "-n", str(ranks), INFERSWEEP, "sweep", "--grid", GRID, "--trace-dir", TRACE_DIR,
            "--out", out, "--threads", "1", *extra]


def run_sweep(out, ranks, *extra, expect=0):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(sweep_command(out, ranks, *extra), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == expect, f"exit {done.returncode}, expected {expect}\n{done.stdout}\n{done.stderr}"
    return done


def start_sweep(out, ranks, *extra):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen(sweep_command(out, ranks, *extra), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_job(process, out):
    """SIGKILL to the launcher and every rank (Hydra starts ranks in their own sessions)."""
    os.killpg(process.pid, signal.SIGKILL)
    subprocess.run(["pkill", "-KILL", "-f", "--", "--out " + out], check=False)
    process.wait(timeout=60)
    deadline = time.time() + 30
    while time.time() < deadline:
        alive = subprocess.run(["pgrep", "-f", "--", "--out " + out], capture_output=True)
        if alive.returncode != 0:
            return
        time.sleep(0.1)
    raise AssertionError("ranks still alive after SIGKILL")


def open_file(path):
    return h5py.File(path, "r", libver="latest", swmr=True)


def committed_rows(path):
    """Committed rows of (results, probes): the /progress record counts them."""
    try:
        with open_file(path) as f:
            progress = f["progress"][0]
            return int(progress["results_rows"]), int(progress["probes_rows"])
    except (OSError, KeyError):
        return 0, 0


def column_values(dataset, n):
    """The first n values of a column; an enum column (status) as its names, in bytes like the
    text columns, taken from the file's enum type."""
    values = dataset[:n]
    members = h5py.check_enum_dtype(dataset.dtype)
    if members:
        names = {code: name.encode() for name, code in members.items()}
        values = np.array([names[int(v)] for v in values], dtype="S")
    return values


def load(path, table="results"):
    """The committed rows of a table as {column: numpy array}."""
    with open_file(path) as f:
        n = int(f["progress"][0][table + "_rows"])
        group = f[table]
        return {name: column_values(group[name], n) for name in group.attrs["columns"]}


def keyed_rows(columns, key=("config_id",)):
    """{key tuple: tuple of column values} without execution columns; asserts keys are unique."""
    names = [c for c in columns if c not in EXECUTION_COLUMNS]
    n = len(columns["config_id"])
    rows = {}
    for i in range(n):
        k = tuple(columns[c][i].item() if hasattr(columns[c][i], "item") else columns[c][i] for c in key)
        values = []
        for c in names:
            v = columns[c][i]
            if isinstance(v, (float, np.floating)):
                values.append("nan" if np.isnan(v) else np.float64(v).tobytes().hex())
            else:
                values.append(v.item() if hasattr(v, "item") else v)
        assert k not in rows, f"duplicate row for {k}"
        rows[k] = tuple(values)
    return rows


def result_set(path):
    return keyed_rows(load(path, "results")), keyed_rows(load(path, "probes"), ("config_id", "probe"))


def wait_for_rows(path, minimum, process, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError("the sweep ended before it was interrupted: " + process.stderr.read())
        if committed_rows(path)[0] >= minimum:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {minimum} committed rows within {timeout} s")
