#pragma once
// Fused element-wise kernels (norms, activation, rotary embedding, residual add) of a
// deployment for which only eager-PyTorch times exist. Eager operators run several kernels
// and round trips through memory where a serving engine runs one fused kernel, so their times
// are an upper bound, 1.2 to 16 times the fused ones. A fused kernel streams its bytes once: its
// time is a launch floor joined smoothly to a bandwidth term,
//   t = sqrt(floor^2 + (bytes / (efficiency x bandwidth))^2),
// with the bytes of the roofline model (RooflineModel::token_op_cost). Floor and efficiency
// are fitted per operator on the fused rows of one GPU SKU (every model and TP profiled
// there); the estimate then takes the target GPU's bandwidth.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"

namespace infersweep::predict {

struct ElementwiseEstimate {
  std::string op;
  std::string reference_gpu;  // the SKU whose fused rows were fitted
  double reference_bandwidth_gbps = 0;
  double floor_ms = 0;
  double efficiency = 0;  // share of the bandwidth that large kernels reach
  int64_t rows = 0;
  std::vector<std::string> files;  // the fused mlp.csv files fitted (one per model)
  double fit_mape = 0;             // percent, on the rows fitted
  // Percent, over every row, each predicted by a fit on the other files' rows: the error on a
  // model never measured fused. NaN with fewer than two files.
  double leave_one_model_out_mape = std::numeric_limits<double>::quiet_NaN();

  double ms(double bytes, double bandwidth_gbps) const;
};

// Fits `op` on the rows of `fused_mlp_files` (a file without the operator's column is passed
// over) measured on `reference`. Throws InputError when no row has a time for the operator or
// the rows cannot determine the fit (all of one size).
ElementwiseEstimate fit_elementwise_estimate(const std::string& op, const std::vector<std::string>& fused_mlp_files,
                                             const spec::GpuSpec& reference);

// Bytes that token-level operator `op` (an mlp.csv name) streams for `num_tokens` tokens.
double elementwise_bytes(const PredictorContext& context, const std::string& op, int64_t num_tokens);

// The estimate's MAPE (percent) on the operator's rows of one mlp.csv measured on `gpu`.
double elementwise_estimate_mape(const ElementwiseEstimate& estimate, const std::string& mlp_file,
                                 const spec::GpuSpec& gpu);

}  // namespace infersweep::predict
