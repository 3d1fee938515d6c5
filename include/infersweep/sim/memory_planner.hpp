#pragma once
// How many requests fit in a replica's KV cache (Vidur's scheduler/utils/memory_planner.py).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::sim {

// per_stage: each pipeline stage stores KV for its own layers only, for every request resident
//   in the replica; slots = floor(free bytes / (KV bytes per request per stage)).
// vidur: Vidur's formula, which charges all layers on every stage to get a per-micro-batch
//   count and multiplies it by PP; it can lose up to PP-1 slots to the early rounding.
enum class KvAccounting { per_stage, vidur };
const char* to_string(KvAccounting accounting);

struct ParallelismConfig {
  int64_t tensor_parallel = 1;
  int64_t pipeline_parallel = 1;
};

const config::SettingGroup<ParallelismConfig>& parallelism_settings();

struct MemoryPlan {
  int64_t parameters_per_device = 0;  // spec::DeviceShape::parameters
  double parameter_bytes = 0;
  double available_bytes = 0;       // device memory minus the safety margin
  double kv_bytes_per_request = 0;  // per device, for max_tokens, under the chosen accounting
  int64_t max_batch_size = 0;       // requests per micro-batch that memory allows
  int64_t max_request_slots = 0;    // requests resident in the replica
  int64_t blocks_per_request = 0;   // max_tokens / block_size
  int64_t num_blocks = 0;
};

// Throws InputError when the model does not fit (no room for even one request per micro-batch)
// or the parallelism does not divide the model.
MemoryPlan plan_memory(const spec::ModelSpec& model, const spec::GpuSpec& gpu, const ParallelismConfig& parallel,
                       int64_t max_tokens, int64_t block_size, double memory_margin_fraction, KvAccounting accounting);

// The parallelism checks alone, with the option named in each error.
void validate_parallelism(const spec::ModelSpec& model, const spec::NodeSpec& node, const ParallelismConfig& parallel);

}  // namespace infersweep::sim

template <>
struct infersweep::config::EnumNames<infersweep::sim::KvAccounting> {
  static std::vector<std::pair<infersweep::sim::KvAccounting, const char*>> values() {
    return {{sim::KvAccounting::per_stage, "per_stage"}, {sim::KvAccounting::vidur, "vidur"}};
  }
};
