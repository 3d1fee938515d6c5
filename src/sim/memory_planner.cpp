#include "infersweep/sim/memory_planner.hpp"

#include <cmath>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/spec/device_shape.hpp"

namespace infersweep::sim {

const char* to_string(KvAccounting accounting) {
  for (const auto& [value, name] : config::EnumNames<KvAccounting>::values())
    if (value == accounting) return name;
  return "?";
}

const config::SettingGroup<ParallelismConfig>& parallelism_settings() {
  static const auto group = [] {
    using config::Identity;
    config::SettingGroup<ParallelismConfig> g("Deployment");
    g.add(&ParallelismConfig::tensor_parallel, "tp", Identity::config_and_predictor(), "tensor-parallel GPUs per stage")
        .at_least(1);
    g.add(&ParallelismConfig::pipeline_parallel, "pp", Identity::config_and_predictor(),
          "pipeline-parallel stages per replica")
        .at_least(1);
    return g;
  }();
  return group;
}

void validate_parallelism(const spec::ModelSpec& model, const spec::NodeSpec& node, const ParallelismConfig& p) {
  const auto tp = p.tensor_parallel, pp = p.pipeline_parallel;
  if (model.num_q_heads % tp != 0)
    throw InputError::setting("tp", "tensor parallelism " + std::to_string(tp) + " does not divide the " +
                                        std::to_string(model.num_q_heads) + " attention heads of " + model.name);
  if (model.hidden_size % tp != 0)
    throw InputError::setting("tp", "tensor parallelism " + std::to_string(tp) + " does not divide hidden size " +
                                        std::to_string(model.hidden_size));
  if (model.num_layers % pp != 0)
    throw InputError::setting("pp", "pipeline parallelism " + std::to_string(pp) + " does not divide the " +
                                        std::to_string(model.num_layers) + " layers of " + model.name);
  if (tp > node.devices_per_node)
    throw InputError::setting("tp", "a tensor-parallel group of " + std::to_string(tp) + " GPUs does not fit in one " +
                                        node.name + " node (" + std::to_string(node.devices_per_node) + " GPUs)");
  const int64_t workers = tp * pp;
  if (workers > node.devices_per_node && workers % node.devices_per_node != 0)
    throw InputError::setting("pp", "TP x PP = " + std::to_string(workers) +
                                        " must be at most, or a multiple of, the " +
                                        std::to_string(node.devices_per_node) + " GPUs of a " + node.name + " node");
}

MemoryPlan plan_memory(const spec::ModelSpec& m, const spec::GpuSpec& gpu, const ParallelismConfig& p,
                       int64_t max_tokens, int64_t block_size, double margin, KvAccounting accounting) {
  if (block_size < 1) throw InputError::setting("block-size", "must be at least 1");
  if (margin < 0 || margin >= 1) throw InputError::setting("memory-margin", "must be in [0, 1)");
  MemoryPlan plan;
  const auto device = spec::device_shape(m, p.tensor_parallel, p.pipeline_parallel);
  plan.parameters_per_device = device.parameters;
  plan.parameter_bytes = 2.0 * static_cast<double>(plan.parameters_per_device);
  plan.available_bytes = gpu.memory_bytes() * (1.0 - margin);
  const double kv_per_layer = 2.0 * 2.0 * static_cast<double>(device.head_dim * device.kv_heads * max_tokens);
  const double free_bytes = plan.available_bytes - plan.parameter_bytes;
  if (accounting == KvAccounting::vidur) {
    plan.kv_bytes_per_request = kv_per_layer * static_cast<double>(m.num_layers);
    plan.max_batch_size = free_bytes > 0 ? static_cast<int64_t>(std::floor(free_bytes / plan.kv_bytes_per_request)) : 0;
    plan.max_request_slots = plan.max_batch_size * p.pipeline_parallel;
  } else {
    plan.kv_bytes_per_request = kv_per_layer * static_cast<double>(device.layers_per_stage);
    plan.max_request_slots =
        free_bytes > 0 ? static_cast<int64_t>(std::floor(free_bytes / plan.kv_bytes_per_request)) : 0;
    plan.max_batch_size = plan.max_request_slots / p.pipeline_parallel;
  }
  if (plan.max_batch_size < 1) {
    std::ostringstream msg;
    msg.precision(3);
    msg << m.name << " does not fit on " << gpu.name << " at TP" << p.tensor_parallel << " PP" << p.pipeline_parallel
        << ": weights take " << plan.parameter_bytes / (1u << 30) << " GiB of the " << plan.available_bytes / (1u << 30)
        << " GiB usable per GPU, and one " << max_tokens << "-token request needs "
        << plan.kv_bytes_per_request / (1u << 30) << " GiB of KV cache per micro-batch slot";
    throw InputError::setting("model", msg.str());
  }
  plan.blocks_per_request = max_tokens / block_size;
  plan.num_blocks = plan.blocks_per_request * plan.max_request_slots;
  return plan;
}

}  // namespace infersweep::sim
