#include "infersweep/search/predictor_pool.hpp"

namespace infersweep::search {

std::string PredictorPool::key_of(const sim::SimulationConfig& config,
                                  const sim::ReplicaSchedulerRegistry& schedulers) {
  return sim::predictor_identity(config, schedulers);
}

std::shared_ptr<const predict::ExecutionTimePredictor> PredictorPool::get(const sim::SimulationSetup& setup) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = slots_[key_of(setup.config, *setup.replica_schedulers)];
    if (!entry) entry = std::make_shared<Slot>();
    slot = entry;
  }
  std::call_once(slot->built, [&] {
    try {
      slot->predictor = std::make_shared<const predict::ExecutionTimePredictor>(
          predict::ExecutionTimePredictor::create(sim::predictor_context(setup)));
    } catch (...) {
      slot->error = std::current_exception();
    }
  });
  if (slot->error) std::rethrow_exception(slot->error);
  return slot->predictor;
}

size_t PredictorPool::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

}  // namespace infersweep::search
