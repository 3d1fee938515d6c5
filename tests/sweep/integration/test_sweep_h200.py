"""An H200 end to end: simulate, search and a 2-rank sweep of a grid with one H200 and one H100
cluster, with the price of each GPU and where it came from visible in every output, and a resume
at other prices refused."""
import csv
import json
import os
import subprocess
import unittest

import sweeptest as st

GRID = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grids", "h200_h100.yaml")
H200_SPEC = "gpu spec h200.ini: CoreWeave on-demand list price"
H100_GRID = "grid h200_h100.yaml:34: prices.h100: CoreWeave HGX H100 on-demand / 8 (2026-09-20)"


def run(*command, expect=0):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(list(command), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == expect, f"exit {done.returncode}, expected {expect}\n{done.stdout}\n{done.stderr}"
    return done


def prices_file(name, text):
    path = st.work_path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


class H200EndToEnd(unittest.TestCase):
    def test_simulate_states_the_h200_and_its_price(self):
        out = st.work_path("simulate")
        run(st.INFERSWEEP, "simulate", "--model", "Llama-2-7b-hf", "--gpu", "h200", "--node", "h200_dgx", "--tp", "2",
            "--predictor", "roofline", "--num-requests", "20", "--output-dir", out)
        with open(os.path.join(out, "summary.json")) as f:
            deployment = json.load(f)["deployment"]
        self.assertEqual((deployment["gpu"], deployment["node"], deployment["gpus"]), ("h200", "h200_dgx", 2))
        self.assertEqual(deployment["price_per_gpu_hour"], 6.305)
        self.assertEqual(deployment["cost_per_hour"], 2 * 6.305)
        self.assertTrue(deployment["price_source"].startswith(H200_SPEC), deployment["price_source"])
        self.assertIn("(2026-09-20)", deployment["price_source"])

    def test_search_and_a_two_rank_sweep_record_each_price_and_its_source(self):
        prices = prices_file("prices.ini", "h200 = 5.5\nh200.source = a quote\nh200.date = 2026-11-01\n")
        search_dir = st.work_path("search")
        done = run(st.INFERSWEEP, "search", "--grid", GRID, "--trace-dir", st.TRACE_DIR, "--gpu-prices", prices,
                   "--output-dir", search_dir, "--threads", "1")
        self.assertIn("h200        5.5 $/h  prices file prices.ini:1: a quote (2026-11-01)", done.stdout)
        self.assertIn("h100      6.155 $/h  " + H100_GRID, done.stdout)
        with open(os.path.join(search_dir, "capacity.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual({(r["device"], r["node"], r["tp"]) for r in rows},
                         {("h200", "h200_dgx", "1"), ("h200", "h200_dgx", "2"), ("h100", "h100_dgx", "1"),
                          ("h100", "h100_dgx", "2")})
        expected = {"h200": ("5.5", "prices file prices.ini:1: a quote (2026-11-01)"), "h100": ("6.155", H100_GRID)}
        for r in rows:
            self.assertEqual(r["status"], "ok", r["message"])
            self.assertEqual((r["price_per_gpu_hour"], r["price_source"]), expected[r["device"]])
            gpus = int(r["gpus"])
            self.assertAlmostEqual(float(r["dollars_per_hour"]), gpus * float(r["price_per_gpu_hour"]))
            self.assertAlmostEqual(float(r["qps_per_dollar"]), float(r["capacity_qps"]) / float(r["dollars_per_hour"]))

        out = st.fresh(st.work_path("h200.h5"))
        command = [st.MPIEXEC, "-n", "2", st.INFERSWEEP, "sweep", "--grid", GRID, "--trace-dir", st.TRACE_DIR,
                   "--out", out, "--threads", "1"]
        run(*command, "--gpu-prices", prices)
        results = st.load(out)
        self.assertLessEqual(set(results["rank"].tolist()), {0, 1})
        by_id = {r["config_id"]: r for r in rows}
        for i, config_id in enumerate(results["config_id"]):
            row = by_id[config_id.decode()]
            self.assertEqual(results["price_source"][i].decode(), row["price_source"])
            self.assertEqual(results["price_per_gpu_hour"][i], float(row["price_per_gpu_hour"]))
            self.assertEqual(results["capacity_qps"][i], float(row["capacity_qps"]))

        table = run(st.INFERSWEEP, "pareto", out, "--slo-ttft-p90", "100", "--slo-tbt-p99", "100",
                    "--include-caveats").stdout
        self.assertIn("price: h200 $5.5 per GPU-hour (prices file prices.ini:1: a quote (2026-11-01))", table)
        self.assertIn("price: h100 $6.155 per GPU-hour (" + H100_GRID + ")", table)

        # Without the prices file the H200 would be priced by its spec: the resume is refused,
        # naming both prices, and the file is left as it was.
        refused = run(*command, expect=1)
        self.assertIn("cannot resume " + out + ": its rows price h200 at 5.5 $/GPU-hour (prices file prices.ini:1: "
                      "a quote (2026-11-01)), this run at 6.305 (" + H200_SPEC, refused.stderr)
        with st.open_file(out) as f:
            self.assertEqual(int(f["progress"][0]["run"]), 1)
        run(*command, "--gpu-prices", prices)  # the same prices: resumed, nothing to add
        with st.open_file(out) as f:
            self.assertEqual(int(f["progress"][0]["run"]), 2)


if __name__ == "__main__":
    unittest.main()
