// Master dispatch throughput with zero-cost tasks: every rank (rank 0 on its worker thread)
// "runs" a bundle by echoing one 8-byte result per task, and rank 0 counts them. What is left
// is the master loop, bundling and MPI messages. Target: >= 10,000 tasks/s.
//   mpiexec -n 2 bench_dispatch [TASKS]
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "infersweep/sweep/dispatch.hpp"

using namespace infersweep::sweep;

namespace {

class EchoRunner : public BundleRunner {
 public:
  std::string run(const std::vector<int64_t>& tasks) override {
    return std::string(reinterpret_cast<const char*>(tasks.data()), tasks.size() * sizeof(int64_t));
  }
  int threads() const override { return 1; }
};

class CountingSink : public ResultSink {
 public:
  void consume(const std::string& payload, int, const std::vector<int64_t>& tasks) override {
    if (payload.size() != tasks.size() * sizeof(int64_t)) std::abort();
    results += static_cast<int64_t>(tasks.size());
  }
  int64_t results = 0;
};

class NeverStop : public StopCondition {
 public:
  std::string stop_reason() override { return {}; }
};

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int64_t count = argc > 1 ? std::atoll(argv[1]) : 200000;
  EchoRunner runner;
  if (rank == 0) {
    std::vector<int64_t> tasks(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) tasks[static_cast<size_t>(i)] = i;
    CountingSink sink;
    NeverStop never;
    const auto start = std::chrono::steady_clock::now();
    const auto report = run_master(MPI_COMM_WORLD, tasks, &runner, sink, never, DispatchOptions{});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "bench_dispatch: %d ranks, %lld zero-cost tasks in %lld bundles, %.3f s: %.0f tasks/s "
        "(target >= 10000)\n",
        size, static_cast<long long>(sink.results), static_cast<long long>(report.bundles), s,
        static_cast<double>(sink.results) / s);
    for (int r = 0; r < size; ++r)
      std::printf("  rank %d ran %lld tasks\n", r,
                  static_cast<long long>(report.tasks_per_rank[static_cast<size_t>(r)]));
  } else {
    run_worker(MPI_COMM_WORLD, runner);
  }
  MPI_Finalize();
  return 0;
}
