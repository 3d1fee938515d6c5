#pragma once
// Profiled times that no run on the device could give: a GEMM measured faster than its FLOPs
// take at the GPU's dense fp16 peak. Such rows are not refused (a spec's peak may be rounded),
// but `predictor report` warns about them, since a model fitted to them predicts too little.
// Only the FLOP bound is used: a small GEMM's weights can stay in L2 cache across repeated
// profiling runs, so HBM bandwidth is no safe lower bound.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/profiling_data.hpp"

namespace infersweep::predict {

struct ImplausibleTime {
  std::string source;
  int64_t line = 0;
  std::string op;
  double num_tokens = 0;
  double measured_ms = 0;
  double bound_ms = 0;  // the FLOPs at peak
};

// The GEMM rows of `mlp_sets` (read_mlp_profile for the context's model and TP) that are
// faster than the context's GPU peak allows.
std::vector<ImplausibleTime> find_implausible_times(const std::vector<TrainingSet>& mlp_sets,
                                                    const PredictorContext& context);

}  // namespace infersweep::predict
