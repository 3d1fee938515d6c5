#pragma once
// The memory a simulation will need, estimated before it allocates anything, so that a run too
// large for the machine is refused with the estimate instead of growing until the system kills
// it (a billion requests once grew at 190 MB/s with no output).
#include <cstdint>

#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::sim {

// Measured on the simulate command (fixed lengths, 100k-400k requests, outputs written): about
// 415 bytes of resident memory per request, held from generation to the metrics file; rounded
// up to leave room for longer requests' bookkeeping.
inline constexpr int64_t kBytesPerRequest = 480;
// What a run holds whatever its size (catalog, predictor grids, output buffers).
inline constexpr int64_t kBytesPerRun = int64_t{64} << 20;

struct RunFootprint {
  int64_t requests = 0;
  double bytes = 0;  // double: a hostile duration gives counts whose bytes overflow int64
};

RunFootprint estimate_footprint(const SimulationConfig& config);

// Throws InputError naming the setting that sized the run (--num-requests or --duration) when
// `concurrent` runs of this footprint need more than `available_bytes`.
void check_footprint_fits(const RunFootprint& footprint, const SimulationConfig& config, int64_t available_bytes,
                          int64_t concurrent = 1);

}  // namespace infersweep::sim
