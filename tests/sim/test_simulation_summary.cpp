// The summary's per-request distributions: each is its series' exact distribution, also where
// series coincide (execution and model-execution times) and the summary reuses one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "infersweep/common/double_bits.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

void expect_same_bits(const Distribution& a, const Distribution& b, const std::string& name) {
  EXPECT_EQ(a.count, b.count) << name;
  const double pairs[][2] = {{a.mean, b.mean}, {a.min, b.min}, {a.max, b.max}, {a.p50, b.p50},
                             {a.p90, b.p90},   {a.p95, b.p95}, {a.p99, b.p99}};
  for (const auto& p : pairs) EXPECT_EQ(double_bits(p[0]), double_bits(p[1])) << name;
}

void check_request_metrics(const SimulationConfig& config, bool expect_restarts) {
  const auto setup = prepare_simulation(config, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  const auto summary = summarize(sim);
  EXPECT_EQ(summary.num_restarts > 0, expect_restarts);
  std::vector<double> execution, model_execution, with_preemption, ttft, e2e, restarts;
  for (RequestId id : sim.metrics().completed()) {
    const auto& r = sim.requests()[static_cast<size_t>(id)];
    const auto m = derive_request_metrics(r);
    execution.push_back(m.execution_time);
    model_execution.push_back(m.model_execution_time);
    with_preemption.push_back(m.execution_plus_preemption_time);
    ttft.push_back(m.ttft);
    e2e.push_back(m.e2e_time);
    restarts.push_back(static_cast<double>(r.num_restarts));
  }
  expect_same_bits(summary.request_metric("execution_time"), summarize_exact(execution), "execution_time");
  expect_same_bits(summary.request_metric("model_execution_time"), summarize_exact(model_execution),
                   "model_execution_time");
  expect_same_bits(summary.request_metric("execution_plus_preemption_time"), summarize_exact(with_preemption),
                   "execution_plus_preemption_time");
  expect_same_bits(summary.request_metric("ttft"), summarize_exact(ttft), "ttft");
  expect_same_bits(summary.request_metric("e2e_time"), summarize_exact(e2e), "e2e_time");
  expect_same_bits(summary.request_metric("num_restarts"), summarize_exact(restarts), "num_restarts");
  // Execution and model-execution times are one series here, as in Vidur's runs (the summary's
  // reuse is exercised); the time between a request's iterations keeps the third apart.
  EXPECT_EQ(model_execution, execution);
  EXPECT_NE(with_preemption, execution);
}

SimulationConfig small_run(double qps, int64_t num_blocks) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = "vllm";
  c.workload.num_requests = 300;
  c.workload.length_generator = "uniform";
  c.workload.min_tokens = 64;
  c.workload.prefill_to_decode_ratio = 4;
  c.workload.qps = qps;
  c.workload.seed = 3;
  c.scheduler.num_blocks = num_blocks;
  return c;
}

}  // namespace

TEST(SimulationSummary, RequestMetricsAreEachSeriesExactDistribution) {
  check_request_metrics(small_run(2, 256 * 64), false);
}

TEST(SimulationSummary, RequestMetricsStayExactUnderRestarts) { check_request_metrics(small_run(50, 256 * 2), true); }
