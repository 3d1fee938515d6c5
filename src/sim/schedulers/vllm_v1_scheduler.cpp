// vLLM's V1 engine scheduler (Scheduler.schedule() of vLLM v0.11.0): one token budget per
// step, spent first on the running requests in the order they were admitted (a decode token or
// the next chunk of a prompt each), then, if no request had to be preempted, on new prompt
// chunks from the waiting queue. KV blocks are allocated as tokens need them; when they run
// out, the latest admitted running request is preempted (recomputed later). docs/engines.md
// describes the rules and what is simplified.
#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "builtin_schedulers.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::sim {

namespace {

class VllmV1Scheduler : public ReplicaScheduler {
 public:
  explicit VllmV1Scheduler(const ReplicaSchedulerContext& context)
      : ReplicaScheduler(context),
        token_budget_(context.config.max_num_batched_tokens),
        max_num_seqs_(context.config.max_num_seqs),
        prompt_chunk_limit_(context.config.long_prefill_token_threshold > 0
                                ? context.config.long_prefill_token_threshold
                                : std::numeric_limits<int64_t>::max()),
        prefix_caching_(blocks_.prefix_caching()),
        admission_order_(context.requests->size(), 0) {}

  void on_batch_end(const Batch& batch) override {
    batch_finished();
    returning_.clear();
    for (RequestId id : batch.request_ids) {
      if (leaves(id))
        --num_admitted_;
      else
        returning_.push_back(id);
    }
    rejoin_running(returning_);
  }

  // A prefilled request counts against max_num_seqs and needs its prompt's blocks free; it
  // joins the running requests as the latest admitted once its KV is here.
  bool can_reserve_prefilled(RequestId id) const override {
    return num_admitted_ < max_num_seqs_ && blocks_for_tokens(request(id).num_prefill_tokens) <= blocks_.free_blocks();
  }
  void reserve_prefilled(RequestId id) override {
    blocks_.allocate(id, blocks_for_tokens(request(id).num_prefill_tokens));
    count_accepted(id);
    ++num_admitted_;
  }
  void admit_prefilled(RequestId id) override {
    admission_order_[static_cast<size_t>(id)] = next_admission_++;
    running_.push_back(id);
  }

  std::string admission_shortfall(RequestId id) const override {
    const Request& r = request(id);
    return "its " + format_count(r.total_tokens()) + " tokens need " +
           format_count(blocks_for_tokens(peak_kv_tokens(r))) + " KV blocks of " + format_count(config_.block_size) +
           " tokens before the last is generated, and the replica has " + format_count(blocks_.num_blocks());
  }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch = new_draft();
    // At most the running requests and the admissions max_num_seqs still allows: one
    // allocation per batch instead of one per doubling of a batch of hundreds.
    const size_t admissible = static_cast<size_t>(std::max<int64_t>(0, max_num_seqs_ - num_admitted_));
    const size_t most = running_.size() + std::min(queue_.size(), admissible);
    batch.request_ids.reserve(most);
    batch.num_tokens.reserve(most);
    int64_t budget = token_budget_;
    const bool preempted = schedule_running(batch, budget);
    // vLLM admits nothing in a step that had to preempt: memory is short.
    if (!preempted) schedule_waiting(batch, budget);
    return batch;
  }

 private:
  // The KV a request holds once all its tokens but the last are computed (the last one is
  // generated, never fed back).
  static int64_t peak_kv_tokens(const Request& r) { return r.total_tokens() - 1; }

  // Tokens in the request's KV once this step has run `tokens` of it: a prompt chunk adds its
  // tokens to the processed ones; a decode step computes the KV of the latest output token, so
  // the KV then holds every processed token (see the token convention in request.hpp).
  static int64_t kv_tokens_after(const Request& r, int64_t tokens) {
    return r.is_prefill_complete ? r.num_processed_tokens : r.num_processed_tokens + tokens;
  }

  int64_t next_tokens(const Request& r, int64_t budget) const {
    if (r.is_prefill_complete) return 1;
    return std::min({r.num_prefill_tokens - r.num_processed_tokens, prompt_chunk_limit_, budget});
  }

  void add_to_batch(BatchDraft& batch, RequestId id, int64_t tokens, int64_t kv_tokens) {
    const int64_t missing = blocks_for_tokens(kv_tokens) - blocks_.blocks_of(id);
    if (missing > 0) blocks_.allocate(id, missing);
    if (prefix_caching_) blocks_.cache_full_blocks(id, kv_tokens);
    batch.add(id, tokens);
  }

  // The running requests not in flight, in admission order, each given its next tokens while
  // the budget lasts. Blocks short: the latest admitted of them are preempted, the request
  // itself last, which ends this pass. Returns whether anything was preempted.
  bool schedule_running(BatchDraft& batch, int64_t& budget) {
    bool preempted = false;
    size_t next = 0, end = running_.size();  // running_[next, end) not yet looked at
    while (next < end && budget > 0) {
      const RequestId id = running_[next];
      const Request& r = request(id);
      const int64_t tokens = next_tokens(r, budget);
      const int64_t kv_tokens = kv_tokens_after(r, tokens);
      const int64_t missing = blocks_for_tokens(kv_tokens) - blocks_.blocks_of(id);
      while (missing > blocks_.free_blocks() && next < end) {
        preempt_admitted(running_[--end]);
        preempted = true;
      }
      if (next == end) break;  // the request itself was the last one left
      add_to_batch(batch, id, tokens, kv_tokens);
      budget -= tokens;
      ++next;
    }
    // Scheduled ones are in flight; preempted ones went back to the queue.
    running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(end), running_.end());
    running_.erase(running_.begin(), running_.begin() + static_cast<std::ptrdiff_t>(next));
    return preempted;
  }

  // Waiting requests in queue order (preempted ones first), each given its first chunk after
  // any cached prefix, while the budget, max_num_seqs and the free blocks allow.
  void schedule_waiting(BatchDraft& batch, int64_t& budget) {
    while (!queue_.empty() && budget > 0 && num_admitted_ < max_num_seqs_) {
      const RequestId id = queue_.front();
      const Request& r = request(id);
      // A request whose whole KV can never fit would be preempted by its own growth forever;
      // vLLM refuses such a max_model_len at start-up.
      if (blocks_for_tokens(peak_kv_tokens(r)) > blocks_.num_blocks()) break;
      const KvBlockManager::PrefixHit hit = prefix_caching_ ? find_cached_prefix(id) : KvBlockManager::PrefixHit{};
      const int64_t cached = hit.blocks * config_.block_size;
      const int64_t tokens = std::min({r.num_prefill_tokens - cached, prompt_chunk_limit_, budget});
      // Cached blocks nobody holds count as free; taking them uses them up.
      const int64_t needed = blocks_for_tokens(cached + tokens) - hit.blocks + hit.evictable;
      if (needed > blocks_.free_blocks()) break;
      queue_.pop_front();
      if (prefix_caching_) take_cached_prefix(id, hit);
      add_to_batch(batch, id, tokens, cached + tokens);
      admission_order_[static_cast<size_t>(id)] = next_admission_++;
      ++num_admitted_;
      budget -= tokens;
    }
  }

  void preempt_admitted(RequestId id) {
    preempt(id);
    --num_admitted_;
  }

  // Requests back from a batch rejoin the running list in admission order, as in vLLM, where
  // they never left it. A batch lists its requests in that order.
  void rejoin_running(const std::vector<RequestId>& ids) {
    if (ids.empty()) return;
    const auto earlier = [this](RequestId a, RequestId b) {
      return admission_order_[static_cast<size_t>(a)] < admission_order_[static_cast<size_t>(b)];
    };
    if (running_.empty() || earlier(running_.back(), ids.front())) {
      running_.insert(running_.end(), ids.begin(), ids.end());
      return;
    }
    merged_.clear();
    std::merge(running_.begin(), running_.end(), ids.begin(), ids.end(), std::back_inserter(merged_), earlier);
    running_.swap(merged_);
  }

  int64_t token_budget_;
  int64_t max_num_seqs_;
  int64_t prompt_chunk_limit_;
  bool prefix_caching_;
  std::vector<RequestId> running_;        // admitted, not in flight, in admission order
  std::vector<int64_t> admission_order_;  // per request: when it was last admitted
  int64_t next_admission_ = 0;
  int64_t num_admitted_ = 0;  // admitted and neither completed nor preempted, in flight included
  // Per-iteration scratch, kept to avoid allocating on every batch.
  std::vector<RequestId> returning_;
  std::vector<RequestId> merged_;
};

}  // namespace

void add_vllm_v1_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.relative_cost = 1;
  traits.settings = {"max-num-batched-tokens", "max-num-seqs", "long-prefill-token-threshold", "prefix-caching"};
  traits.implied_settings = {{"prefix-caching", "true"}};
  traits.request_cap = "max-num-seqs";
  traits.takes_prefilled = true;
  registry.add(
      "vllm_v1", [](const ReplicaSchedulerContext& c) { return std::make_unique<VllmV1Scheduler>(c); }, traits,
      "vLLM V1 (v0.11.0): one token budget per step, running requests first, then new prompt chunks");
}

}  // namespace infersweep::sim
