#include "infersweep/sim/global_scheduler.hpp"

#include "infersweep/common/random_stream.hpp"
#include "routers/builtin_routers.hpp"

namespace infersweep::sim {

namespace {

class RoundRobinScheduler : public GlobalScheduler {
 public:
  explicit RoundRobinScheduler(const GlobalSchedulerContext& c) : num_replicas_(c.num_replicas) {}
  int32_t choose_replica(const ReplicaLoads&, RequestId) override {
    return static_cast<int32_t>(counter_++ % static_cast<uint64_t>(num_replicas_));
  }

 private:
  int32_t num_replicas_;
  uint64_t counter_ = 0;
};

class RandomScheduler : public GlobalScheduler {
 public:
  explicit RandomScheduler(const GlobalSchedulerContext& c)
      : num_replicas_(c.num_replicas), rng_(c.seed, "global_scheduler.random") {}
  int32_t choose_replica(const ReplicaLoads&, RequestId) override {
    return static_cast<int32_t>(rng_.uniform_index(static_cast<uint64_t>(num_replicas_)));
  }

 private:
  int32_t num_replicas_;
  RandomStream rng_;
};

// Least outstanding requests: the replica with the shortest waiting queue, lowest id on ties.
class LeastOutstandingScheduler : public GlobalScheduler {
 public:
  int32_t choose_replica(const ReplicaLoads& loads, RequestId) override {
    int32_t best = 0;
    for (int32_t r = 1; r < loads.num_replicas(); ++r)
      if (loads.queued(r) < loads.queued(best)) best = r;
    return best;
  }
};

}  // namespace

GlobalSchedulerRegistry make_global_scheduler_registry() {
  GlobalSchedulerRegistry registry("global scheduler");
  registry.add(
      "round_robin", [](const GlobalSchedulerContext& c) { return std::make_unique<RoundRobinScheduler>(c); }, {},
      "replicas in turn");
  registry.add(
      "random", [](const GlobalSchedulerContext& c) { return std::make_unique<RandomScheduler>(c); }, {},
      "a replica drawn uniformly (stream global_scheduler.random)");
  registry.add(
      "lor", [](const GlobalSchedulerContext&) { return std::make_unique<LeastOutstandingScheduler>(); }, {},
      "the replica with the fewest requests waiting for admission (Vidur's least outstanding requests)");
  add_least_outstanding_tokens_router(registry);
  add_least_kv_router(registry);
  add_prefix_aware_router(registry);
  return registry;
}

const GlobalSchedulerRegistry& builtin_global_schedulers() {
  static const GlobalSchedulerRegistry registry = make_global_scheduler_registry();
  return registry;
}

}  // namespace infersweep::sim
