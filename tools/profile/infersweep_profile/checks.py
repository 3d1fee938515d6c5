"""Comparing a kernel's output with an fp32 reference before any of its times is written."""
from dataclasses import dataclass

# max |out - ref| <= atol + rtol * |ref|, element-wise, per dtype of the timed kernel. fp16 keeps
# about 3 decimal digits and bf16 about 2; a kernel that is wrong (a misaligned causal mask, a
# wrong head mapping) is off by tenths or more on these inputs.
TOLERANCES = {
    "float16": (1e-2, 1e-2),
    "bfloat16": (4e-2, 4e-2),
    "float32": (1e-4, 1e-4),
}


class KernelRejected(RuntimeError):
    """A kernel that failed its reference check or could not run; no row is written for it.
    `results` holds the checks that failed (CheckResult)."""

    def __init__(self, message, results=()):
        super().__init__(message)
        self.results = list(results)


@dataclass(frozen=True)
class CheckResult:
    kernel: str
    case: str
    passed: bool
    max_error: float  # max |out - ref| (inf when shapes differ or the kernel raised)
    detail: str = ""

    def as_dict(self):
        return {"kernel": self.kernel, "case": self.case, "passed": self.passed,
                "max_abs_error": None if self.max_error == float("inf") else self.max_error, "detail": self.detail}


def random_normal(torch, shape, generator, device, dtype):
    """Standard normal values. Drawn in the target dtype on GPUs (no fp32 copy of a
    multi-gigabyte KV buffer); on the CPU in fp32, then converted (older CPU builds cannot
    draw half-precision values)."""
    if device.type == "cuda":
        return torch.randn(*shape, generator=generator, device=device, dtype=dtype)
    return torch.randn(*shape, generator=generator, device=device).to(dtype)


def dtype_name(torch, dtype):
    return str(dtype).replace("torch.", "")


def compare(torch, kernel, case, out, ref, dtype):
    atol, rtol = TOLERANCES[dtype_name(torch, dtype)]
    if tuple(out.shape) != tuple(ref.shape):
        return CheckResult(kernel, case, False, float("inf"),
                           f"output shape {tuple(out.shape)}, expected {tuple(ref.shape)}")
    out = out.float()
    ref = ref.float()
    if not bool(torch.isfinite(out).all()):
        return CheckResult(kernel, case, False, float("inf"), "non-finite output")
    error = (out - ref).abs()
    max_error = float(error.max())
    passed = bool((error <= atol + rtol * ref.abs()).all())
    detail = "" if passed else f"exceeds atol {atol} + rtol {rtol} x |ref|"
    return CheckResult(kernel, case, passed, max_error, detail)


def run_check(torch, kernel, case, compute, ref, dtype):
    """`compute()` returns the kernel's output; an exception rejects the kernel too."""
    try:
        out = compute()
    except Exception as e:  # a kernel that cannot run on these inputs is as unusable as a wrong one
        return CheckResult(kernel, case, False, float("inf"), f"{type(e).__name__}: {str(e)[:200]}")
    return compare(torch, kernel, case, out, ref, dtype)
