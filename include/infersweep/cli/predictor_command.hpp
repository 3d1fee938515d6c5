#pragma once
// `infersweep predictor report`: how the learned predictor models each operator of one
// deployment (rows, chosen model, cross-validated MAPE), the roofline calibration behind
// attention, and its error on measured attention rows when there are any.
#include <string>
#include <vector>

namespace infersweep::cli {

int run_predictor(const std::vector<std::string>& args);

}  // namespace infersweep::cli
