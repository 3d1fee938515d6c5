#include "infersweep/predict/execution_time_predictor.hpp"

#include <cmath>

#include "infersweep/spec/device_shape.hpp"

namespace infersweep::predict {

ExecutionTimePredictor::ExecutionTimePredictor(const PredictorContext& c, std::unique_ptr<OperatorTimeModel> model)
    : model_(std::move(model)),
      config_(c.config),
      tensor_parallel_(c.tensor_parallel),
      pipeline_parallel_(c.pipeline_parallel),
      layers_per_stage_(spec::device_shape(c.model, c.tensor_parallel, c.pipeline_parallel).layers_per_stage),
      gqa_(c.model.is_gqa()),
      post_attention_norm_(c.model.post_attention_norm),
      granularity_(c.config.kv_cache_prediction_granularity) {}

ExecutionTimePredictor ExecutionTimePredictor::create(const PredictorContext& context) {
  return ExecutionTimePredictor(context,
                                builtin_operator_time_models().create("predictor", context.config.name, context));
}

PredictionKey ExecutionTimePredictor::key(const BatchShape& s) const {
  PredictionKey k;
  k.total_tokens = s.total_tokens;
  k.num_decodes = s.num_decodes;
  if (s.num_decodes > 0) {
    const int64_t mean_kv = s.decode_processed_sum / s.num_decodes;
    k.decode_kv = (mean_kv + granularity_ - 1) / granularity_ * granularity_;
  }
  k.num_prefills = s.num_prefills;
  if (s.num_prefills > 0) {
    k.prefill_kv_sum = s.prefill_kv_sum;
    const auto chunk = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(s.prefill_chunk_sq_sum))));
    k.prefill_chunk_sq = chunk * chunk;
  }
  return k;
}

BatchTiming ExecutionTimePredictor::predict(const PredictionKey& s) const {
  const auto& m = *model_;
  // Token-level operators are keyed by the token count rounded up to a multiple of 8.
  const int64_t n8 = (s.total_tokens + 7) / 8 * 8;

  double decode_ms = 0;
  if (s.num_decodes > 0) {
    decode_ms = m.decode_attention_ms(s.num_decodes, s.decode_kv);
    if (gqa_ && s.num_decodes > 1) decode_ms *= 1.0 + config_.attention_decode_batching_overhead_fraction;
  }
  double prefill_ms = 0;
  if (s.num_prefills > 0) {
    prefill_ms = m.prefill_attention_ms(s.prefill_kv_sum, s.prefill_chunk_sq);
    if (gqa_ && s.num_prefills > 1) prefill_ms *= 1.0 + config_.attention_prefill_batching_overhead_fraction;
  }
  double tp_comm_ms = 0;
  if (tensor_parallel_ > 1)
    tp_comm_ms = m.all_reduce_ms(n8) + config_.nccl_cpu_launch_overhead_ms +
                 config_.nccl_cpu_skew_overhead_per_device_ms * std::pow(static_cast<double>(tensor_parallel_), 1.25);
  const double post_norm_ms = post_attention_norm_ ? m.token_op_ms(TokenOp::post_attention_layernorm, n8) : 0.0;

  const double attn_layer = m.token_op_ms(TokenOp::attn_pre_proj, n8) + m.token_op_ms(TokenOp::attn_post_proj, n8) +
                            m.token_op_ms(TokenOp::attn_rope, n8) +
                            m.token_op_ms(TokenOp::attn_kv_cache_save, s.total_tokens) + decode_ms + prefill_ms +
                            tp_comm_ms + m.token_op_ms(TokenOp::input_layernorm, n8);
  const double mlp_layer = m.token_op_ms(TokenOp::mlp_up_proj, n8) + m.token_op_ms(TokenOp::mlp_down_proj, n8) +
                           m.token_op_ms(TokenOp::mlp_act, n8) + tp_comm_ms + post_norm_ms;

  BatchTiming timing;
  timing.block_ms = attn_layer + mlp_layer + m.token_op_ms(TokenOp::add, n8);
  timing.pp_comm_ms = pipeline_parallel_ > 1 ? m.send_recv_ms(n8) : 0.0;
  timing.layers_per_stage = layers_per_stage_;
  timing.cpu_overhead_ms = m.cpu_overhead_ms(s.num_decodes + s.num_prefills);
  return timing;
}

}  // namespace infersweep::predict
