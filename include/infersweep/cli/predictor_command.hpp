#pragma once
// `infersweep predictor report`: how the learned predictor models each operator of one
// deployment (the file it came from or was estimated from, rows, chosen model,
// cross-validated MAPE), the roofline calibration behind attention, and its error on measured
// attention rows when there are any. Each part is printed by a function of its own.
#include <string>
#include <vector>

#include "infersweep/table/column_table.hpp"

namespace infersweep::cli {

int run_predictor(const std::vector<std::string>& args);

// The columns of the report's CSV (--output), declared once.
const table::Schema& predictor_report_columns();

}  // namespace infersweep::cli
