"""analysis.load on a results file made by a sweep in this test run: the tables, their
types and units, the provenance, bad files, and reading a file a sweep is still writing."""
import os
import subprocess
import time

import h5py
import numpy as np
import pytest

import analysis
import sweeptest as st
from conftest import infersweep_pareto


def test_results_and_probes_are_the_committed_rows_in_file_column_order(sweep_file):
    sweep = analysis.load(sweep_file)
    with st.open_file(sweep_file) as f:
        columns = [c.decode() if isinstance(c, bytes) else c for c in f["results"].attrs["columns"]]
        rows = int(f["progress"][0]["results_rows"])
        probe_rows = int(f["progress"][0]["probes_rows"])
        raw_capacity = f["results/capacity_qps"][:rows]
        raw_ids = [v.decode() for v in f["results/config_id"][:rows]]
    # The row checksum is checked on loading and dropped: it describes the stored row, not a result.
    assert columns[-1] == analysis.results.CHECKSUM_COLUMN
    assert list(sweep.results.columns) == columns[:-1]
    assert sweep.checked and sweep.damaged == []
    assert len(sweep.results) == rows == sweep.progress["grid_configs"] > 0
    assert len(sweep.probes) == probe_rows == sweep.results["num_probes"].sum()
    np.testing.assert_array_equal(sweep.results["capacity_qps"].to_numpy(), raw_capacity)
    assert list(sweep.results["config_id"]) == raw_ids
    assert sweep.progress["state_name"] == "complete" and sweep.finished


def test_columns_have_python_types_and_units(sweep_file):
    results = analysis.load_results(sweep_file)
    assert all(isinstance(v, str) for v in results["status"]) and set(results["status"]) <= {"ok", "skipped"}
    assert results["tp"].dtype.kind == "i" and results["capacity_qps"].dtype.kind == "f"
    assert results["hit_time_limit"].dtype == bool
    assert results.attrs["units"]["ttft_p90"] == "s"
    assert results.attrs["units"]["dollars_per_hour"] == "$/h"
    ok = results[results["status"] == "ok"]
    np.testing.assert_allclose(ok["qps_per_dollar"], ok["capacity_qps"] / ok["dollars_per_hour"], rtol=1e-12)
    probes = analysis.load_probes(sweep_file)
    assert probes["passed"].dtype == bool
    assert set(probes["config_id"]) == set(ok["config_id"])


def test_provenance_and_runs(sweep_file):
    sweep = analysis.load(sweep_file)
    assert sweep.attributes["schema_version"] == 1
    assert sweep.attributes["grid_file"] == st.GRID
    assert len(sweep.runs) == 1 and sweep.runs[0]["ranks"] == 2


def test_missing_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        analysis.load(str(tmp_path / "absent.h5"))
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(ValueError, match="not an infersweep sweep file"):
        analysis.load(str(foreign))
    text = tmp_path / "text.h5"
    text.write_text("not hdf5\n")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        analysis.load(str(text))


def _read_while_running(path, grid):
    """Runs a one-rank sweep of `grid` into `path`, reading the file while it runs: returns the
    results seen part-way (each check made on the way) once the sweep has ended."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [st.MPIEXEC, "-n", "1", st.INFERSWEEP, "sweep", "--grid", grid, "--trace-dir", st.TRACE_DIR,
               "--gpu", "a100", "--out", path, "--threads", "1", "--flush-interval", "0.2", "-q"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = []
    try:
        while process.poll() is None:
            committed, _ = st.committed_rows(path)
            if committed == 0:
                time.sleep(0.05)
                continue
            sweep = analysis.load(path)
            report = infersweep_pareto(path)
            total = sweep.progress["grid_configs"]
            assert committed <= len(sweep.results) <= total
            assert report["results_rows"] >= len(sweep.results)
            if len(sweep.results) < total and sweep.progress["state_name"] == "running":
                assert report["sweep_state"] in ("running", "complete")
                analysis.analyse(sweep.results)
                partial.append(sweep.results)
            time.sleep(0.1)
    finally:
        _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    return partial


def test_a_file_being_written_reads_with_its_committed_rows(tmp_path):
    """SWMR: while a sweep runs, the loader and `infersweep pareto` see the committed rows, and
    every row seen then is in the final file unchanged."""
    path = st.work_path("running.h5")
    # A sweep long enough to be read part-way: on a fast or a loaded machine it may end before
    # the reader saw it running, so a longer one is tried.
    for factor in (2, 6, 18):
        grid = st.scaled_grid(str(tmp_path / f"slow{factor}.yaml"), factor)
        partial = _read_while_running(st.fresh(path), grid)
        if partial:
            break
    assert partial, "each sweep ended before a partial file could be read"
    final = analysis.load(path)
    assert final.finished and len(final.results) == final.progress["grid_configs"]
    by_id = final.results.set_index("config_id")
    for seen in partial:
        for _, row in seen.iterrows():
            assert by_id.loc[row["config_id"], "status"] == row["status"]
            assert by_id.loc[row["config_id"], "capacity_qps"] == row["capacity_qps"] or (
                np.isnan(row["capacity_qps"]) and np.isnan(by_id.loc[row["config_id"], "capacity_qps"]))
