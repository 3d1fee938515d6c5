"""A search's output directory (capacity.csv, probes.csv, capacity.json) reads and analyses
like a sweep file of the same grid: analysis.load gives the same tables with the same dtypes,
`infersweep pareto` the same groups, best configs, fronts and near configs, and the report its
figures; bad CSV files are one-line errors naming the file and line."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import analysis
import sweeptest as st
from conftest import infersweep_pareto

SWEEP_ONLY = {"run", "rank"}  # execution columns a search has not
MACHINE_DEPENDENT = {"wall_s"}


def keyed(table, key):
    return table.set_index(list(key)).sort_index()


def assert_same_table(search, sweep, key):
    assert list(search.columns) == [c for c in sweep.columns if c not in SWEEP_ONLY]
    for name in search.columns:
        assert search[name].dtype == sweep[name].dtype, name
    compared = [c for c in search.columns if c not in MACHINE_DEPENDENT]
    a, b = keyed(search[compared], key), keyed(sweep[compared], key)
    assert list(a.index) == list(b.index) and len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_load_of_a_search_output_matches_the_sweep_file(search_dir, sweep_file):
    search, sweep = analysis.load(search_dir), analysis.load(sweep_file)
    assert_same_table(search.results, sweep.results, ["config_id"])
    assert_same_table(search.probes, sweep.probes, ["config_id", "probe"])
    assert search.results.attrs["units"] == {k: v for k, v in sweep.results.attrs["units"].items()
                                             if k not in SWEEP_ONLY}
    assert all(isinstance(v, str) for v in search.results["status"])
    assert search.results["stopped_early"].dtype == bool and search.results["tp"].dtype == np.int64


def test_a_search_output_is_a_finished_search(search_dir):
    search = analysis.load(search_dir)
    assert search.source == "search" and search.finished and search.runs == []
    assert search.progress["results_rows"] == search.progress["grid_configs"] == len(search.results)
    assert search.progress["probes_rows"] == len(search.probes) == search.results["num_probes"].sum()
    assert search.attributes["grid_file"] == st.GRID


def test_the_capacity_csv_path_reads_as_its_directory(search_dir):
    by_file = analysis.load(os.path.join(search_dir, "capacity.csv"))
    pd.testing.assert_frame_equal(by_file.results, analysis.load(search_dir).results)
    assert len(by_file.probes) > 0


def test_without_capacity_json_the_kinds_come_from_the_cells(search_dir, tmp_path):
    shutil.copy(os.path.join(search_dir, "capacity.csv"), tmp_path / "capacity.csv")
    results = analysis.load_results(str(tmp_path))
    declared = analysis.load_results(search_dir)
    assert list(results.columns) == list(declared.columns)
    assert results["status"].tolist() == declared["status"].tolist()
    assert results["capacity_qps"].dtype == np.float64 and results["hit_time_limit"].dtype == bool


def test_bad_cells_are_errors_naming_file_and_line(search_dir, tmp_path):
    for name in ("capacity.csv", "probes.csv", "capacity.json"):
        shutil.copy(os.path.join(search_dir, name), tmp_path / name)
    lines = (tmp_path / "capacity.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("tp")] = "two"
    (tmp_path / "capacity.csv").write_text("\n".join(lines[:2] + [",".join(cells)] + lines[3:]) + "\n")
    with pytest.raises(ValueError, match=r"capacity.csv:3: column 'tp': expected an integer, got 'two'"):
        analysis.load(str(tmp_path))
    (tmp_path / "capacity.csv").write_text("\n".join([lines[0].replace(",tp,", ",tensor_parallel,")] + lines[1:]) + "\n")
    column = header.index("tp") + 1
    with pytest.raises(ValueError, match=rf"capacity.csv:1: header: column {column} is 'tensor_parallel', expected 'tp'"):
        analysis.load(str(tmp_path))


def pareto_text(path, *options):
    done = subprocess.run([st.INFERSWEEP, "pareto", path, *options], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("options", [[], ["--slo-ttft-p90", "100", "--slo-tbt-p99", "100", "--by", "device,tp"]])
def test_pareto_on_a_search_output_equals_pareto_on_the_sweep_file(search_dir, sweep_file, options):
    search, sweep = infersweep_pareto(search_dir, *options), infersweep_pareto(sweep_file, *options)
    header = {"file", "source", "sweep_state", "results_rows", "grid_configs", "grid_done"}
    assert search["source"] == "search output" and search["results_rows"] == sweep["results_rows"]
    assert {k: v for k, v in search.items() if k not in header} == {k: v for k, v in sweep.items() if k not in header}
    assert len(search["groups"]) > 0
    assert pareto_text(search_dir, "--format", "csv", *options) == pareto_text(sweep_file, "--format", "csv", *options)
    search_table, sweep_table = pareto_text(search_dir, *options), pareto_text(sweep_file, *options)
    assert search_table.splitlines()[0] == os.path.join(search_dir, "capacity.csv") + (
        f": search output, {sweep['results_rows']} configs")
    assert search_table.splitlines()[1:] == sweep_table.splitlines()[1:]
    by_file = infersweep_pareto(os.path.join(search_dir, "capacity.csv"), *options)
    assert by_file == search


def broken_copy(search_dir, tmp_path, edit):
    lines = open(os.path.join(search_dir, "capacity.csv"), encoding="utf-8").read().splitlines()
    path = tmp_path / "capacity.csv"
    path.write_text("\n".join(edit(lines)) + "\n")
    return str(path)


def pareto_error(path):
    done = subprocess.run([st.INFERSWEEP, "pareto", path], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_pareto_on_bad_csv_files_is_a_one_line_error(search_dir, tmp_path):
    renamed = broken_copy(search_dir, tmp_path, lambda ls: [ls[0].replace("capacity_qps", "qps")] + ls[1:])
    assert f"{renamed}:1: header: " in pareto_error(renamed)

    def bad_status(lines):
        cells = lines[3].split(",")
        cells[2] = "done"
        return lines[:3] + [",".join(cells)] + lines[4:]

    message = pareto_error(broken_copy(search_dir, tmp_path, bad_status))
    assert f"{tmp_path / 'capacity.csv'}:4: column 'status': expected one of ok, skipped, failed, timeout" in message
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    assert "without capacity.csv" in pareto_error(str(empty_dir))


def test_report_on_a_search_output(search_dir, out_dir):
    done = subprocess.run([sys.executable, "-m", "analysis.report", search_dir, "--out", out_dir],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = done.stdout.splitlines()
    assert os.path.join(out_dir, "summary.md") in written
    pngs = [p for p in written if p.endswith(".png")]
    assert any(os.path.basename(p).startswith("pareto_") for p in pngs)
    assert os.path.join(out_dir, "best_config_cost.png") in pngs
    assert all(os.path.getsize(p) > 0 for p in pngs)
    summary = open(os.path.join(out_dir, "summary.md"), encoding="utf-8").read()
    assert summary.startswith("# Search report: search-out") and "search output: " in summary
