// Utilisation in Vidur's conventions: its meters' rules on small series, and on a simulation the
// identities that tie them to infersweep's own figures and to the batches actually run.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "infersweep/io/simulation_report.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "infersweep/sim/vidur_utilisation.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

TEST(VidurUtilisation, WindowOpensAtTheFirstPointAfterZeroAndClosesAtTheLast) {
  VidurWindowMean busy;
  EXPECT_TRUE(std::isnan(busy.mean()));  // nothing recorded: Vidur writes no figure
  busy.record(2, 100);
  busy.record(3, 0);
  busy.record(5, 100);
  busy.record(6, 0);
  EXPECT_DOUBLE_EQ(busy.mean(), 50.0);  // 2 s busy in the window [2, 6]; 0-2 and after 6 are outside

  TimeWeightedSeries ours;
  for (const auto& [t, v] : {std::pair{2.0, 100.0}, {3.0, 0.0}, {5.0, 100.0}, {6.0, 0.0}}) ours.record(t, v);
  EXPECT_DOUBLE_EQ(ours.mean(8), 25.0);  // infersweep's: over [0, end]

  // A point at t = 0 opens no segment: Vidur's meter tests its last x for truth.
  VidurWindowMean from_zero;
  from_zero.record(0, 100);
  from_zero.record(1, 0);
  EXPECT_TRUE(std::isnan(from_zero.mean()));
  from_zero.record(2, 100);
  from_zero.record(3, 0);
  EXPECT_DOUBLE_EQ(from_zero.mean(), 50.0);  // [1, 3]: the first second's 100 % is lost
}

TEST(VidurUtilisation, MemoryIsThePlainMeanOfTheSamplesAndTheInitialZero) {
  VidurSampleMean memory;
  EXPECT_EQ(memory.mean(), 0.0);
  memory.record(10);
  memory.record(20);
  EXPECT_EQ(memory.count(), 3);
  EXPECT_DOUBLE_EQ(memory.mean(), 10.0);  // (0 + 10 + 20) / 3, whatever the times
}

TEST(VidurUtilisation, MfuUsesABinaryTeraDenominator) {
  const double peak_tflops = 312;
  EXPECT_DOUBLE_EQ(vidur_mfu_percent(0.5 * peak_tflops * std::ldexp(1.0, 40), 1.0, peak_tflops), 50.0);
  EXPECT_NEAR(vidur_mfu_percent(0.5 * peak_tflops * 1e12, 1.0, peak_tflops), 50.0 * 1e12 / std::ldexp(1.0, 40), 1e-12);
}

TEST(VidurUtilisation, MatchesTheBatchesRunAndInfersweepsOwnFigures) {
  SimulationConfig c;
  c.num_replicas = 2;
  c.parallel.pipeline_parallel = 2;
  c.workload.num_requests = 60;
  c.workload.qps = 3;
  c.workload.fixed_prefill_tokens = 700;
  c.workload.fixed_decode_tokens = 40;
  c.record_trace = true;
  const auto setup = prepare_simulation(c, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  const auto s = summarize(sim);
  const auto& v = s.vidur_utilisation;
  ASSERT_EQ(v.replicas.size(), 2u);

  // Busy time from the batches themselves: time running over [first start, last end].
  std::map<std::pair<int32_t, int32_t>, std::tuple<double, double, double>> spans;  // busy, first, last
  for (const auto& span : sim.metrics().spans()) {
    auto [it, fresh] = spans.try_emplace({span.replica, span.stage}, 0.0, span.start, 0.0);
    auto& [busy, first, last] = it->second;
    busy += span.duration;
    first = std::min(first, span.start);
    last = std::max(last, span.start + span.duration);
  }
  double busy_sum = 0, mfu_sum = 0;
  for (int32_t rep = 0; rep < 2; ++rep) {
    for (int32_t st = 0; st < 2; ++st) {
      SCOPED_TRACE("replica " + std::to_string(rep) + " stage " + std::to_string(st));
      const auto& [busy, first, last] = spans.at({rep, st});
      const double window = last - first;
      EXPECT_NEAR(v.replicas[rep].busy_percent[st], busy / window * 100, 1e-9);
      // The same MFU samples, over Vidur's window instead of [0, end] and against 2^40 not 10^12.
      const double ours = s.replicas[rep].mfu_mean_percent[st];
      EXPECT_NEAR(v.replicas[rep].mfu_percent[st], ours * s.end_time_s / window * 1e12 / std::ldexp(1.0, 40),
                  1e-9 * ours);
      EXPECT_GT(v.replicas[rep].busy_percent[st], s.replicas[rep].busy_mean_percent[st]);
      busy_sum += v.replicas[rep].busy_percent[st];
      mfu_sum += v.replicas[rep].mfu_percent[st];
    }
    EXPECT_GT(v.replicas[rep].memory_usage_percent, 0.0);
    EXPECT_LE(v.replicas[rep].memory_usage_percent, s.replicas[rep].memory_usage_max_percent);
  }
  EXPECT_DOUBLE_EQ(v.busy_percent, busy_sum / 4);
  EXPECT_DOUBLE_EQ(v.mfu_percent, mfu_sum / 4);
  EXPECT_DOUBLE_EQ(v.memory_usage_percent,
                   (v.replicas[0].memory_usage_percent + v.replicas[1].memory_usage_percent) / 2);

  std::ostringstream json;
  io::write_summary_json(sim, s, json);
  const auto text = json.str();
  const auto block = text.find("\"utilisation_vidur_conventions\": {");
  ASSERT_NE(block, std::string::npos) << text;
  for (const char* key :
       {"\"memory_usage_percent\": ", "\"busy_percent\": ", "\"mfu_percent\": ", "\"replicas\": [", "\"stages\": ["})
    EXPECT_NE(text.find(key, block), std::string::npos) << key;
}

}  // namespace
