"""Fault injection: a 2-rank sweep killed with SIGKILL at random moments, again and again on
the same file (so most kills land in a resume, and some in the final close), with checks after
every kill: every reader returns within a bound, no committed row is lost or duplicated, a
truncated or byte-flipped copy is refused or its damaged rows are reported, and the finished
file equals an uninterrupted run's. The randomness is seeded (FAULT_SEED, printed) so that a
failure can be replayed."""
import os
import random
import shutil
import subprocess
import sys
import time
import unittest

import h5py

import sweeptest as st

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, REPO)
from analysis import results as analysis_results  # noqa: E402

SANITIZED = "sanitize" in os.path.basename(st.GRID)
# The sanitizer build runs every rank several times slower: fewer kills keep the suite's time.
KILLS = 6 if SANITIZED else 20
BOUND_S = 30
SEED = int(os.environ.get("FAULT_SEED", str(int(time.time()) % 100000)))


def bounded(argv):
    """(exit code, stdout, stderr); fails the test when the command runs past BOUND_S."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=BOUND_S, cwd=REPO,
                              env=dict(os.environ, PYTHONPATH=REPO))
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {BOUND_S} s: {' '.join(argv)}") from None
    return done.returncode, done.stdout, done.stderr


def committed(path):
    """{config_id: row values} of the committed results, read without waiting on damage."""
    sweep = analysis_results.load(path)
    assert not sweep.damaged, f"{path}: {analysis_results.describe_damaged(sweep.damaged)}"
    ids = list(sweep.results["config_id"])
    assert len(ids) == len(set(ids)), f"{path}: duplicate config ids"
    columns = [c for c in sweep.results.columns if c not in st.EXECUTION_COLUMNS]
    return {row["config_id"]: tuple(str(row[c]) for c in columns) for _, row in sweep.results.iterrows()}


def sweep_argv(grid, out):
    return [st.MPIEXEC, "-n", "2", st.INFERSWEEP, "sweep", "--grid", grid, "--trace-dir", st.TRACE_DIR, "--out", out,
            "--threads", "1", "--flush-interval", "0.1"]


class FaultInjection(unittest.TestCase):
    def setUp(self):
        print(f"fault injection: seed {SEED} (FAULT_SEED={SEED} replays it), {KILLS} kills", flush=True)
        self.random = random.Random(SEED)
        self.dir = st.work_path("faults")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def check_reader_on_copy(self, out, kill):
        """A truncated or byte-flipped copy: refused with one line, or read with damage said."""
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            return
        copy = os.path.join(self.dir, f"copy-{kill}.h5")
        shutil.copy(out, copy)
        size = os.path.getsize(copy)
        if self.random.random() < 0.5:
            os.truncate(copy, self.random.randrange(size))
            what = "truncated"
        else:
            with open(copy, "r+b") as f:
                offset = self.random.randrange(size)
                f.seek(offset)
                value = f.read(1)[0]
                f.seek(offset)
                f.write(bytes([value ^ 0xFF]))
            what = f"byte {offset} flipped"
        readers = [[st.INFERSWEEP, "status", copy]]
        if kill % 3 == 0:  # Python starts slowly: every third copy
            readers.append([sys.executable, "-m", "analysis.report", copy, "--out", os.path.join(self.dir, "report")])
        for argv in readers:
            code, stdout, stderr = bounded(argv)
            self.assertNotIn("Traceback", stderr, f"{what}: {stderr}")
            self.assertNotIn("HDF5-DIAG", stderr, f"{what}: {stderr}")
            if code != 0:
                self.assertIn(code, (1, 2), f"{what}: {stderr}")
                self.assertEqual(len(stderr.strip().splitlines()), 1, f"{what}: {stderr}")
        os.remove(copy)

    def check_damaged_row_reported(self, out, kill, rows):
        """A byte of a random committed row changed in a copy: status names the row's config."""
        copy = os.path.join(self.dir, f"row-{kill}.h5")
        shutil.copy(out, copy)
        with analysis_results._open_swmr(copy) as f:
            columns = [c.decode() if isinstance(c, bytes) else c for c in f["results"].attrs["columns"]]
            column = self.random.choice(columns)
            row = self.random.randrange(rows)
            dataset = f["results"][column]
            chunk_rows = dataset.chunks[0]
            info = dataset.id.get_chunk_info_by_coord((row // chunk_rows * chunk_rows,))
            offset = info.byte_offset + (row % chunk_rows) * dataset.dtype.itemsize
            config = f["results"]["config_id"][row].decode()
        with open(copy, "r+b") as f:
            f.seek(offset)
            value = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([value ^ 0x01]))
        code, stdout, stderr = bounded([st.INFERSWEEP, "status", copy])
        self.assertEqual(code, 0, stderr)
        self.assertIn("1 damaged row", stdout, f"{column} of row {row} changed")
        # The id as stored, unless the changed byte is in the id itself: then the row number.
        self.assertIn(f"row {row} config " if column == "config_id" else config, stdout)
        os.remove(copy)

    def test_random_kills_lose_and_duplicate_nothing(self):
        out = st.fresh(os.path.join(self.dir, "killed.h5"))
        grid = st.GRID
        env = dict(os.environ, OMP_NUM_THREADS="1")
        seen = {}
        complete = False
        kinds = {"while searching or resuming": 0, "after the final commit": 0, "not killed: the run had ended": 0}
        kill = 0
        # At most how long a resume of a complete file takes by itself (the shortest wait it ended
        # within): kills in that phase aim below it, however fast the machine or the build.
        complete_resume_s = 0.4
        for attempt in range(3 * KILLS):
            if kill == KILLS:
                break
            started = time.time()
            job = subprocess.Popen(sweep_argv(grid, out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
            if attempt % 5 == 4:
                # Aim at the final close: the moment the last commit says the run is complete.
                kind = "after the final commit"
                deadline = time.time() + 120
                while job.poll() is None and time.time() < deadline:
                    try:
                        if os.path.exists(out) and analysis_results.load(out).progress["state_name"] == "complete":
                            break
                    except (ValueError, OSError):
                        pass
                    time.sleep(0.01)
            else:
                kind = "while searching or resuming"
                # Once every config is in, a resume only copies the file and closes.
                time.sleep(self.random.uniform(0.02, 0.8 * complete_resume_s) if complete else
                           self.random.uniform(0.05, 1.5))
            if job.poll() is not None:
                kind = "not killed: the run had ended"
                if complete:
                    job.wait()
                    complete_resume_s = min(complete_resume_s, time.time() - started)
            kinds[kind] += 1
            if job.poll() is None:
                st.kill_job(job, out)
                kill += 1
            job.communicate()
            if not os.path.exists(out):
                continue  # killed before the first file appeared
            code, stdout, stderr = bounded([st.INFERSWEEP, "status", out])
            if code != 0:
                # Killed while it recorded its end: the mark that the next resume clears.
                self.assertIn("h5clear -s", stderr, f"kill {kill}: {stderr}")
                continue
            complete = "state: complete" in stdout
            rows = committed(out)
            for config, values in seen.items():
                self.assertEqual(rows.get(config), values, f"kill {kill}: committed row {config} lost or changed")
            seen = rows
            self.check_reader_on_copy(out, kill)
            if rows:
                self.check_damaged_row_reported(out, kill, len(rows))
        self.assertEqual(kill, KILLS, f"only {kill} runs were still running when killed: {kinds}")
        print(f"fault injection: kills {kinds}, {len(seen)} rows committed before the last run", flush=True)

        done = subprocess.run(sweep_argv(grid, out), env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(done.returncode, 0, done.stderr)
        final = committed(out)
        for config, values in seen.items():
            self.assertEqual(final.get(config), values, f"committed row {config} lost or changed by the last resume")
        reference = st.fresh(os.path.join(self.dir, "reference.h5"))
        self.assertEqual(subprocess.run(sweep_argv(grid, reference), env=env, capture_output=True,
                                        timeout=600).returncode, 0)
        self.assertEqual(final, committed(reference))
        self.assertIn("state: complete", bounded([st.INFERSWEEP, "status", out])[1], done.stderr)
        with h5py.File(out, "r") as f:  # a plain open: no writing mark left behind
            self.assertEqual(int(f["progress"][0]["results_rows"]), len(final))


if __name__ == "__main__":
    unittest.main()
