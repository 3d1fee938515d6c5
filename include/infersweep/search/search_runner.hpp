#pragma once
// Runs the capacity search of every runnable unit, one single-threaded search per OpenMP
// thread with dynamic scheduling. A search that throws becomes a failed result with its
// message; the others go on. Results come back in unit order whatever the thread count.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/deployment_cost.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/predictor_pool.hpp"
#include "infersweep/sim/run_footprint.hpp"

namespace infersweep::search {

// timeout: the config's wall-clock budget ran out between probes (only with a budget set).
enum class ConfigStatus { ok, skipped, failed, timeout };
const char* to_string(ConfigStatus status);

struct ConfigResult {
  int64_t index = 0;
  std::string config_id;
  ConfigStatus status = ConfigStatus::skipped;
  std::string message;  // skip reason, error, or a note (e.g. no probe met the SLO)
  CapacityOutcome outcome;
  DeploymentCost cost;
  double wall_s = 0;  // not part of the deterministic result

  const ProbeRecord* at_capacity() const {
    return outcome.best_probe >= 0 ? &outcome.probes[static_cast<size_t>(outcome.best_probe)] : nullptr;
  }
};

// One unit's search, exceptions turned into a failed result. A positive `wall_limit_s` ends
// the search with a timeout result once that many wall seconds have passed, checked before
// each probe; such a result depends on the machine, so budgets are off by default.
ConfigResult run_unit_search(const SearchUnit& unit, const spec::SpecCatalog& catalog, PredictorPool& pool,
                             double wall_limit_s = 0);

struct SearchRunOptions {
  int threads = 0;                   // 0: OpenMP's default (OMP_NUM_THREADS or all cores)
  std::ostream* progress = nullptr;  // progress lines; null: silent
  double progress_interval_s = 5;
  double config_wall_limit_s = 0;  // per-config wall-clock budget (0: none)
};

// The threads a grid run uses. An explicit request (capped by its declaration) is honoured;
// the default is OpenMP's (OMP_NUM_THREADS or every core) but never more than the processors
// this process may run on, since an environment asking for 100,000 threads makes the OpenMP
// runtime fail instead of merely oversubscribe. What was reduced is said on `note`.
int thread_count(int64_t requested, std::ostream* note);

// The memory a grid's searches need: its largest simulation (sim::estimate_footprint), as
// units stream past, times the threads that run such simulations at once.
class GridFootprint {
 public:
  void add(const SearchUnit& unit);
  // Refuses (InputError naming the config) what needs more than `available_bytes`.
  void check(int threads, int64_t available_bytes) const;
  // The same against this process's available memory, if it can be known.
  void check(int threads) const;

 private:
  std::string largest_id_;
  sim::SimulationConfig largest_;
  sim::RunFootprint most_;
  int64_t runnable_ = 0;
};

void check_grid_memory(const std::vector<SearchUnit>& units, int threads, int64_t available_bytes);
void check_grid_memory(const std::vector<SearchUnit>& units, int threads);

std::vector<ConfigResult> run_searches(const std::vector<SearchUnit>& units, const spec::SpecCatalog& catalog,
                                       PredictorPool& pool, const SearchRunOptions& options);

}  // namespace infersweep::search
