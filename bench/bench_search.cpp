// Wall time of capacity searches. Always: one search (Llama-2-7B / A100 / TP1 / sarathi-512,
// 16,000 requests of splitwise_conv; target < 1 s) with each strategy. With --grid:
// vidur-default.yaml restricted to one model and one trace, on 2 threads (target: minutes),
// predictors built from scratch, with the grid's strategy or the one --strategy names.
//   bench_search [VIDUR_DATA_DIR] [--grid] [--strategy pilot|vidur]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/search/search_runner.hpp"

using namespace infersweep;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string fresh_cache() {
  const auto cache = std::filesystem::temp_directory_path() / "infersweep-bench-search-cache";
  std::filesystem::remove_all(cache);
  return cache.string();
}

void one_search(const spec::SpecCatalog& catalog, const std::string& vidur) {
  const std::string text =
      "models:\n  - identifier: meta-llama/Llama-2-7b-hf\n"
      "traces:\n  - name: conv\n    trace_file: " +
      vidur +
      "/processed_traces/splitwise_conv.csv\n"
      "    max_seq_len: 4096\n    num_requests: 16000\n    start_qps: 4\n"
      "clusters:\n  - device: a100\n    num_gpus: 1\n"
      "schedulers:\n  - scheduler: sarathi\n    chunk_size: 512\n"
      "tp_dimensions: [1]\npp_dimensions: [1]\nbatch_sizes: [128]\n"
      "predictor:\n  name: learned\n  profiling_dir: " +
      vidur + "/profiling\n  cache_dir: " + fresh_cache() + "\n";
  const auto units = search::enumerate_grid(search::parse_grid_text(text, "bench", "."), catalog);
  search::PredictorPool pool;
  auto start = std::chrono::steady_clock::now();
  pool.get(sim::plan_simulation(units.at(0).simulation, catalog));
  const double predictor_s = seconds_since(start);
  std::printf(
      "one capacity search, Llama-2-7b a100 TP1 sarathi-512, 16000 splitwise_conv requests (predictor built once in "
      "%.2f s):\n",
      predictor_s);
  for (const auto& strategy : search::search_strategies()) {
    auto unit = units.at(0);
    unit.settings.strategy = strategy;
    std::vector<double> times;
    search::ConfigResult result;
    for (int repeat = 0; repeat < 5; ++repeat) {
      start = std::chrono::steady_clock::now();
      result = search::run_unit_search(unit, catalog, pool);
      times.push_back(seconds_since(start));
    }
    std::sort(times.begin(), times.end());
    int64_t stopped = 0;
    double simulated = 0;
    for (const auto& p : result.outcome.probes) {
      stopped += p.stopped_early ? 1 : 0;
      simulated += p.simulated_s;
    }
    std::printf(
        "  strategy %s: %s, capacity %.3f QPS, %zu probes (%lld stopped early, %.0f simulated s), pilot %.3f QPS\n"
        "    search wall time: median %.3f s, min %.3f s over 5 runs (target < 1 s)\n",
        strategy.c_str(), search::to_string(result.status), result.outcome.capacity_qps, result.outcome.probes.size(),
        static_cast<long long>(stopped), simulated, result.outcome.pilot_qps, times[2], times[0]);
  }
}

void restricted_grid(const spec::SpecCatalog& catalog, const std::string& vidur, const std::string& strategy) {
  search::GridPaths paths;
  paths.trace_dir = vidur + "/processed_traces";
  auto grid = search::read_grid_file(std::string(INFERSWEEP_BENCH_DATA_DIR) + "/grids/vidur-default.yaml", paths);
  grid.predictor.learned.profiling_dirs = {vidur + "/profiling"};
  grid.predictor.learned.cache_dir = fresh_cache();
  if (!strategy.empty()) grid.search.strategy = strategy;
  search::GridFilter filter;
  filter.models = {"llama-2-7b-hf"};
  filter.traces = {"conv"};
  const auto units = search::enumerate_grid(grid, catalog, filter);
  search::PredictorPool pool;
  search::SearchRunOptions options;
  options.threads = 2;
  options.progress = &std::cerr;
  options.progress_interval_s = 30;
  const auto start = std::chrono::steady_clock::now();
  const auto results = search::run_searches(units, catalog, pool, options);
  const double wall = seconds_since(start);
  int64_t ok = 0, skipped = 0, failed = 0, probes = 0;
  for (const auto& r : results) {
    ok += r.status == search::ConfigStatus::ok;
    skipped += r.status == search::ConfigStatus::skipped;
    failed += r.status == search::ConfigStatus::failed;
    probes += static_cast<int64_t>(r.outcome.probes.size());
  }
  std::printf(
      "vidur-default.yaml restricted to llama-2-7b-hf x conv, strategy %s, 2 threads, predictors built from "
      "scratch:\n"
      "  %zu configs: %lld searched, %lld skipped, %lld failed; %lld probes; %zu predictors\n"
      "  wall time %.1f s (%.1f min; target: minutes), %.2f searches/s\n",
      grid.search.strategy.c_str(), units.size(), static_cast<long long>(ok), static_cast<long long>(skipped),
      static_cast<long long>(failed), static_cast<long long>(probes), pool.size(), wall, wall / 60,
      static_cast<double>(ok) / wall);
}

}  // namespace

int main(int argc, char** argv) {
  std::string vidur = INFERSWEEP_BENCH_VIDUR_DATA;
  bool grid = false;
  std::string strategy;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--grid")
      grid = true;
    else if (arg == "--strategy" && i + 1 < argc)
      strategy = argv[++i];
    else
      vidur = arg;
  }
  const auto catalog = spec::SpecCatalog::load(INFERSWEEP_BENCH_DATA_DIR);
  one_search(catalog, vidur);
  if (grid) restricted_grid(catalog, vidur, strategy);
  std::filesystem::remove_all(std::filesystem::temp_directory_path() / "infersweep-bench-search-cache");
  return 0;
}
