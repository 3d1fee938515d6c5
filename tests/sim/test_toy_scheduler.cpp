// A replica scheduler added the way a new one is: one file with the class and its descriptor,
// plus one registration line (here, into a test's own registry). It serves one request at a
// time, first come first served, with KV reserved for the whole request. The simulation, the
// validity rules and the predictor take it through its descriptor alone.
#include <gtest/gtest.h>

#include <deque>

#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "test_support.hpp"

namespace infersweep::sim {
namespace {

class OneAtATimeScheduler : public ReplicaScheduler {
 public:
  using ReplicaScheduler::ReplicaScheduler;

  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch;
    if (running_.empty() && !queue_.empty() && blocks_.can_allocate(max_blocks_per_sequence_)) {
      running_.push_back(queue_.front());
      queue_.pop_front();
      blocks_.allocate(running_.front(), max_blocks_per_sequence_);
    }
    if (!running_.empty()) {
      const RequestId id = running_.front();
      running_.pop_front();
      batch.add(id, next_num_tokens(request(id)));
    }
    return batch;
  }

 private:
  std::deque<RequestId> running_;
};

void add_one_at_a_time_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.pipeline_parallel = false;
  registry.add(
      "one_at_a_time", [](const ReplicaSchedulerContext& c) { return std::make_unique<OneAtATimeScheduler>(c); },
      traits, "one request at a time, first come first served");
}

ReplicaSchedulerRegistry registry_with_toy() {
  auto registry = make_replica_scheduler_registry();
  add_one_at_a_time_scheduler(registry);  // the registration line
  return registry;
}

SimulationConfig toy_config() {
  SimulationConfig c;
  c.scheduler.replica_scheduler = "one_at_a_time";
  c.workload.num_requests = 20;
  c.workload.fixed_prefill_tokens = 300;
  c.workload.fixed_decode_tokens = 20;
  c.workload.qps = 50;
  return c;
}

TEST(ToyScheduler, RunsEndToEndThroughItsDescriptor) {
  const auto registry = registry_with_toy();
  const auto setup = prepare_simulation(toy_config(), test_support::catalog(), registry);
  const auto predictor = test_support::make_predictor(setup);
  Simulation simulation(setup, predictor);
  simulation.run();
  const auto& requests = simulation.requests();
  ASSERT_EQ(requests.size(), 20u);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_TRUE(requests[i].completed) << i;
    EXPECT_EQ(requests[i].num_processed_tokens, 320) << i;
    // One at a time, in arrival order: each starts once the one before it has completed.
    if (i > 0) {
      EXPECT_GE(requests[i].scheduled_at, requests[i - 1].completed_at) << i;
    }
  }
}

TEST(ToyScheduler, ValidityRulesFollowItsTraits) {
  const auto registry = registry_with_toy();
  auto c = toy_config();
  c.parallel.pipeline_parallel = 2;
  try {
    plan_simulation(c, test_support::catalog(), registry);
    FAIL() << "PP 2 was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.setting_name(), "pp");
    EXPECT_EQ(e.message(), "one_at_a_time does not support pipeline parallelism");
  }
  // The built-in registry does not know it.
  EXPECT_THROW(plan_simulation(toy_config(), test_support::catalog()), InputError);
}

}  // namespace
}  // namespace infersweep::sim
