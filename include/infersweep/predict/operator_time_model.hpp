#pragma once
// Per-layer, per-GPU times of the operators of one transformer layer, in milliseconds. This is
// the plug-in point for execution-time prediction: roofline (analytic), and later models
// learned from profiling data or imported tables, all answer the same questions.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/registry.hpp"
#include "infersweep/config/setting.hpp"
#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::predict {

class SharedModelSelections;  // model_selection.hpp

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

// The attention constants (from attention_memory_efficiency on) are those of the FlashAttention
// model in attention_model.hpp; their defaults were fitted on measured H100 and H200 attention
// (docs/predictor.md says how), and a GPU with measured attention gets its own fit.
struct RooflineParameters {
  double compute_efficiency = 0.7;  // fraction of peak FLOP/s GEMMs reach
  double memory_efficiency = 0.8;   // fraction of HBM bandwidth streaming kernels reach
  double kernel_overhead_us = 3.0;  // fixed cost per operator launch
  // Decode attention: KV blocks streamed by waves of CTAs.
  double attention_memory_efficiency = 0.709;  // share of HBM bandwidth a full wave's KV reads reach
  double decode_block_latency_us = 2.86;       // a lone CTA's time per KV block
  double decode_wave_overhead_us = 3.67;       // per wave of CTAs (start-up, epilogue)
  double decode_floor_us = 1.73;               // per kernel
  double decode_split_combine_us = 4.64;       // contexts of several KV blocks: merging their parts
  // Prefill attention: query tiles x key tiles under the causal mask, in waves of CTAs.
  double attention_compute_efficiency = 0.310;  // share of peak FLOP/s a full wave's tiles reach
  double prefill_tile_latency_us = 1.53;        // a lone CTA's time per key tile
  double prefill_wave_overhead_us = 5.22;       // per wave of CTAs
  double prefill_floor_us = 93.5;               // per call, host side included
  double prefill_floor_overlap = 0.328;         // share of the floor the kernel runs under
};

// Inputs and settings of the learned predictor (name "learned") and the table predictor.
struct LearnedPredictorSettings {
  // Profiling directories in Vidur's layout (compute/, network/), in order of precedence
  // (empty: the default data); see docs/predictor.md for the rule per operator.
  std::vector<std::string> profiling_dirs;
  std::string attention_file;     // overrides compute/<sku>/<model>/attention.csv
  std::string cpu_overhead_file;  // empty: CPU overheads are not modelled (Vidur's default)
  std::string cache_dir;          // prediction-grid cache ("none": no cache; empty: default)
  std::string table_dir;          // table predictor: Vidur's *_predictions.csv files
  int64_t k_folds = 10;
  uint64_t seed = 0;
  int64_t max_tokens_per_request = 4096;  // grid range, as Vidur's prediction_max_* settings
  int64_t max_batch_size = 128;
  int64_t max_prefill_chunk_size = 4096;
};

struct PredictorConfig {
  std::string name = "roofline";
  RooflineParameters roofline;
  LearnedPredictorSettings learned;
  // Composition constants, as in Vidur's predictor config.
  double nccl_cpu_launch_overhead_ms = 0.02;
  double nccl_cpu_skew_overhead_per_device_ms = 0.0;
  double attention_decode_batching_overhead_fraction = 0.1;   // GQA models only
  double attention_prefill_batching_overhead_fraction = 0.1;  // GQA models only
  int64_t kv_cache_prediction_granularity = 64;
};

const config::SettingGroup<RooflineParameters>& roofline_settings();
const config::SettingGroup<LearnedPredictorSettings>& learned_predictor_settings();
const config::SettingGroup<PredictorConfig>& predictor_settings();  // nests the two above

struct PredictorContext {
  spec::ModelSpec model;
  spec::GpuSpec gpu;
  spec::NodeSpec node;
  int64_t tensor_parallel = 1;
  int64_t pipeline_parallel = 1;
  bool token_grid_spans_batch = false;  // the scheduler's batches need a token grid x batch size wide
  int64_t block_size = 16;              // selects attention.csv rows
  PredictorConfig config;
  // Every GPU the specs describe, by name: the learned predictor calibrates an estimate on
  // another SKU's measurements where its own GPU has none, and needs that SKU's bandwidth.
  std::map<std::string, spec::GpuSpec> known_gpus;
  // Model selections shared with the other predictors a run builds (learned predictor), or none.
  // Not part of the predictor's identity: a shared selection is the one it would make alone.
  std::shared_ptr<SharedModelSelections> shared_selections;
};

// `key = value` lines of everything in a context that decides a predictor: the names of its
// specs, its parallelism, block size and scheduler trait, and its predictor-identity settings.
std::string predictor_identity_text(const PredictorContext& context);

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
  // CPU-side cost of one iteration of `batch_size` requests (0 unless modelled).
  virtual double cpu_overhead_ms(int64_t /*batch_size*/) const { return 0.0; }
  // Lookups that fell outside a prediction grid and were extrapolated (see docs/predictor.md).
  virtual int64_t out_of_grid_lookups() const { return 0; }
};

using OperatorTimeModelRegistry = Registry<OperatorTimeModel, const PredictorContext&>;
OperatorTimeModelRegistry make_operator_time_model_registry();
const OperatorTimeModelRegistry& builtin_operator_time_models();  // built once

}  // namespace infersweep::predict
