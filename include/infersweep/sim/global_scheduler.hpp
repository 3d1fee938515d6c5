#pragma once
// Routes arriving requests to replicas (Vidur's global_scheduler/*, and today's load- and
// cache-aware routers), chosen by name. docs/routing.md describes each rule.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/registry.hpp"
#include "infersweep/sim/request.hpp"
#include "infersweep/sim/scheduler_config.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::sim {

struct GlobalSchedulerContext {
  int32_t num_replicas = 1;
  uint64_t seed = 42;
  // The scheduling settings; routers read the ones their traits list.
  SchedulerConfig scheduler;
  // KV blocks of one replica (of scheduler.block_size tokens): how much a replica can cache.
  int64_t kv_blocks_per_replica = 0;
  // The requests by id, with their lengths and what their tokens share (null: routers that
  // read them route as if no request shared anything). Must outlive the router.
  const std::vector<workload::RequestSpec>* requests = nullptr;
};

// What a router may know about the replicas as it routes one request. Values are live: a
// request routed earlier in the same round is already counted on its replica.
class ReplicaLoads {
 public:
  virtual ~ReplicaLoads() = default;
  virtual int32_t num_replicas() const = 0;
  // Requests routed to replica r and not yet admitted there.
  virtual int64_t queued(int32_t r) const = 0;
  // Tokens of the requests routed to r that are still to be processed (prompt and output).
  virtual int64_t outstanding_tokens(int32_t r) const = 0;
  // Share of r's KV blocks that requests hold, in [0, 1].
  virtual double kv_usage(int32_t r) const = 0;
  // Leading prompt tokens of request `id` that r holds in its prefix cache (0 without one).
  virtual int64_t cached_prefix_tokens(int32_t r, RequestId id) const = 0;
};

class GlobalScheduler {
 public:
  virtual ~GlobalScheduler() = default;
  virtual int32_t choose_replica(const ReplicaLoads& loads, RequestId id) = 0;
};

// What the rest of the program knows about a router without constructing one.
struct GlobalSchedulerTraits {
  // Scheduler settings (by name) it reads; help lists the routers reading each.
  std::vector<std::string> settings;
};

using GlobalSchedulerRegistry = PluginRegistry<GlobalScheduler, GlobalSchedulerTraits, const GlobalSchedulerContext&>;
GlobalSchedulerRegistry make_global_scheduler_registry();
const GlobalSchedulerRegistry& builtin_global_schedulers();  // built once

}  // namespace infersweep::sim
