#pragma once
// Composes operator times into the time of one batch on one pipeline stage, the way Vidur's
// base_execution_time_predictor.py does (same operators, same keys, same order of sums).
#include <memory>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/sim/batch.hpp"

namespace infersweep::predict {

// What the predictor needs to know about a batch, gathered from its requests.
struct BatchShape {
  int64_t total_tokens = 0;
  int64_t num_decodes = 0;
  int64_t decode_processed_sum = 0;  // context lengths of the decode requests
  int64_t num_prefills = 0;
  int64_t prefill_kv_sum = 0;        // sum of per-request context, each rounded up to granularity
  int64_t prefill_chunk_sq_sum = 0;  // sum of squared chunk lengths
};

class ExecutionTimePredictor {
 public:
  ExecutionTimePredictor(const PredictorContext& context, std::unique_ptr<OperatorTimeModel> model);

  // Builds the operator model named in context.config.name from the registry.
  static ExecutionTimePredictor create(const PredictorContext& context);

  sim::BatchTiming predict(const BatchShape& shape) const;
  int64_t kv_granularity() const { return granularity_; }
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
