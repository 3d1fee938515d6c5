"""The sweep file's schema as docs/sweep.md describes it, read with h5py."""
import subprocess
import unittest

import h5py
import numpy as np

import sweeptest as st

TEXT, INT, FLOAT, BOOL, ENUM = "S", "i", "f", "b", "enum"
STATUS_NAMES = {"ok": 0, "skipped": 1, "failed": 2, "timeout": 3}  # an HDF5 enum in the file
RESULT_COLUMNS = {
    "config_id": TEXT, "status": ENUM, "message": TEXT, "model": TEXT, "trace": TEXT, "device": TEXT,
    "scheduler": TEXT, "tp": INT, "pp": INT, "replicas": INT, "gpus": INT, "batch_size": INT,
    "capacity_qps": FLOAT, "qps_per_dollar": FLOAT, "dollars_per_hour": FLOAT, "num_probes": INT,
    "ttft_p50": FLOAT, "ttft_p90": FLOAT, "ttft_p99": FLOAT, "tbt_p50": FLOAT, "tbt_p99": FLOAT,
    "e2e_p99": FLOAT, "scheduling_delay_p99": FLOAT, "mfu_mean_percent": FLOAT,
    "memory_usage_mean_percent": FLOAT, "batch_size_mean": FLOAT, "wall_s": FLOAT, "rank": INT, "run": INT,
    "hit_time_limit": BOOL, "prefix_lookups": INT, "prefix_hit_rate_tokens": FLOAT, "prefix_hit_rate_blocks": FLOAT,
    "prefix_evictions": INT,
}
PROBE_COLUMNS = {"config_id": TEXT, "probe": INT, "qps": FLOAT, "passed": BOOL, "violated": TEXT,
                 "scheduling_delay_p99": FLOAT, "run": INT, "prefix_lookups": INT, "prefix_hit_rate_tokens": FLOAT,
                 "prefix_evictions": INT}
PROVENANCE = ["schema_version", "engine_version", "git_commit", "build_type", "compiler", "mpi_library",
              "hdf5_version", "command_line", "grid_file", "grid_text", "seed", "ranks", "threads_per_rank",
              "host", "slurm_job_id", "start_time", "end_time", "exit_state"]


class SweepFileSchema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = st.fresh(st.work_path("schema.h5"))
        st.run_sweep(cls.path, 2)

    def test_tables_columns_types_and_units(self):
        with st.open_file(self.path) as f:
            progress = f["progress"][0]
            for table, expected in (("results", RESULT_COLUMNS), ("probes", PROBE_COLUMNS)):
                group = f[table]
                columns = list(group.attrs["columns"])
                self.assertEqual(sorted(columns), sorted(group.keys()))
                n = int(progress[table + "_rows"])
                self.assertGreater(n, 0)
                for name, kind in expected.items():
                    self.assertIn(name, columns, f"{table}/{name}")
                    data = group[name]
                    self.assertEqual(data.shape, (n,), f"{table}/{name}")
                    self.assertEqual(data.maxshape, (None,), f"{table}/{name}")
                    if kind == ENUM:
                        self.assertEqual(h5py.check_enum_dtype(data.dtype), STATUS_NAMES, f"{table}/{name}")
                    else:
                        self.assertEqual(data.dtype.kind, kind, f"{table}/{name}")
                    self.assertIn("units", data.attrs)
                    self.assertTrue(data.attrs["description"])
            self.assertEqual(f["results/ttft_p90"].attrs["units"], "s")
            self.assertEqual(f["results/capacity_qps"].attrs["units"], "1/s")
            state = h5py.check_enum_dtype(f["progress"].dtype.fields["state"][0])
            self.assertEqual(state, {"running": 0, "complete": 1, "stopped": 2, "failed": 3})

    def test_values_and_joins(self):
        results, probes = st.load(self.path), st.load(self.path, "probes")
        status = {s.decode() for s in results["status"]}  # st.load names the enum's values
        self.assertTrue(status <= {"ok", "skipped", "failed", "timeout"})
        self.assertIn("ok", status)
        ok = results["status"] == b"ok"
        self.assertTrue(np.all(results["capacity_qps"][ok] > 0))
        self.assertTrue(np.allclose(results["qps_per_dollar"][ok],
                                    results["capacity_qps"][ok] / results["dollars_per_hour"][ok]))
        self.assertTrue(np.all(results["gpus"] == results["replicas"] * results["tp"] * results["pp"]))
        per_config = {}
        for c in probes["config_id"]:
            per_config[c] = per_config.get(c, 0) + 1
        for c, n in zip(results["config_id"], results["num_probes"]):
            self.assertEqual(per_config.get(c, 0), n)

    def test_provenance_attributes(self):
        with st.open_file(self.path) as f:
            for name in PROVENANCE:
                self.assertIn(name, f.attrs, name)
            self.assertEqual(f.attrs["ranks"], 2)
            self.assertEqual(f.attrs["exit_state"], "complete")
            self.assertIn("tp_dimensions", f.attrs["grid_text"])
            self.assertIn("MPICH", f.attrs["mpi_library"])
            self.assertEqual(list(f["runs"].keys()), ["0001"])
            self.assertEqual(f["runs/0001"].attrs["command_line"], f.attrs["command_line"])

    def test_readable_by_the_hdf5_tools(self):
        listing = subprocess.run(["h5ls", "-r", self.path], capture_output=True, text=True, check=True).stdout
        self.assertIn("/results/capacity_qps", listing)
        dump = subprocess.run(["h5dump", "-d", "/progress", self.path], capture_output=True, text=True, check=True)
        self.assertIn("results_rows", dump.stdout)


if __name__ == "__main__":
    unittest.main()
