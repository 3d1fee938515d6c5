#pragma once
// Factories of the built-in replica schedulers, registered by make_replica_scheduler_registry().
#include <memory>

#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::sim {

std::unique_ptr<ReplicaScheduler> make_vllm_scheduler(const ReplicaSchedulerContext& context);
std::unique_ptr<ReplicaScheduler> make_sarathi_scheduler(const ReplicaSchedulerContext& context);
std::unique_ptr<ReplicaScheduler> make_orca_scheduler(const ReplicaSchedulerContext& context);
std::unique_ptr<ReplicaScheduler> make_faster_transformer_scheduler(const ReplicaSchedulerContext& context);
std::unique_ptr<ReplicaScheduler> make_lightllm_scheduler(const ReplicaSchedulerContext& context);

}  // namespace infersweep::sim
