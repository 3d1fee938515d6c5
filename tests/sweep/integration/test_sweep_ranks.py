"""The same grid under mpiexec -n 1, 2 and 3 gives bit-identical results, equal to `infersweep
search` on the same grid."""
import csv
import os
import subprocess
import unittest

import numpy as np

import sweeptest as st


class SweepAcrossRanks(unittest.TestCase):
    def test_a_grid_error_is_said_once_whatever_the_ranks(self):
        grid = st.work_path("broken.yaml")
        with open(grid, "w") as f:
            f.write("models: [\n")
        out = st.fresh(st.work_path("broken.h5"))
        env = dict(os.environ, OMP_NUM_THREADS="1")
        done = subprocess.run([st.MPIEXEC, "-n", "2", st.INFERSWEEP, "sweep", "--grid", grid, "--out", out], env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(done.stderr.count("broken.yaml:2"), 1, done.stderr)

    def test_one_two_and_three_ranks_and_search_agree(self):
        sets = {}
        for ranks in (1, 2, 3):
            out = st.fresh(st.work_path(f"ranks{ranks}.h5"))
            st.run_sweep(out, ranks, "--flush-interval", "0.3")
            sets[ranks] = st.result_set(out)
            used = set(st.load(out)["rank"].tolist())
            self.assertEqual(used, set(range(ranks)), f"ranks that ran configs with -n {ranks}")
        self.assertGreater(len(sets[1][0]), 20)
        self.assertEqual(sets[1], sets[2])
        self.assertEqual(sets[1], sets[3])

        search_dir = st.work_path("search")
        subprocess.run([st.INFERSWEEP, "search", "--grid", st.GRID, "--trace-dir", st.TRACE_DIR, "--output-dir",
                        search_dir, "--threads", "2", "--quiet"], check=True, capture_output=True)
        results = st.load(st.work_path("ranks1.h5"))
        with open(os.path.join(search_dir, "capacity.csv"), newline="") as f:
            rows = {r["config_id"]: r for r in csv.DictReader(f)}
        self.assertEqual(set(rows), {c.decode() for c in results["config_id"]})
        compared = 0
        for i, config_id in enumerate(results["config_id"]):
            row = rows[config_id.decode()]
            for column, values in results.items():
                if column in st.EXECUTION_COLUMNS:
                    continue
                value, text = values[i], row[column]
                if values.dtype.kind == "f":
                    self.assertTrue((np.isnan(value) and text == "") or float(text) == value, (column, text, value))
                elif values.dtype.kind == "S":
                    self.assertEqual(value.decode(), text, column)
                elif values.dtype.kind == "b":
                    self.assertEqual("true" if value else "false", text, column)
                else:
                    self.assertEqual(int(text), value, column)
                compared += 1
        self.assertGreater(compared, 1000)


if __name__ == "__main__":
    unittest.main()
