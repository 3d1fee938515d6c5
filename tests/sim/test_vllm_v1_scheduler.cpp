// The vLLM V1 scheduler on small scenarios worked out by hand from its rules (docs/engines.md):
// which requests each step runs and how many tokens each gets, with 16-token KV blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "infersweep/workload/workload_config.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

using Contents = std::vector<std::pair<RequestId, int64_t>>;

Contents contents(const BatchDraft& d) {
  Contents out;
  for (size_t i = 0; i < d.size(); ++i) out.emplace_back(d.request_ids[i], d.num_tokens[i]);
  return out;
}

SchedulerConfig v1_config(int64_t budget) {
  SchedulerConfig c;
  c.replica_scheduler = "vllm_v1";
  c.max_num_batched_tokens = budget;
  c.prefix_caching = false;
  return c;
}

// Drives one vllm_v1 replica directly: requests arrive, batches are formed and finished by hand.
struct Harness {
  std::vector<Request> requests;
  std::unique_ptr<ReplicaScheduler> scheduler;
  double now = 0;

  Harness(const SchedulerConfig& config, int64_t num_blocks, const std::vector<std::pair<int64_t, int64_t>>& lengths,
          int64_t num_stages = 1) {
    for (size_t i = 0; i < lengths.size(); ++i) {
      Request r;
      r.id = static_cast<RequestId>(i);
      r.arrived_at = static_cast<double>(i);
      r.num_prefill_tokens = r.original_prefill_tokens = lengths[i].first;
      r.num_decode_tokens = r.original_decode_tokens = lengths[i].second;
      requests.push_back(r);
    }
    ReplicaSchedulerContext context;
    context.config = config;
    context.memory.num_blocks = num_blocks;
    context.memory.max_batch_size = 1000;
    context.num_stages = num_stages;
    context.max_tokens = 4096;
    context.requests = &requests;
    scheduler = make_replica_scheduler_registry().create("replica-scheduler", "vllm_v1", context);
  }

  void arrive_all() {
    for (const auto& r : requests) scheduler->add_request(r.id);
  }

  // Every batch the replica forms now.
  std::vector<BatchDraft> schedule_all() {
    auto drafts = scheduler->on_schedule();
    for (const auto& d : drafts)
      for (RequestId id : d.request_ids) requests[static_cast<size_t>(id)].on_batch_schedule(now);
    return drafts;
  }

  // The one batch a single-stage replica forms now (empty if none).
  BatchDraft step() {
    auto drafts = schedule_all();
    if (drafts.empty()) return {};
    EXPECT_EQ(drafts.size(), 1u);
    return drafts.front();
  }

  void finish(const BatchDraft& draft) {
    now += 1;
    Batch b;
    b.request_ids = draft.request_ids;
    b.num_tokens = draft.num_tokens;
    for (size_t i = 0; i < b.request_ids.size(); ++i)
      requests[static_cast<size_t>(b.request_ids[i])].on_batch_end(now, b.num_tokens[i]);
    scheduler->on_batch_end(b);
  }

  Contents run_step() {
    const auto b = step();
    finish(b);
    return contents(b);
  }

  const Request& r(RequestId id) const { return requests[static_cast<size_t>(id)]; }
  int64_t allocated() const { return scheduler->blocks().allocated(); }
};

}  // namespace

TEST(VllmV1Scheduler, RunningRequestsSpendTheBudgetFirstThenWaitingPromptsAreChunkedIntoTheRest) {
  Harness h(v1_config(512), 1000, {{1000, 3}, {300, 3}, {200, 2}});
  h.arrive_all();
  const auto s1 = h.step();
  EXPECT_EQ(contents(s1), (Contents{{0, 512}}));  // the first prompt takes the whole budget
  EXPECT_EQ(h.allocated(), 32);                   // blocks for the 512 tokens computed, not the prompt
  h.finish(s1);
  const auto s2 = h.step();
  // The running prefill first (its last 488 tokens), then 24 tokens of the next prompt.
  EXPECT_EQ(contents(s2), (Contents{{0, 488}, {1, 24}}));
  EXPECT_EQ(h.allocated(), 63 + 2);
  h.finish(s2);
  EXPECT_TRUE(h.r(0).is_prefill_complete);
  const auto s3 = h.step();
  // A decode token, request 1's remaining 276, then request 2's whole prompt in the 235 left.
  EXPECT_EQ(contents(s3), (Contents{{0, 1}, {1, 276}, {2, 200}}));
  EXPECT_EQ(h.allocated(), 63 + 19 + 13);
  h.finish(s3);
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_TRUE(h.r(2).completed);
  EXPECT_EQ(h.allocated(), 19);  // completed requests give their blocks back
  EXPECT_EQ(h.run_step(), (Contents{{1, 1}}));
  EXPECT_TRUE(h.r(1).completed);
  EXPECT_EQ(h.allocated(), 0);
  EXPECT_TRUE(h.scheduler->is_empty());
}

TEST(VllmV1Scheduler, LongPrefillTokenThresholdCapsEveryPromptChunk) {
  auto c = v1_config(250);
  c.long_prefill_token_threshold = 100;
  Harness h(c, 1000, {{250, 2}, {250, 2}, {250, 2}, {50, 2}});
  h.arrive_all();
  EXPECT_EQ(h.run_step(), (Contents{{0, 100}, {1, 100}, {2, 50}}));
  EXPECT_EQ(h.run_step(), (Contents{{0, 100}, {1, 100}, {2, 50}}));
  // Requests 0 and 1 need their last 50; request 2 gets the threshold, request 3 the rest.
  EXPECT_EQ(h.run_step(), (Contents{{0, 50}, {1, 50}, {2, 100}, {3, 50}}));
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}, {2, 50}, {3, 1}}));
}

TEST(VllmV1Scheduler, MaxNumSeqsCapsTheAdmittedRequests) {
  auto c = v1_config(8192);
  c.max_num_seqs = 2;
  Harness h(c, 1000, {{10, 3}, {10, 3}, {10, 3}});
  h.arrive_all();
  EXPECT_EQ(h.run_step(), (Contents{{0, 10}, {1, 10}}));
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}}));  // budget left, but two are admitted
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}}));
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_EQ(h.run_step(), (Contents{{2, 10}}));
}

TEST(VllmV1Scheduler, OutOfBlocksPreemptsTheLatestAdmittedRequestsFirst) {
  // Four 1-block prompts fill the 4 blocks; each first decode token needs a second block.
  Harness h(v1_config(8192), 4, {{16, 4}, {16, 4}, {16, 4}, {16, 4}});
  h.arrive_all();
  EXPECT_EQ(h.run_step(), (Contents{{0, 16}, {1, 16}, {2, 16}, {3, 16}}));
  // Request 0 takes request 3's block, request 1 takes request 2's.
  const auto s2 = h.step();
  EXPECT_EQ(contents(s2), (Contents{{0, 1}, {1, 1}}));
  EXPECT_EQ(h.r(3).num_restarts, 1);
  EXPECT_EQ(h.r(2).num_restarts, 1);
  EXPECT_EQ(h.r(2).num_prefill_tokens, 17);  // its prompt and the token it generated
  EXPECT_EQ(h.r(2).num_decode_tokens, 3);
  EXPECT_EQ(h.r(2).num_processed_tokens, 0);
  EXPECT_EQ(h.scheduler->num_queued(), 2u);
  h.finish(s2);
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}}));
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}, {1, 1}}));
  EXPECT_TRUE(h.r(0).completed);
  EXPECT_TRUE(h.r(1).completed);
  // The last preempted went back to the head of the queue: request 2 resumes first.
  EXPECT_EQ(h.run_step(), (Contents{{2, 17}, {3, 17}}));
  EXPECT_EQ(h.r(2).num_processed_tokens, 18);
  EXPECT_TRUE(h.r(2).is_prefill_complete);
}

TEST(VllmV1Scheduler, APreemptedRequestRecomputesItsTokensAndNothingIsAdmittedInThatStep) {
  Harness h(v1_config(8192), 4, {{32, 3}, {32, 4}, {16, 2}});
  h.scheduler->add_request(0);
  h.scheduler->add_request(1);
  EXPECT_EQ(h.run_step(), (Contents{{0, 32}, {1, 32}}));
  EXPECT_EQ(h.allocated(), 4);
  h.scheduler->add_request(2);
  // Request 0's first decode token needs a third block: request 1 is preempted, which frees
  // two. Request 2's prompt would fit in the one left, but a step that preempted admits none.
  const auto s2 = h.step();
  EXPECT_EQ(contents(s2), (Contents{{0, 1}}));
  EXPECT_EQ(h.r(1).num_restarts, 1);
  EXPECT_EQ(h.r(1).num_prefill_tokens, 33);
  EXPECT_EQ(h.allocated(), 3);
  h.finish(s2);
  // Request 1 heads the queue and needs 3 blocks for its 33 tokens: it and request 2 behind it wait.
  EXPECT_EQ(h.run_step(), (Contents{{0, 1}}));
  EXPECT_TRUE(h.r(0).completed);
  // Request 1 recomputes its prompt and generated token in one chunk, then request 2 is admitted.
  EXPECT_EQ(h.run_step(), (Contents{{1, 33}, {2, 16}}));
  EXPECT_EQ(h.r(1).num_processed_tokens, 34);
  EXPECT_EQ(h.r(1).prefill_completed_at, 1.0);  // its first prefill's time is kept
  // Request 2's first decode token needs a second block; it is the last running request, so it
  // preempts itself and the pass ends.
  const auto s5 = h.step();
  EXPECT_EQ(contents(s5), (Contents{{1, 1}}));
  EXPECT_EQ(h.r(2).num_restarts, 1);
  EXPECT_EQ(h.r(2).num_prefill_tokens, 17);
  h.finish(s5);
  EXPECT_EQ(h.run_step(), (Contents{{1, 1}}));  // request 2 needs 2 blocks; 1 is free
  EXPECT_TRUE(h.r(1).completed);
  EXPECT_EQ(h.run_step(), (Contents{{2, 17}}));
  EXPECT_TRUE(h.r(2).completed);
  EXPECT_EQ(h.allocated(), 0);
}

TEST(VllmV1Scheduler, WithTwoStagesRequestsInFlightWaitForTheirBatch) {
  Harness h(v1_config(150), 1000, {{100, 3}, {100, 3}, {100, 3}}, /*num_stages=*/2);
  h.arrive_all();
  const auto first = h.schedule_all();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(contents(first[0]), (Contents{{0, 100}, {1, 50}}));
  EXPECT_EQ(contents(first[1]), (Contents{{2, 100}}));  // requests 0 and 1 are in flight
  EXPECT_TRUE(h.schedule_all().empty());                // both stages busy
  h.finish(first[0]);
  const auto second = h.schedule_all();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(contents(second[0]), (Contents{{0, 1}, {1, 50}}));  // request 2 is still in flight
  h.finish(first[1]);
  const auto third = h.schedule_all();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(contents(third[0]), (Contents{{2, 1}}));
}

TEST(VllmV1Scheduler, RequestsInFlightCountAgainstMaxNumSeqs) {
  auto c = v1_config(150);
  c.max_num_seqs = 2;
  Harness h(c, 1000, {{100, 3}, {100, 3}, {100, 3}}, /*num_stages=*/2);
  h.arrive_all();
  const auto first = h.schedule_all();
  ASSERT_EQ(first.size(), 1u);  // request 2 is not admitted while 0 and 1 are in flight
  EXPECT_EQ(contents(first[0]), (Contents{{0, 100}, {1, 50}}));
}

TEST(VllmV1Scheduler, RequestsBackFromABatchRejoinTheRunningListInAdmissionOrder) {
  // Budget 2 with 1-token prompts: two requests per batch. Batch ends usually come in the order
  // the batches were formed; the running order must not depend on it.
  Harness h(v1_config(2), 1000, {{1, 5}, {1, 5}, {1, 5}, {1, 5}}, /*num_stages=*/2);
  h.arrive_all();
  const auto first = h.schedule_all();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(contents(first[0]), (Contents{{0, 1}, {1, 1}}));
  EXPECT_EQ(contents(first[1]), (Contents{{2, 1}, {3, 1}}));
  h.finish(first[1]);
  h.finish(first[0]);
  const auto second = h.schedule_all();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(contents(second[0]), (Contents{{0, 1}, {1, 1}}));
  EXPECT_EQ(contents(second[1]), (Contents{{2, 1}, {3, 1}}));
}

TEST(VllmV1Scheduler, ARequestWhoseKvCanNeverFitIsRefusedWithItsSizes) {
  SchedulerConfig c = v1_config(8192);
  ReplicaSchedulerContext context;
  context.config = c;
  context.memory.num_blocks = 6;
  context.memory.max_batch_size = 1000;
  context.max_tokens = 4096;
  const auto& registry = builtin_replica_schedulers();
  // 97 tokens hold 96 in the KV at most: 6 blocks of 16. One more token needs a seventh block.
  EXPECT_EQ(admission_refusal(registry, context, 90, 7), "");
  EXPECT_EQ(admission_refusal(registry, context, 90, 8),
            "its 98 tokens need 7 KV blocks of 16 tokens before the last is generated, and the replica has 6");
  // A long prompt is chunked, not refused: only the KV must fit, not the budget.
  context.config.max_num_batched_tokens = 8;
  EXPECT_EQ(admission_refusal(registry, context, 96, 1), "");
}

TEST(VllmV1Scheduler, PrefixCachingIsImpliedUnlessGiven) {
  SchedulerConfig c;
  c.replica_scheduler = "vllm_v1";
  apply_scheduler_traits(c, {});
  EXPECT_TRUE(c.prefix_caching);
  EXPECT_EQ(c.block_size, 16);
  SchedulerConfig off;
  off.replica_scheduler = "vllm_v1";
  apply_scheduler_traits(off, {"prefix-caching"});
  EXPECT_FALSE(off.prefix_caching);
  // Other schedulers keep the declared default; LightLLM implies its block size instead.
  SchedulerConfig sarathi;
  apply_scheduler_traits(sarathi, {});
  EXPECT_FALSE(sarathi.prefix_caching);
  SchedulerConfig lightllm;
  lightllm.replica_scheduler = "lightllm";
  apply_scheduler_traits(lightllm, {});
  EXPECT_EQ(lightllm.block_size, 1);
  lightllm.block_size = 16;
  apply_scheduler_traits(lightllm, {"block-size"});
  EXPECT_EQ(lightllm.block_size, 16);
}

TEST(VllmV1Scheduler, EveryImpliedSettingNamesADeclaredSettingWithAnAcceptedValue) {
  for (const auto* entry : builtin_replica_schedulers().entries()) {
    for (const auto& [name, value] : entry->traits.implied_settings) {
      const auto* setting = scheduler_settings().find(name);
      ASSERT_NE(setting, nullptr) << entry->name << " implies undeclared " << name;
      SchedulerConfig c;
      EXPECT_NO_THROW(setting->assign(c, value)) << entry->name << ": " << name << " = " << value;
    }
    EXPECT_NE(scheduler_settings().find(entry->traits.request_cap), nullptr) << entry->name;
  }
}

TEST(VllmV1Scheduler, MaxNumSeqsMustCoverThePipelineAndTheLongestRequestMustFitTheKv) {
  SchedulerConfig c = v1_config(8192);
  c.max_num_seqs = 1;
  try {
    validate_scheduler(c, 2, 4096);
    FAIL() << "max-num-seqs 1 with PP 2 was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.setting_name(), "max-num-seqs");
  }
  c.max_num_seqs = 2;
  c.batch_size_cap = 1;  // not read by vllm_v1
  EXPECT_NO_THROW(validate_scheduler(c, 2, 4096));

  SimulationConfig sim;
  sim.scheduler = v1_config(8192);
  // 4,090-token requests hold 4,089 tokens in the KV at most: 256 blocks, one more than the
  // 255 that the memory planner counts per request (4,090 / 16 rounded down).
  sim.workload.max_tokens = 4090;
  sim.scheduler.num_blocks = 255;
  try {
    plan_simulation(sim, test_support::catalog());
    FAIL() << "a replica too small for the longest request was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find("can never be admitted by vllm_v1: its 4,090 tokens need 256 KV blocks"),
              std::string::npos)
        << e.message();
  }
  sim.scheduler.num_blocks = 256;
  EXPECT_NO_THROW(plan_simulation(sim, test_support::catalog()));
}

TEST(VllmV1Scheduler, CachedPromptBlocksAreTakenAndOnlyTheRestIsPrefilled) {
  // Requests open with a 40-token system prompt (content stream 1): its first two 16-token
  // blocks are shareable; the third holds the requests' own tokens too.
  const std::vector<std::pair<int64_t, int64_t>> lengths = {{50, 2}, {60, 2}, {33, 1}, {40, 1}};
  std::vector<workload::RequestSpec> specs(lengths.size());
  std::vector<Request> requests(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    specs[i].num_prefill_tokens = lengths[i].first;
    specs[i].num_decode_tokens = lengths[i].second;
    specs[i].content = {{1, 0, std::min<int64_t>(40, lengths[i].first)}};
    auto& r = requests[i];
    r.id = static_cast<RequestId>(i);
    r.num_prefill_tokens = r.original_prefill_tokens = lengths[i].first;
    r.num_decode_tokens = r.original_decode_tokens = lengths[i].second;
  }
  ReplicaSchedulerContext context;
  context.config = v1_config(8192);
  context.config.prefix_caching = true;
  context.memory.num_blocks = 8;
  context.memory.max_batch_size = 1000;
  context.max_tokens = 4096;
  context.requests = &requests;
  context.content = &specs;
  const auto scheduler = builtin_replica_schedulers().create("replica-scheduler", "vllm_v1", context);
  ASSERT_TRUE(scheduler->blocks().prefix_caching());
  double now = 0;
  auto step = [&]() {
    auto drafts = scheduler->on_schedule();
    EXPECT_EQ(drafts.size(), 1u);
    if (drafts.empty()) return Contents{};
    const BatchDraft d = drafts.front();
    now += 1;
    Batch b;
    b.request_ids = d.request_ids;
    b.num_tokens = d.num_tokens;
    for (size_t i = 0; i < d.size(); ++i) {
      requests[static_cast<size_t>(d.request_ids[i])].on_batch_schedule(now - 1);
      requests[static_cast<size_t>(d.request_ids[i])].on_batch_end(now, d.num_tokens[i]);
    }
    scheduler->on_batch_end(b);
    return contents(d);
  };

  scheduler->add_request(0);
  EXPECT_EQ(step(), (Contents{{0, 50}}));  // nothing cached yet
  EXPECT_EQ(requests[0].num_cached_prompt_tokens, 0);
  scheduler->add_request(1);
  // Request 1 finds the two system-prompt blocks that request 0 holds: 32 tokens are not prefilled.
  EXPECT_EQ(step(), (Contents{{0, 1}, {1, 28}}));
  EXPECT_EQ(requests[1].num_cached_prompt_tokens, 32);
  EXPECT_TRUE(requests[0].completed);
  EXPECT_EQ(scheduler->blocks().allocated(), 4);  // request 1's table, the shared blocks included
  scheduler->add_request(2);
  // A 33-token prompt looks up its first 32 tokens: both blocks hit, and its last token is computed.
  EXPECT_EQ(step(), (Contents{{1, 1}, {2, 1}}));
  EXPECT_EQ(requests[2].num_cached_prompt_tokens, 32);
  EXPECT_TRUE(requests[1].completed);
  EXPECT_TRUE(requests[2].completed);
  EXPECT_EQ(scheduler->blocks().allocated(), 0);
  // Nobody holds the system-prompt blocks now; they are still cached and are taken again.
  scheduler->add_request(3);
  EXPECT_EQ(step(), (Contents{{3, 8}}));
  EXPECT_EQ(requests[3].num_cached_prompt_tokens, 32);
  const auto& stats = scheduler->blocks().prefix_stats();
  EXPECT_EQ(stats.lookups, 4);
  EXPECT_EQ(stats.hit_tokens, 96);
}

TEST(VllmV1Scheduler, EveryFrontEndImpliesPrefixCachingUnlessItIsGiven) {
  using cli::parse_simulate_options;
  EXPECT_TRUE(parse_simulate_options({"--replica-scheduler=vllm_v1"}).config.scheduler.prefix_caching);
  EXPECT_FALSE(parse_simulate_options({"--replica-scheduler=vllm_v1", "--prefix-caching=false"})
                   .config.scheduler.prefix_caching);
  EXPECT_FALSE(parse_simulate_options({"--replica-scheduler=sarathi"}).config.scheduler.prefix_caching);
  test_support::TempDir d;
  const auto options = d.file("v1.ini");
  std::ofstream(options) << "replica-scheduler = vllm_v1\nprefix-caching = false\n";
  EXPECT_FALSE(parse_simulate_options({"--config=" + options}).config.scheduler.prefix_caching);

  const std::string grid =
      "models:\n  - identifier: meta-llama/Llama-2-7b-hf\ntraces:\n  - name: conv\n    trace_file: " +
      test_support::vidur_trace("splitwise_conv.csv") +
      "\n    start_qps: 1\nclusters:\n  - device: a100\n    num_gpus: 1\nschedulers:\n"
      "  - scheduler: vllm_v1\n  - scheduler: vllm_v1\n    prefix_caching: false\n"
      "    max_num_seqs: 256\ntp_dimensions: [1]\npp_dimensions: [1]\nbatch_sizes: [32]\n";
  const auto units = search::enumerate_grid(search::parse_grid_text(grid, "g.yaml", "."), test_support::catalog());
  ASSERT_EQ(units.size(), 2u);
  EXPECT_TRUE(units[0].simulation.scheduler.prefix_caching);
  EXPECT_EQ(units[0].simulation.scheduler.max_num_seqs, 32);  // the grid's batch size
  EXPECT_FALSE(units[1].simulation.scheduler.prefix_caching);
  EXPECT_EQ(units[1].simulation.scheduler.max_num_seqs, 256);
  EXPECT_NE(units[0].config_id, units[1].config_id);
}
