"""The Python analysis and `infersweep pareto` give the same answer on the same file: groups,
counts, best config, both fronts in order, the near configs and the listing."""
import io
import subprocess

import pandas as pd
import pytest

import analysis
import sweeptest as st
from conftest import infersweep_pareto

CASES = [
    ([], {}),
    (["--slo-ttft-p90", "4.5", "--slo-tbt-p99", "0.3"], {"slos": analysis.SloLimits(4.5, 0.3)}),
    (["--by", "device,tp", "--tolerance", "0.25"], {"by": ["device", "tp"], "tolerance": 0.25}),
    (["--by", "none", "--slo-ttft-p90", "100", "--slo-tbt-p99", "100"],
     {"by": [], "slos": analysis.SloLimits(100, 100)}),
    (["--include-caveats", "--slo-ttft-p90", "100", "--slo-tbt-p99", "100"],
     {"include_caveats": True, "slos": analysis.SloLimits(100, 100)}),
]


@pytest.mark.parametrize("options,python_options", CASES)
def test_python_and_cpp_agree(sweep_file, options, python_options):
    report = infersweep_pareto(sweep_file, *options)
    groups = analysis.analyse(analysis.load_results(sweep_file), **python_options)
    assert len(report["groups"]) == len(groups) > 0
    for cpp, py in zip(report["groups"], groups):
        assert cpp["key"] == {k: (v.item() if hasattr(v, "item") else v) for k, v in py.key.items()}
        assert (cpp["configs"], cpp["not_ok"], cpp["with_capacity"], cpp["meeting_slos"]) == (
            py.rows, py.not_ok, len(py.configs), py.meeting_slos)
        assert (cpp["with_caveat"], cpp["workload_id"], cpp["workloads_under_key"]) == (
            py.with_caveat, py.workload_id, py.workloads_under_key)
        assert cpp["best"] == py.best
        assert [(p["device"], p["price_per_gpu_hour"], p["price_source"]) for p in cpp["prices"]] == py.prices
        assert cpp["ttft_p90_front"] == py.ttft_front
        assert cpp["tbt_p99_front"] == py.tbt_front
        assert cpp["near_ttft_p90_front"] == py.near("ttft_p90")
        assert cpp["near_tbt_p99_front"] == py.near("tbt_p99")
        listed = analysis.listed_configs(py)
        assert [c["config_id"] for c in cpp["listed"]] == list(listed["config_id"])
        for c, (_, row) in zip(cpp["listed"], listed.iterrows()):
            assert (c["ttft_p90_front"], c["tbt_p99_front"], c["best"], c["meets_slos"]) == (
                row["ttft_p90_front"], row["tbt_p99_front"], bool(row["best"]), bool(row["meets_slos"]))
            assert c["qps_per_dollar"] == row["qps_per_dollar"]


def test_some_case_has_a_best_config_and_a_front_of_several(sweep_file):
    """The agreement cases exercise the interesting paths, not only empty answers."""
    # Capacity caveats included: the sanitizer build's small probes make many workload-bound.
    relaxed = infersweep_pareto(sweep_file, "--include-caveats", "--slo-ttft-p90", "100", "--slo-tbt-p99", "100")
    assert all(g["best"] is not None for g in relaxed["groups"])
    assert any(len(g["tbt_p99_front"]) > 1 for g in relaxed["groups"])


@pytest.mark.parametrize("options,message", [
    (["--by", "colour"], "'colour' is not a text or integer column"),
    (["--slo-ttft-p90", "0"], "option --slo-ttft-p90: must be a finite number > 0, got 0"),
    (["--slo-tbt-p99", "-1"], "option --slo-tbt-p99: must be a finite number > 0, got -1"),
    (["--tolerance", "1"], "option --tolerance: must be a finite number in [0, 1), got 1"),
    (["--format", "xml"], "option --format: unknown value 'xml' (expected one of: table, csv, json)"),
    (["--by", ""], "option --by: must not be empty"),
])
def test_bad_options_are_input_errors(sweep_file, options, message):
    done = subprocess.run([st.INFERSWEEP, "pareto", sweep_file, *options], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and message in done.stderr, done.stderr


def test_csv_lists_the_same_configs_as_json(sweep_file):
    done = subprocess.run([st.INFERSWEEP, "pareto", sweep_file, "--format", "csv"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout))
    report = infersweep_pareto(sweep_file)
    assert list(table["config_id"]) == [c["config_id"] for g in report["groups"] for c in g["listed"]]
    assert list(table.columns[-4:]) == ["meets_slos", "best", "ttft_p90_front", "tbt_p99_front"]
