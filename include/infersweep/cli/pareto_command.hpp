#pragma once
// `infersweep pareto RESULTS`: per model and trace, the best config under TTFT/TBT SLOs by
// QPS per dollar, the Pareto fronts, and the configs near them; as a table, CSV or JSON.
// RESULTS is a sweep's .h5 file (finished, or one a sweep is still writing), or a search's
// output: its --output-dir or the capacity.csv in it.
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"

namespace infersweep::cli {

struct ParetoSettings {
  std::string file;
  double slo_ttft_p90_s = 2.0;
  double slo_tbt_p99_s = 0.2;
  std::string by = "model,trace";
  double tolerance = 0.1;
  bool all = false;
  bool include_caveats = false;
  std::string format = "table";
};

// The options of `infersweep pareto`, declared once (names, help, ranges, choices).
const config::SettingGroup<ParetoSettings>& pareto_settings();

int run_pareto_command(const std::vector<std::string>& args);

}  // namespace infersweep::cli
