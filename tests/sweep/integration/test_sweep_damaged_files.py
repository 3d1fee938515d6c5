"""Every reader of a sweep file on damaged, truncated, empty, foreign and non-HDF5 files:
`status`, `pareto`, a resume of `sweep`, and `python3 -m analysis.report` each end within a
bound with exit code 1 or 2 and one line on stderr that names the file (no HDF5 diagnostics,
no traceback). Also: damaged rows are reported by config id and never used, a file without
row checksums reads as unchecked, a read-only file is not replaced by a resume, deleting
<out>.lock does not let a second sweep write the same file, and a disk that fills up is named
as such."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

import sweeptest as st

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, REPO)
from analysis import results as analysis_results  # noqa: E402

BOUND_S = 30  # a reader that takes longer hangs, for this test
FUZZ_CORPUS = os.path.join(REPO, "tests", "fuzz", "corpus", "results_file")


def readers(path, scratch):
    """The commands that read a sweep file, as (name, argv, env)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=REPO)
    resume = [st.MPIEXEC, "-n", "1", st.INFERSWEEP, "sweep", "--grid", st.GRID, "--trace-dir", st.TRACE_DIR,
              "--out", path, "--threads", "1", "--quiet"]
    return [("status", [st.INFERSWEEP, "status", path], env),
            ("pareto", [st.INFERSWEEP, "pareto", path], env),
            ("sweep resume", resume, env),
            ("analysis.report", [sys.executable, "-m", "analysis.report", path, "--out",
                                 os.path.join(scratch, "report")], env)]


def run_bounded(argv, env):
    start = time.time()
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=BOUND_S, cwd=REPO)
    except subprocess.TimeoutExpired:
        return None, "", "", BOUND_S
    return done.returncode, done.stdout, done.stderr, time.time() - start


def flip_byte(path, offset, mask=0xFF):
    with open(path, "r+b") as f:
        f.seek(offset)
        value = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([value ^ mask]))


class DamagedFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = st.work_path("damaged")
        shutil.rmtree(cls.dir, ignore_errors=True)
        os.makedirs(cls.dir)
        cls.finished = os.path.join(cls.dir, "finished.h5")
        st.run_sweep(cls.finished, 1)
        # A file left by a killed sweep: in SWMR-write mode, its status flags set.
        cls.killed = os.path.join(cls.dir, "killed.h5")
        grid = st.scaled_grid(os.path.join(cls.dir, "long.yaml"), 4)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        job = subprocess.Popen([st.MPIEXEC, "-n", "1", st.INFERSWEEP, "sweep", "--grid", grid, "--trace-dir",
                                st.TRACE_DIR, "--out", cls.killed, "--threads", "1", "--flush-interval", "0.1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
        st.wait_for_rows(cls.killed, 3, job)
        st.kill_job(job, cls.killed)

    def copy(self, source, name):
        path = os.path.join(self.dir, name)
        for suffix in ("", ".lock", ".STOP"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        shutil.copy(source, path)
        os.chmod(path, 0o644)
        return path

    def bad_files(self):
        """(label, path, strict): strict files must be refused by every reader."""
        files = []
        metadata = self.copy(self.finished, "metadata-byte.h5")
        flip_byte(metadata, 200)
        files.append(("one damaged metadata byte", metadata, True))
        killed_metadata = self.copy(self.killed, "killed-metadata-byte.h5")
        flip_byte(killed_metadata, 200)
        files.append(("one damaged metadata byte in a killed sweep's file", killed_metadata, True))
        size = os.path.getsize(self.finished)
        for share in (0.02, 0.25, 0.5, 0.75, 0.99):
            cut = self.copy(self.finished, f"cut-{share}.h5")
            os.truncate(cut, int(size * share))
            files.append((f"finished file cut at {share:.0%}", cut, True))
        killed_size = os.path.getsize(self.killed)
        for share in (0.02, 0.25, 0.5):
            cut = self.copy(self.killed, f"killed-cut-{share}.h5")
            os.truncate(cut, int(killed_size * share))
            # Under SWMR the end-of-file check is skipped: a cut past the metadata may read, with
            # its lost rows found damaged by their checksums.
            files.append((f"killed sweep's file cut at {share:.0%}", cut, False))
        empty = os.path.join(self.dir, "empty.h5")
        open(empty, "w").close()
        files.append(("zero-length file", empty, True))
        text = os.path.join(self.dir, "text.h5")
        with open(text, "w") as f:
            f.write("config_id,capacity_qps\n\x1b[31mnot hdf5\n")
        files.append(("non-HDF5 file", text, True))
        foreign = os.path.join(self.dir, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f["data"] = np.arange(10)
            f.create_group("other").attrs["columns"] = ["a"]
        files.append(("foreign HDF5 file", foreign, True))
        lookalike = os.path.join(self.dir, "lookalike.h5")
        with h5py.File(lookalike, "w") as f:
            f["progress"] = np.arange(3)
            f.create_group("results")["config_id"] = np.array([b"x"])
            f.create_group("probes")
        files.append(("foreign HDF5 file with /progress, /results, /probes", lookalike, True))
        # Files on which fuzzing made HDF5 itself crash or leak (one of them reads whole in a
        # child process, where only its damaged copy crashed: it is no bad file to a reader).
        for found in sorted(glob.glob(os.path.join(FUZZ_CORPUS, "damaged-*"))):
            if "segv-H5HG" not in found:
                files.append((f"fuzzed file {os.path.basename(found)}", self.copy(found, os.path.basename(found)), True))
        return files

    def test_a_file_on_which_hdf5_loops_is_refused_after_the_read_limit(self):
        # Found by fuzzing; kept out of the fuzz corpus, where it would cost every fuzzing run 11 s.
        looping = self.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "damaged", "hdf5-loops.h5"),
                            "looping.h5")
        with tempfile.TemporaryDirectory() as scratch:
            for name, argv, env in readers(looping, scratch):
                if name not in ("status", "analysis.report"):
                    continue
                code, _, stderr, took = run_bounded(argv, env)
                self.assertEqual(code, 1, f"{name}: {stderr}")
                self.assertIn("did not end within 11 s", stderr)  # 10 s + 1 s per 20 MB, rounded up
                self.assertLess(took, 20)

    def test_every_reader_ends_with_one_line_on_every_bad_file(self):
        with tempfile.TemporaryDirectory() as scratch:
            for label, path, strict in self.bad_files():
                for name, argv, env in readers(path, scratch):
                    with self.subTest(file=label, reader=name):
                        with open(path, "rb") as f:
                            before = f.read()
                        code, stdout, stderr, took = run_bounded(argv, env)
                        self.assertIsNotNone(code, f"{name} on {label}: still running after {BOUND_S} s")
                        self.assertNotIn("Traceback", stderr)
                        self.assertNotIn("HDF5-DIAG", stderr)
                        self.assertNotIn("\x1b", stderr)
                        if strict or code != 0:
                            self.assertIn(code, (1, 2), f"{name} on {label}: exit {code}\n{stdout}\n{stderr}")
                            lines = [line for line in stderr.splitlines() if line.strip()]
                            self.assertEqual(len(lines), 1, f"{name} on {label}: {stderr}")
                            self.assertIn(os.path.basename(path), lines[0])
                            self.assertLess(took, 15, f"{name} on {label} took {took:.1f} s")
                        with open(path, "rb") as f:
                            self.assertEqual(f.read(), before, f"{name} changed {label}")

    def test_the_way_out_is_named(self):
        metadata = self.copy(self.finished, "way-out.h5")
        flip_byte(metadata, 200)
        code, _, stderr, _ = run_bounded([st.INFERSWEEP, "status", metadata], os.environ)
        self.assertEqual(code, 1)
        self.assertIn("start a fresh sweep", stderr)
        with self.assertRaisesRegex(ValueError, "fresh sweep"):
            analysis_results.load(metadata)
        for foreign in ("foreign.h5", "text.h5"):
            path = os.path.join(self.dir, foreign)
            with self.assertRaisesRegex(ValueError, "not an infersweep sweep file"):
                analysis_results.load(path)

    def committed_chunk_offset(self, path, column, row):
        with h5py.File(path, "r") as f:
            dataset = f["results"][column]
            info = dataset.id.get_chunk_info(0)
            return info.byte_offset + row * dataset.dtype.itemsize, f["results"]["config_id"][row].decode()

    def test_damaged_rows_are_reported_by_config_id_and_not_used(self):
        path = self.copy(self.finished, "damaged-row.h5")
        rows = len(analysis_results.load(path).results)
        offset, config = self.committed_chunk_offset(path, "capacity_qps", 2)
        flip_byte(path, offset + 6, 0x40)
        status = subprocess.run([st.INFERSWEEP, "status", path], capture_output=True, text=True, timeout=BOUND_S)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("1 damaged row", status.stdout)
        self.assertIn(config, status.stdout)
        pareto = subprocess.run([st.INFERSWEEP, "pareto", path, "--all", "--format", "csv"], capture_output=True,
                                text=True, timeout=BOUND_S)
        self.assertEqual(pareto.returncode, 0, pareto.stderr)
        self.assertIn(config, pareto.stderr)
        self.assertNotIn(config, pareto.stdout)
        loaded = analysis_results.load(path)
        self.assertEqual(len(loaded.results), rows - 1)
        self.assertEqual(loaded.damaged, [("results", 2, config)])
        self.assertNotIn(config, set(loaded.results["config_id"]))
        resumed = st.run_sweep(path, 1)
        self.assertIn(config, resumed.stderr)
        again = analysis_results.load(path)
        self.assertEqual(again.damaged, [])
        self.assertEqual(len(again.results), rows)

    def test_a_file_without_checksums_reads_unchecked(self):
        path = os.path.join(self.dir, "unchecked.h5")
        # The file as written before rows had checksums: the same, without the column. (h5py's
        # object copy crashes on these files, so the file is written afresh.)
        with h5py.File(self.finished, "r") as source, h5py.File(path, "w", libver="latest") as f:
            def attributes(to, of):
                for name, value in of.attrs.items():
                    to.attrs[name] = value
            attributes(f, source)
            f.create_dataset("progress", data=source["progress"][...])
            for run in source["runs"]:
                attributes(f.create_group(f"runs/{run}"), source["runs"][run])
            for table in ("results", "probes"):
                columns = [c for c in source[table].attrs["columns"] if c != b"row_checksum" and c != "row_checksum"]
                group = f.create_group(table)
                group.attrs["columns"] = columns
                for column in columns:
                    group.create_dataset(column, data=source[table][column][...], maxshape=(None,), chunks=True)
        status = subprocess.run([st.INFERSWEEP, "status", path], capture_output=True, text=True, timeout=BOUND_S)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("unchecked", status.stdout)
        loaded = analysis_results.load(path)
        self.assertFalse(loaded.checked)
        self.assertEqual(len(loaded.results), len(analysis_results.load(self.finished).results))

    def test_a_read_only_file_is_not_replaced_by_a_resume(self):
        path = self.copy(self.finished, "read-only.h5")
        os.chmod(path, 0o444)
        inode = os.stat(path).st_ino
        done = st.run_sweep(path, 1, expect=1)
        self.assertIn("read-only", done.stderr)
        self.assertEqual(os.stat(path).st_ino, inode, "the read-only file was replaced")

    def test_deleting_the_lock_file_does_not_let_a_second_sweep_in(self):
        out = st.fresh(os.path.join(self.dir, "two-writers.h5"))
        grid = st.scaled_grid(os.path.join(self.dir, "long2.yaml"), 4)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        argv = [st.MPIEXEC, "-n", "1", st.INFERSWEEP, "sweep", "--grid", grid, "--trace-dir", st.TRACE_DIR, "--out",
                out, "--threads", "1", "--flush-interval", "0.1"]
        first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        try:
            st.wait_for_rows(out, 2, first)
            os.remove(out + ".lock")
            second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
            self.assertIn("another sweep is writing", second.stderr)
            status = subprocess.run([st.INFERSWEEP, "status", out], capture_output=True, text=True, timeout=BOUND_S)
            self.assertIn("state: running", status.stdout)
        finally:
            st.kill_job(first, out)

    def test_a_disk_that_fills_is_named(self):
        mount = os.path.join(self.dir, "small-disk")
        os.makedirs(mount, exist_ok=True)
        size = os.path.getsize(self.finished)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size * 3 // 2}", "tmpfs", mount],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a small tmpfs here (needs root)")
        try:
            # A resume without room for its copy says so before it writes anything.
            copy = os.path.join(mount, "copy.h5")
            shutil.copy(self.finished, copy)
            resume = st.run_sweep(copy, 1, expect=1)
            self.assertIn("no space left on device for its copy", resume.stderr)
            self.assertEqual(len(resume.stderr.strip().splitlines()), 1, resume.stderr)
            with open(copy, "rb") as left, open(self.finished, "rb") as right:
                self.assertEqual(left.read(), right.read())
            # A disk that fills during a sweep: the file and the reason, without HDF5's stack.
            os.remove(copy)
            with open(os.path.join(mount, "filler"), "wb") as f:
                f.write(b"\0" * (size * 3 // 2 - 300 * 1024))
            out = os.path.join(mount, "full.h5")
            done = st.run_sweep(out, 1, "--flush-interval", "0.01", expect=2)
            self.assertIn(f"{out}: flush", done.stderr)
            self.assertIn("no space left on device", done.stderr)
            self.assertNotIn("HDF5-DIAG", done.stderr)
        finally:
            subprocess.run(["umount", mount], capture_output=True)


if __name__ == "__main__":
    unittest.main()
