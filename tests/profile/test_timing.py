import time

import pytest

from infersweep_profile import timing


def test_cpu_clock_times_each_call_and_returns_sane_stats():
    def nap():
        time.sleep(0.002)

    stats = timing.measure(timing.CpuClock(), [nap], repetitions=5, warmup=1)
    assert stats.samples == 5
    assert 2.0 <= stats.min <= stats.median <= stats.max
    assert stats.min <= stats.mean <= stats.max
    assert stats.std >= 0
    assert stats.max < 1000  # a 2 ms call does not take a second even on a loaded machine


def test_calls_are_warmed_up_then_timed_round_robin():
    order = []
    calls = [lambda i=i: order.append(i) for i in range(3)]
    samples = timing.CpuClock().samples(calls, repetitions=4, warmup=2)
    assert len(samples) == 4
    # Warm-up uses copies 0 and 1; timing continues with 2, 0, 1, 2 (not the copies just warmed).
    assert order == [0, 1, 2, 0, 1, 2]


def test_summary_matches_the_definitions():
    s = timing.summarize([1.0, 2.0, 4.0, 5.0])
    assert (s.min, s.max, s.mean, s.median) == (1.0, 5.0, 3.0, 3.0)
    assert s.std == pytest.approx(2.5 ** 0.5)  # population standard deviation
    assert s.columns("add") == {"time_stats.add.min": 1.0, "time_stats.add.max": 5.0, "time_stats.add.mean": 3.0,
                                "time_stats.add.median": 3.0, "time_stats.add.std": s.std}


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_implausible_samples_stop_the_measurement(bad):
    with pytest.raises(timing.TimingError, match="implausible sample"):
        timing.summarize([1.0, bad])


def test_bad_counts_are_refused():
    with pytest.raises(timing.TimingError, match="repetitions"):
        timing.CpuClock().samples([lambda: None], repetitions=0, warmup=0)
    with pytest.raises(timing.TimingError, match="nothing to time"):
        timing.CpuClock().samples([], repetitions=1, warmup=0)


class FakeCuda:
    """Stands in for torch.cuda: events complete at times set by the test; the sleep 'finishes
    before the last launch' on the first `caught_up` runs."""

    def __init__(self, caught_up):
        self.caught_up = caught_up
        self.sleeps = []
        self.clock = 0.0
        test = self

        class Event:
            def __init__(self, enable_timing=False):
                self.t = None

            def record(self):
                test.clock += 0.5
                self.t = test.clock

            def query(self):
                # The sleep marker: already passed (GPU caught up) while runs remain to fail.
                return test.caught_up > 0

            def elapsed_time(self, other):
                return other.t - self.t

        self.Event = Event

    def _sleep(self, cycles):
        self.sleeps.append(cycles)

    def synchronize(self):
        self.caught_up -= 1

    def device(self, _):
        class Nothing:
            def __enter__(self):
                return None

            def __exit__(self, *a):
                return False
        return Nothing()


class FakeTorch:
    def __init__(self, caught_up):
        self.cuda = FakeCuda(caught_up)


def test_gpu_runs_are_repeated_with_a_longer_sleep_until_the_queue_stays_ahead():
    torch = FakeTorch(caught_up=2)  # the warm-up's synchronize counts one
    clock = timing.CudaEventClock(torch, device=0)
    calls = []
    samples = clock.samples([lambda: calls.append(1)], repetitions=3, warmup=1)
    assert samples == [0.5, 0.5, 0.5]
    assert clock.requeued == 1
    assert torch.cuda.sleeps == [100_000 * 5, 400_000 * 5]  # 4x longer the second time
    assert len(calls) == 1 + 3 + 3  # warm-up, the rejected run, the kept run


def test_ranks_of_a_collective_repeat_a_run_together():
    torch = FakeTorch(caught_up=0)  # this rank was ahead, another was not
    verdicts = iter([False, True])
    clock = timing.CudaEventClock(torch, device=0)
    clock.samples([lambda: None], repetitions=2, warmup=0, agree=lambda ok: ok and next(verdicts))
    assert len(torch.cuda.sleeps) == 2


def test_a_queue_that_never_gets_ahead_is_an_error():
    clock = timing.CudaEventClock(FakeTorch(caught_up=100), device=0)
    with pytest.raises(timing.TimingError, match="could not queue"):
        clock.samples([lambda: None], repetitions=2, warmup=0)
