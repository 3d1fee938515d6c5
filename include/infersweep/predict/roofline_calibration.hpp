#pragma once
// Fits the roofline model's efficiency factors and launch overhead for one GPU SKU to the GEMM
// operators measured in that SKU's mlp.csv files (every model and TP degree profiled there),
// so that attention, for which almost no measurements exist, gets a model anchored to real
// kernels on the same GPU. Attention rows are never used here: they are held out to measure it.
#include <string>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/profiling_data.hpp"

namespace infersweep::predict {

struct RooflineCalibration {
  RooflineParameters parameters;
  double gemm_mape = 0;  // percent, over the rows fitted
  int64_t rows = 0;
  std::vector<std::string> sources;
};

// compute/<gpu>/<org>/<model>/mlp.csv under the profiling directory, sorted; empty if none.
std::vector<std::string> gpu_mlp_files(const std::string& profiling_dir, const std::string& gpu);

// Grid search over compute and memory efficiency (the launch overhead has a closed form for
// each pair), minimising mean squared relative error. The attention efficiencies keep the
// defaults' ratio to the GEMM ones (flash attention reaches a fixed fraction of what GEMMs do).
RooflineCalibration calibrate_roofline(const std::vector<std::string>& mlp_files, const spec::GpuSpec& gpu,
                                       const RooflineParameters& defaults);

// The roofline's error on measured attention rows (held out from calibration).
struct AttentionCheck {
  std::string source;
  int64_t decode_rows = 0, prefill_rows = 0;
  double decode_mape = 0, prefill_mape = 0;  // percent
};
AttentionCheck check_roofline_attention(const AttentionProfile& profile, const OperatorTimeModel& roofline);

}  // namespace infersweep::predict
