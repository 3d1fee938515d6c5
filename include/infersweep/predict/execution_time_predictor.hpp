#pragma once
// Composes operator times into the time of one batch on one pipeline stage, the way Vidur's
// base_execution_time_predictor.py does (same operators, same keys, same order of sums).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "infersweep/predict/batch_timing.hpp"
#include "infersweep/predict/operator_time_model.hpp"

namespace infersweep::predict {

// One request's part in a batch, as the simulator knows it: the tokens it had processed before
// this iteration, the tokens it runs in it, and whether its prompt is still being processed.
struct RequestSlice {
  int64_t context = 0;
  int64_t tokens = 0;
  bool prefill = false;
};

// The predictor's features of a batch, gathered from its requests' slices.
struct BatchShape {
  int64_t total_tokens = 0;
  int64_t num_decodes = 0;
  int64_t decode_processed_sum = 0;  // context lengths of the decode requests
  int64_t num_prefills = 0;
  int64_t prefill_kv_sum = 0;        // sum of per-request context, each rounded up to granularity
  int64_t prefill_chunk_sq_sum = 0;  // sum of squared chunk lengths
};

// What the composition reads of a shape: equal keys give equal timings.
struct PredictionKey {
  int64_t total_tokens = 0;
  int64_t num_decodes = 0;
  int64_t decode_kv = 0;  // mean decode context, rounded up to granularity
  int64_t num_prefills = 0;
  int64_t prefill_kv_sum = 0;
  int64_t prefill_chunk_sq = 0;  // the root-sum-square chunk, rounded, squared

  bool operator==(const PredictionKey& o) const {
    return total_tokens == o.total_tokens && num_decodes == o.num_decodes && decode_kv == o.decode_kv &&
           num_prefills == o.num_prefills && prefill_kv_sum == o.prefill_kv_sum &&
           prefill_chunk_sq == o.prefill_chunk_sq;
  }
};

// The operators of a batch keyed by its token count alone, composed as predict() composes
// them: a batch timing is these and the attention of its requests. Prompt-chunk batches mostly
// fill the same token budget, so a simulation reuses them across batches (BatchTimingMemo).
struct TokenOpTimes {
  int64_t total_tokens = -1;
  double attention_ops_ms = 0;  // pre- and post-projection, RoPE, KV-cache save, summed in that order
  double tp_comm_ms = 0;
  double input_norm_ms = 0;
  double mlp_ms = 0;  // the MLP half of a block, its all-reduce and post-attention norm included
  double add_ms = 0;
  double pp_comm_ms = 0;
};

class ExecutionTimePredictor {
 public:
  ExecutionTimePredictor(const PredictorContext& context, std::unique_ptr<OperatorTimeModel> model);

  // Builds the operator model named in context.config.name from the registry.
  static ExecutionTimePredictor create(const PredictorContext& context);

  // The time of a batch of `num_requests` requests, where slice_at(i) gives the i-th as a
  // RequestSlice: one pass over the requests, nothing allocated.
  template <class SliceAt>
  BatchTiming predict(size_t num_requests, SliceAt&& slice_at) const {
    BatchShape shape;
    for (size_t i = 0; i < num_requests; ++i) add_request(shape, slice_at(i));
    return predict(shape);
  }
  // Adds one request to a batch's features; a prefill's context is rounded up to the
  // kv_cache_prediction_granularity.
  void add_request(BatchShape& shape, const RequestSlice& r) const {
    shape.total_tokens += r.tokens;
    if (r.prefill) {
      ++shape.num_prefills;
      shape.prefill_kv_sum += (r.context + granularity_ - 1) / granularity_ * granularity_;
      shape.prefill_chunk_sq_sum += r.tokens * r.tokens;
    } else {
      ++shape.num_decodes;
      shape.decode_processed_sum += r.context;
    }
  }
  // Adds `count` decodes of one token each whose contexts sum to `context_sum`: as add_request
  // for each of them.
  static void add_decodes(BatchShape& shape, int64_t count, int64_t context_sum) {
    shape.total_tokens += count;
    shape.num_decodes += count;
    shape.decode_processed_sum += context_sum;
  }
  BatchTiming predict(const BatchShape& shape) const { return predict(key(shape)); }
  PredictionKey key(const BatchShape& shape) const;
  BatchTiming predict(const PredictionKey& key) const { return predict(key, token_op_times(key.total_tokens)); }
  // The same timing from `tokens` = token_op_times(key.total_tokens), bit for bit.
  BatchTiming predict(const PredictionKey& key, const TokenOpTimes& tokens) const;
  TokenOpTimes token_op_times(int64_t total_tokens) const;
  const OperatorTimeModel& operators() const { return *model_; }

 private:
  std::shared_ptr<const OperatorTimeModel> model_;
  PredictorConfig config_;
  int64_t tensor_parallel_;
  int64_t pipeline_parallel_;
  int64_t layers_per_stage_;
  bool gqa_;
  bool post_attention_norm_;
  int64_t granularity_;
};

}  // namespace infersweep::predict
