#include "infersweep/sim/replica_scheduler.hpp"

#include <algorithm>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "schedulers/builtin_schedulers.hpp"

namespace infersweep::sim {

ReplicaScheduler::ReplicaScheduler(const ReplicaSchedulerContext& context)
    : config_(context.config),
      num_stages_(context.num_stages),
      max_tokens_(context.max_tokens),
      max_blocks_per_sequence_(context.max_tokens / context.config.block_size),
      max_batch_size_(std::min(context.memory.max_batch_size, context.config.batch_size_cap)),
      blocks_(make_block_manager(context)),
      requests_(context.requests),
      prefill_only_(context.prefill_only) {}

KvBlockManager ReplicaScheduler::make_block_manager(const ReplicaSchedulerContext& context) {
  const int64_t num_blocks = context.config.num_blocks > 0 ? context.config.num_blocks : context.memory.num_blocks;
  if (context.config.prefix_caching && context.content != nullptr)
    return KvBlockManager(num_blocks, context.requests->size(), context.config.block_size, context.content);
  return KvBlockManager(num_blocks, context.requests->size());
}

void ReplicaScheduler::add_request(RequestId id) {
  const Request& r = request(id);
  outstanding_tokens_ += r.total_tokens() - r.num_processed_tokens;
  queue_.push_back(id);
}

int64_t ReplicaScheduler::cached_prefix_tokens(RequestId id) const {
  return find_cached_prefix(id).blocks * config_.block_size;
}

KvBlockManager::PrefixHit ReplicaScheduler::find_cached_prefix(RequestId id) const {
  if (!blocks_.prefix_caching()) return {};
  return blocks_.find_cached_prefix(id, request(id).num_prefill_tokens - 1);
}

void ReplicaScheduler::take_cached_prefix(RequestId id, const KvBlockManager::PrefixHit& hit) {
  Request& r = request(id);
  const int64_t tokens = hit.blocks * config_.block_size;
  blocks_.take_cached_prefix(id, hit, std::max<int64_t>(0, r.num_prefill_tokens - 1));
  r.num_processed_tokens = tokens;
  if (!r.admitted()) r.num_cached_prompt_tokens = tokens;
  outstanding_tokens_ -= tokens;
}

std::vector<BatchDraft>& ReplicaScheduler::on_schedule() {
  drafts_.clear();
  while (running_batches_ < num_stages_) {
    BatchDraft draft = next_batch();
    if (draft.empty()) {
      recycle(std::move(draft.request_ids), std::move(draft.num_tokens));
      break;
    }
    drafts_.push_back(std::move(draft));
    ++running_batches_;
  }
  return drafts_;
}

void ReplicaScheduler::recycle(std::vector<RequestId>&& request_ids, std::vector<int64_t>&& num_tokens) {
  if (request_ids.capacity() == 0 || spare_.size() >= 8) return;
  BatchDraft& spare = spare_.emplace_back();
  spare.request_ids = std::move(request_ids);
  spare.num_tokens = std::move(num_tokens);
  spare.request_ids.clear();
  spare.num_tokens.clear();
}

BatchDraft ReplicaScheduler::new_draft() {
  if (spare_.empty()) return {};
  BatchDraft draft = std::move(spare_.back());
  spare_.pop_back();
  return draft;
}

std::string ReplicaScheduler::admission_shortfall(RequestId id) const {
  const Request& r = request(id);
  return "the scheduler forms no batch for its " + format_count(r.num_prefill_tokens) +
         "-token prompt on an empty replica of " + format_count(blocks_.num_blocks()) + " KV blocks of " +
         format_count(config_.block_size) + " tokens";
}

std::string ReplicaScheduler::reservation_shortfall() const {
  return "it reserves " + format_count(max_blocks_per_sequence_) + " blocks (" + format_count(max_tokens_) +
         " tokens, the maximal length); " + format_count(blocks_.free_blocks()) + " are free";
}

void ReplicaScheduler::preempt(RequestId id) {
  ++num_preemptions_;
  outstanding_tokens_ += request(id).num_processed_tokens;  // to be computed again
  request(id).restart();
  blocks_.free(id);
  queue_.push_front(id);
}

void ReplicaScheduler::release_completed(const Batch& batch, std::deque<RequestId>& running) {
  --running_batches_;
  // As leaves() one by one, in two steps: the walk stores only ids (so the compiler keeps the
  // lists' addresses in registers), then the completed requests' blocks are freed and the others
  // appended, each in batch order.
  const size_t size = batch.request_ids.size();
  if (staying_.size() < size) {  // only grows: filling it anew at every batch would cost more
    staying_.resize(size);
    completed_.resize(size);
  }
  RequestId* const staying = staying_.data();
  RequestId* const completed = completed_.data();
  const Request* const requests = requests_->data();
  // Leading decodes known to stay (a prefill-only replica has none: its decodes leave).
  const size_t known = prefill_only_ ? 0 : batch.known_staying();
  const RequestId* const ids = batch.request_ids.data();
  std::copy(ids, ids + known, staying);
  size_t num_staying = known, num_completed = 0;
  for (size_t i = known; i < size; ++i) {
    const RequestId id = ids[i];
    const Request& r = requests[static_cast<size_t>(id)];
    if (r.completed)
      completed[num_completed++] = id;
    else if (!is_leaving(r))
      staying[num_staying++] = id;
  }
  for (size_t i = 0; i < num_completed; ++i) blocks_.free(completed[i]);
  running.insert(running.end(), staying, staying + num_staying);
}

void ReplicaScheduler::hand_off(RequestId id) {
  const Request& r = request(id);
  outstanding_tokens_ -= r.total_tokens() - r.num_processed_tokens;
}

void ReplicaScheduler::count_accepted(RequestId id) {
  const Request& r = request(id);
  outstanding_tokens_ += r.total_tokens() - r.num_processed_tokens;
}

bool ReplicaScheduler::can_reserve_prefilled(RequestId) const { return false; }

void ReplicaScheduler::reserve_prefilled(RequestId id) {
  throw SimulationError("the " + config_.replica_scheduler + " scheduler takes no prefilled request (request " +
                        std::to_string(id) + ")");
}

void ReplicaScheduler::admit_prefilled(RequestId id) { reserve_prefilled(id); }

bool ReplicaScheduler::decode_stretch(std::vector<RequestId>&) { return false; }

// Reached only if a scheduler's decode_stretch says yes without these: a bug, named as such.
bool ReplicaScheduler::plan_stretch_step(const std::vector<RequestId>&, BatchDraft&) { no_decode_stretch(); }

void ReplicaScheduler::take_stretch_step(const std::vector<RequestId>&, const BatchDraft&) { no_decode_stretch(); }

void ReplicaScheduler::end_stretch_step(const std::vector<RequestId>&, const BatchDraft&, std::vector<RequestId>&) {
  no_decode_stretch();
}

void ReplicaScheduler::end_stretch() {}

void ReplicaScheduler::hand_over_stretch_step() { no_decode_stretch(); }

BatchDraft ReplicaScheduler::form_stretch_batch(const std::vector<RequestId>& ids, const BatchDraft& chunk) {
  take_stretch_step(ids, chunk);
  hand_over_stretch_step();
  ++running_batches_;
  return stretch_step_lists(ids, chunk);
}

BatchDraft ReplicaScheduler::stretch_step_lists(const std::vector<RequestId>& ids, const BatchDraft& chunk) {
  BatchDraft draft = new_draft();
  draft.request_ids.assign(ids.begin(), ids.end());
  draft.request_ids.insert(draft.request_ids.end(), chunk.request_ids.begin(), chunk.request_ids.end());
  draft.num_tokens.assign(ids.size(), 1);
  draft.num_tokens.insert(draft.num_tokens.end(), chunk.num_tokens.begin(), chunk.num_tokens.end());
  return draft;
}

void ReplicaScheduler::no_decode_stretch() const {
  throw SimulationError("the " + config_.replica_scheduler + " scheduler runs no decode stretch");
}

ReplicaSchedulerRegistry make_replica_scheduler_registry() {
  ReplicaSchedulerRegistry registry("replica scheduler");
  add_vllm_scheduler(registry);
  add_sarathi_scheduler(registry);
  add_orca_scheduler(registry);
  add_faster_transformer_scheduler(registry);
  add_lightllm_scheduler(registry);
  add_vllm_v1_scheduler(registry);
  return registry;
}

const ReplicaSchedulerRegistry& builtin_replica_schedulers() {
  static const ReplicaSchedulerRegistry registry = make_replica_scheduler_registry();
  return registry;
}

std::string admission_refusal(const ReplicaSchedulerRegistry& registry, const ReplicaSchedulerContext& context,
                              int64_t prompt_tokens, int64_t output_tokens) {
  std::vector<Request> requests(1);
  Request& r = requests.front();
  r.num_prefill_tokens = r.original_prefill_tokens = prompt_tokens;
  r.num_decode_tokens = r.original_decode_tokens = output_tokens;
  ReplicaSchedulerContext probe = context;
  probe.requests = &requests;
  const auto scheduler = registry.create("replica-scheduler", probe.config.replica_scheduler, probe);
  scheduler->add_request(r.id);
  for (const BatchDraft& draft : scheduler->on_schedule())
    for (RequestId id : draft.request_ids)
      if (id == r.id) return "";
  return scheduler->admission_shortfall(r.id);
}

std::string schedulers_taking_prefilled(const ReplicaSchedulerRegistry& schedulers) {
  std::string out;
  for (const auto* entry : schedulers.entries())
    if (entry->traits.takes_prefilled) out += (out.empty() ? "" : ", ") + entry->name;
  return out;
}

void apply_scheduler_traits(SchedulerConfig& c, const std::set<std::string>& given,
                            const ReplicaSchedulerRegistry& registry) {
  if (!registry.contains(c.replica_scheduler)) return;  // reported by validate_scheduler
  for (const auto& [name, value] : registry.traits("replica-scheduler", c.replica_scheduler).implied_settings)
    if (given.count(name) == 0) scheduler_settings().at(name).assign(c, value);
}

void validate_scheduler(const SchedulerConfig& c, int64_t pipeline_parallel, int64_t max_tokens,
                        const ReplicaSchedulerRegistry& registry) {
  const auto& name = c.replica_scheduler;
  const auto& traits = registry.traits("replica-scheduler", name);
  const auto& cap = scheduler_settings().at(traits.request_cap);
  if (std::stoll(cap.text(c)) < pipeline_parallel)
    throw InputError::setting(cap.name(), "must be at least the pipeline depth (" + std::to_string(pipeline_parallel) +
                                              ") so every micro-batch holds a request");
  if (traits.whole_prompt_batches && c.max_tokens_in_batch < max_tokens)
    throw InputError::setting("max-tokens-in-batch", std::to_string(c.max_tokens_in_batch) +
                                                         " is below --max-tokens (" + std::to_string(max_tokens) +
                                                         "), so the longest prompts could never be batched");
  if (traits.kv_in_tokens && c.block_size != 1)
    throw InputError::setting("block-size", name + " counts KV in tokens and needs --block-size 1");
  if (!traits.pipeline_parallel && pipeline_parallel != 1)
    throw InputError::setting("pp", name + " does not support pipeline parallelism");
}

}  // namespace infersweep::sim
