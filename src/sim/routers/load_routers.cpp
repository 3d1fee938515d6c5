// Routers that read the replicas' load alone.
#include "builtin_routers.hpp"

namespace infersweep::sim {

namespace {

class LeastOutstandingTokensRouter : public GlobalScheduler {
 public:
  int32_t choose_replica(const ReplicaLoads& loads, RequestId) override { return least_outstanding_replica(loads); }
};

// The replica whose KV blocks are least used; among equals the one with fewer requests waiting
// (its blocks will be taken soonest otherwise), then the lowest id.
class LeastKvRouter : public GlobalScheduler {
 public:
  int32_t choose_replica(const ReplicaLoads& loads, RequestId) override {
    int32_t best = 0;
    for (int32_t r = 1; r < loads.num_replicas(); ++r) {
      const double usage = loads.kv_usage(r), best_usage = loads.kv_usage(best);
      if (usage < best_usage || (usage == best_usage && loads.queued(r) < loads.queued(best))) best = r;
    }
    return best;
  }
};

}  // namespace

int32_t least_outstanding_replica(const ReplicaLoads& loads) {
  int32_t best = 0;
  for (int32_t r = 1; r < loads.num_replicas(); ++r)
    if (loads.outstanding_tokens(r) < loads.outstanding_tokens(best)) best = r;
  return best;
}

void add_least_outstanding_tokens_router(GlobalSchedulerRegistry& registry) {
  registry.add(
      "least_outstanding_tokens",
      [](const GlobalSchedulerContext&) { return std::make_unique<LeastOutstandingTokensRouter>(); }, {},
      "the replica with the fewest tokens still to process (prompt and output) of the requests routed to it");
}

void add_least_kv_router(GlobalSchedulerRegistry& registry) {
  registry.add(
      "least_kv", [](const GlobalSchedulerContext&) { return std::make_unique<LeastKvRouter>(); }, {},
      "the replica with the lowest share of KV blocks in use; ties to fewer queued requests");
}

}  // namespace infersweep::sim
