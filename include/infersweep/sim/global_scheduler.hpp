#pragma once
// Routes arriving requests to replicas (Vidur's global_scheduler/*), chosen by name.
#include <cstdint>
#include <memory>
#include <vector>

#include "infersweep/common/registry.hpp"

namespace infersweep::sim {

struct GlobalSchedulerContext {
  int32_t num_replicas = 1;
  uint64_t seed = 42;
};

class GlobalScheduler {
 public:
  virtual ~GlobalScheduler() = default;
  // `queued[r]` is the number of requests waiting (not yet admitted) at replica r, updated by
  // the caller after each choice.
  virtual int32_t choose_replica(const std::vector<int64_t>& queued) = 0;
};

using GlobalSchedulerRegistry = Registry<GlobalScheduler, const GlobalSchedulerContext&>;
GlobalSchedulerRegistry make_global_scheduler_registry();
const GlobalSchedulerRegistry& builtin_global_schedulers();  // built once

}  // namespace infersweep::sim
