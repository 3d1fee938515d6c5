// A run told to stop after k completions (a capacity search's pilot run) is the full run cut
// short: what happened before the stop happens exactly as it does in the full run.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

SimulationConfig config_for(const std::string& scheduler, int64_t replicas, int64_t pp) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = scheduler;
  c.num_replicas = replicas;
  c.parallel.pipeline_parallel = pp;
  c.workload.num_requests = 200;
  c.workload.min_tokens = 32;
  c.workload.max_tokens = 4096;
  c.workload.prefill_to_decode_ratio = 2;
  c.workload.qps = 1e6;  // all waiting at once, as in a pilot run
  c.workload.seed = 7;
  return c;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST(CompletionStop, EndsTheRunAtTheKthCompletionWithTheFullRunsFirstCompletions) {
  for (const auto& [scheduler, replicas, pp] :
       std::vector<std::tuple<std::string, int64_t, int64_t>>{{"sarathi", 1, 1}, {"vllm", 2, 1}, {"sarathi", 1, 2}}) {
    SCOPED_TRACE(scheduler + " replicas " + std::to_string(replicas) + " pp " + std::to_string(pp));
    auto config = config_for(scheduler, replicas, pp);
    const auto full_setup = prepare_simulation(config, test_support::catalog());
    const auto predictor = test_support::make_predictor(full_setup);
    Simulation full(full_setup, predictor);
    full.run();
    ASSERT_FALSE(full.stopped_early());
    ASSERT_EQ(full.metrics().completed().size(), 200u);

    config.stop_after_completed_requests = 151;
    const auto setup = prepare_simulation(config, test_support::catalog());
    Simulation stopped(setup, predictor);
    ASSERT_NO_THROW(stopped.run());  // requests left incomplete are no stall
    EXPECT_TRUE(stopped.stopped_early());
    EXPECT_FALSE(stopped.hit_time_limit());
    const auto& done = stopped.metrics().completed();
    // At least k; more only where one iteration completed several.
    ASSERT_GE(done.size(), 151u);
    EXPECT_LT(done.size(), 200u);
    EXPECT_LE(stopped.end_time(), full.end_time());
    const auto& all = full.metrics().completed();
    EXPECT_EQ(done, std::vector<RequestId>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(done.size())));
    for (RequestId id : done) {
      const auto& a = stopped.requests()[static_cast<size_t>(id)];
      const auto& b = full.requests()[static_cast<size_t>(id)];
      EXPECT_TRUE(same_bits(a.completed_at, b.completed_at)) << "request " << id;
    }
    // The stop is after the event that completed the k-th: none completed later.
    const double kth = stopped.requests()[static_cast<size_t>(done[150])].completed_at;
    for (RequestId id : done) EXPECT_LE(stopped.requests()[static_cast<size_t>(id)].completed_at, stopped.end_time());
    EXPECT_GE(stopped.end_time(), kth);
  }
}
