#pragma once
// `infersweep pareto results.h5`: per model and trace, the best config under TTFT/TBT SLOs by
// QPS per dollar, the Pareto fronts, and the configs near them; as a table, CSV or JSON.
// Reads a finished file or one a sweep is still writing.
#include <string>
#include <vector>

namespace infersweep::cli {

int run_pareto_command(const std::vector<std::string>& args);

}  // namespace infersweep::cli
