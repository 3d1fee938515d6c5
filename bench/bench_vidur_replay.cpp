// Benchmark: one of Vidur's own runs (vidur-reference/runs/<run>, by default E2_sarathi_16384:
// 16,384 requests on Llama-2-7b / A100, Sarathi-Serve chunk 512) replayed with Vidur's requests
// and prediction tables, configured as the differential test configures it. Prints the time to
// prepare, the event loop (best and median), the summary, and the whole `infersweep simulate`
// process with its peak RSS, next to Vidur's own timings of the same run (vidur_summary.csv).
// Exits 1 when the replay does not reproduce Vidur's request and batch counts.
// Usage: bench_vidur_replay [VIDUR_REFERENCE_DIR] [REPEATS] [--run NAME]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

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

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// How many times faster than Vidur the event loop is meant to be.
constexpr double kEventLoopTarget = 1000;
// Runs of the whole command (each reads the tables and writes request_metrics.csv again).
constexpr int kCliRepeats = 3;
// As the differential test: Vidur's per-request CSV holds every double in full.
constexpr double kPerRequestTolerance = 1e-9;

const char* verdict(bool ok) { return ok ? "MATCH" : "MISMATCH"; }

}  // namespace

static int run_bench(int argc, char** argv) {
  std::vector<std::string> positional;
  std::string run_name = "E2_sarathi_16384";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--run" && i + 1 < argc) {
      run_name = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::printf("usage: bench_vidur_replay [VIDUR_REFERENCE_DIR] [REPEATS] [--run NAME]\n");
      return 0;
    } else {
      positional.push_back(arg);
    }
  }
  const std::string reference = positional.size() > 0 ? positional[0] : parity::vidur_reference_dir();
  const int repeats = positional.size() > 1 ? std::max(1, std::atoi(positional[1].c_str())) : 5;

  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(""));
  auto start = clock_type::now();
  const auto run = parity::load_vidur_run(reference, run_name, catalog);
  const double load_s = seconds_since(start);
  start = clock_type::now();
  const auto setup = sim::prepare_simulation(run.config, catalog);
  const double requests_s = seconds_since(start);
  start = clock_type::now();
  const auto predictor = predict::ExecutionTimePredictor::create(sim::predictor_context(setup));
  const double predictor_s = seconds_since(start);

  std::vector<double> construct_times, loop_times;
  std::unique_ptr<sim::Simulation> simulation;
  for (int i = 0; i < repeats; ++i) {
    simulation.reset();  // one simulation's memory at a time
    start = clock_type::now();
    simulation = std::make_unique<sim::Simulation>(setup, predictor);
    construct_times.push_back(seconds_since(start));
    start = clock_type::now();
    simulation->run();
    loop_times.push_back(seconds_since(start));
  }
  start = clock_type::now();
  const auto summary = sim::summarize(*simulation);
  const double summary_s = seconds_since(start);
  const double loop_best = *std::min_element(loop_times.begin(), loop_times.end());
  const auto events = simulation->num_events();

  const auto vidur = parity::read_vidur_summary(reference, run_name);
  const auto vidur_completed = static_cast<int64_t>(vidur.at("num_requests_completed"));
  const auto vidur_batches = static_cast<int64_t>(vidur.at("num_batches"));
  const auto num_requests = static_cast<int64_t>(simulation->requests().size());
  const bool completed_ok = summary.num_completed == vidur_completed && summary.num_completed == num_requests;
  const bool batches_ok = summary.num_batches == vidur_batches;

  std::printf("bench_vidur_replay: Vidur's run %s (%s)\n", run_name.c_str(), run.dir.c_str());
  std::printf("  %s on %s, %s, %lld requests, table predictor %s\n", run.config.model.c_str(), run.config.gpu.c_str(),
              run.config.scheduler.replica_scheduler.c_str(), static_cast<long long>(num_requests),
              run.table_dir.c_str());
  std::printf("in process\n");
  std::printf("  prepare                 %.3f s (Vidur's config %.3f s + request list %.3f s + tables %.3f s)\n",
              load_s + requests_s + predictor_s, load_s, requests_s, predictor_s);
  std::printf("  simulation construction %.3f s (best of %d)\n",
              *std::min_element(construct_times.begin(), construct_times.end()), repeats);
  std::printf("  event loop (run())      %.3f s best, %.3f s median of %d\n", loop_best, median(loop_times), repeats);
  std::printf("  summary statistics      %.3f s\n", summary_s);
  std::printf("  events                  %lld (%.3g events/s)\n", static_cast<long long>(events),
              static_cast<double>(events) / loop_best);
  std::printf("  requests completed      %lld, Vidur %lld, of %lld: %s\n",
              static_cast<long long>(summary.num_completed), static_cast<long long>(vidur_completed),
              static_cast<long long>(num_requests), verdict(completed_ok));
  std::printf("  batches                 %lld, Vidur %lld: %s\n", static_cast<long long>(summary.num_batches),
              static_cast<long long>(vidur_batches), verdict(batches_ok));
  const auto& stretch = simulation->stretch_counts();
  std::printf(
      "  in stretches            %lld batches (%.1f %%): %lld with a prompt chunk, %lld in flight "
      "while another event came first, %lld of these ended as batches\n",
      static_cast<long long>(stretch.iterations),
      100.0 * static_cast<double>(stretch.iterations) / static_cast<double>(std::max<int64_t>(1, summary.num_batches)),
      static_cast<long long>(stretch.with_prompt_chunks), static_cast<long long>(stretch.in_flight),
      static_cast<long long>(stretch.handed_over));
  std::printf("  per request             %.2f us of event loop\n",
              loop_best / static_cast<double>(std::max<int64_t>(1, summary.num_completed)) * 1e6);
  std::printf("  per batch               %.0f ns of event loop\n",
              loop_best / static_cast<double>(std::max<int64_t>(1, summary.num_batches)) * 1e9);

  // Per-request agreement, where Vidur kept its per-request output.
  bool per_request_ok = true;
  if (const auto metrics = parity::read_vidur_request_metrics(run)) {
    int64_t differing = 0, compared = 0;
    double largest = 0;
    for (const auto& [id, columns] : metrics->by_request) {
      if (id < 0 || id >= num_requests || !simulation->requests()[static_cast<size_t>(id)].completed) {
        ++differing;
        continue;
      }
      for (const auto& [column, ours] :
           parity::as_vidur_request_metrics(simulation->requests()[static_cast<size_t>(id)])) {
        const auto found = columns.find(column);
        if (found == columns.end()) continue;
        ++compared;
        const double diff = std::abs(ours - found->second);
        largest = std::max(largest, diff);
        if (diff > kPerRequestTolerance * std::max(std::abs(ours), std::abs(found->second))) ++differing;
      }
    }
    per_request_ok = differing == 0;
    std::printf("  per-request metrics     %lld values of %zu requests, %lld differ (largest difference %.3g s): %s\n",
                static_cast<long long>(compared), metrics->by_request.size(), static_cast<long long>(differing),
                largest, verdict(per_request_ok));
  } else {
    std::printf("  per-request metrics     Vidur kept none for %s (see test_parity)\n", run_name.c_str());
  }

  // The whole command, as a user runs it.
  const auto args = bench::simulate_arguments(run.config);
  std::printf("whole process: infersweep simulate %s --output-dir <temporary>\n", bench::shell_words(args).c_str());
  bench::SimulateRun best_cli;
  double best_rss = 0;
  for (int i = 0; i < kCliRepeats; ++i) {
    const auto cli = bench::run_simulate_cli(INFERSWEEP_BENCH_CLI, args);
    if (i == 0 || cli.wall_s < best_cli.wall_s) best_cli = cli;
    best_rss = i == 0 ? cli.max_rss_mb : std::min(best_rss, cli.max_rss_mb);
  }
  const bool cli_events_ok = best_cli.events == events;
  std::printf("  wall time               %.3f s (best of %d; its event loop %.3f s)\n", best_cli.wall_s, kCliRepeats,
              best_cli.event_loop_s);
  std::printf("  peak RSS                %.1f MB\n", best_rss);
  std::printf("  events                  %lld, in process %lld: %s\n", static_cast<long long>(best_cli.events),
              static_cast<long long>(events), verdict(cli_events_ok));

  const double vidur_loop = vidur.at("simulation_run_s");
  const double vidur_wall = vidur.at("wall_clock_total_s");
  const double vidur_rss = vidur.at("max_rss_mb");
  std::printf("against Vidur (vidur_summary.csv: simulation_run_s, wall_clock_total_s, max_rss_mb)\n");
  std::printf("  event loop    %8.3f s vs Vidur %8.2f s: %7.1fx; target %.0fx = %.1f ms: %s\n", loop_best, vidur_loop,
              vidur_loop / loop_best, kEventLoopTarget, vidur_loop / kEventLoopTarget * 1e3,
              loop_best <= vidur_loop / kEventLoopTarget ? "met" : "not met");
  std::printf("  whole process %8.3f s vs Vidur %8.2f s: %7.1fx\n", best_cli.wall_s, vidur_wall,
              vidur_wall / best_cli.wall_s);
  std::printf("  peak RSS      %8.1f MB vs Vidur %7.1f MB: %7.1fx less\n", best_rss, vidur_rss, vidur_rss / best_rss);
  return completed_ok && batches_ok && per_request_ok && cli_events_ok ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
}
