#pragma once
// The per-replica scheduler: owns the replica's request queue and KV blocks and forms batches
// (Vidur's base_replica_scheduler.py). Concrete policies are registered by name.
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/common/registry.hpp"
#include "infersweep/sim/batch.hpp"
#include "infersweep/sim/kv_block_manager.hpp"
#include "infersweep/sim/memory_planner.hpp"
#include "infersweep/sim/scheduler_config.hpp"

namespace infersweep::sim {

struct ReplicaSchedulerContext {
  int32_t replica_id = 0;
  SchedulerConfig config;
  MemoryPlan memory;
  int64_t num_stages = 1;
  int64_t max_tokens = 4096;                 // per request, prompt + output
  std::vector<Request>* requests = nullptr;  // owned by the simulation, indexed by id
  // What the requests' tokens share (prefix caching); null: nothing is shared.
  const std::vector<workload::RequestSpec>* content = nullptr;
  // A replica of a disaggregated prefill pool: a request leaves it once its prefill is done
  // (its KV blocks stay until release_handed_off).
  bool prefill_only = false;
};

class ReplicaScheduler {
 public:
  explicit ReplicaScheduler(const ReplicaSchedulerContext& context);
  virtual ~ReplicaScheduler() = default;

  void add_request(RequestId id);
  // Forms batches while fewer than num_stages are in flight. The drafts are this scheduler's
  // until the next call: take their contents (move them out) before calling again.
  std::vector<BatchDraft>& on_schedule();
  // Gives back the lists of a batch that has ended, so that later drafts reuse their memory
  // instead of allocating on every iteration.
  void recycle(std::vector<RequestId>&& request_ids, std::vector<int64_t>&& num_tokens);
  // Called once a batch has left the last stage and its requests' token counts are updated.
  virtual void on_batch_end(const Batch& batch) = 0;

  size_t num_queued() const { return queue_.size(); }
  // Tokens of the requests given to this replica that are still to be processed.
  int64_t outstanding_tokens() const { return outstanding_tokens_; }
  // Leading prompt tokens of request `id` this replica holds in its prefix cache.
  int64_t cached_prefix_tokens(RequestId id) const;
  // The simulation reports tokens processed by a batch of this replica (for outstanding_tokens).
  void on_tokens_processed(int64_t tokens) { outstanding_tokens_ -= tokens; }
  int64_t num_running_batches() const { return running_batches_; }
  // Requests restarted so far (memory preemptions): a count that changes whenever a running
  // request's state is reset outside a batch.
  int64_t num_preemptions() const { return num_preemptions_; }
  bool is_empty() const { return queue_.empty() && blocks_.num_holders() == 0; }
  const KvBlockManager& blocks() const { return blocks_; }
  double memory_usage_percent() const { return blocks_.usage_percent(); }
  // Why queued request `id` is not admitted on this replica as it stands, in sizes: what it
  // needs and what the admission rule allows. Asked of an empty replica that formed no batch for
  // it; schedulers word it next to their own admission rule.
  virtual std::string admission_shortfall(RequestId id) const;

  // Disaggregation. A prefill replica: request `id` finished its prefill in the batch just ended
  // and left (on_batch_end kept its blocks): its remaining tokens are no longer this replica's.
  void hand_off(RequestId id);
  // Its KV has been sent: the blocks it held here are dropped (cached ones stay cached).
  void release_handed_off(RequestId id) { blocks_.free(id); }
  // A decode replica: whether it has room now for prefilled request `id`, whose KV holds its
  // prompt; reserving that room (its prompt's blocks and a place among the admitted requests)
  // before the KV is sent; and, once the KV is here, admitting it as a running request that
  // decodes next. Schedulers that take no prefilled requests (traits.takes_prefilled false)
  // have no room.
  virtual bool can_reserve_prefilled(RequestId id) const;
  virtual void reserve_prefilled(RequestId id);
  virtual void admit_prefilled(RequestId id);

  // Stretches (docs/simulator.md, "Hot path"): back-to-back iterations the simulation runs
  // without asking for batches. decode_stretch fills `ids` with the running requests that
  // decode, in running order, and returns true when every batch this scheduler would form from
  // now on, as long as nothing arrives, is those decodes, one token each, followed by what
  // plan_stretch_step tells. False by default: the scheduler forms every batch.
  virtual bool decode_stretch(std::vector<RequestId>& ids);
  // The next iteration of a stretch whose decodes are `ids`: fills `chunk` with the rest of the
  // batch this scheduler would form now (prompt chunks, new admissions; empty for vLLM) and
  // returns true, or returns false if that batch would differ otherwise (a preemption, a cap
  // reached): the simulation then forms it as usual. Changes nothing the batch would.
  virtual bool plan_stretch_step(const std::vector<RequestId>& ids, BatchDraft& chunk);
  // Forms the planned batch: the blocks its tokens start, the admissions it makes.
  virtual void take_stretch_step(const std::vector<RequestId>& ids, const BatchDraft& chunk);
  // After that batch's end (on_tokens_processed told): requests that completed leave (their
  // blocks freed; `completed_decodes`: those of `ids`, in batch order); the chunk's requests
  // whose prefill is done join the decodes, and are appended to `new_decodes` in batch order.
  virtual void end_stretch_step(const std::vector<RequestId>& completed_decodes, const BatchDraft& chunk,
                                std::vector<RequestId>& new_decodes);
  // After a stretch's last step: the running order as forming its batches one by one leaves it.
  virtual void end_stretch();
  // Forms the planned batch as on_schedule would (the step taken, the stretch ended, the batch
  // running until on_batch_end gives its requests back): for an iteration that something else
  // interrupts, which goes on through the events.
  BatchDraft form_stretch_batch(const std::vector<RequestId>& ids, const BatchDraft& chunk);
  // After take_stretch_step: the running list as next_batch would leave it, the batch's
  // requests out of it, and the stretch ended (the batch runs as any other).
  virtual void hand_over_stretch_step();
  // A taken step whose iteration is in flight while something else happens (a request arrives):
  // the replica counts it as a running batch, so its schedule meanwhile forms nothing.
  void suspend_stretch_step() { ++running_batches_; }
  void resume_stretch_step() { --running_batches_; }
  // The lists of a stretch step's batch (its decodes, one token each, then the chunk), in
  // recycled memory; changes nothing else.
  BatchDraft stretch_step_lists(const std::vector<RequestId>& ids, const BatchDraft& chunk);

 protected:
  virtual BatchDraft next_batch() = 0;
  // An empty draft whose lists reuse the memory of an ended batch's, where one was recycled.
  BatchDraft new_draft();

  Request& request(RequestId id) { return (*requests_)[static_cast<size_t>(id)]; }
  const Request& request(RequestId id) const { return (*requests_)[static_cast<size_t>(id)]; }
  // Whole prompt until the prefill is done, then one token.
  int64_t next_num_tokens(const Request& r) const { return r.is_prefill_complete ? 1 : r.num_prefill_tokens; }
  int64_t blocks_for_tokens(int64_t tokens) const { return (tokens + config_.block_size - 1) / config_.block_size; }
  // The shortfall of schedulers that reserve max_blocks_per_sequence_ per admitted request.
  std::string reservation_shortfall() const;
  // Restart a request and put it at the head of the queue with its blocks freed.
  void preempt(RequestId id);
  // Prefix caching at admission (first or after a preemption) of a request that holds no
  // blocks: the cached blocks among its prompt less the last token (which must be computed to
  // produce the next one). Empty in counting mode.
  KvBlockManager::PrefixHit find_cached_prefix(RequestId id) const;
  // Takes the hit's blocks for the request and marks their tokens processed, so only the rest
  // of the prompt is prefilled; records them as the request's cached prompt tokens on its first
  // admission. Call it at every admission in prefix-caching mode, empty hits included.
  void take_cached_prefix(RequestId id, const KvBlockManager::PrefixHit& hit);
  // The common end of an iteration: completed requests free their blocks, the others go back
  // to the running list in batch order.
  void release_completed(const Batch& batch, std::deque<RequestId>& running);
  // A request of a batch just ended that leaves this replica: completed, or prefilled on a
  // prefill-only replica. A completed one's blocks are freed; a prefilled one's are kept.
  bool leaves(RequestId id) {
    const Request& r = request(id);
    if (!is_leaving(r)) return false;
    if (r.completed) blocks_.free(id);
    return true;
  }
  bool is_leaving(const Request& r) const { return r.completed || (prefill_only_ && r.is_prefill_complete); }
  // Adds a prefilled request's remaining tokens to this replica's outstanding ones.
  void count_accepted(RequestId id);
  bool prefill_only() const { return prefill_only_; }
  [[noreturn]] void no_decode_stretch() const;

  SchedulerConfig config_;
  int64_t num_stages_;
  int64_t max_tokens_;
  int64_t max_blocks_per_sequence_;
  int64_t max_batch_size_;  // min(memory planner's micro-batch size, batch_size_cap)
  std::deque<RequestId> queue_;
  KvBlockManager blocks_;

 private:
  static KvBlockManager make_block_manager(const ReplicaSchedulerContext& context);

  std::vector<Request>* requests_;
  bool prefill_only_;
  int64_t running_batches_ = 0;
  int64_t num_preemptions_ = 0;
  int64_t outstanding_tokens_ = 0;
  std::vector<BatchDraft> drafts_;  // on_schedule's result
  std::vector<BatchDraft> spare_;   // emptied lists of ended batches
  // release_completed's scratch, kept to avoid allocating on every batch.
  std::vector<RequestId> staying_, completed_;

 protected:
  void batch_finished() { --running_batches_; }
};

// What the rest of the program knows about a replica scheduler without constructing one. The
// validity rules, the grid, the predictor and the sweep's planner read these, never the name.
struct ReplicaSchedulerTraits {
  bool kv_in_tokens = false;            // KV counted per token: needs block size 1 (LightLLM)
  bool pipeline_parallel = true;        // runs with PP > 1
  bool whole_prompt_batches = false;    // prompts go whole into one batch under max_tokens_in_batch
  bool token_grid_spans_batch = false;  // an iteration can hold max_tokens x batch size tokens (Orca)
  double relative_cost = 3;             // simulation cost per request relative to Sarathi-Serve's
  // Scheduler settings (by name) it reads beyond the common ones; a grid entry may set only
  // these, and must set those in `grid_requires`.
  std::vector<std::string> settings;
  std::vector<std::string> grid_requires;
  // Settings (by name) and the values, as option text, that the scheduler takes when they are
  // not given: on the command line, in an option file or in a grid entry (LightLLM's block size
  // of 1, vLLM V1's prefix caching).
  std::vector<std::pair<std::string, std::string>> implied_settings;
  // The setting that caps the requests a replica runs at once; it must be at least the pipeline
  // depth, so that every micro-batch can hold a request.
  std::string request_cap = "batch-size-cap";
  // Serves in a disaggregated deployment: its requests can leave after their prefill, and it
  // takes in prefilled requests with their KV (accept_prefilled).
  bool takes_prefilled = false;
};

using ReplicaSchedulerRegistry =
    PluginRegistry<ReplicaScheduler, ReplicaSchedulerTraits, const ReplicaSchedulerContext&>;
// A registry of the built-in schedulers (tests add their own to it).
ReplicaSchedulerRegistry make_replica_scheduler_registry();
// The built-in schedulers, built once.
const ReplicaSchedulerRegistry& builtin_replica_schedulers();

// Asks the scheduler itself whether a lone request of `prompt_tokens` + `output_tokens` is
// admitted on an empty replica of `context` (its memory plan, settings and stages; its request
// list is not used): the scheduler is built, given the request, and asked for its first
// batches. Returns an empty string if the request is admitted, else the scheduler's
// admission_shortfall.
std::string admission_refusal(const ReplicaSchedulerRegistry& registry, const ReplicaSchedulerContext& context,
                              int64_t prompt_tokens, int64_t output_tokens);

// The schedulers whose traits say takes_prefilled, comma-separated, for error messages.
std::string schedulers_taking_prefilled(const ReplicaSchedulerRegistry& registry = builtin_replica_schedulers());

// Sets the scheduler's implied settings that are not among `given` (setting names).
void apply_scheduler_traits(SchedulerConfig& config, const std::set<std::string>& given,
                            const ReplicaSchedulerRegistry& registry = builtin_replica_schedulers());

// Checks the scheduler settings against each other and the deployment, by the scheduler's
// traits (e.g. LightLLM needs block size 1 and no PP; a max request must fit in a batch's
// token budget; the request cap must be at least the pipeline depth). Ranges are checked by the
// declarations.
void validate_scheduler(const SchedulerConfig& config, int64_t pipeline_parallel, int64_t max_tokens,
                        const ReplicaSchedulerRegistry& registry = builtin_replica_schedulers());

}  // namespace infersweep::sim
