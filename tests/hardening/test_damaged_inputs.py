"""Every subcommand that reads an input file, given that file damaged: empty, truncated, binary,
with a NUL byte, with an overflowing number, a directory in its place, or behind a UTF-8 byte-order
mark. Each run has a timeout (no hang); damaged inputs end in exit 1 or 2 with one printable
error line naming the file (and its line where there is one); a byte-order mark is accepted.

Configured by ctest through the environment: INFERSWEEP, MPIEXEC, DATA_DIR, PROFILING_DIR,
TRACE_DIR, WORK_DIR."""
import os
import shutil
import subprocess
import unittest

INFERSWEEP = os.environ["INFERSWEEP"]
MPIEXEC = os.environ["MPIEXEC"]
DATA_DIR = os.environ["DATA_DIR"]
PROFILING_DIR = os.environ["PROFILING_DIR"]
WORK_DIR = os.environ["WORK_DIR"]
TIMEOUT_S = 120

BOM = b"\xef\xbb\xbf"
# Every line alike, so that readers get past the shape checks and quote the bytes back.
BINARY = b"\x00\x1b[2J\x1b]0;owned\x07,\xff\xfe\x80gar\x00bage\r\n" * 8

TRACE = (b"arrived_at,num_prefill_tokens,num_decode_tokens\n"
         + b"".join(b"%d.5,%d,%d\n" % (i, 100 + 37 * i, 5 + i) for i in range(12)))
LENGTH_TRACE = b"num_prefill_tokens,num_decode_tokens\n" + b"".join(b"%d,%d\n" % (90 + i, 4 + i) for i in range(12))
CONFIG = b"# a deployment\nreplica-scheduler = vllm\nnum-requests = 12\nqps = 2\n"


def damaged_variants(good, truncated, bad_line, empty_is_valid=False):
    """(name, bytes, expected exit codes, the line the message must name or None) for one file.
    `truncated` is the file cut inside a record; `bad_line` replaces line 3 with a hostile value."""
    lines = good.split(b"\n")
    with_bad_line = b"\n".join(lines[:2] + [bad_line] + lines[3:])
    with_nul = b"\n".join(lines[:2] + [lines[2][:2] + b"\x00" + lines[2][2:]] + lines[3:])
    return [
        ("empty", b"", {0} if empty_is_valid else {1}, None),
        ("truncated", truncated, {1}, None),
        ("binary", BINARY, {1}, None),
        ("nul", with_nul, {1}, 3),
        ("overflow", with_bad_line, {1}, 3),
        ("bom", BOM + good, {0}, None),
    ]


class DamagedInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = os.path.join(WORK_DIR, "damaged-inputs")
        shutil.rmtree(cls.root, ignore_errors=True)
        os.makedirs(cls.root)
        cls.count = 0

    def path(self, name):
        DamagedInputs.count += 1
        folder = os.path.join(self.root, str(DamagedInputs.count))
        os.makedirs(folder)
        return os.path.join(folder, name)

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_command(self, args):
        env = dict(os.environ, OMP_NUM_THREADS="1", INFERSWEEP_CACHE_DIR=os.path.join(self.root, "cache"))
        try:
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, env=env, cwd=self.root)
        except subprocess.TimeoutExpired:
            self.fail(f"no answer within {TIMEOUT_S} s: {args}")
        return done

    def check(self, args, expected, file, line=None, saying=None):
        done = self.run_command(args)
        stderr = done.stderr
        self.assertIn(done.returncode, expected, f"{args}\nstdout: {done.stdout[-2000:]!r}\nstderr: {stderr[-2000:]!r}")
        if expected == {0}:
            return
        text = stderr.decode("utf-8")  # raises on bytes that are not UTF-8
        for c in text:
            self.assertTrue(c == "\n" or c.isprintable(), f"unprintable {c!r} in {text!r}")
        errors = [l for l in text.splitlines() if ": error: " in l or ": simulation failed: " in l]
        self.assertEqual(len(errors), 1, f"{args}: expected one error line in {text!r}")
        self.assertIn(file, errors[0], f"{args}: the message does not name {file}")
        if line is not None:
            self.assertIn(f"{file}:{line}:", errors[0])
        if saying is not None:
            self.assertIn(saying, errors[0])

    def simulate(self, *args):
        return [INFERSWEEP, "simulate", "--data-dir", DATA_DIR, "--quiet", "--output-dir", self.path("out"), *args]

    def each_variant(self, name, good, truncated, bad_line, command, empty_is_valid=False):
        for kind, data, expected, line in damaged_variants(good, truncated, bad_line, empty_is_valid):
            with self.subTest(kind=kind):
                path = self.write(name, data)
                # These readers quote the bad line back: escaped, and not cut at its NUL byte.
                quoted = "\\x00\\x1b[2J\\x1b]0;owned\\x07" if kind == "binary" else None
                self.check(command(path), expected, path, line, saying=quoted)
        with self.subTest(kind="directory"):
            folder = self.path(name)
            os.makedirs(folder)
            self.check(command(folder), {1}, folder, saying="is a directory")
        with self.subTest(kind="missing"):
            absent = self.path(name)
            self.check(command(absent), {1}, absent, saying="No such file or directory")

    def test_trace_replay(self):
        self.each_variant("trace.csv", TRACE, TRACE[:60], b"2.5,9223372036854775807,3",
                          lambda p: self.simulate("--request-generator", "trace_replay", "--trace-file", p))

    def test_length_trace(self):
        self.each_variant("lengths.csv", LENGTH_TRACE, LENGTH_TRACE[:45], b"1e300,4",
                          lambda p: self.simulate("--length-generator", "trace", "--length-trace-file", p,
                                                  "--num-requests", "30"))

    def test_interval_trace(self):
        self.each_variant("arrivals.csv", TRACE, TRACE[:60], b"nan,1,1",
                          lambda p: self.simulate("--interval-generator", "trace", "--interval-trace-file", p,
                                                  "--num-requests", "8"))

    def test_config_file(self):
        self.each_variant("run.conf", CONFIG, CONFIG[:-6], b"num-requests = 99999999999999999999",
                          lambda p: self.simulate("--config", p), empty_is_valid=True)  # no options

    def test_spec_file(self):
        good = open(os.path.join(DATA_DIR, "models", "llama-2-7b.ini"), "rb").read()
        lines = good.split(b"\n")
        at = next(i for i, l in enumerate(lines) if l.startswith(b"num_layers"))

        def data_dir_with(model_file):
            copy = self.path("data")
            shutil.copytree(DATA_DIR, copy)
            target = os.path.join(copy, "models", "llama-2-7b.ini")
            os.remove(target)
            if os.path.isdir(model_file):
                os.makedirs(target)
            elif os.path.exists(model_file):
                shutil.copy(model_file, target)
            return copy

        for kind, data, expected, line in [
                ("truncated", b"\n".join(lines[:at]) + b"\nnum_layers =", {1}, at + 1),
                ("binary", BINARY, {1}, None),
                ("overflow", b"\n".join(lines[:at] + [b"num_layers = 99999999999999999999"] + lines[at + 1:]),
                 {1}, at + 1),
                ("bom", BOM + good, {0}, None)]:
            with self.subTest(kind=kind):
                copy = data_dir_with(self.write("model.ini", data))
                target = os.path.join(copy, "models", "llama-2-7b.ini")
                args = [INFERSWEEP, "simulate", "--data-dir", copy, "--quiet", "--num-requests", "4",
                        "--output-dir", self.path("out")]
                self.check(args, expected, target, line)

    def test_profiling_dir(self):
        mlp = os.path.join("compute", "a100", "meta-llama", "Llama-2-7b-hf", "mlp.csv")
        good = open(os.path.join(PROFILING_DIR, mlp), "rb").read()
        lines = good.split(b"\n")
        times = [i for i, name in enumerate(lines[0].split(b",")) if name.startswith(b"time_stats.")]

        def negate(line):  # every time of the row, as in the reproduction
            cells = line.split(b",")
            return b",".join(b"-" + c if i in times and c else c for i, c in enumerate(cells))

        negated = b"\n".join([lines[0]] + [negate(l) for l in lines[1:]])

        def profiling_with(mlp_bytes):
            copy = self.path("profiling")
            shutil.copytree(PROFILING_DIR, copy, symlinks=True)
            with open(os.path.join(copy, mlp), "wb") as f:
                f.write(mlp_bytes)
            return copy

        def report(profiling_dir):
            return [INFERSWEEP, "predictor", "report", "--data-dir", DATA_DIR, "--profiling-dir", profiling_dir,
                    "--output", self.path("report.csv")]

        for kind, data, line in [("binary", BINARY, None), ("truncated", good[:len(lines[0]) + 40], 2),
                                 ("negated", negated, None)]:
            with self.subTest(kind=kind):
                copy = profiling_with(data)
                self.check(report(copy), {1}, os.path.join(copy, mlp), line)
        with self.subTest(kind="faster than the GPU's peak"):
            up = lines[0].split(b",").index(b"time_stats.mlp_up_proj.median")
            cells = lines[1].split(b",")
            cells[up] = b"%.9g" % (float(cells[up]) / 1000)
            copy = profiling_with(b"\n".join([lines[0], b",".join(cells)] + lines[2:]))
            done = self.run_command(report(copy))
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn(f"warning: {os.path.join(copy, mlp)}:2: mlp_up_proj takes", done.stdout.decode())
        with self.subTest(kind="a file for the directory"):
            not_a_dir = self.write("profiling", b"")
            self.check(report(not_a_dir), {1}, not_a_dir)

    def grid_text(self, trace):
        return (f"models:\n  - identifier: meta-llama/Llama-2-7b-hf\n"
                f"traces:\n  - name: t\n    trace_file: {trace}\n    num_requests: 40\n    start_qps: 1\n"
                f"clusters:\n  - device: a100\n    num_gpus: 1\n"
                f"schedulers:\n  - scheduler: vllm\n"
                f"tp_dimensions: [1]\npp_dimensions: [1]\nbatch_sizes: [8]\npredictor:\n  name: roofline\n").encode()

    def test_grid_yaml(self):
        trace = self.write("lengths.csv", LENGTH_TRACE)
        good = self.grid_text(trace)
        for kind, data, expected, line in [
                ("empty", b"", {1}, None),
                ("truncated", good[:good.index(b"schedulers")], {1}, None),
                ("binary", BINARY, {1}, None),
                ("repeated key", good + b"batch_sizes: [16]\n", {1}, 18),
                ("second document", good + b"---\nseed: 3\n", {1}, 18),
                ("bom", BOM + good, {0}, None)]:
            with self.subTest(kind=kind):
                grid = self.write("grid.yaml", data)
                self.check([INFERSWEEP, "search", "--grid", grid, "--dry-run", "--output-dir", self.path("out")],
                           expected, grid, line)
        with self.subTest(kind="directory"):
            folder = self.path("grid.yaml")
            os.makedirs(folder)
            self.check([INFERSWEEP, "search", "--grid", folder, "--dry-run"], {1}, folder, saying="is a directory")

    def test_grid_with_damaged_trace(self):
        for kind, data, line in [("overflow", LENGTH_TRACE.replace(b"95,9", b"95,9223372036854775807"), 7),
                                 ("binary", BINARY, None), ("empty", b"", None)]:
            with self.subTest(kind=kind):
                trace = self.write("lengths.csv", data)
                grid = self.write("grid.yaml", self.grid_text(trace))
                self.check([INFERSWEEP, "search", "--grid", grid, "--output-dir", self.path("out")], {1}, trace, line)
                self.check([MPIEXEC, "-n", "1", INFERSWEEP, "sweep", "--grid", grid, "--out", self.path("s.h5"),
                            "--threads", "1"], {1}, trace, line)

    def test_lock_file_error_gives_the_reason(self):
        grid = self.write("grid.yaml", self.grid_text(self.write("lengths.csv", LENGTH_TRACE)))
        out = self.path("sweep.h5")
        os.makedirs(out + ".lock")  # a lock file that cannot be opened
        done = self.run_command([MPIEXEC, "-n", "1", INFERSWEEP, "sweep", "--grid", grid, "--out", out,
                                 "--threads", "1"])
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn(f"cannot create lock file {out}.lock: Is a directory", done.stderr.decode())


if __name__ == "__main__":
    unittest.main()
