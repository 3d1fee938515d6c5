#pragma once
// Master/worker dispatch over MPI (protocol: docs/sweep.md). Rank 0 is the master: its main
// thread owns MPI (MPI_THREAD_FUNNELED) and hands out bundles of task numbers; every rank,
// rank 0 included (on a second thread), runs bundles and returns one encoded payload per
// bundle. Each rank holds up to `prefetch` bundles, so it starts the next one the moment it
// finishes a bundle. Waiting is polling with a short back-off, never a busy MPI wait, so an
// oversubscribed node still makes progress.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace infersweep::sweep {

// Runs a bundle on one rank and returns its results, encoded.
class BundleRunner {
 public:
  virtual ~BundleRunner() = default;
  virtual std::string run(const std::vector<int64_t>& tasks) = 0;
  virtual int threads() const = 0;
};

// The master's side: takes each payload, and gets a turn on every loop (flushing, progress).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void consume(const std::string& payload, int rank, const std::vector<int64_t>& tasks) = 0;
  virtual void idle() {}
};

// Asked a few times a second whether to stop handing out work; a non-empty reason stops.
class StopCondition {
 public:
  virtual ~StopCondition() = default;
  virtual std::string stop_reason() = 0;
};

struct DispatchOptions {
  int prefetch = 2;              // bundles a rank holds at once (running + waiting)
  double drain_timeout_s = 120;  // after a stop, how long in-flight bundles may take
  double stop_poll_s = 0.2;
};

struct DispatchReport {
  int64_t tasks_total = 0, tasks_dispatched = 0, tasks_completed = 0, bundles = 0;
  std::string stop_reason;  // empty unless stopped before every task ran
  bool drained = true;      // false: in-flight bundles were still running at the bound
  std::vector<int64_t> tasks_per_rank;
  std::vector<int> threads_per_rank;
};

// On rank 0. `local` runs bundles on rank 0 itself (null: rank 0 only dispatches). Returns
// when every task's payload was consumed, or after a stop once in-flight work is back or the
// drain bound passed (then the workers are still busy: the caller ends the job). Otherwise
// the workers have been told to finish.
DispatchReport run_master(MPI_Comm comm, const std::vector<int64_t>& ordered_tasks, BundleRunner* local,
                          ResultSink& sink, StopCondition& stop, const DispatchOptions& options);

// On every other rank: runs bundles until the master says to finish.
void run_worker(MPI_Comm comm, BundleRunner& runner);

}  // namespace infersweep::sweep
