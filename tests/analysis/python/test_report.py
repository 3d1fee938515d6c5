"""`python3 -m analysis.report` writes non-empty PNGs and a Markdown summary."""
import os
import subprocess
import sys

import matplotlib.image
import pandas as pd

import analysis
from analysis import report


def png_size(path):
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    image = matplotlib.image.imread(path)
    return image.shape[1], image.shape[0]


def test_report_writes_figures_and_summary(sweep_file, out_dir):
    relaxed = analysis.SloLimits(100, 100)  # every group then has a best config to draw and list
    written = report.write_report(sweep_file, out_dir, relaxed)
    groups = analysis.analyse(analysis.load_results(sweep_file), relaxed)
    pngs = [n for n in written if n.endswith(".png")]
    assert len(pngs) == 2 * len(groups) + 1
    assert "best_config_cost.png" in pngs
    for name in pngs:
        path = os.path.join(out_dir, name)
        assert os.path.getsize(path) > 10_000
        width, height = png_size(path)
        assert width > 600 and height > 300
        image = matplotlib.image.imread(path)
        assert image[..., :3].std() > 0.05, f"{name} is blank"
    with open(os.path.join(out_dir, "summary.md"), encoding="utf-8") as f:
        summary = f.read()
    assert "## Best config under the SLOs" in summary
    for group in groups:
        assert group.best is not None and f"| {group.best} |" in summary
        # The prices QPS per dollar was computed from, with their source (the test grid's GPUs
        # are priced by their specs).
        assert "Priced per GPU-hour: a100 $2.21 (gpu spec a100.ini: CoreWeave on-demand list price" in summary
        assert group.prices and all(source.startswith("gpu spec ") for _, _, source in group.prices)
    for name in pngs:
        assert f"]({name})" in summary


def test_report_command_line_and_bad_input(sweep_file, out_dir, tmp_path):
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "analysis.report", sweep_file, "--out", out_dir], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert os.path.join(out_dir, "summary.md") in done.stdout.splitlines()
    missing = subprocess.run([sys.executable, "-m", "analysis.report", str(tmp_path / "none.h5")], env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    bad = subprocess.run([sys.executable, "-m", "analysis.report", sweep_file, "--slo-tbt-p99", "0"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "positive" in bad.stderr


def listed(prefix_lookups=None):
    """Two listed configs as analysis.listed_configs gives them, with the prefix-cache columns if
    `prefix_lookups` is given."""
    rows = {"best": [True, False], "device": ["a100", "h100"], "tp": [1, 2], "pp": [1, 1], "replicas": [4, 2],
            "scheduler_label": ["vllm_v1", "vllm_v1"], "batch_size_cap": [64, 64], "capacity_qps": [8.0, 6.0],
            "dollars_per_hour": [8.84, 9.0], "qps_per_dollar": [0.905, 0.667], "ttft_p90": [0.5, 0.4],
            "tbt_p99": [0.05, 0.04], "meets_slos": [True, True], "ttft_p90_front": ["on", "on"],
            "tbt_p99_front": ["on", "on"], "config_id": ["a" * 16, "b" * 16]}
    if prefix_lookups is not None:
        rows.update(prefix_lookups=prefix_lookups, prefix_hit_rate_tokens=[0.625, 0.0],
                    prefix_hit_rate_blocks=[0.6, 0.0], prefix_evictions=[3, 0])
    return pd.DataFrame(rows)


def test_configs_table_shows_prefix_hits_only_where_prefixes_were_looked_up():
    lines = report.configs_table(listed([120, 0])).splitlines()
    assert lines[0].split(" | ")[7] == "prefix hit (tokens)"
    assert lines[2].split(" | ")[7] == "62.5%"
    assert lines[3].split(" | ")[7] == ""  # no lookup: no prefix caching, not a 0 % hit rate
    for table in (report.configs_table(listed([0, 0])), report.configs_table(listed())):
        assert "prefix" not in table
        assert table.splitlines()[0].split(" | ")[7] == "meets SLOs"


def test_config_label_names_a_disaggregated_deployment_by_its_pools():
    from analysis import plots
    colocated = {"device": "h100", "tp": 4, "pp": 1, "replicas": 4, "scheduler_label": "sarathi_cs512",
                 "batch_size_cap": 128, "shape": "colocated"}
    disaggregated = dict(colocated, replicas=2, scheduler_label="sarathi_cs512 P2:D1 tp4/tp8", shape="disaggregated")
    assert plots.config_label(colocated) == "h100 TP4 PP1 x4 sarathi_cs512 bsz128"
    assert plots.config_label(disaggregated) == "h100 sarathi_cs512 P2:D1 tp4/tp8 bsz128"
    # Results of before the shape column read as co-located.
    assert plots.config_label({k: v for k, v in colocated.items() if k != "shape"}, short=True) == \
        "h100 TP4 PP1 x4 sarathi_cs512"
