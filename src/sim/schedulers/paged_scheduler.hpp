#pragma once
// Shared memory rules of vLLM and Sarathi-Serve: blocks are reserved for the whole prompt at
// admission, one more block whenever decoding crosses a block boundary, and new requests are
// admitted only while a watermark of free blocks remains. With prefix caching (for the
// schedulers that read it), an admitted request first takes the cached blocks of its prompt's
// prefix and is reserved blocks for the rest only; blocks are cached as soon as a batch that
// fills them is formed.
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "decode_block_calendar.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::sim {

class PagedReplicaScheduler : public ReplicaScheduler {
 public:
  // `reads_prefix_caching`: the scheduler's batching accounts for cached prompt tokens (its
  // traits list prefix-caching). Otherwise its requests neither look up nor cache blocks, even if
  // the KV manager was built in prefix-caching mode, and it behaves as in counting mode.
  explicit PagedReplicaScheduler(const ReplicaSchedulerContext& context, bool reads_prefix_caching = false)
      : ReplicaScheduler(context),
        max_micro_batch_size_(context.config.batch_size_cap / context.num_stages),
        watermark_blocks_(
            static_cast<int64_t>(context.config.watermark_blocks_fraction * static_cast<double>(blocks_.num_blocks()))),
        prefix_caching_(reads_prefix_caching && blocks_.prefix_caching()) {}

  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }

  // A prefilled request is admitted as a new one would be (its prompt's blocks within the
  // watermark, the batch cap not reached) and joins the running requests once its KV is here.
  bool can_reserve_prefilled(RequestId id) const override {
    return static_cast<int64_t>(blocks_.num_holders()) < config_.batch_size_cap &&
           blocks_for_tokens(request(id).num_prefill_tokens) <= admissible_blocks();
  }
  void reserve_prefilled(RequestId id) override {
    blocks_.allocate(id, blocks_for_tokens(request(id).num_prefill_tokens));
    count_accepted(id);
  }
  void admit_prefilled(RequestId id) override { running_.push_back(id); }

  // A stretch of decodes only (vLLM's): each iteration is the same requests again, as long as
  // nothing is queued (a request that arrived while an iteration was in flight is prefilled
  // next) and the blocks they start fit.
  bool plan_stretch_step(const std::vector<RequestId>& ids, BatchDraft& chunk) override {
    chunk.request_ids.clear();
    chunk.num_tokens.clear();
    return queue_.empty() && can_step_decodes(ids);
  }
  void take_stretch_step(const std::vector<RequestId>& ids, const BatchDraft&) override { step_decodes(ids); }
  void end_stretch_step(const std::vector<RequestId>& completed_decodes, const BatchDraft&,
                        std::vector<RequestId>& new_decodes) override {
    new_decodes.clear();
    release_completed_decodes(completed_decodes);
  }
  void end_stretch() override { block_calendar_.stop(); }
  // The batch takes every running request.
  void hand_over_stretch_step() override {
    running_.clear();
    block_calendar_.stop();
  }

  std::string admission_shortfall(RequestId id) const override {
    const auto& r = request(id);
    return "its " + format_count(r.num_prefill_tokens) + "-token prompt needs " +
           format_count(blocks_for_tokens(r.num_prefill_tokens)) + " blocks of " + format_count(config_.block_size) +
           " tokens; " + format_count(admissible_blocks()) + " of the " + format_count(blocks_.free_blocks()) +
           " free are admissible after the watermark of " + format_count(watermark_blocks_);
  }

 protected:
  // Blocks a new request may take: the free ones less the watermark.
  int64_t admissible_blocks() const { return blocks_.free_blocks() - watermark_blocks_; }

  bool can_allocate_request(RequestId id) const {
    if (!blocks_.holds(id)) return admission_blocks(id) <= admissible_blocks();
    return blocks_.free_blocks() >= 1;  // vLLM keeps one block free for a running request
  }

  // Reserves blocks for a queued request's prompt or a running request's next token. With
  // prefix caching, a queued request starts after its cached prefix (num_processed_tokens).
  void allocate_request(RequestId id) {
    const Request& r = request(id);
    if (!blocks_.holds(id)) {
      int64_t prompt_blocks = blocks_for_tokens(r.num_prefill_tokens);
      if (prefix_caching_) {
        const auto hit = find_cached_prefix(id);
        take_cached_prefix(id, hit);
        prompt_blocks -= hit.blocks;
      }
      blocks_.allocate(id, prompt_blocks);
      return;
    }
    if (starts_block(id)) blocks_.allocate(id, 1);
  }

  // Running request `id`'s next token starts a block it does not hold yet.
  bool starts_block(RequestId id) const {
    return request(id).num_processed_tokens > blocks_.blocks_of(id) * config_.block_size;
  }

  // Free blocks that admitting queued request `id` uses up: its prompt's, less those of its
  // cached prefix, plus the cached ones nobody references (taking them out of the free pool).
  int64_t admission_blocks(RequestId id) const {
    const int64_t prompt_blocks = blocks_for_tokens(request(id).num_prefill_tokens);
    if (!prefix_caching_) return prompt_blocks;
    const auto hit = find_cached_prefix(id);
    return prompt_blocks - hit.blocks + hit.evictable;
  }

  // The batch being formed computes `tokens` more of request `id`: the blocks it fills become
  // reusable by other requests (at scheduling time, as vLLM does). A prefill chunk leaves
  // num_processed_tokens + tokens in the KV; a decode step leaves num_processed_tokens, which
  // already counts the token it computes. Nothing in counting mode, where callers skip it.
  void cache_scheduled_blocks(RequestId id, int64_t tokens) {
    const Request& r = request(id);
    blocks_.cache_full_blocks(id, r.is_prefill_complete ? r.num_processed_tokens : r.num_processed_tokens + tokens);
  }

  // Whether every running request that holds blocks has room for its next token now, with no
  // check of its own: with more free blocks than running requests, each of which takes at most
  // one for a decode token, make_room_for would restart none. Stays true while a batch takes
  // them one by one (each takes a block at most and leaves the list). Counting mode only.
  bool decodes_have_room() const {
    return !prefix_caching_ && blocks_.free_blocks() > static_cast<int64_t>(running_.size());
  }

  // Room and blocks for running request `id`'s next token (make_room_for, allocate_request),
  // taken from the running list; `roomy`: decodes_have_room() when the batch began. Returns
  // false if `id` itself was restarted.
  bool take_next_token(RequestId id, bool roomy) {
    if (roomy && blocks_.holds(id)) {
      if (starts_block(id)) blocks_.allocate(id, 1);
      return true;
    }
    if (!make_room_for(id)) return false;
    allocate_request(id);
    return true;
  }

  // What take_next_token does, with `roomy`, for the running requests at the front of the
  // running list while each decodes and holds blocks (up to the micro-batch cap): they join
  // `batch` with one token each, leave the running list, and take the blocks their tokens start,
  // in the same order. Returns how many. Written for speed: every step of the walk stores only
  // ids, so the compiler keeps the lists' addresses in registers, and the blocks (a call that
  // could change anything) are taken after it; nothing in the walk reads another request's
  // blocks.
  int64_t take_roomy_decodes(BatchDraft& batch) {
    const size_t first = batch.size();
    const size_t room = std::min(running_.size(), static_cast<size_t>(max_micro_batch_size_) - first);
    batch.request_ids.resize(first + room);
    if (starting_blocks_.size() < room) starting_blocks_.resize(room);  // only grows
    RequestId* const out = batch.request_ids.data() + first;
    RequestId* const starting = starting_blocks_.data();
    size_t taken = 0, num_starting = 0;
    auto at = running_.begin();
    for (; taken < room; ++at) {
      const RequestId id = *at;
      if (!request(id).is_prefill_complete || !blocks_.holds(id)) break;
      out[taken++] = id;
      starting[num_starting] = id;
      num_starting += starts_block(id) ? 1 : 0;
    }
    running_.erase(running_.begin(), at);
    batch.request_ids.resize(first + taken);
    batch.num_tokens.resize(first + taken, 1);
    for (size_t i = 0; i < num_starting; ++i) blocks_.allocate(starting[i], 1);
    return static_cast<int64_t>(taken);
  }

  // Makes room for running request `id` by restarting the latest running requests; if none is
  // left, `id` itself is restarted. Returns whether `id` can now be given its next token.
  bool make_room_for(RequestId id) {
    while (!can_allocate_request(id)) {
      if (!running_.empty()) {
        const RequestId victim = running_.back();
        running_.pop_back();
        preempt(victim);
      } else {
        preempt(id);
        return false;
      }
    }
    return true;
  }

  // A decode iteration makes room for each request in turn (make_room_for: at least one free
  // block before its token) and adds a block where its next token starts one
  // (allocate_request); this is that rule without the batch, for a stretch's requests.
  bool can_step_decodes(const std::vector<RequestId>& ids) const {
    int64_t free = blocks_.free_blocks();
    if (free > static_cast<int64_t>(ids.size())) return true;  // a block each would leave one
    for (RequestId id : ids) {
      if (free < 1) return false;
      if (starts_block(id)) --free;
    }
    return true;
  }
  // Takes the blocks a stretch's step starts (the stretch's first step files its decodes in the
  // calendar; a decode that joins later is filed with add_stretch_decode).
  void step_decodes(const std::vector<RequestId>& ids) {
    if (!block_calendar_.active()) {
      block_calendar_.start(config_.block_size);
      for (RequestId id : ids) add_stretch_decode(id);
    }
    blocks_.allocate_one_each(block_calendar_.due());
    block_calendar_.advance();
  }
  void add_stretch_decode(RequestId id) {
    block_calendar_.add(id, request(id).num_processed_tokens, blocks_.blocks_of(id));
  }
  // The blocks step_decodes(ids) takes.
  int64_t blocks_started(const std::vector<RequestId>& ids) const {
    if (block_calendar_.active()) return static_cast<int64_t>(block_calendar_.due().size());
    int64_t blocks = 0;
    for (RequestId id : ids) blocks += starts_block(id) ? 1 : 0;
    return blocks;
  }
  // A stretch's completed decodes leave the running list (their blocks freed), the others
  // keeping their order; in a stretch the running requests are its decodes, all in the calendar.
  void release_completed_decodes(const std::vector<RequestId>& completed) {
    for (RequestId id : completed) {
      block_calendar_.remove(id, request(id).num_processed_tokens, blocks_.blocks_of(id));
      const auto at = std::find(running_.begin(), running_.end(), id);
      if (at == running_.end() || !leaves(id))
        throw SimulationError("request " + std::to_string(id) + " completed in a stretch but was not running there");
      running_.erase(at);
    }
  }

  // The next batch takes every running request, one decode token each, in the running order,
  // and gives them back in that order: nothing queued, every running request decoding and
  // holding blocks, all within the micro-batch, no prefix cache to update as batches form.
  bool running_decodes_only(std::vector<RequestId>& ids) const {
    if (!queue_.empty() || prefix_caching_ || prefill_only() || running_.empty() ||
        static_cast<int64_t>(running_.size()) > max_micro_batch_size_)
      return false;
    for (RequestId id : running_)
      if (!request(id).is_prefill_complete || !blocks_.holds(id)) return false;
    ids.assign(running_.begin(), running_.end());
    return true;
  }

  void sort_running_by_arrival() {
    const auto by_arrival = [this](RequestId a, RequestId b) { return request(a).arrived_at < request(b).arrived_at; };
    // Usually already in order; a stable sort of a sorted list leaves it as it is.
    if (std::is_sorted(running_.begin(), running_.end(), by_arrival)) return;
    std::stable_sort(running_.begin(), running_.end(), by_arrival);
  }

  int64_t max_micro_batch_size_;
  int64_t watermark_blocks_;
  bool prefix_caching_;                 // requests look up and cache blocks
  std::deque<RequestId> running_;       // admitted requests between iterations
  DecodeBlockCalendar block_calendar_;  // a stretch's decodes, from its first step to its end

 private:
  std::vector<RequestId> starting_blocks_;  // take_roomy_decodes' scratch, kept to avoid allocating
};

}  // namespace infersweep::sim
