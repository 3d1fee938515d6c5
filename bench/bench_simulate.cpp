// Benchmark: 16,384 requests of splitwise_conv on Llama-2-7b / A100 / TP1, Sarathi-Serve with
// chunk 512, Poisson arrivals at 4 QPS. Prints wall time, events/s and peak RSS. Then 16,384
// multi-turn chat requests with prefix caching: Sarathi without and with it, and vLLM V1.
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

namespace {

struct CaseResult {
  double prepare_s = 0, best = 1e300, total_best = 1e300;
  int64_t events = 0;
  sim::SimulationSummary summary;
};

CaseResult run_case(const sim::SimulationConfig& config, const spec::SpecCatalog& catalog, int repeats) {
  using clock = std::chrono::steady_clock;
  CaseResult r;
  const auto t0 = clock::now();
  const auto setup = sim::prepare_simulation(config, catalog);
  r.prepare_s = std::chrono::duration<double>(clock::now() - t0).count();
  const auto predictor = predict::ExecutionTimePredictor::create(sim::predictor_context(setup));
  for (int i = 0; i < repeats; ++i) {
    const auto start = clock::now();
    sim::Simulation simulation(setup, predictor);
    simulation.run();
    const double run_s = std::chrono::duration<double>(clock::now() - start).count();
    r.summary = sim::summarize(simulation);
    const double with_summary = std::chrono::duration<double>(clock::now() - start).count();
    r.best = std::min(r.best, run_s);
    r.total_best = std::min(r.total_best, with_summary);
    r.events = simulation.num_events();
  }
  return r;
}

// The multi-turn chat workload of data/grids/prefix-caching.yaml (4 turns over 8 system prompts
// of 1,024 tokens, messages from the trace) on Llama-3-8B / H100.
sim::SimulationConfig multi_turn(const std::string& vidur, const std::string& scheduler, bool prefix_caching) {
  sim::SimulationConfig config;
  config.model = "meta-llama/Meta-Llama-3-8B";
  config.gpu = "h100";
  config.node = "h100_pairwise_nvlink";
  config.scheduler.replica_scheduler = scheduler;
  config.scheduler.chunk_size = 512;
  config.scheduler.prefix_caching = prefix_caching;
  config.workload.generator = "conversation";
  config.workload.num_requests = 16384;
  config.workload.system_prompt_count = 8;
  config.workload.system_prompt_tokens = 1024;
  config.workload.turns = 4;
  config.workload.think_time_s = 20;
  config.workload.max_tokens = 8192;
  config.workload.length_generator = "trace";
  config.workload.length_trace_file = vidur + "/processed_traces/splitwise_conv.csv";
  config.workload.qps = 6.0;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vidur = argc > 1 ? argv[1] : INFERSWEEP_BENCH_VIDUR_DATA;
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
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

  const auto r = run_case(config, catalog, repeats);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("bench_simulate: Llama-2-7b a100 TP1 sarathi chunk 512, splitwise_conv, 16384 requests, Poisson 4 QPS\n");
  std::printf("  requests completed      %lld\n", static_cast<long long>(r.summary.num_completed));
  std::printf("  simulated time          %.1f s\n", r.summary.end_time_s);
  std::printf("  events                  %lld\n", static_cast<long long>(r.events));
  std::printf("  workload generation     %.3f s (trace read + Poisson arrivals)\n", r.prepare_s);
  std::printf("  simulation wall time    %.3f s (best of %d)\n", r.best, repeats);
  std::printf("  + summary statistics    %.3f s\n", r.total_best);
  std::printf("  end-to-end wall time    %.3f s (generation + simulation + summary)\n", r.prepare_s + r.total_best);
  std::printf("  events per second       %.3g\n", static_cast<double>(r.events) / r.best);
  std::printf("  peak RSS                %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::printf("  targets: < 0.5 s, < 200 MB -> %s\n",
              (r.prepare_s + r.total_best < 0.5 && usage.ru_maxrss < 200 * 1024) ? "met" : "MISSED");

  // Prefix caching on multi-turn chat: vLLM V1 and Sarathi with it against Sarathi without.
  std::printf(
      "bench_simulate: Llama-3-8B h100 TP1, multi-turn chat (4 turns, 8 system prompts of 1024 tokens), "
      "16384 requests, Poisson 6 QPS\n");
  std::printf("  %-26s %9s %10s %12s %12s %12s\n", "scheduler", "events", "wall (s)", "events/s", "us/request",
              "token hits");
  const struct {
    const char* label;
    const char* scheduler;
    bool prefix_caching;
  } cases[] = {{"sarathi (chunk 512)", "sarathi", false},
               {"sarathi + prefix caching", "sarathi", true},
               {"vllm_v1 + prefix caching", "vllm_v1", true}};
  double sarathi_per_request = 0;
  for (const auto& c : cases) {
    const auto m = run_case(multi_turn(vidur, c.scheduler, c.prefix_caching), catalog, repeats);
    const double per_request = m.best / static_cast<double>(m.summary.num_completed) * 1e6;
    if (sarathi_per_request == 0) sarathi_per_request = per_request;
    std::printf("  %-26s %9lld %10.3f %12.3g %12.1f %11.1f%%   (%.2fx sarathi's cost per request)\n", c.label,
                static_cast<long long>(m.events), m.best, static_cast<double>(m.events) / m.best, per_request,
                100.0 * sim::token_hit_rate(m.summary.prefix_cache.total), per_request / sarathi_per_request);
  }
  return 0;
}
