#include "infersweep/sim/replica_scheduler.hpp"

#include <algorithm>

#include "infersweep/common/error.hpp"
#include "schedulers/builtin_schedulers.hpp"

namespace infersweep::sim {

ReplicaScheduler::ReplicaScheduler(const ReplicaSchedulerContext& context)
    : config_(context.config),
      num_stages_(context.num_stages),
      max_tokens_(context.max_tokens),
      max_blocks_per_sequence_(context.max_tokens / context.config.block_size),
      max_batch_size_(std::min(context.memory.max_batch_size, context.config.batch_size_cap)),
      blocks_(context.config.num_blocks > 0 ? context.config.num_blocks : context.memory.num_blocks,
              context.requests->size()),
      requests_(context.requests) {}

std::vector<BatchDraft> ReplicaScheduler::on_schedule() {
  std::vector<BatchDraft> drafts;
  while (running_batches_ < num_stages_) {
    BatchDraft draft = next_batch();
    if (draft.empty()) break;
    drafts.push_back(std::move(draft));
    ++running_batches_;
  }
  return drafts;
}

void ReplicaScheduler::preempt(RequestId id) {
  request(id).restart();
  blocks_.free(id);
  queue_.push_front(id);
}

void ReplicaScheduler::release_completed(const Batch& batch, std::deque<RequestId>& running) {
  --running_batches_;
  for (RequestId id : batch.request_ids) {
    if (request(id).completed)
      blocks_.free(id);
    else
      running.push_back(id);
  }
}

ReplicaSchedulerRegistry make_replica_scheduler_registry() {
  ReplicaSchedulerRegistry registry("replica scheduler");
  registry.add("vllm", make_vllm_scheduler);
  registry.add("sarathi", make_sarathi_scheduler);
  registry.add("orca", make_orca_scheduler);
  registry.add("faster_transformer", make_faster_transformer_scheduler);
  registry.add("lightllm", make_lightllm_scheduler);
  return registry;
}

void validate_scheduler(const SchedulerConfig& c, int64_t pipeline_parallel, int64_t max_tokens) {
  make_replica_scheduler_registry().check("replica-scheduler", c.replica_scheduler);
  if (c.batch_size_cap < 1) throw InputError::option("batch-size-cap", "must be at least 1");
  if (c.batch_size_cap < pipeline_parallel)
    throw InputError::option("batch-size-cap", "must be at least the pipeline depth (" +
                                                   std::to_string(pipeline_parallel) +
                                                   ") so every micro-batch holds a request");
  if (c.block_size < 1) throw InputError::option("block-size", "must be at least 1");
  if (c.watermark_blocks_fraction < 0 || c.watermark_blocks_fraction >= 1)
    throw InputError::option("watermark-blocks-fraction", "must be in [0, 1)");
  if (c.num_blocks < 0) throw InputError::option("num-blocks", "must not be negative");
  const auto& name = c.replica_scheduler;
  if (name == "sarathi" && c.chunk_size < 1) throw InputError::option("chunk-size", "must be at least 1");
  if ((name == "vllm" || name == "lightllm") && c.max_tokens_in_batch < max_tokens)
    throw InputError::option("max-tokens-in-batch",
                             std::to_string(c.max_tokens_in_batch) + " is below --max-tokens (" +
                                 std::to_string(max_tokens) + "), so the longest prompts could never be batched");
  if (name == "lightllm") {
    if (c.block_size != 1)
      throw InputError::option("block-size", "lightllm counts KV in tokens and needs --block-size 1");
    if (pipeline_parallel != 1) throw InputError::option("pp", "lightllm does not support pipeline parallelism");
    if (c.max_waiting_iters < 1) throw InputError::option("max-waiting-iters", "must be at least 1");
  }
}

}  // namespace infersweep::sim
