#pragma once
// Execution-time predictors shared by the searches of one run. Many configs differ only in
// scheduler, batch cap or trace and use the same predictor; building one (training, grids)
// costs seconds, so each is built once, by the first thread that needs it, while the others
// wait for it. Owned by the caller: no process-wide state.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::search {

class PredictorPool {
 public:
  // The predictor for a planned setup; a build error is rethrown to every caller of that key.
  std::shared_ptr<const predict::ExecutionTimePredictor> get(const sim::SimulationSetup& setup);
  size_t size() const;

  // The settings that decide a predictor (sim::predictor_identity): configs that differ only
  // in others (batch cap, trace, most scheduler settings) share one.
  static std::string key_of(const sim::SimulationConfig& config,
                            const sim::ReplicaSchedulerRegistry& schedulers = sim::builtin_replica_schedulers());

 private:
  struct Slot {
    std::once_flag built;
    std::shared_ptr<const predict::ExecutionTimePredictor> predictor;
    std::exception_ptr error;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

}  // namespace infersweep::search
