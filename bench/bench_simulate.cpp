// Benchmark: 16,384 requests of splitwise_conv on Llama-2-7b / A100 / TP1, Sarathi-Serve with
// chunk 512, Poisson arrivals at 4 QPS. Prints wall time, events/s and peak RSS.
// Usage: bench_simulate [VIDUR_DATA_DIR] [REPEATS]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "infersweep/spec/spec_catalog.hpp"

using namespace infersweep;

int main(int argc, char** argv) {
  const std::string vidur = argc > 1 ? argv[1] : INFERSWEEP_BENCH_VIDUR_DATA;
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  using clock = std::chrono::steady_clock;
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(""));

  sim::SimulationConfig config;
  config.model = "meta-llama/Llama-2-7b-hf";
  config.gpu = "a100";
  config.node = "a100_pairwise_nvlink";
  config.scheduler.replica_scheduler = "sarathi";
  config.scheduler.chunk_size = 512;
  config.workload.num_requests = 16384;
  config.workload.length_generator = "trace";
  config.workload.length_trace_file = vidur + "/processed_traces/splitwise_conv.csv";
  config.workload.qps = 4.0;

  const auto t0 = clock::now();
  const auto setup = sim::prepare_simulation(config, catalog);
  const double prepare_s = std::chrono::duration<double>(clock::now() - t0).count();
  const auto predictor = predict::ExecutionTimePredictor::create(sim::predictor_context(setup));

  double best = 1e300, total_best = 1e300;
  int64_t events = 0;
  sim::SimulationSummary summary;
  for (int i = 0; i < repeats; ++i) {
    const auto start = clock::now();
    sim::Simulation simulation(setup, predictor);
    simulation.run();
    const double run_s = std::chrono::duration<double>(clock::now() - start).count();
    summary = sim::summarize(simulation);
    const double with_summary = std::chrono::duration<double>(clock::now() - start).count();
    best = std::min(best, run_s);
    total_best = std::min(total_best, with_summary);
    events = simulation.num_events();
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("bench_simulate: Llama-2-7b a100 TP1 sarathi chunk 512, splitwise_conv, 16384 requests, Poisson 4 QPS\n");
  std::printf("  requests completed      %lld\n", static_cast<long long>(summary.num_completed));
  std::printf("  simulated time          %.1f s\n", summary.end_time_s);
  std::printf("  events                  %lld\n", static_cast<long long>(events));
  std::printf("  workload generation     %.3f s (trace read + Poisson arrivals)\n", prepare_s);
  std::printf("  simulation wall time    %.3f s (best of %d)\n", best, repeats);
  std::printf("  + summary statistics    %.3f s\n", total_best);
  std::printf("  end-to-end wall time    %.3f s (generation + simulation + summary)\n", prepare_s + total_best);
  std::printf("  events per second       %.3g\n", static_cast<double>(events) / best);
  std::printf("  peak RSS                %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::printf("  targets: < 0.5 s, < 200 MB -> %s\n",
              (prepare_s + total_best < 0.5 && usage.ru_maxrss < 200 * 1024) ? "met" : "MISSED");
  return 0;
}
