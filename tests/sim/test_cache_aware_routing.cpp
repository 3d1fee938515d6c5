// Routing by cache on traffic that shares system prompts: with more prompts than one replica's
// KV cache holds but fewer than all replicas together hold, prefix_aware keeps each prompt on
// one replica and finds more of it cached than round robin, which spreads every prompt over
// every replica.
#include <gtest/gtest.h>

#include <string>

#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

struct RoutedRun {
  double token_hit_rate = 0;
  double mean_ttft_s = 0;
};

RoutedRun run_shared_prompts(const std::string& scheduler, const std::string& router) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = scheduler;
  c.scheduler.prefix_caching = true;
  c.scheduler.chunk_size = 512;
  c.scheduler.global_scheduler = router;
  c.scheduler.num_blocks = 3000;  // 48,000 tokens a replica: 47 of the 64 prompts at most
  c.num_replicas = 4;
  auto& w = c.workload;
  w.generator = "conversation";
  w.system_prompt_count = 64;
  w.system_prompt_tokens = 1024;
  w.turns = 1;
  w.num_requests = 1200;
  w.length_generator = "fixed";
  w.fixed_prefill_tokens = 128;
  w.fixed_decode_tokens = 16;
  w.qps = 40;
  const auto setup = prepare_simulation(c, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  RoutedRun out;
  out.token_hit_rate = token_hit_rate(summarize_prefix_cache(sim).total);
  double ttft = 0;
  for (const auto& r : sim.requests()) ttft += r.prefill_completed_at - r.arrived_at;
  out.mean_ttft_s = ttft / static_cast<double>(sim.requests().size());
  return out;
}

}  // namespace

TEST(CacheAwareRouting, FindsMoreOfTheSharedPromptsCachedThanRoundRobin) {
  for (const std::string scheduler : {"vllm_v1", "sarathi"}) {
    SCOPED_TRACE(scheduler);
    const auto round_robin = run_shared_prompts(scheduler, "round_robin");
    const auto prefix_aware = run_shared_prompts(scheduler, "prefix_aware");
    // Every request after the first of its prompt on its replica can hit 1,024 of its 1,152
    // tokens; round robin meets each prompt on four replicas and loses some to eviction.
    EXPECT_GT(prefix_aware.token_hit_rate, round_robin.token_hit_rate + 0.05);
    EXPECT_LE(prefix_aware.token_hit_rate, 1024.0 / 1151.0);
    EXPECT_LT(prefix_aware.mean_ttft_s, round_robin.mean_ttft_s);
  }
}
