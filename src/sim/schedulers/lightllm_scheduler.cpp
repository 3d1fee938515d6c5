// LightLLM: token-granular KV (block size 1) with admission by an estimate of the peak token
// demand of the running requests; prefill-only and decode-only batches, with a prefill forced
// every max_waiting_iters decode iterations.
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "builtin_schedulers.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::sim {

namespace {

struct TokenEstimate {
  int64_t processed;
  int64_t remaining;
};

class LightLlmScheduler : public ReplicaScheduler {
 public:
  explicit LightLlmScheduler(const ReplicaSchedulerContext& context)
      : ReplicaScheduler(context), max_micro_batch_size_(context.config.batch_size_cap / context.num_stages) {}

  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }

  std::string admission_shortfall(RequestId id) const override {
    std::vector<TokenEstimate> estimates;
    for (RequestId running : running_) estimates.push_back(estimate(request(running)));
    estimates.push_back(estimate(request(id)));
    return "its estimated peak demand is " + format_count(peak_demand(estimates)) +
           " KV tokens, and admission needs it below the replica's " + format_count(blocks_.num_blocks()) +
           "-token cache";
  }

 protected:
  TokenEstimate estimate(const Request& r) const {
    TokenEstimate e;
    if (r.scheduled) {
      e.processed = r.num_processed_tokens;
      e.remaining = r.num_decode_tokens - r.processed_decode_tokens() - 1;
    } else {
      e.processed = r.num_prefill_tokens + 1;
      e.remaining = r.num_decode_tokens - 2;
    }
    e.remaining = std::max<int64_t>(0, e.remaining);
    return e;
  }

  // Peak future KV tokens if all listed requests decode to the end together, the ones with the
  // most remaining tokens outliving the others.
  static int64_t peak_demand(std::vector<TokenEstimate>& estimates) {
    std::stable_sort(estimates.begin(), estimates.end(),
                     [](const TokenEstimate& a, const TokenEstimate& b) { return a.remaining > b.remaining; });
    int64_t cumulative = 0, need = 0;
    for (size_t i = 0; i < estimates.size(); ++i) {
      cumulative += estimates[i].processed;
      need = std::max(need, estimates[i].remaining * static_cast<int64_t>(i + 1) + cumulative);
    }
    return need;
  }
  bool within_cache(int64_t need) const { return need < blocks_.num_blocks(); }

  bool admit(const Request& r) {
    estimates_.push_back(estimate(r));
    return within_cache(peak_demand(estimates_));
  }

  void allocate_request(RequestId id) {
    if (!blocks_.holds(id))
      blocks_.allocate(id, request(id).num_prefill_tokens);
    else
      blocks_.allocate(id, 1);
  }

  BatchDraft prefill_batch() {
    BatchDraft batch = new_draft();
    int64_t batch_tokens = 0;
    estimates_.clear();
    for (RequestId id : running_) estimates_.push_back(estimate(request(id)));
    while (!queue_.empty()) {
      const RequestId id = queue_.front();
      const int64_t tokens = next_num_tokens(request(id));
      if (batch_tokens + tokens > config_.max_tokens_in_batch) break;
      if (static_cast<int64_t>(blocks_.num_holders()) == config_.batch_size_cap) break;
      if (static_cast<int64_t>(batch.size()) == max_micro_batch_size_) break;
      if (!admit(request(id))) break;
      queue_.pop_front();
      allocate_request(id);
      batch.add(id, tokens);
      batch_tokens += tokens;
    }
    return batch;
  }

  BatchDraft decode_batch() {
    BatchDraft batch = new_draft();
    while (!running_.empty()) {
      if (static_cast<int64_t>(batch.size()) >= max_micro_batch_size_)
        throw SimulationError("lightllm: more running requests than the micro-batch size");
      const RequestId id = running_.front();
      running_.pop_front();
      allocate_request(id);
      batch.add(id, next_num_tokens(request(id)));
    }
    return batch;
  }

  BatchDraft next_batch() override {
    if (running_.empty()) {
      BatchDraft batch = prefill_batch();
      if (!batch.empty()) waiting_iters_ = 0;
      return batch;
    }
    if (waiting_iters_ >= config_.max_waiting_iters) {
      waiting_iters_ = 0;
      BatchDraft batch = prefill_batch();
      if (!batch.empty()) return batch;
    }
    if (!blocks_.can_allocate(static_cast<int64_t>(running_.size())))
      throw SimulationError(
          "lightllm: KV cache exhausted by running decodes on replica; LightLLM's "
          "scheduler has no preemption for this case");
    ++waiting_iters_;
    return decode_batch();
  }

 private:
  int64_t max_micro_batch_size_;
  int64_t waiting_iters_ = 0;
  std::deque<RequestId> running_;
  std::vector<TokenEstimate> estimates_;
};

}  // namespace

void add_lightllm_scheduler(ReplicaSchedulerRegistry& registry) {
  ReplicaSchedulerTraits traits;
  traits.kv_in_tokens = true;
  traits.implied_settings = {{"block-size", "1"}};
  traits.pipeline_parallel = false;
  traits.whole_prompt_batches = true;
  traits.settings = {"max-tokens-in-batch", "max-waiting-iters"};
  registry.add(
      "lightllm", [](const ReplicaSchedulerContext& c) { return std::make_unique<LightLlmScheduler>(c); }, traits,
      "LightLLM: token-granular KV with admission by estimated peak demand");
}

}  // namespace infersweep::sim
