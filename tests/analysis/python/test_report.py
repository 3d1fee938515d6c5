"""`python3 -m analysis.report` writes non-empty PNGs and a Markdown summary."""
import os
import subprocess
import sys

import matplotlib.image

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
