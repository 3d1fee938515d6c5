// Benchmark: how `infersweep simulate` scales with the number of requests. Poisson arrivals with
// splitwise_conv lengths on Llama-2-7b / A100 / TP1, Sarathi-Serve chunk 512, predicted from
// Vidur's A100 tables (the E2_sarathi_16384 run's deployment and predictor, so no training), at
// 1,024 to 1,048,576 requests. Per size: the whole command's wall time and peak RSS (a child
// process) with its event loop, and in process the request generation, event loop, summary and
// output writing (the command has no switch to skip its outputs). The rate is one the replica
// sustains, so that the queue, and the work per request, does not grow with the run's length.
// Usage: bench_scaling [VIDUR_DATA_DIR] [VIDUR_REFERENCE_DIR] [--qps X] [--sizes N,N,...] [--repeats N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "infersweep/io/simulation_report.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "infersweep/spec/spec_catalog.hpp"
#include "parity/vidur_reference.hpp"
#include "simulate_cli.hpp"

using namespace infersweep;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Runs of the command above this many requests are timed once (they take seconds each).
constexpr int64_t kRepeatBelow = 16384;
// Linear: the cost per request at the largest size within this factor of that at 16,384.
constexpr double kLinearFactor = 1.5;
constexpr double kLargestTargetS = 10;

struct SizeResult {
  int64_t requests = 0;
  bench::SimulateRun cli;
  int cli_runs = 0;
  double generation_s = 0, loop_s = 0, summary_s = 0, write_s = 0, mean_delay_s = 0;
  int64_t completed = 0;
};

std::vector<int64_t> parse_sizes(const std::string& text) {
  std::vector<int64_t> sizes;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) sizes.push_back(std::atoll(item.c_str()));
  return sizes;
}

}  // namespace

static int run_bench(int argc, char** argv) {
  std::vector<std::string> positional;
  double qps = 3.0;
  int repeats = 3;
  std::vector<int64_t> sizes = {1024, 16384, 262144, 1048576};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--qps" && i + 1 < argc) {
      qps = std::atof(argv[++i]);
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes = parse_sizes(argv[++i]);
    } else if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "-h" || arg == "--help") {
      std::printf(
          "usage: bench_scaling [VIDUR_DATA_DIR] [VIDUR_REFERENCE_DIR] [--qps X] [--sizes N,N,...] [--repeats N]\n");
      return 0;
    } else {
      positional.push_back(arg);
    }
  }
  const std::string vidur = positional.size() > 0 ? positional[0] : INFERSWEEP_BENCH_VIDUR_DATA;
  const std::string reference = positional.size() > 1 ? positional[1] : parity::vidur_reference_dir();

  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(""));
  const auto run = parity::load_vidur_run(reference, "E2_sarathi_16384", catalog);
  auto config = run.config;
  // The run's deployment and predictor; a synthetic workload in place of its request list.
  config.workload = workload::WorkloadConfig{};
  config.workload.seed = run.config.workload.seed;
  config.workload.max_tokens = run.config.workload.max_tokens;
  config.workload.length_generator = "trace";
  config.workload.length_trace_file = vidur + "/processed_traces/splitwise_conv.csv";
  config.workload.qps = qps;

  std::printf(
      "bench_scaling: Llama-2-7b a100 TP1 sarathi chunk 512, splitwise_conv, Poisson %.2f QPS, table "
      "predictor %s\n",
      qps, run.table_dir.c_str());
  std::unique_ptr<predict::ExecutionTimePredictor> predictor;
  std::vector<SizeResult> results;
  for (const int64_t n : sizes) {
    config.workload.num_requests = n;
    SizeResult r;
    r.requests = n;
    {
      auto start = clock_type::now();
      const auto setup = sim::prepare_simulation(config, catalog);
      r.generation_s = seconds_since(start);
      if (!predictor)
        predictor = std::make_unique<predict::ExecutionTimePredictor>(
            predict::ExecutionTimePredictor::create(sim::predictor_context(setup)));
      sim::Simulation simulation(setup, *predictor);
      start = clock_type::now();
      simulation.run();
      r.loop_s = seconds_since(start);
      start = clock_type::now();
      const auto summary = sim::summarize(simulation);
      r.summary_s = seconds_since(start);
      bench::ScratchDir out;
      start = clock_type::now();
      io::write_simulation_outputs(simulation, summary, out.path.string());
      r.write_s = seconds_since(start);
      r.completed = summary.num_completed;
      r.mean_delay_s = summary.request_metric("scheduling_delay").mean;
    }
    const auto args = bench::simulate_arguments(config);
    if (results.empty())
      std::printf("command: infersweep simulate %s --output-dir <temporary>\n", bench::shell_words(args).c_str());
    r.cli_runs = n <= kRepeatBelow ? repeats : 1;
    for (int i = 0; i < r.cli_runs; ++i) {
      const auto cli = bench::run_simulate_cli(INFERSWEEP_BENCH_CLI, args);
      if (i == 0 || cli.wall_s < r.cli.wall_s) r.cli = cli;
    }
    results.push_back(r);
    std::fflush(stdout);
  }

  std::printf("whole command (best of %d up to %lld requests, else one run)\n", repeats,
              static_cast<long long>(kRepeatBelow));
  std::printf("  %9s %9s %9s %10s %10s %10s %12s\n", "requests", "wall (s)", "RSS (MB)", "loop (s)", "us/req",
              "loop us/req", "RSS B/req");
  const auto& base = results.front();
  for (const auto& r : results) {
    const double n = static_cast<double>(r.requests);
    std::printf("  %9lld %9.3f %9.1f %10.3f %10.2f %10.2f ", static_cast<long long>(r.requests), r.cli.wall_s,
                r.cli.max_rss_mb, r.cli.event_loop_s, r.cli.wall_s / n * 1e6, r.cli.event_loop_s / n * 1e6);
    if (r.requests > base.requests)
      std::printf("%12.0f\n", (r.cli.max_rss_mb - base.cli.max_rss_mb) * 1024 * 1024 /
                                  static_cast<double>(r.requests - base.requests));
    else
      std::printf("%12s\n", "(baseline)");
  }
  std::printf("in process\n");
  std::printf("  %9s %9s %12s %10s %10s %10s %14s\n", "requests", "completed", "generate (s)", "loop (s)",
              "summary (s)", "write (s)", "mean delay (s)");
  for (const auto& r : results)
    std::printf("  %9lld %9lld %12.3f %10.3f %10.3f %10.3f %14.4f\n", static_cast<long long>(r.requests),
                static_cast<long long>(r.completed), r.generation_s, r.loop_s, r.summary_s, r.write_s, r.mean_delay_s);

  const auto mid =
      std::find_if(results.begin(), results.end(), [](const SizeResult& r) { return r.requests == 16384; });
  const auto& largest = results.back();
  if (mid != results.end() && largest.requests > mid->requests) {
    const auto per_request = [](double s, int64_t n) { return s / static_cast<double>(n); };
    const double wall_ratio = per_request(largest.cli.wall_s, largest.requests) / per_request(mid->cli.wall_s, 16384);
    const double loop_ratio =
        per_request(largest.cli.event_loop_s, largest.requests) / per_request(mid->cli.event_loop_s, 16384);
    std::printf("linear (cost per request at %lld within %.1fx of 16384): whole command %.2fx, event loop %.2fx: %s\n",
                static_cast<long long>(largest.requests), kLinearFactor, wall_ratio, loop_ratio,
                wall_ratio <= kLinearFactor && loop_ratio <= kLinearFactor ? "yes" : "no");
    std::printf("stable queue: mean scheduling delay %.4f s at 16384, %.4f s at %lld\n", mid->mean_delay_s,
                largest.mean_delay_s, static_cast<long long>(largest.requests));
  }
  std::printf("%lld requests in < %.0f s whole command: %.3f s: %s\n", static_cast<long long>(largest.requests),
              kLargestTargetS, largest.cli.wall_s, largest.cli.wall_s < kLargestTargetS ? "met" : "not met");
  for (const auto& r : results)
    if (r.completed != r.requests) {
      std::printf("  %lld of %lld requests completed\n", static_cast<long long>(r.completed),
                  static_cast<long long>(r.requests));
      return 1;
    }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
}
