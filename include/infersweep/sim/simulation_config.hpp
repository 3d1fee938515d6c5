#pragma once
// Everything that defines one simulated deployment and its workload. Plain data: the CLI, the
// search and the sweep fill it in; every field is declared in simulation_settings() (name,
// help, range, identity), and prepare_simulation() validates it in one place.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/sim/disaggregation_config.hpp"
#include "infersweep/sim/memory_planner.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/sim/scheduler_config.hpp"
#include "infersweep/spec/spec_catalog.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::sim {

struct SimulationConfig {
  std::string model = "meta-llama/Llama-2-7b-hf";
  std::string gpu = "a100";
  std::string node = "a100_pairwise_nvlink";
  int64_t num_replicas = 1;
  ParallelismConfig parallel;
  double memory_margin_fraction = 0.1;
  KvAccounting kv_accounting = KvAccounting::per_stage;
  SchedulerConfig scheduler;
  DisaggregationConfig disaggregation;
  workload::WorkloadConfig workload;  // workload.seed is the simulation's seed
  predict::PredictorConfig predictor;
  double time_limit_s = 0;  // 0: run until every request completes
  // Stop once this many requests have waited longer than stop_delay_threshold_s for their first
  // schedule (0: never). A capacity search uses it to end a probe whose SLO is already lost.
  int64_t stop_after_delayed_requests = 0;
  double stop_delay_threshold_s = 0;
  // Stop once this many requests have completed (0: never). A pilot run ends with its
  // measurement instead of draining its last requests.
  int64_t stop_after_completed_requests = 0;
  // Keep what only the reports read: each request's execution, model-execution and preempted
  // times, the batch distributions other than the size, and Vidur's utilisation series. A
  // capacity search's probes read none of them and turn it off; nothing else a run decides or
  // measures changes.
  bool detailed_metrics = true;
  bool record_trace = false;

  // One `key = value` line per setting that can change a result, in declaration order.
  std::string canonical() const;
};

// Every setting of a simulation, nested groups included, in a fixed order.
const config::SettingGroup<SimulationConfig>& simulation_settings();

// The node a GPU runs on when none is named.
std::string default_node(const std::string& gpu);
// The same name where the catalog has it; otherwise the one node that holds this GPU (an H200
// comes in 8-GPU nodes only), so that --node is needed only where there is a choice.
std::string default_node(const std::string& gpu, const spec::SpecCatalog& catalog);

// The settings that decide the execution-time predictor of `config`, as `key = value` lines:
// its predictor-identity settings and the scheduler traits the predictor reads.
std::string predictor_identity(const SimulationConfig& config,
                               const ReplicaSchedulerRegistry& schedulers = builtin_replica_schedulers());

// A validated configuration with its specs resolved, memory planned and requests generated:
// everything a Simulation needs, with no file access left.
struct SimulationSetup {
  SimulationConfig config;
  const ReplicaSchedulerRegistry* replica_schedulers = &builtin_replica_schedulers();
  spec::ModelSpec model;
  spec::GpuSpec gpu;
  spec::NodeSpec node;
  std::map<std::string, spec::GpuSpec> known_gpus;  // every GPU of the catalog (the learned predictor's estimates)
  MemoryPlan memory;
  std::vector<workload::RequestSpec> requests;
  workload::WorkloadNotes workload_notes;  // what generating the requests changed in the traces
  // The decode pool of a disaggregated deployment, planned as a deployment of its own (config,
  // specs, memory; no requests); null where prefill and decode share every replica.
  std::shared_ptr<const SimulationSetup> decode_pool;

  bool disaggregated() const { return decode_pool != nullptr; }
};

// The decode pool of a disaggregated configuration as a configuration of its own: the decode-*
// settings in place of the deployment's, decode_replicas replicas, no disaggregation. It names
// the pool's execution-time predictor (predictor_identity, predictor_context).
SimulationConfig decode_pool_config(const SimulationConfig& config, const spec::SpecCatalog& catalog);

// The predictor inputs of a setup: its specs, parallelism and predictor options.
predict::PredictorContext predictor_context(const SimulationSetup& setup);
// The same from a configuration alone: its specs resolved, nothing else checked.
predict::PredictorContext predictor_context(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                            const ReplicaSchedulerRegistry& schedulers = builtin_replica_schedulers());

// Validates the configuration, resolves its specs and plans memory, without generating
// requests (no file is read). Throws InputError naming the setting at fault.
SimulationSetup plan_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                const ReplicaSchedulerRegistry& schedulers = builtin_replica_schedulers());

// Why a lone request of these sizes can never be admitted by the setup's replica scheduler (see
// sim::admission_refusal), as a sentence naming the request's sizes; empty if it is admitted.
// plan_simulation requires it empty for the workload's worst requests.
std::string admission_refusal(const SimulationSetup& setup, int64_t prompt_tokens, int64_t output_tokens);

// plan_simulation, then the requests. Throws InputError naming the setting or file at fault.
SimulationSetup prepare_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                   const ReplicaSchedulerRegistry& schedulers = builtin_replica_schedulers());

}  // namespace infersweep::sim
