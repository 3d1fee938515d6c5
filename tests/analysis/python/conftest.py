"""Fixtures of the analysis package's tests (a sweep file and a search's output of the same grid). ctest passes INFERSWEEP, MPIEXEC, SWEEP_GRID,
TRACE_DIR and WORK_DIR (as for the sweep integration tests) and puts the repository root and
the sweep tests' helpers on PYTHONPATH."""
import json
import os
import shutil
import subprocess

import pytest

import sweeptest as st


@pytest.fixture(scope="session")
def sweep_file():
    """A results file made here by a 2-rank sweep of the test grid."""
    path = st.fresh(st.work_path("analysis.h5"))
    st.run_sweep(path, 2)
    return path


@pytest.fixture(scope="session")
def search_dir():
    """The output directory of `infersweep search` on the test grid (capacity.csv, probes.csv,
    capacity.json): the same configs as sweep_file, searched by one process."""
    path = st.work_path("search-out")
    shutil.rmtree(path, ignore_errors=True)
    done = subprocess.run([st.INFERSWEEP, "search", "--grid", st.GRID, "--trace-dir", st.TRACE_DIR, "--threads", "1",
                           "--output-dir", path, "-q"], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr
    return path


def infersweep_pareto(path, *options):
    """`infersweep pareto PATH --format json OPTIONS` as parsed JSON."""
    done = subprocess.run([st.INFERSWEEP, "pareto", path, "--format", "json", *options], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def out_dir(tmp_path):
    return str(tmp_path)
