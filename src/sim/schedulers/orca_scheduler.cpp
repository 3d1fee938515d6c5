// Orca: iteration-level batching of whole prompts and decodes together, with a static KV
// reservation of max_tokens per admitted request.
#include <deque>
#include <string>

#include "builtin_schedulers.hpp"

namespace infersweep::sim {

namespace {

class OrcaScheduler : public ReplicaScheduler {
 public:
  using ReplicaScheduler::ReplicaScheduler;

  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }
  std::string admission_shortfall(RequestId) const override { return reservation_shortfall(); }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch = new_draft();
    while (!running_.empty() && static_cast<int64_t>(batch.size()) < max_batch_size_) {
      const RequestId id = running_.front();
      running_.pop_front();
      batch.add(id, next_num_tokens(request(id)));
    }
    while (!queue_.empty() && static_cast<int64_t>(batch.size()) < max_batch_size_ &&
           blocks_.can_allocate(max_blocks_per_sequence_)) {
      const RequestId id = queue_.front();
      queue_.pop_front();
      blocks_.allocate(id, max_blocks_per_sequence_);
      batch.add(id, next_num_tokens(request(id)));
    }
    return batch;
  }

 private:
  std::deque<RequestId> running_;
};

}  // namespace

void add_orca_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.token_grid_spans_batch = true;
  registry.add(
      "orca", [](const ReplicaSchedulerContext& c) { return std::make_unique<OrcaScheduler>(c); }, traits,
      "Orca: iteration-level batching with KV reserved for the whole request");
}

}  // namespace infersweep::sim
