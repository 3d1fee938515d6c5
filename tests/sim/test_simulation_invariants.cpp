// Invariants that must hold for every scheduler on random workloads.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

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

// The same invariants when requests share prefixes and the replicas cache them: system prompts
// with suffixes of their own, multi-turn conversations whose turns extend the previous turn's
// prompt and output, and requests sharing nothing. Small KV budgets make blocks evicted and
// requests restarted (their own cached blocks then serve them again).
namespace {

struct SharingCase {
  int64_t replicas, pp;
  std::string global;
  int64_t num_blocks;  // per replica
  double qps;
};

void PrintTo(const SharingCase& k, std::ostream* out) {
  *out << "replicas=" << k.replicas << "/pp=" << k.pp << "/" << k.global << "/blocks=" << k.num_blocks
       << "/qps=" << k.qps;
}

std::vector<workload::RequestSpec> sharing_workload(int64_t num_requests, double qps, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  constexpr int64_t kSystemPrompts = 4, kConversations = 6;
  std::vector<int64_t> system_tokens(kSystemPrompts);
  for (auto& l : system_tokens) l = 16 + below(400);
  // Each conversation: its stream and the tokens of it so far (earlier prompts and outputs).
  std::vector<uint64_t> conversation_stream(kConversations);
  std::vector<int64_t> history(kConversations, 0);
  uint64_t next_stream = 100;
  for (auto& c : conversation_stream) c = next_stream++;
  std::vector<workload::RequestSpec> requests;
  double now = 0;
  for (int64_t i = 0; i < num_requests; ++i) {
    now += -std::log(1.0 - static_cast<double>(rng() >> 11) * 0x1.0p-53) / qps;
    workload::RequestSpec r;
    r.arrived_at = now;
    r.num_decode_tokens = 1 + below(128);
    const int64_t kind = below(10);
    if (kind < 4) {  // a system prompt and a question of its own
      const int64_t p = below(kSystemPrompts);
      r.content = {{static_cast<uint64_t>(p + 1), 0, system_tokens[static_cast<size_t>(p)]}};
      r.num_prefill_tokens = system_tokens[static_cast<size_t>(p)] + 1 + below(300);
    } else if (kind < 8) {  // the next turn of a conversation: its history, a new message, the reply
      const auto c = static_cast<size_t>(below(kConversations));
      if (history[c] > 2500) {
        conversation_stream[c] = next_stream++;
        history[c] = 0;
      }
      r.num_prefill_tokens = history[c] + 1 + below(200);
      r.content = {{conversation_stream[c], 0, r.num_prefill_tokens + r.num_decode_tokens}};
      history[c] = r.num_prefill_tokens + r.num_decode_tokens;
    } else {  // nothing shared
      r.num_prefill_tokens = 1 + below(1000);
    }
    requests.push_back(std::move(r));
  }
  return requests;
}

class SharedPrefixInvariants : public ::testing::TestWithParam<SharingCase> {};

}  // namespace

TEST_P(SharedPrefixInvariants, HoldWithPrefixCachingOnRandomWorkloads) {
  const SharingCase k = GetParam();
  constexpr int64_t kRequests = 300;
  SimulationConfig c;
  c.scheduler.replica_scheduler = "sarathi";
  c.scheduler.global_scheduler = k.global;
  c.scheduler.prefix_caching = true;
  c.scheduler.num_blocks = k.num_blocks;
  c.num_replicas = k.replicas;
  c.parallel.pipeline_parallel = k.pp;
  int64_t restarts = 0, evictions = 0, hits = 0;
  for (uint64_t seed : {1u, 2u}) {
    auto setup = plan_simulation(c, test_support::catalog());
    setup.requests = sharing_workload(kRequests, k.qps, seed);
    const auto predictor = test_support::make_predictor(setup);
    Simulation sim(setup, predictor);
    ASSERT_NO_THROW(sim.run());
    const auto summary = summarize(sim);
    EXPECT_EQ(summary.num_completed, kRequests);
    int64_t expected_tokens = 0;
    for (const auto& r : sim.requests()) {
      ASSERT_TRUE(r.completed) << "request " << r.id;
      EXPECT_EQ(r.num_processed_tokens, r.num_prefill_tokens + r.num_decode_tokens);
      EXPECT_EQ(r.num_prefill_tokens + r.num_decode_tokens, r.original_prefill_tokens + r.original_decode_tokens);
      EXPECT_LT(r.num_cached_prompt_tokens, r.original_prefill_tokens);
      EXPECT_LE(r.arrived_at, r.scheduled_at);
      EXPECT_LT(r.scheduled_at, r.prefill_completed_at);
      EXPECT_LE(r.prefill_completed_at, r.completed_at);
      expected_tokens += r.original_prefill_tokens + r.original_decode_tokens - 1 - r.num_cached_prompt_tokens;
    }
    // Without restarts, each iteration processes the tokens it claims, cached ones excepted.
    if (summary.num_restarts == 0) {
      EXPECT_DOUBLE_EQ(sim.metrics().batch_num_tokens().sum(), static_cast<double>(expected_tokens));
    }
    int64_t lookups = 0;
    for (int32_t rep = 0; rep < static_cast<int32_t>(k.replicas); ++rep) {
      const auto& blocks = sim.replica_scheduler(rep).blocks();
      EXPECT_EQ(blocks.allocated(), 0);
      EXPECT_EQ(blocks.free_blocks(), k.num_blocks);
      EXPECT_TRUE(sim.replica_scheduler(rep).is_empty());
      EXPECT_LE(summary.replicas[static_cast<size_t>(rep)].memory_usage_max_percent, 100.0);
      const auto& s = blocks.prefix_stats();
      EXPECT_LE(s.hit_blocks, s.queried_blocks);
      EXPECT_EQ(s.hit_tokens, s.hit_blocks * c.scheduler.block_size);
      lookups += s.lookups;
      evictions += s.evictions;
      hits += s.hit_blocks;
    }
    // One lookup per admission: every request's first, and one after each restart.
    EXPECT_EQ(lookups, kRequests + summary.num_restarts);
    restarts += summary.num_restarts;
  }
  // The workloads do exercise what the invariants guard.
  EXPECT_GT(hits, 0);
  EXPECT_GT(evictions, 0);
  EXPECT_GT(restarts, 0);
}

INSTANTIATE_TEST_SUITE_P(Sarathi, SharedPrefixInvariants,
                         ::testing::Values(SharingCase{1, 1, "round_robin", 400, 8.0},
                                           SharingCase{1, 2, "round_robin", 300, 8.0},
                                           SharingCase{2, 1, "random", 300, 16.0}),
                         [](const ::testing::TestParamInfo<SharingCase>& info) {
                           return "r" + std::to_string(info.param.replicas) + "_pp" + std::to_string(info.param.pp) +
                                  "_" + info.param.global + "_b" + std::to_string(info.param.num_blocks);
                         });
