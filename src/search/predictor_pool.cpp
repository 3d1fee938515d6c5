#include "infersweep/search/predictor_pool.hpp"

namespace infersweep::search {

std::string PredictorPool::key_of(const sim::SimulationConfig& config,
                                  const sim::ReplicaSchedulerRegistry& schedulers) {
  return sim::predictor_identity(config, schedulers);
}

std::shared_ptr<const predict::ExecutionTimePredictor> PredictorPool::get(const sim::SimulationSetup& setup) {
  return predictors_.get(key_of(setup.config, *setup.replica_schedulers), [&] {
    auto context = sim::predictor_context(setup);
    context.shared_selections = selections_;
    return std::make_shared<const predict::ExecutionTimePredictor>(predict::ExecutionTimePredictor::create(context));
  });
}

}  // namespace infersweep::search
