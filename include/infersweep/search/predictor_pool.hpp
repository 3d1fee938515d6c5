#pragma once
// Execution-time predictors shared by the searches of one run. Many configs differ only in
// scheduler, batch cap or trace and use the same predictor; building one (training, grids)
// costs seconds, so each is built once, by the first thread that needs it, while the others
// wait for it. The predictors of one model, GPU and TP (different PP, grid range or scheduler)
// learn from the same profiling rows, so they also share their model selections. Owned by the
// caller: no process-wide state.
#include <memory>
#include <string>

#include "infersweep/common/once_map.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/predict/model_selection.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::search {

class PredictorPool {
 public:
  // The predictor for a planned setup; a build error is rethrown to every caller of that key.
  std::shared_ptr<const predict::ExecutionTimePredictor> get(const sim::SimulationSetup& setup);
  size_t size() const { return predictors_.size(); }
  const predict::SharedModelSelections& selections() const { return *selections_; }

  // The settings that decide a predictor (sim::predictor_identity): configs that differ only
  // in others (batch cap, trace, most scheduler settings) share one.
  static std::string key_of(const sim::SimulationConfig& config,
                            const sim::ReplicaSchedulerRegistry& schedulers = sim::builtin_replica_schedulers());

 private:
  OnceMap<std::shared_ptr<const predict::ExecutionTimePredictor>> predictors_;
  std::shared_ptr<predict::SharedModelSelections> selections_ = std::make_shared<predict::SharedModelSelections>();
};

}  // namespace infersweep::search
