// vLLM: prefill-only batches of whole prompts under a padded token budget; when no prompt can
// be admitted, a decode batch of running requests, restarting the latest arrivals on OOM.
#include "builtin_schedulers.hpp"
#include "paged_scheduler.hpp"

namespace infersweep::sim {

namespace {

class VllmScheduler : public PagedReplicaScheduler {
 public:
  using PagedReplicaScheduler::PagedReplicaScheduler;

  // With nothing queued, no prompt batch forms and the decode batch takes the running requests
  // sorted by arrival; sorting them now is what forming that batch does first.
  bool decode_stretch(std::vector<RequestId>& ids) override {
    if (!queue_.empty()) return false;
    sort_running_by_arrival();
    return running_decodes_only(ids);
  }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch = new_draft();
    int64_t longest = 0;
    while (!queue_.empty()) {
      const RequestId id = queue_.front();
      const int64_t tokens = next_num_tokens(request(id));
      if (!can_allocate_request(id)) break;
      const int64_t new_longest = std::max(longest, tokens);
      // Prompts are padded to the longest one in the batch.
      if (static_cast<int64_t>(batch.size() + 1) * new_longest > config_.max_tokens_in_batch) break;
      if (static_cast<int64_t>(blocks_.num_holders()) == config_.batch_size_cap) break;
      if (static_cast<int64_t>(batch.size()) == max_micro_batch_size_) break;
      queue_.pop_front();
      allocate_request(id);
      batch.add(id, tokens);
      longest = new_longest;
    }
    if (!batch.empty()) return batch;

    sort_running_by_arrival();
    const bool roomy = decodes_have_room();
    if (roomy) take_roomy_decodes(batch);
    while (!running_.empty() && static_cast<int64_t>(batch.size()) < max_micro_batch_size_) {
      const RequestId id = running_.front();
      running_.pop_front();
      if (!take_next_token(id, roomy)) continue;
      batch.add(id, 1);
    }
    return batch;
  }
};

}  // namespace

void add_vllm_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.takes_prefilled = true;
  traits.whole_prompt_batches = true;
  traits.settings = {"watermark-blocks-fraction", "max-tokens-in-batch"};
  registry.add(
      "vllm", [](const ReplicaSchedulerContext& c) { return std::make_unique<VllmScheduler>(c); }, traits,
      "vLLM (v0): whole-prompt prefill batches, then decode batches");
}

}  // namespace infersweep::sim
