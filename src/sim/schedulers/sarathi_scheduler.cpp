// Sarathi-Serve: stall-free batching. Every iteration carries the running decodes plus prompt
// chunks, with decode tokens and prompt chunks sharing one token budget (chunk_size).
#include <cstddef>
#include <vector>

#include "builtin_schedulers.hpp"
#include "paged_scheduler.hpp"

namespace infersweep::sim {

namespace {

class SarathiScheduler : public PagedReplicaScheduler {
 public:
  explicit SarathiScheduler(const ReplicaSchedulerContext& context)
      : PagedReplicaScheduler(context, /*reads_prefix_caching=*/true), chunk_size_(context.config.chunk_size) {}

  // Stretches with prompt chunks. next_batch takes the decodes in running order (step 1),
  // then the prompts' chunks (steps 2 and 3), and the batch's end gives them back in batch order;
  // while no decode needs a preemption and step 1 takes every running request, a batch is the
  // stretch's decodes followed by a chunk that depends only on the prompts and the queue. The
  // prompts still prefilling are kept here, in the order next_batch would meet them, and the
  // running list holds the decodes only until the stretch ends.
  bool decode_stretch(std::vector<RequestId>& ids) override {
    if (prefix_caching_ || prefill_only() || (running_.empty() && queue_.empty())) return false;
    ids.clear();
    prefilling_.clear();
    for (RequestId id : running_) {
      if (!blocks_.holds(id)) return false;
      (request(id).is_prefill_complete ? ids : prefilling_).push_back(id);
    }
    return true;
  }

  bool plan_stretch_step(const std::vector<RequestId>& ids, BatchDraft& chunk) override {
    chunk.request_ids.clear();
    chunk.num_tokens.clear();
    const auto num_decodes = static_cast<int64_t>(ids.size());
    // At the micro-batch cap, step 1 stops before the running requests behind the decodes.
    if (num_decodes > max_micro_batch_size_ || (num_decodes == max_micro_batch_size_ && !prefilling_.empty()))
      return false;
    if (!can_step_decodes(ids)) return false;
    // Step 2, as next_batch runs it. A prompt left without a chunk would go back ahead of the
    // batch's requests; with one stage that never happens (the first prompt's chunk is at
    // least what the last batch's completed prompts added as decodes, and a chunk that does
    // not complete its prompt fills the budget, so at most one prompt is partly prefilled),
    // and the batch is then formed as usual.
    int64_t batch_tokens = num_decodes;
    for (RequestId id : prefilling_) {
      const int64_t tokens = chunk_tokens(request(id), batch_tokens);
      if (tokens == 0) return false;
      batch_tokens += tokens;
      chunk.add(id, tokens);
    }
    planned_partials_ = chunk.size();
    if (queue_.empty()) return true;
    // Step 3 on the counts its allocations would leave (no prefix cache: a prompt's blocks).
    int64_t free = blocks_.free_blocks() - blocks_started(ids);
    auto holders = static_cast<int64_t>(blocks_.num_holders());
    for (RequestId id : queue_) {
      if (holders == config_.batch_size_cap) break;
      if (num_decodes + static_cast<int64_t>(chunk.size()) == max_micro_batch_size_) break;
      if (blocks_.holds(id)) return false;
      const int64_t blocks = blocks_for_tokens(request(id).num_prefill_tokens);
      if (blocks > free - watermark_blocks_) break;
      const int64_t tokens = chunk_tokens(request(id), batch_tokens);
      if (tokens == 0) break;
      free -= blocks;
      ++holders;
      batch_tokens += tokens;
      chunk.add(id, tokens);
    }
    return true;
  }

  void take_stretch_step(const std::vector<RequestId>& ids, const BatchDraft& chunk) override {
    if (!in_stretch_) {
      running_.assign(ids.begin(), ids.end());
      in_stretch_ = true;
    }
    step_decodes(ids);
    for (size_t i = planned_partials_; i < chunk.size(); ++i) {
      queue_.pop_front();
      allocate_request(chunk.request_ids[i]);
    }
  }

  void end_stretch_step(const std::vector<RequestId>& completed_decodes, const BatchDraft& chunk,
                        std::vector<RequestId>& new_decodes) override {
    new_decodes.clear();
    release_completed_decodes(completed_decodes);
    prefilling_.clear();
    for (RequestId id : chunk.request_ids) {
      if (leaves(id)) continue;
      if (request(id).is_prefill_complete) {
        running_.push_back(id);
        new_decodes.push_back(id);
        add_stretch_decode(id);
      } else {
        prefilling_.push_back(id);
      }
    }
    last_chunk_.assign(chunk.request_ids.begin(), chunk.request_ids.end());
    last_new_decodes_ = new_decodes.size();
  }

  // The batch takes every running request.
  void hand_over_stretch_step() override {
    block_calendar_.stop();
    running_.clear();
    in_stretch_ = false;
    last_chunk_.clear();
    last_new_decodes_ = 0;
  }

  // The running list as the last batch's end leaves it: its requests in batch order (the
  // decodes, then its chunk's requests), less those that left.
  void end_stretch() override {
    block_calendar_.stop();
    if (!in_stretch_) return;
    in_stretch_ = false;
    running_.erase(running_.end() - static_cast<std::ptrdiff_t>(last_new_decodes_), running_.end());
    for (RequestId id : last_chunk_)
      if (!request(id).completed) running_.push_back(id);
    last_chunk_.clear();
    last_new_decodes_ = 0;
  }

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
    const bool roomy = decodes_have_room();
    if (roomy) batch_tokens += take_roomy_decodes(batch);
    while (!running_.empty()) {
      if (static_cast<int64_t>(batch.size()) == max_micro_batch_size_) break;
      const RequestId id = running_.front();
      running_.pop_front();
      if (!request(id).is_prefill_complete) {
        partial_prefills_.push_back(id);
        continue;
      }
      if (!take_next_token(id, roomy)) continue;
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
  // A stretch's state: the running prompts in next_batch's order; how many of the plan's chunk
  // entries are running prompts; what the last step did (for end_stretch).
  std::vector<RequestId> prefilling_;
  size_t planned_partials_ = 0;
  bool in_stretch_ = false;
  std::vector<RequestId> last_chunk_;
  size_t last_new_decodes_ = 0;
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
