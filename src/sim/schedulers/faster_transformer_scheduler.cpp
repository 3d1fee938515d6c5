// FasterTransformer: request-level (static) batching. A batch is formed from the queue and
// then iterated until all of its requests finish; memory is reserved per request for
// max_tokens and released when the whole group is done. (Vidur drops requests that finish
// early from the follow-up batch and never frees their blocks; here the group keeps track.)
#include <deque>
#include <string>
#include <vector>

#include "builtin_schedulers.hpp"

namespace infersweep::sim {

namespace {

class FasterTransformerScheduler : public ReplicaScheduler {
 public:
  using ReplicaScheduler::ReplicaScheduler;
  std::string admission_shortfall(RequestId) const override { return reservation_shortfall(); }

  void on_batch_end(const Batch& batch) override {
    batch_finished();
    const auto& members = groups_[static_cast<size_t>(batch.group)];
    bool all_done = true;
    for (RequestId id : members) all_done = all_done && request(id).completed;
    if (all_done) {
      for (RequestId id : members) blocks_.free(id);
    } else {
      unfinished_groups_.push_back(batch.group);
    }
  }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch = new_draft();
    if (!unfinished_groups_.empty()) {
      const int64_t group = unfinished_groups_.front();
      unfinished_groups_.pop_front();
      for (RequestId id : groups_[static_cast<size_t>(group)])
        if (!request(id).completed) batch.add(id, next_num_tokens(request(id)));
      batch.group = group;
      return batch;
    }
    std::vector<RequestId> members;
    while (!queue_.empty() && static_cast<int64_t>(batch.size()) < max_batch_size_ &&
           blocks_.can_allocate(max_blocks_per_sequence_)) {
      const RequestId id = queue_.front();
      queue_.pop_front();
      blocks_.allocate(id, max_blocks_per_sequence_);
      batch.add(id, next_num_tokens(request(id)));
      members.push_back(id);
    }
    if (!batch.empty()) {
      batch.group = static_cast<int64_t>(groups_.size());
      groups_.push_back(std::move(members));
    }
    return batch;
  }

 private:
  std::vector<std::vector<RequestId>> groups_;
  std::deque<int64_t> unfinished_groups_;
};

}  // namespace

void add_faster_transformer_scheduler(ReplicaSchedulerRegistry& registry) {
  registry.add(
      "faster_transformer",
      [](const ReplicaSchedulerContext& c) { return std::make_unique<FasterTransformerScheduler>(c); },
      ReplicaSchedulerTraits{}, "FasterTransformer: static batches run to completion");
}

}  // namespace infersweep::sim
