// The replicas' outstanding tokens, which the load-aware routers read: every scheduler gives
// them back to 0 once all its requests have completed, and the simulation stops with an error
// the moment one goes negative.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>

#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

SimulationConfig random_workload(const std::string& scheduler, const std::string& router, uint64_t seed) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = scheduler;
  c.scheduler.global_scheduler = router;
  const auto& traits = builtin_replica_schedulers().traits("replica-scheduler", scheduler);
  apply_scheduler_traits(c.scheduler, {});
  c.num_replicas = 2;
  c.parallel.pipeline_parallel = traits.pipeline_parallel ? 2 : 1;
  c.workload.num_requests = 120;
  c.workload.length_generator = "uniform";
  c.workload.min_tokens = 64;
  c.workload.prefill_to_decode_ratio = 4;
  c.workload.qps = 12;
  c.workload.seed = seed;
  // A small KV budget forces admission control and, for the schedulers that have them, restarts.
  c.scheduler.num_blocks = traits.kv_in_tokens ? 4096 * 6 : 256 * 6;
  return c;
}

// Every request's prompt starts with one of four system prompts (a quarter of the prompt at
// most), so that the prefix-aware router has prefixes to follow.
void share_system_prompts(SimulationSetup& setup) {
  for (size_t i = 0; i < setup.requests.size(); ++i) {
    auto& r = setup.requests[i];
    r.content = {{i % 4, 0, r.num_prefill_tokens / 4}};
  }
}

void expect_outstanding_back_to_zero(SimulationSetup setup, const std::string& what) {
  share_system_prompts(setup);
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  ASSERT_NO_THROW(sim.run()) << what;
  for (const auto& r : sim.requests()) ASSERT_TRUE(r.completed) << what << ": request " << r.id;
  for (int32_t rep = 0; rep < static_cast<int32_t>(setup.config.num_replicas); ++rep)
    EXPECT_EQ(sim.replica_scheduler(rep).outstanding_tokens(), 0) << what << ": replica " << rep;
}

}  // namespace

TEST(OutstandingTokens, ReturnToZeroForEverySchedulerAndRouter) {
  const auto& schedulers = builtin_replica_schedulers();
  for (const auto& scheduler : schedulers.names()) {
    const auto& reads = schedulers.traits("replica-scheduler", scheduler).settings;
    const bool reads_prefix_caching = std::find(reads.begin(), reads.end(), "prefix-caching") != reads.end();
    for (const char* router : {"least_outstanding_tokens", "least_kv", "prefix_aware"}) {
      for (const bool prefix_caching : {false, true}) {
        if (prefix_caching && !reads_prefix_caching) continue;
        auto c = random_workload(scheduler, router, 5);
        c.scheduler.prefix_caching = prefix_caching;
        expect_outstanding_back_to_zero(prepare_simulation(c, test_support::catalog()),
                                        scheduler + "/" + router + (prefix_caching ? "/prefix-caching" : ""));
      }
    }
  }
}

namespace {

// Schedules requests one at a time and claims one output token too many in the request's last
// iteration: the bookkeeping error the simulation must catch.
class OverCountingScheduler : public ReplicaScheduler {
 public:
  using ReplicaScheduler::ReplicaScheduler;
  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch;
    if (running_.empty() && !queue_.empty()) {
      running_.push_back(queue_.front());
      queue_.pop_front();
      blocks_.allocate(running_.front(), max_blocks_per_sequence_);
    }
    if (!running_.empty()) {
      const RequestId id = running_.front();
      running_.pop_front();
      const Request& r = request(id);
      batch.add(id, r.is_prefill_complete ? r.num_decode_tokens : r.num_prefill_tokens);
    }
    return batch;
  }

 private:
  std::deque<RequestId> running_;
};

}  // namespace

TEST(OutstandingTokens, ANegativeCountStopsTheSimulation) {
  auto registry = make_replica_scheduler_registry();
  ReplicaSchedulerTraits traits;
  traits.pipeline_parallel = false;
  registry.add(
      "over_counting", [](const ReplicaSchedulerContext& c) { return std::make_unique<OverCountingScheduler>(c); },
      traits);
  SimulationConfig c;
  c.scheduler.replica_scheduler = "over_counting";
  c.workload.num_requests = 3;
  c.workload.fixed_prefill_tokens = 100;
  c.workload.fixed_decode_tokens = 5;
  const auto setup = prepare_simulation(c, test_support::catalog(), registry);
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  // The prefill emits the first output token; the next iteration claims all 5 again: 1 too many.
  try {
    sim.run();
    FAIL() << "the simulation ran on with a negative count";
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("replica 0 counts -1 outstanding tokens at t = "), std::string::npos)
        << e.what();
  }
}
