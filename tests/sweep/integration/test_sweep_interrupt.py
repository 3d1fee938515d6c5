"""A sweep killed with SIGKILL, or stopped with its STOP file, part-way: nothing committed is
lost, resuming completes the file without duplicates, and the final result set is identical
to an uninterrupted run's."""
import os
import unittest

import sweeptest as st


class InterruptedSweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reference = st.work_path("reference.h5")
        st.fresh(cls.reference)
        st.run_sweep(cls.reference, 2)
        cls.expected = st.result_set(cls.reference)

    def check_resumed(self, out, seen_before):
        results, probes = st.result_set(out)
        for key, values in seen_before[0].items():
            self.assertEqual(results.get(key), values, f"committed row {key} lost or changed")
        for key, values in seen_before[1].items():
            self.assertEqual(probes.get(key), values, f"committed probe {key} lost or changed")
        self.assertEqual((results, probes), self.expected)

    def test_sigkill_then_resume(self):
        out = st.fresh(st.work_path("killed.h5"))
        total = len(self.expected[0])
        job = st.start_sweep(out, 2, "--flush-interval", "0.1")
        st.wait_for_rows(out, total // 3, job)
        st.kill_job(job, out)
        seen = st.result_set(out)  # what the killed sweep had committed, read back after the kill
        self.assertGreaterEqual(len(seen[0]), total // 3)
        self.assertLess(len(seen[0]), total, "the kill came too late to test anything")
        resumed = st.run_sweep(out, 2)
        self.assertIn(f"{len(seen[0])} already in", resumed.stderr)
        self.check_resumed(out, seen)
        self.assertEqual(set(st.load(out)["run"].tolist()), {1, 2})

    def test_stop_file_then_resume(self):
        out = st.fresh(st.work_path("stopped.h5"))
        total = len(self.expected[0])
        job = st.start_sweep(out, 2, "--flush-interval", "0.1")
        st.wait_for_rows(out, total // 3, job)
        open(out + ".STOP", "w").close()
        stdout, stderr = job.communicate(timeout=300)
        self.assertEqual(job.returncode, 3, stdout + stderr)
        self.assertIn("stopped early (stop file", stdout)
        seen = st.result_set(out)
        self.assertLess(len(seen[0]), total, "the stop came too late to test anything")
        status = st.subprocess.run([st.INFERSWEEP, "status", out], capture_output=True, text=True, check=True)
        self.assertIn("stopped early", status.stdout)
        st.run_sweep(out, 2)
        self.assertFalse(os.path.exists(out + ".STOP"))
        self.check_resumed(out, seen)
        status = st.subprocess.run([st.INFERSWEEP, "status", out], capture_output=True, text=True, check=True)
        self.assertIn("state: complete", status.stdout)


if __name__ == "__main__":
    unittest.main()
