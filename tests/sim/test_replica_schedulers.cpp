// Small scenarios worked out by hand from each scheduler's rules.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "infersweep/sim/replica_scheduler.hpp"

using namespace infersweep::sim;

namespace {

struct Harness {
  std::vector<Request> requests;
  std::unique_ptr<ReplicaScheduler> scheduler;
  double now = 0;

  Harness(const std::string& name, SchedulerConfig config, int64_t num_blocks,
          const std::vector<std::pair<int64_t, int64_t>>& lengths, int64_t max_batch_size = 1000) {
    for (size_t i = 0; i < lengths.size(); ++i) {
      Request r;
      r.id = static_cast<RequestId>(i);
      r.arrived_at = static_cast<double>(i);
      r.num_prefill_tokens = r.original_prefill_tokens = lengths[i].first;
      r.num_decode_tokens = r.original_decode_tokens = lengths[i].second;
      requests.push_back(r);
    }
    config.replica_scheduler = name;
    ReplicaSchedulerContext context;
    context.config = config;
    context.memory.num_blocks = num_blocks;
    context.memory.max_batch_size = max_batch_size;
    context.num_stages = 1;
    context.max_tokens = 4096;
    context.requests = &requests;
    scheduler = make_replica_scheduler_registry().create("replica-scheduler", name, context);
  }

  void arrive(RequestId id) { scheduler->add_request(id); }

  // Forms the next batch (at most one in flight with one stage).
  BatchDraft schedule() {
    auto drafts = scheduler->on_schedule();
    if (drafts.empty()) return {};
    EXPECT_EQ(drafts.size(), 1u);
    for (RequestId id : drafts[0].request_ids) requests[static_cast<size_t>(id)].on_batch_schedule(now);
    return drafts[0];
  }

  void finish(const BatchDraft& draft) {
    now += 1;
    Batch b;
    b.request_ids = draft.request_ids;
    b.num_tokens = draft.num_tokens;
    b.group = draft.group;
    for (size_t i = 0; i < b.request_ids.size(); ++i)
      requests[static_cast<size_t>(b.request_ids[i])].on_batch_end(now, b.num_tokens[i]);
    scheduler->on_batch_end(b);
  }

  const Request& r(RequestId id) const { return requests[static_cast<size_t>(id)]; }
};

std::vector<std::pair<RequestId, int64_t>> contents(const BatchDraft& d) {
  std::vector<std::pair<RequestId, int64_t>> out;
  for (size_t i = 0; i < d.size(); ++i) out.emplace_back(d.request_ids[i], d.num_tokens[i]);
  return out;
}

using Contents = std::vector<std::pair<RequestId, int64_t>>;

}  // namespace

TEST(VllmScheduler, PrefillBatchesArePaddedToTheTokenBudgetAndDecodesWaitForThem) {
  SchedulerConfig c;
  Harness h("vllm", c, 300, {{1000, 2}, {1000, 2}, {3000, 2}});
  for (RequestId i = 0; i < 3; ++i) h.arrive(i);
  // 2 x 1000 fits 4096; with the 3000-token prompt, 3 x 3000 does not.
  const auto first = h.schedule();
  EXPECT_EQ(contents(first), (Contents{{0, 1000}, {1, 1000}}));
  EXPECT_TRUE(h.schedule().empty());                  // one stage: one batch in flight
  EXPECT_EQ(h.scheduler->blocks().allocated(), 126);  // ceil(1000/16) each
  h.finish(first);
  // 300 - 126 - 188 blocks is below the watermark (int(0.01 x 300) = 3): decode instead.
  const auto second = h.schedule();
  EXPECT_EQ(contents(second), (Contents{{0, 1}, {1, 1}}));
  h.finish(second);
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_EQ(h.scheduler->blocks().allocated(), 0);
  EXPECT_EQ(contents(h.schedule()), (Contents{{2, 3000}}));
}

TEST(VllmScheduler, OutOfBlocksRestartsTheLatestRunningRequest) {
  SchedulerConfig c;
  c.watermark_blocks_fraction = 0;
  Harness h("vllm", c, 8, {{32, 100}, {64, 100}});
  h.arrive(0);
  h.arrive(1);
  h.finish(h.schedule());  // prefill: 2 + 4 blocks
  EXPECT_EQ(h.scheduler->blocks().allocated(), 6);
  const auto d1 = h.schedule();  // both cross a block boundary: 8 blocks used
  EXPECT_EQ(contents(d1), (Contents{{0, 1}, {1, 1}}));
  EXPECT_EQ(h.scheduler->blocks().allocated(), 8);
  h.finish(d1);
  // No free block for request 0's next token: request 1 (latest arrival) is restarted with
  // its 66 processed tokens as the new prompt.
  const auto d2 = h.schedule();
  EXPECT_EQ(contents(d2), (Contents{{0, 1}}));
  EXPECT_EQ(h.r(1).num_restarts, 1);
  EXPECT_EQ(h.r(1).num_prefill_tokens, 66);
  EXPECT_EQ(h.r(1).num_decode_tokens, 164 - 66);
  EXPECT_EQ(h.r(1).num_processed_tokens, 0);
  EXPECT_EQ(h.scheduler->num_queued(), 1u);
  EXPECT_EQ(h.scheduler->blocks().allocated(), 3);
}

TEST(SarathiScheduler, ChunksPromptsAndCountsDecodesAgainstTheBudget) {
  SchedulerConfig c;
  c.chunk_size = 512;
  Harness h("sarathi", c, 1000, {{1000, 3}, {300, 3}});
  h.arrive(0);
  h.arrive(1);
  const auto b1 = h.schedule();
  EXPECT_EQ(contents(b1), (Contents{{0, 512}}));         // no budget left for request 1
  EXPECT_EQ(h.scheduler->blocks().allocated(), 63 + 0);  // whole prompt reserved at admission
  h.finish(b1);
  const auto b2 = h.schedule();
  EXPECT_EQ(contents(b2), (Contents{{0, 488}, {1, 24}}));
  h.finish(b2);
  EXPECT_TRUE(h.r(0).is_prefill_complete);
  const auto b3 = h.schedule();
  // Request 0 decodes one token, which leaves 511 of the budget for request 1's next chunk.
  EXPECT_EQ(contents(b3), (Contents{{0, 1}, {1, 276}}));
  h.finish(b3);
  EXPECT_TRUE(h.r(1).is_prefill_complete);
  EXPECT_EQ(h.r(1).prefill_completed_at, 3.0);
}

TEST(OrcaScheduler, MixesNewPromptsIntoDecodeIterationsWithFullReservations) {
  SchedulerConfig c;
  Harness h("orca", c, 256 * 2, {{100, 3}, {200, 3}, {50, 3}}, /*max_batch_size=*/3);
  h.arrive(0);
  const auto b1 = h.schedule();
  EXPECT_EQ(contents(b1), (Contents{{0, 100}}));
  EXPECT_EQ(h.scheduler->blocks().allocated(), 256);  // max_tokens / block_size
  h.arrive(1);
  h.arrive(2);
  h.finish(b1);
  const auto b2 = h.schedule();
  // The decode of request 0 and the prompt of request 1; request 2 finds no 256 free blocks.
  EXPECT_EQ(contents(b2), (Contents{{0, 1}, {1, 200}}));
  h.finish(b2);
  const auto b3 = h.schedule();
  EXPECT_EQ(contents(b3), (Contents{{0, 1}, {1, 1}}));
  h.finish(b3);
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_EQ(contents(h.schedule()), (Contents{{1, 1}, {2, 50}}));
}

TEST(FasterTransformerScheduler, RunsAStaticBatchToTheEndBeforeAdmittingMore) {
  SchedulerConfig c;
  Harness h("faster_transformer", c, 256 * 4, {{10, 2}, {10, 4}, {10, 2}}, /*max_batch_size=*/2);
  for (RequestId i = 0; i < 3; ++i) h.arrive(i);
  h.finish(h.schedule());  // prompts of 0 and 1
  const auto b2 = h.schedule();
  EXPECT_EQ(contents(b2), (Contents{{0, 1}, {1, 1}}));
  h.finish(b2);
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_EQ(h.scheduler->blocks().allocated(), 512);  // held until the whole batch is done
  const auto b3 = h.schedule();
  EXPECT_EQ(contents(b3), (Contents{{1, 1}}));  // request 2 still waits
  h.finish(b3);
  h.finish(h.schedule());
  EXPECT_TRUE(h.r(1).completed);
  EXPECT_EQ(h.scheduler->blocks().allocated(), 0);
  EXPECT_EQ(contents(h.schedule()), (Contents{{2, 10}}));
}

TEST(LightLlmScheduler, AdmitsByPeakTokenEstimateAndForcesPrefillAfterWaiting) {
  SchedulerConfig c;
  c.block_size = 1;
  c.max_waiting_iters = 2;
  Harness h("lightllm", c, 8192, {{3000, 10}, {3000, 10}});
  h.arrive(0);
  h.arrive(1);
  const auto b1 = h.schedule();
  EXPECT_EQ(contents(b1), (Contents{{0, 3000}}));  // 6000 tokens exceed max_tokens_in_batch
  h.finish(b1);
  EXPECT_EQ(contents(h.schedule()), (Contents{{0, 1}}));
  h.finish(BatchDraft{{0}, {1}});
  EXPECT_EQ(contents(h.schedule()), (Contents{{0, 1}}));
  h.finish(BatchDraft{{0}, {1}});
  // Two decode iterations waited: a prefill is tried. Estimates (3001, 8) for the new request
  // and (3003, 6) for request 0 need max(8 + 3001, 2 x 6 + 6004) = 6016 < 8192 tokens.
  EXPECT_EQ(contents(h.schedule()), (Contents{{1, 3000}}));
  EXPECT_EQ(h.scheduler->blocks().allocated(), 3000 + 2 + 3000);
}
