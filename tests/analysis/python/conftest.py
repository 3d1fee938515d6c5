"""Fixtures of the analysis package's tests. ctest passes INFERSWEEP, MPIEXEC, SWEEP_GRID,
TRACE_DIR and WORK_DIR (as for the sweep integration tests) and puts the repository root and
the sweep tests' helpers on PYTHONPATH."""
import json
import subprocess

import pytest

import sweeptest as st


@pytest.fixture(scope="session")
def sweep_file():
    """A results file made here by a 2-rank sweep of the test grid."""
    path = st.fresh(st.work_path("analysis.h5"))
    st.run_sweep(path, 2)
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
