"""The job scripts of jobs/ on a real Slurm: a throwaway single-node cluster (munged, slurmctld,
slurmd) started on localhost, the real `jobs/submit`, `jobs/sweep.sbatch` and
`jobs/analyze.sbatch`, and checks of the HDF5 results and the report.

1. A chain runs to the end: the sweep completes, the analysis job starts after it and writes the
   report; the file holds every config of the grid once.
2. The pre-timeout path: USR1 to the batch shell (`scancel --batch --signal=USR1`, what Slurm
   sends at `--signal=B:USR1@N`) makes the sweep stop early; the job resubmits itself, moves the
   analysis job's dependency to the new job, and the new job completes the same file. The result
   set equals the uninterrupted run's: no row lost, none twice.

Needs root, slurm-wlm and munge (Debian), and the cluster scripts of SLURM_LOCAL_DIR
(slurm-up.sh, slurm-down.sh); exits 77 (skipped) without them. Every daemon is stopped by PID at
the end, whatever happened. Environment from ctest: INFERSWEEP, SWEEP_GRID, TRACE_DIR, WORK_DIR,
SLURM_LOCAL_DIR, REPO_ROOT."""
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

import sweeptest as st

REPO = os.environ["REPO_ROOT"]
SLURM_LOCAL = os.environ.get("SLURM_LOCAL_DIR", "")
CLUSTER = os.path.join(st.WORK_DIR, "cluster")


def log(message):
    stamp = f"[slurm test {time.strftime('%H:%M:%S')}]"
    print("\n".join(f"{stamp} {line}" for line in message.splitlines()), flush=True)


def run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, **kwargs)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def job_field(job, field):
    match = re.search(rf"\b{field}=(\S*)", run(["scontrol", "show", "job", str(job)]))
    return match.group(1) if match else ""


def wait_job(job, timeout=300):
    """Waits until the job has ended; returns its final state."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        state = job_field(job, "JobState")
        if state != last:
            log(f"job {job}: {state}")
            last = state
        if state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", ""):
            return state
        time.sleep(0.5)
    raise AssertionError(f"job {job} still {last} after {timeout} s")


def submit(grid, out):
    text = run([os.path.join(REPO, "jobs", "submit"), grid, "--out", out, "--time", "10:00",
                "--sweep-args", f"--trace-dir {st.TRACE_DIR} --flush-interval 0.5"])
    log("jobs/submit printed:\n" + text.rstrip())
    sweep = int(re.search(r"sweep job:\s+(\d+)", text).group(1))
    analyze = int(re.search(r"analyze job:\s+(\d+)", text).group(1))
    return sweep, analyze


def check_report(out):
    report = out[:-3] + "-report"
    for name in ("summary.md", "pareto.txt", "pareto.csv", "pareto.json", "best_config_cost.png"):
        path = os.path.join(report, name)
        assert os.path.getsize(path) > 0, f"{path} is empty"
    pngs = [n for n in os.listdir(report) if n.endswith(".png")]
    assert len(pngs) >= 3, pngs
    log(f"report {report}: {sorted(os.listdir(report))}")


def check_complete(out):
    with st.open_file(out) as f:
        progress = f["progress"][0]
        assert int(progress["state"]) == 1, "the sweep file is not complete"
        assert int(progress["grid_done"]) == int(progress["grid_configs"]) == int(progress["results_rows"])
        assert f.attrs["slurm_job_id"], "no Slurm job id in the provenance"
        return int(progress["results_rows"]), len(f["runs"])


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("slurmctld") and shutil.which("munged")
                     and os.path.isfile(os.path.join(SLURM_LOCAL, "slurm-up.sh")),
                     "needs root, slurm-wlm, munge and the local-cluster scripts")
class SlurmJobs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(st.WORK_DIR, ignore_errors=True)
        os.makedirs(st.WORK_DIR)
        cls.addClassCleanup(cls.stop_cluster)
        log("starting a local Slurm: " + run(["bash", os.path.join(SLURM_LOCAL, "slurm-up.sh"), CLUSTER]).strip())
        os.environ["SLURM_CONF"] = os.path.join(CLUSTER, "etc", "slurm.conf")
        # Six times the requests: long enough to be signalled mid-run.
        cls.grid = st.scaled_grid(os.path.join(st.WORK_DIR, "grid.yaml"), 6)
        cls.reference = os.path.join(st.WORK_DIR, "reference", "grid.h5")

    @classmethod
    def stop_cluster(cls):
        done = subprocess.run(["bash", os.path.join(SLURM_LOCAL, "slurm-down.sh"), CLUSTER], capture_output=True,
                              text=True, timeout=120)
        log("stopping the local Slurm: " + (done.stdout + done.stderr).strip())
        for pid_file in ("slurmctld.pid", "slurmd-localhost.pid", "munged.pid"):
            path = os.path.join(CLUSTER, "run", pid_file)
            if os.path.exists(path):
                pid = int(open(path).read().strip() or 0)
                alive = pid > 0 and subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode == 0
                assert not alive, f"{pid_file}: process {pid} still running"

    def test_1_chain_runs_to_the_end(self):
        sweep, analyze = submit(self.grid, self.reference)
        self.assertEqual(wait_job(sweep), "COMPLETED")
        self.assertEqual(wait_job(analyze), "COMPLETED")
        rows, runs = check_complete(self.reference)
        self.assertEqual(runs, 1)
        check_report(self.reference)
        with open(self.reference + ".jobs") as f:
            log("jobs log:\n" + f.read().rstrip())
        log(f"final check: {rows} configs, 1 run, report written")

    def test_2_usr1_stops_the_sweep_and_the_next_job_completes_the_file(self):
        out = os.path.join(st.WORK_DIR, "signalled", "grid.h5")
        sweep, analyze = submit(self.grid, out)
        deadline = time.time() + 120
        while st.committed_rows(out)[0] == 0:
            self.assertLess(time.time(), deadline, "no rows committed by the first job")
            self.assertIn(job_field(sweep, "JobState"), ("PENDING", "RUNNING", "CONFIGURING"))
            time.sleep(0.2)
        committed = st.committed_rows(out)[0]
        log(f"job {sweep} has committed {committed} rows; sending USR1 to its batch shell")
        run(["scancel", "--batch", "--signal=USR1", str(sweep)])
        self.assertEqual(wait_job(sweep), "COMPLETED")
        with open(out + ".jobs") as f:
            jobs_log = f.read()
        log("jobs log after the first job:\n" + jobs_log.rstrip())
        resubmitted = re.search(r"resubmitted as job (\d+)", jobs_log)
        self.assertIsNotNone(resubmitted, "the first job did not resubmit itself")
        second = int(resubmitted.group(1))
        with st.open_file(out) as f:
            first_run = dict(f["runs"]["0001"].attrs)
            rows_after_first = int(f["progress"][0]["results_rows"])
            grid_configs = int(f["progress"][0]["grid_configs"])
        self.assertEqual(first_run["exit_state"], "stopped")
        self.assertLess(rows_after_first, grid_configs, "the first job was not stopped early")
        log(f"job {sweep} ended early: exit_state=stopped ({first_run['stop_reason']}), {rows_after_first} rows")
        self.assertEqual(job_field(analyze, "Dependency").split("(")[0], f"afterok:{second}")
        self.assertEqual(wait_job(second), "COMPLETED")
        # The successor has the first job's shape and output file pattern.
        for field in ("NumNodes", "NumTasks", "CPUs/Task", "TimeLimit", "Partition"):
            self.assertEqual(job_field(second, field), job_field(sweep, field), field)
        self.assertEqual(job_field(second, "StdOut"), job_field(sweep, "StdOut").replace(str(sweep), str(second)))
        self.assertEqual(wait_job(analyze), "COMPLETED")
        rows, runs = check_complete(out)
        self.assertEqual(runs, 2)
        self.assertGreater(rows, rows_after_first)
        check_report(out)
        self.assertEqual(st.result_set(out), st.result_set(self.reference),
                         "the resumed file differs from the uninterrupted run's")
        with open(out + ".jobs") as f:
            log("jobs log:\n" + f.read().rstrip())
        log(f"final check: job {sweep} stopped after {rows_after_first} rows, job {second} completed the file: "
            f"{rows} configs over {runs} runs, identical to the uninterrupted run, no row lost or repeated")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    skipped = result.skipped and not result.failures and not result.errors and result.testsRun == len(result.skipped)
    sys.exit(77 if skipped else (0 if result.wasSuccessful() else 1))
