"""The timing harness: a list of calls (one per rotating weight copy, used round-robin) is
warmed up, then timed `repetitions` times, one sample per call.

On a GPU the timed calls are queued back to back behind a GPU sleep and separated by CUDA
events, so the samples are GPU time only: CPU launch overhead and Python between launches are
not counted as long as the queue stays ahead of the GPU, which is checked (the sleep must still
be running after the last launch; otherwise the run is repeated with a longer sleep). On the CPU
each call is timed with time.perf_counter_ns; operators there run synchronously."""
import math
import statistics
import time
from dataclasses import dataclass

STAT_NAMES = ("min", "max", "mean", "median", "std")


class TimingError(RuntimeError):
    pass


@dataclass(frozen=True)
class TimeStats:
    """Summary of one operator's samples, in milliseconds (std: population standard deviation)."""
    min: float
    max: float
    mean: float
    median: float
    std: float
    samples: int

    def columns(self, op):
        """The time_stats.<op>.<stat> cells of a profiling CSV row."""
        return {f"time_stats.{op}.{name}": getattr(self, name) for name in STAT_NAMES}


def summarize(samples_ms):
    if not samples_ms:
        raise TimingError("no samples to summarize")
    for value in samples_ms:
        # A measured operator takes time: zero, negative or non-finite samples mean a broken
        # clock, and the predictor would refuse them anyway.
        if not (math.isfinite(value) and value > 0):
            raise TimingError(f"implausible sample {value!r} ms (expected a positive, finite time)")
    return TimeStats(min=min(samples_ms), max=max(samples_ms), mean=statistics.fmean(samples_ms),
                     median=statistics.median(samples_ms), std=statistics.pstdev(samples_ms),
                     samples=len(samples_ms))


def _check_counts(calls, repetitions, warmup):
    if not calls:
        raise TimingError("nothing to time")
    if repetitions < 1:
        raise TimingError(f"repetitions: expected at least 1, got {repetitions}")
    if warmup < 0:
        raise TimingError(f"warm-up calls: expected at least 0, got {warmup}")


class CpuClock:
    """time.perf_counter_ns around each call."""
    name = "cpu_perf_counter"
    description = "time.perf_counter_ns around each call (CPU, synchronous)"

    def samples(self, calls, repetitions, warmup, before=None, agree=None):
        _check_counts(calls, repetitions, warmup)
        n = len(calls)
        for i in range(warmup):
            calls[i % n]()
        if before is not None:
            before()
        out = []
        for i in range(repetitions):
            call = calls[(warmup + i) % n]
            start = time.perf_counter_ns()
            call()
            out.append((time.perf_counter_ns() - start) / 1e6)
        return out


class CudaEventClock:
    """CUDA events between back-to-back launches queued behind torch.cuda._sleep."""
    name = "cuda_events"
    description = ("CUDA events between back-to-back launches queued behind a GPU sleep (torch.cuda._sleep), "
                   "checked to outlast the CPU's queueing, so launch gaps are not counted")
    _MAX_ATTEMPTS = 6

    def __init__(self, torch, device):
        self.torch = torch
        self.device = device
        # Sleep cycles per queued call; grows when a run finds the GPU caught up with the queue.
        self.cycles_per_call = 100_000
        self.requeued = 0

    def samples(self, calls, repetitions, warmup, before=None, agree=None):
        """`before`, if given, runs untimed between the sleep and the first event (a collective
        there absorbs the ranks' skew). `agree`, if given, turns this process's verdict on a run
        into one shared by all ranks of a collective, so that all of them repeat it or none."""
        _check_counts(calls, repetitions, warmup)
        cuda = self.torch.cuda
        n = len(calls)
        with cuda.device(self.device):
            for i in range(warmup):
                calls[i % n]()
            cuda.synchronize()
            for _ in range(self._MAX_ATTEMPTS):
                events = [cuda.Event(enable_timing=True) for _ in range(repetitions + 1)]
                asleep = cuda.Event()
                cuda._sleep(self.cycles_per_call * (repetitions + 2))
                asleep.record()
                if before is not None:
                    before()
                events[0].record()
                for i in range(repetitions):
                    calls[(warmup + i) % n]()
                    events[i + 1].record()
                # Still sleeping after the last launch: the GPU never waited for the CPU.
                ahead = not asleep.query()
                cuda.synchronize()
                if agree is not None:
                    ahead = agree(ahead)
                if ahead:
                    return [events[i].elapsed_time(events[i + 1]) for i in range(repetitions)]
                self.cycles_per_call *= 4
                self.requeued += 1
        raise TimingError(f"the CPU could not queue {repetitions} calls ahead of the GPU even behind a sleep of "
                          f"{self.cycles_per_call * (repetitions + 2) // 4} cycles")


def measure(clock, calls, repetitions, warmup):
    return summarize(clock.samples(calls, repetitions, warmup))


def make_clock(torch, device):
    return CudaEventClock(torch, device) if device.type == "cuda" else CpuClock()
