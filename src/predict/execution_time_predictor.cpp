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

TokenOpTimes ExecutionTimePredictor::token_op_times(int64_t total_tokens) const {
  const auto& m = *model_;
  // Token-level operators are keyed by the token count rounded up to a multiple of 8.
  const int64_t n8 = (total_tokens + 7) / 8 * 8;
  TokenOpTimes t;
  t.total_tokens = total_tokens;
  if (tensor_parallel_ > 1)
    t.tp_comm_ms = m.all_reduce_ms(n8) + config_.nccl_cpu_launch_overhead_ms +
                   config_.nccl_cpu_skew_overhead_per_device_ms * std::pow(static_cast<double>(tensor_parallel_), 1.25);
  const double post_norm_ms = post_attention_norm_ ? m.token_op_ms(TokenOp::post_attention_layernorm, n8) : 0.0;
  t.attention_ops_ms = m.token_op_ms(TokenOp::attn_pre_proj, n8) + m.token_op_ms(TokenOp::attn_post_proj, n8) +
                       m.token_op_ms(TokenOp::attn_rope, n8) + m.token_op_ms(TokenOp::attn_kv_cache_save, total_tokens);
  t.input_norm_ms = m.token_op_ms(TokenOp::input_layernorm, n8);
  t.mlp_ms = m.token_op_ms(TokenOp::mlp_up_proj, n8) + m.token_op_ms(TokenOp::mlp_down_proj, n8) +
             m.token_op_ms(TokenOp::mlp_act, n8) + t.tp_comm_ms + post_norm_ms;
  t.add_ms = m.token_op_ms(TokenOp::add, n8);
  t.pp_comm_ms = pipeline_parallel_ > 1 ? m.send_recv_ms(n8) : 0.0;
  return t;
}

BatchTiming ExecutionTimePredictor::predict(const PredictionKey& s, const TokenOpTimes& tokens) const {
  const auto& m = *model_;
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
  // Summed left to right as one expression over all the operators would be.
  const double attn_layer = tokens.attention_ops_ms + decode_ms + prefill_ms + tokens.tp_comm_ms + tokens.input_norm_ms;
  BatchTiming timing;
  timing.block_ms = attn_layer + tokens.mlp_ms + tokens.add_ms;
  timing.pp_comm_ms = tokens.pp_comm_ms;
  timing.layers_per_stage = layers_per_stage_;
  timing.cpu_overhead_ms = m.cpu_overhead_ms(s.num_decodes + s.num_prefills);
  return timing;
}

}  // namespace infersweep::predict
