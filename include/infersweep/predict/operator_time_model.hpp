#pragma once
// Per-layer, per-GPU times of the operators of one transformer layer, in milliseconds. This is
// the plug-in point for execution-time prediction: roofline (analytic), and later models
// learned from profiling data or imported tables, all answer the same questions.
#include <cstdint>
#include <memory>
#include <string>

#include "infersweep/common/registry.hpp"
#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::predict {

enum class TokenOp {
  attn_pre_proj,
  attn_post_proj,
  attn_rope,
  mlp_up_proj,
  mlp_down_proj,
  mlp_act,
  input_layernorm,
  post_attention_layernorm,
  add,
  attn_kv_cache_save,
};

struct RooflineParameters {
  double compute_efficiency = 0.7;            // fraction of peak FLOP/s GEMMs reach
  double memory_efficiency = 0.8;             // fraction of HBM bandwidth streaming kernels reach
  double attention_compute_efficiency = 0.5;  // prefill attention
  double attention_memory_efficiency = 0.6;   // decode attention (paged KV reads)
  double kernel_overhead_us = 3.0;            // fixed cost per operator launch
};

struct PredictorConfig {
  std::string name = "roofline";
  RooflineParameters roofline;
  // Composition constants, as in Vidur's predictor config.
  double nccl_cpu_launch_overhead_ms = 0.02;
  double nccl_cpu_skew_overhead_per_device_ms = 0.0;
  double attention_decode_batching_overhead_fraction = 0.1;   // GQA models only
  double attention_prefill_batching_overhead_fraction = 0.1;  // GQA models only
  int64_t kv_cache_prediction_granularity = 64;
};

struct PredictorContext {
  spec::ModelSpec model;
  spec::GpuSpec gpu;
  spec::NodeSpec node;
  int64_t tensor_parallel = 1;
  int64_t pipeline_parallel = 1;
  PredictorConfig config;
};

class OperatorTimeModel {
 public:
  virtual ~OperatorTimeModel() = default;
  virtual double token_op_ms(TokenOp op, int64_t num_tokens) const = 0;
  // Decode attention of `batch_size` requests with `kv_tokens` of context each.
  virtual double decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const = 0;
  // Prefill attention of chunks whose lengths have root-sum-square sqrt(chunk_sq) over a total
  // of `kv_tokens` earlier tokens.
  virtual double prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const = 0;
  // Collectives on the activations of `num_tokens` tokens (hidden_size fp16 values each).
  virtual double all_reduce_ms(int64_t num_tokens) const = 0;
  virtual double send_recv_ms(int64_t num_tokens) const = 0;
};

using OperatorTimeModelRegistry = Registry<OperatorTimeModel, const PredictorContext&>;
OperatorTimeModelRegistry make_operator_time_model_registry();

}  // namespace infersweep::predict
