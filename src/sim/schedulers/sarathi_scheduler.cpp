// Sarathi-Serve: stall-free batching. Every iteration carries the running decodes plus prompt
// chunks, with decode tokens and prompt chunks sharing one token budget (chunk_size).
#include <vector>

#include "builtin_schedulers.hpp"
#include "paged_scheduler.hpp"

namespace infersweep::sim {

namespace {

class SarathiScheduler : public PagedReplicaScheduler {
 public:
  explicit SarathiScheduler(const ReplicaSchedulerContext& context)
      : PagedReplicaScheduler(context, /*reads_prefix_caching=*/true), chunk_size_(context.config.chunk_size) {}

  // With nothing queued and every running request decoding, step 1 below takes them all in
  // order, steps 2 and 3 add nothing, and the batch's end gives them back in the same order.
  bool decode_stretch(std::vector<RequestId>& ids) override { return running_decodes_only(ids); }

 protected:
  int64_t chunk_tokens(const Request& r, int64_t batch_tokens) const {
    if (r.is_prefill_complete) return 1;
    const int64_t tokens = std::min(r.num_prefill_tokens - r.num_processed_tokens, chunk_size_ - batch_tokens);
    return std::max<int64_t>(0, tokens);
  }

  BatchDraft next_batch() override {
    BatchDraft batch = new_draft();
    int64_t batch_tokens = 0;
    partial_prefills_.clear();
    skipped_.clear();

    // Running requests in their current order; partly prefilled ones wait for step 2.
    while (!running_.empty()) {
      if (static_cast<int64_t>(batch.size()) == max_micro_batch_size_) break;
      const RequestId id = running_.front();
      running_.pop_front();
      if (!request(id).is_prefill_complete) {
        partial_prefills_.push_back(id);
        continue;
      }
      if (!make_room_for(id)) continue;
      allocate_request(id);
      batch_tokens += 1;
      batch.add(id, 1);
    }
    // Their next chunks; blocks for the whole prompt were reserved at admission.
    for (RequestId id : partial_prefills_) {
      const int64_t tokens = chunk_tokens(request(id), batch_tokens);
      if (tokens == 0) {
        skipped_.push_back(id);
        continue;
      }
      batch_tokens += tokens;
      batch.add(id, tokens);
    }
    running_.insert(running_.begin(), skipped_.begin(), skipped_.end());
    sort_running_by_arrival();
    // Their blocks filled by this batch are cached before new requests look theirs up (kept out
    // of the loops above, which counting mode runs for every decode token).
    if (prefix_caching_)
      for (size_t i = 0; i < batch.size(); ++i) cache_scheduled_blocks(batch.request_ids[i], batch.num_tokens[i]);

    // New requests from the queue, as long as budget, memory and the batch cap allow.
    while (!queue_.empty()) {
      if (static_cast<int64_t>(blocks_.num_holders()) == config_.batch_size_cap) break;
      if (static_cast<int64_t>(batch.size()) == max_micro_batch_size_) break;
      const RequestId id = queue_.front();
      if (!can_allocate_request(id)) break;
      if (chunk_tokens(request(id), batch_tokens) == 0) break;
      queue_.pop_front();
      allocate_request(id);
      // Counted after the allocation: a cached prefix is not prefilled.
      const int64_t tokens = chunk_tokens(request(id), batch_tokens);
      if (prefix_caching_) cache_scheduled_blocks(id, tokens);
      batch_tokens += tokens;
      batch.add(id, tokens);
    }
    return batch;
  }

 private:
  int64_t chunk_size_;
  // Per-iteration scratch, kept to avoid allocating on every batch.
  std::vector<RequestId> partial_prefills_;
  std::vector<RequestId> skipped_;
};

}  // namespace

void add_sarathi_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.takes_prefilled = true;
  traits.relative_cost = 1;
  traits.settings = {"watermark-blocks-fraction", "chunk-size", "prefix-caching"};
  traits.grid_requires = {"chunk-size"};
  registry.add(
      "sarathi", [](const ReplicaSchedulerContext& c) { return std::make_unique<SarathiScheduler>(c); }, traits,
      "Sarathi-Serve: decodes and prompt chunks share one token budget per iteration");
}

}  // namespace infersweep::sim
