// Invariants that must hold for every scheduler on random workloads.
#include <gtest/gtest.h>

#include <tuple>

#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

struct Case {
  std::string scheduler;
  std::string global;
  int64_t replicas, pp;
  std::string length;
};

SimulationConfig config_for(const Case& k, uint64_t seed) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = k.scheduler;
  c.scheduler.global_scheduler = k.global;
  if (k.scheduler == "lightllm") c.scheduler.block_size = 1;
  c.num_replicas = k.replicas;
  c.parallel.pipeline_parallel = k.pp;
  c.workload.num_requests = 300;
  c.workload.length_generator = k.length;
  c.workload.min_tokens = 64;
  c.workload.prefill_to_decode_ratio = 4;
  c.workload.qps = 6.0 * static_cast<double>(k.replicas);
  c.workload.seed = seed;
  // A small KV budget forces admission control and, for vllm/sarathi, restarts.
  c.scheduler.num_blocks = k.scheduler == "lightllm" ? 4096 * 6 : 256 * 6;
  return c;
}

void PrintTo(const Case& k, std::ostream* out) {
  *out << k.scheduler << "/" << k.global << "/replicas=" << k.replicas << "/pp=" << k.pp << "/" << k.length;
}

class SimulationInvariants : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(SimulationInvariants, HoldOnRandomWorkloads) {
  const Case k = GetParam();
  for (uint64_t seed : {1u, 2u}) {
    const auto setup = prepare_simulation(config_for(k, seed), test_support::catalog());
    const auto predictor = test_support::make_predictor(setup);
    Simulation sim(setup, predictor);
    ASSERT_NO_THROW(sim.run());
    const auto summary = summarize(sim);
    // Every request completes, with its tokens accounted for exactly.
    EXPECT_EQ(summary.num_completed, 300);
    int64_t expected_tokens = 0;
    for (const auto& r : sim.requests()) {
      ASSERT_TRUE(r.completed) << "request " << r.id;
      EXPECT_EQ(r.num_processed_tokens, r.num_prefill_tokens + r.num_decode_tokens);
      EXPECT_EQ(r.num_prefill_tokens + r.num_decode_tokens, r.original_prefill_tokens + r.original_decode_tokens);
      // Time moves forward through each request's life, and its prefill ends before its decode.
      EXPECT_LE(r.arrived_at, r.scheduled_at);
      EXPECT_LT(r.scheduled_at, r.prefill_completed_at);
      EXPECT_LE(r.prefill_completed_at, r.completed_at);
      EXPECT_LE(r.completed_at, sim.end_time());
      EXPECT_GE(r.preempted_time, 0.0);
      if (r.num_restarts == 0) expected_tokens += r.original_prefill_tokens + r.original_decode_tokens - 1;
    }
    if (summary.num_restarts == 0) {
      // Each iteration processes the tokens it claims: prompts once, each output token but the
      // first (emitted by the prefill) once.
      EXPECT_DOUBLE_EQ(sim.metrics().batch_num_tokens().sum(), static_cast<double>(expected_tokens));
    }
    // KV blocks all returned, and usage never above capacity.
    for (int32_t rep = 0; rep < static_cast<int32_t>(k.replicas); ++rep) {
      EXPECT_EQ(sim.replica_scheduler(rep).blocks().allocated(), 0);
      EXPECT_TRUE(sim.replica_scheduler(rep).is_empty());
      EXPECT_LE(summary.replicas[static_cast<size_t>(rep)].memory_usage_max_percent, 100.0);
      for (double busy : summary.replicas[static_cast<size_t>(rep)].busy_mean_percent) {
        EXPECT_GT(busy, 0.0);
        EXPECT_LE(busy, 100.0 + 1e-9);
      }
    }
    EXPECT_LE(summary.tbt.min, summary.tbt.max);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllSchedulers, SimulationInvariants,
    ::testing::Values(Case{"vllm", "round_robin", 1, 1, "uniform"}, Case{"vllm", "lor", 2, 2, "zipf"},
                      Case{"sarathi", "round_robin", 1, 1, "uniform"}, Case{"sarathi", "random", 3, 2, "uniform"},
                      Case{"orca", "lor", 2, 1, "uniform"}, Case{"orca", "round_robin", 1, 2, "zipf"},
                      Case{"faster_transformer", "round_robin", 1, 1, "uniform"},
                      Case{"faster_transformer", "random", 2, 2, "uniform"},
                      Case{"lightllm", "round_robin", 1, 1, "uniform"}, Case{"lightllm", "lor", 2, 1, "zipf"},
                      Case{"vllm_v1", "round_robin", 1, 1, "uniform"}, Case{"vllm_v1", "lor", 2, 2, "zipf"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return info.param.scheduler + "_" + info.param.global + "_r" + std::to_string(info.param.replicas) + "_pp" +
             std::to_string(info.param.pp);
    });

TEST(SimulationInvariants, RestartsHappenUnderMemoryPressureAndEveryRequestStillCompletes) {
  auto c = config_for({"vllm", "round_robin", 1, 1, "uniform"}, 3);
  c.scheduler.num_blocks = 256 * 2;
  c.workload.qps = 50;
  const auto setup = prepare_simulation(c, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  const auto s = summarize(sim);
  EXPECT_GT(s.num_restarts, 0);
  EXPECT_EQ(s.num_completed, 300);
}

TEST(SimulationInvariants, TimeLimitStopsEarlyWithPartialResults) {
  auto c = config_for({"sarathi", "round_robin", 1, 1, "uniform"}, 1);
  c.time_limit_s = 10;
  const auto setup = prepare_simulation(c, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  EXPECT_TRUE(sim.hit_time_limit());
  EXPECT_LT(summarize(sim).num_completed, 300);
}
