// Differential test against Vidur itself: each of Vidur's reference runs, replayed with its own
// requests, deployment, schedulers and prediction tables, must give Vidur's per-request
// latencies, its batch count, its latency quantiles and its utilisation figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "parity/vidur_reference.hpp"
#include "test_support.hpp"

namespace infersweep::parity {
namespace {

// Vidur's per-request CSV holds every double in full (shortest round-trip form).
constexpr double kPerRequestTolerance = 1e-9;
// vidur_summary.csv holds 15 to 17 significant digits.
constexpr double kSummaryTolerance = 1e-12;

::testing::AssertionResult near_relative(double ours, double vidur, double tolerance) {
  if (std::abs(ours - vidur) <= tolerance * std::max(std::abs(ours), std::abs(vidur)))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "infersweep " << ours << " vs Vidur " << vidur << " (relative difference "
                                       << std::abs(ours - vidur) / std::max(std::abs(ours), std::abs(vidur)) << ")";
}

class VidurParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(vidur_reference_dir() + "/runs"))
      GTEST_SKIP() << "Vidur's reference outputs are not at " << vidur_reference_dir()
                   << " (set INFERSWEEP_VIDUR_REFERENCE to the vidur-reference directory)";
  }
};

TEST_P(VidurParity, ReproducesVidursRun) {
  const auto run = load_vidur_run(vidur_reference_dir(), GetParam(), test_support::catalog());
  const auto setup = sim::prepare_simulation(run.config, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  sim::Simulation simulation(setup, predictor);
  simulation.run();
  const auto summary = sim::summarize(simulation);

  // Per request, where Vidur kept its per-request output: per column, how many requests differ,
  // the first of them and the largest difference.
  if (const auto vidur = read_vidur_request_metrics(run)) {
    ASSERT_EQ(summary.num_completed, static_cast<int64_t>(vidur->by_request.size()));
    struct Mismatches {
      int64_t count = 0;
      std::string first;
      double largest = 0;
    };
    std::map<std::string, Mismatches> mismatches;
    for (const auto& [id, columns] : vidur->by_request) {
      ASSERT_LT(static_cast<size_t>(id), simulation.requests().size()) << "request " << id;
      const auto& r = simulation.requests()[static_cast<size_t>(id)];
      ASSERT_TRUE(r.completed) << "request " << id;
      for (const auto& [column, value] : as_vidur_request_metrics(r)) {
        ASSERT_TRUE(columns.count(column)) << column;
        auto& miss = mismatches[column];
        const auto check = near_relative(value, columns.at(column), kPerRequestTolerance);
        if (check) continue;
        if (miss.count++ == 0) miss.first = "request " + std::to_string(id) + ": " + check.message();
        miss.largest = std::max(miss.largest, std::abs(value - columns.at(column)));
      }
    }
    for (const auto& [column, miss] : mismatches)
      EXPECT_EQ(miss.count, 0) << column << " differs for " << miss.count << " of " << vidur->by_request.size()
                               << " requests (largest difference " << miss.largest << " s); first " << miss.first;
  }

  // Vidur's aggregates, for every run.
  const auto vidur = read_vidur_summary(vidur_reference_dir(), run.name);
  EXPECT_EQ(summary.num_completed, static_cast<int64_t>(vidur.at("num_requests_completed")));
  EXPECT_EQ(summary.num_batches, static_cast<int64_t>(vidur.at("num_batches")));
  EXPECT_TRUE(near_relative(summary.end_time_s, vidur.at("simulated_end_time_s"), kSummaryTolerance));
  const auto& ttft = summary.request_metric("ttft");
  const auto& e2e = summary.request_metric("e2e_time");
  const auto& delay = summary.request_metric("scheduling_delay");
  // The inter-token gaps go through a sketch on both sides; it has Vidur's DDSketch buckets and
  // rank rule, and only clamps to the sample range in the buckets of the extreme samples.
  const std::pair<const char*, double> quantiles[] = {
      {"ttft_p50_s", ttft.p50},         {"ttft_p90_s", ttft.p90},         {"ttft_p99_s", ttft.p99},
      {"e2e_p50_s", e2e.p50},           {"e2e_p90_s", e2e.p90},           {"e2e_p99_s", e2e.p99},
      {"sched_delay_p50_s", delay.p50}, {"sched_delay_p99_s", delay.p99}, {"tbt_p50_s", summary.tbt.p50},
      {"tbt_p90_s", summary.tbt.p90},   {"tbt_p99_s", summary.tbt.p99},
  };
  for (const auto& [column, value] : quantiles)
    EXPECT_TRUE(near_relative(value, vidur.at(column), kSummaryTolerance)) << column;
  double batch_size_mean = 0;
  for (const auto& [name, d] : summary.batch_metrics)
    if (name == "batch_size") batch_size_mean = d.mean;
  EXPECT_TRUE(near_relative(batch_size_mean, vidur.at("batch_size_mean"), kSummaryTolerance));

  // Utilisation in Vidur's conventions.
  const auto& usage = summary.vidur_utilisation;
  EXPECT_TRUE(near_relative(usage.mfu_percent, vidur.at("mfu_weighted_mean_pct"), kSummaryTolerance));
  EXPECT_TRUE(near_relative(usage.memory_usage_percent, vidur.at("memory_usage_weighted_mean_pct"), kSummaryTolerance));
  EXPECT_TRUE(near_relative(usage.busy_percent, vidur.at("busy_time_weighted_mean_pct"), kSummaryTolerance));
}

INSTANTIATE_TEST_SUITE_P(ReferenceRuns, VidurParity,
                         ::testing::Values("A_vllm", "B_sarathi", "C_round_robin", "E_sarathi_4096",
                                           "E2_sarathi_16384"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace infersweep::parity
