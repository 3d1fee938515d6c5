#pragma once
// What the predictor says of one batch on one pipeline stage.
#include <cstdint>

namespace infersweep::predict {

// Per-stage time of one batch: the per-layer block time and the pipeline send, composed as
// model_time = (block_ms * layers_per_stage + pp_comm_ms) * 1e-3 on all but the last stage.
struct BatchTiming {
  double block_ms = 0;
  double pp_comm_ms = 0;
  double cpu_overhead_ms = 0;
  int64_t layers_per_stage = 0;

  double model_time_s(bool last_stage) const {
    return (block_ms * static_cast<double>(layers_per_stage) + (last_stage ? 0.0 : pp_comm_ms)) * 1e-3;
  }
  double total_time_s(bool last_stage) const { return model_time_s(last_stage) + cpu_overhead_ms * 1e-3; }
};

}  // namespace infersweep::predict
