#pragma once
// Vidur's own outputs (../shared/vidur-reference, see its README), read for the differential
// test and the replay benchmark: per run the request list Vidur generated, its full config and
// its per-request metrics, plus Vidur's aggregates of every run and the prediction tables its
// runs used.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/sim/request.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace infersweep::parity {

// $INFERSWEEP_VIDUR_REFERENCE, else the directory the build was configured with
// (INFERSWEEP_VIDUR_REFERENCE in CMake).
std::string vidur_reference_dir();

// One of Vidur's runs mapped to an infersweep configuration that replays it: its requests
// (trace_replay of requests.csv) on its deployment and schedulers, with Vidur's prediction
// tables and KV accounting.
struct VidurRun {
  std::string name;
  std::string dir;
  std::string table_dir;
  sim::SimulationConfig config;
};

// Reads runs/<name>/vidur_config.json under `reference_dir`. Throws std::runtime_error when a
// setting has no counterpart here, or when Vidur's model, device or node facts differ from the
// specs of `catalog` (the memory plan would then differ).
VidurRun load_vidur_run(const std::string& reference_dir, const std::string& name, const spec::SpecCatalog& catalog);

// Vidur's per-request output (vidur_request_metrics.csv): a column's values by Request Id.
struct VidurRequestMetrics {
  std::map<int64_t, std::map<std::string, double>> by_request;
};
std::optional<VidurRequestMetrics> read_vidur_request_metrics(const VidurRun& run);

// A completed request's figures under the names of Vidur's per-request columns.
std::vector<std::pair<std::string, double>> as_vidur_request_metrics(const sim::Request& request);

// The run's row of vidur_summary.csv, by column.
std::map<std::string, double> read_vidur_summary(const std::string& reference_dir, const std::string& name);

}  // namespace infersweep::parity
