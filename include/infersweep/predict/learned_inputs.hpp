#pragma once
// Which file serves each operator of the learned predictor, given profiling directories in
// order of precedence. The rule, one per operator class (docs/predictor.md says it for users):
//  * GEMMs (attn_pre_proj, attn_post_proj, mlp_up_proj, mlp_down_proj): the first directory
//    whose compute/<sku>/<model>/mlp.csv has rows for the model's shape at this TP.
//  * Element-wise operators (mlp_act, norms, attn_rope, add): the first directory with fused
//    kernels whose mlp.csv has rows timing the operator, whatever its place in the order; where
//    only eager-PyTorch directories time it, an estimate of the fused kernel calibrated on fused
//    rows (elementwise_estimate.hpp), which names the eager file it stands in for. Timed by no
//    directory (a model without the operator): zero, as in Vidur.
//  * Attention (decode, prefill, kv-cache save): --attention-file if given; else the first
//    directory holding an attention.csv under compute/<sku>/ with rows for the model's attention
//    shape (hidden size, query and KV heads), TP and block size: the model's own file first,
//    then any other model's of the same shape, in path order; else the calibrated roofline.
//  * Collectives: the first directory whose network/<profile>/<collective>.csv has rows for
//    this TP (all-reduce) or node count (send/recv).
//  * The roofline's calibration: the GEMMs of every mlp.csv of the SKU in every directory.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/profiling_sources.hpp"

namespace infersweep::predict {

// Where one token-level operator's times come from.
struct TokenOperatorSource {
  std::string op;
  std::string file;        // mlp.csv whose rows the model learns; for an estimate, the eager file
  bool estimated = false;  // fused-kernel estimate standing in for `file`'s eager times
};

// The files and settings that determine a learned predictor, resolved from a context.
struct LearnedPredictorInputs {
  std::vector<ProfilingSource> sources;            // in order of precedence
  std::vector<TokenOperatorSource> mlp_operators;  // one per mlp_profile_operators(), in that order
  std::string attention_file;                      // empty: no measured attention for this shape
  std::string all_reduce_file;                     // empty when TP == 1
  std::string send_recv_file;                      // empty when PP == 1
  std::string cpu_overhead_file;                   // empty: not modelled
  // Element-wise estimates (when an operator has them): the GPU whose fused rows calibrate them,
  // and those rows' files.
  spec::GpuSpec estimate_gpu;
  std::vector<std::string> estimate_files;
  std::vector<std::string> calibration_files;  // the roofline's GEMM rows
  bool multi_node = false;
  int64_t max_tokens = 0;  // token-grid range (x batch size for orca)
  std::string settings;    // canonical text of every setting and choice that shapes the grids

  // Every file read, each once, in a fixed order: what the grid cache key hashes.
  std::vector<std::string> files() const;
  bool any_estimated() const;
};

// The directories of the setting, else the defaults (default_profiling_dirs()).
std::vector<std::string> profiling_dirs_of(const LearnedPredictorSettings& settings);

// Throws InputError naming the setting and what each directory lacks.
LearnedPredictorInputs resolve_learned_inputs(const PredictorContext& context);

}  // namespace infersweep::predict
