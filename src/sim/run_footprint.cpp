#include "infersweep/sim/run_footprint.hpp"

#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/system_memory.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::sim {

RunFootprint estimate_footprint(const SimulationConfig& config) {
  RunFootprint f;
  f.requests = workload::expected_request_count(config.workload);
  f.bytes = static_cast<double>(kBytesPerRun) + static_cast<double>(f.requests) * static_cast<double>(kBytesPerRequest);
  return f;
}

void check_footprint_fits(const RunFootprint& footprint, const SimulationConfig& config, int64_t available_bytes,
                          int64_t concurrent) {
  const double needed = footprint.bytes * static_cast<double>(concurrent);
  if (needed <= static_cast<double>(available_bytes)) return;
  const bool by_duration = config.workload.duration_s > 0 && config.workload.generator == "synthetic";
  std::string what = "about " + std::to_string(footprint.requests) + " requests need about " +
                     format_bytes(footprint.bytes) + " (" + std::to_string(kBytesPerRequest) + " B per request)";
  if (concurrent > 1) what += ", " + format_bytes(needed) + " for " + std::to_string(concurrent) + " runs at once";
  throw InputError::setting(by_duration ? "duration" : "num-requests",
                            what + "; " + format_bytes(static_cast<double>(available_bytes)) +
                                " of memory are available: use fewer requests" +
                                (by_duration ? " or a shorter duration" : "") +
                                (concurrent > 1 ? " or fewer threads" : ""));
}

}  // namespace infersweep::sim
