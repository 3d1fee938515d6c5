#include "infersweep/search/predictor_pool.hpp"

namespace infersweep::search {

std::string PredictorPool::key_of(const sim::SimulationConfig& c) {
  sim::SimulationConfig k;
  k.model = c.model;
  k.gpu = c.gpu;
  k.node = c.node;
  k.parallel = c.parallel;
  // Of the schedulers, only Orca changes a predictor (its token grid spans whole batches), so
  // vLLM and Sarathi configs of one deployment share theirs.
  k.scheduler.replica_scheduler = c.scheduler.replica_scheduler == "orca" ? "orca" : "any";
  k.scheduler.block_size = c.scheduler.block_size;
  k.predictor = c.predictor;
  return k.canonical();
}

std::shared_ptr<const predict::ExecutionTimePredictor> PredictorPool::get(const sim::SimulationSetup& setup) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = slots_[key_of(setup.config)];
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
