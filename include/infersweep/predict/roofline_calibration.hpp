#pragma once
// Fits the roofline model to one GPU SKU's measurements: its efficiency factors and launch
// overhead to the GEMM operators of that SKU's mlp.csv files, and its attention constants to the
// attention.csv files of the SKU's other profiled models (attention_calibration.hpp). Without
// measured attention the attention constants stay as given (the shipped defaults, fitted on
// H100 and H200 attention).
#include <string>
#include <vector>

#include "infersweep/common/binary_stream.hpp"
#include "infersweep/predict/attention_calibration.hpp"
#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/profiling_data.hpp"

namespace infersweep::predict {

struct RooflineCalibration {
  RooflineParameters parameters;
  double gemm_mape = 0;              // percent, over the rows fitted
  int64_t rows = 0;                  // GEMM rows
  std::vector<std::string> sources;  // mlp.csv files
  AttentionErrors attention;         // rows fitted and their error; no rows: attention constants as given
  std::vector<std::string> attention_sources;
};

// The calibration as a flat record (for the learned predictor's cache) and back; the parameters
// travel as their settings' texts, so that every declared constant is kept.
void write_roofline_calibration(BinaryWriter& out, const RooflineCalibration& calibration);
RooflineCalibration read_roofline_calibration(BinaryReader& in);

// compute/<gpu>/<org>/<model>/mlp.csv under the profiling directory, sorted; empty if none.
std::vector<std::string> gpu_mlp_files(const std::string& profiling_dir, const std::string& gpu);

// mlp.csv files: grid search over compute and memory efficiency (the launch overhead has a
// closed form for each pair), minimising mean squared relative error. attention.csv files (by
// file name): calibrate_attention() on all their rows. Everything not fitted keeps `defaults`.
RooflineCalibration calibrate_roofline(const std::vector<std::string>& files, const spec::GpuSpec& gpu,
                                       const RooflineParameters& defaults);

// The roofline's error on one deployment's measured attention rows.
struct AttentionCheck {
  std::string source;
  int64_t decode_rows = 0, prefill_rows = 0;
  double decode_mape = 0, prefill_mape = 0;  // percent
};
AttentionCheck check_roofline_attention(const AttentionProfile& profile, const OperatorTimeModel& roofline);

}  // namespace infersweep::predict
