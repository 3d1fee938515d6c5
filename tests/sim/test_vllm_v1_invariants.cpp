// Invariants of the vLLM V1 scheduler on random workloads, driven directly: requests arrive
// between steps, batches go through a pipeline of 1, 2 or 4 stages in order, and the KV cache
// is small enough that requests are preempted. Every case runs with prefix caching off and on
// (on: requests open with one of three shared system prompts).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "infersweep/sim/replica_scheduler.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

struct Case {
  int64_t budget;
  int64_t threshold;
  int64_t max_num_seqs;
  int64_t num_stages;
  uint32_t seed;
};

struct Outcome {
  std::vector<std::vector<std::pair<RequestId, int64_t>>> batches;  // every draft, in order
  int64_t restarts = 0;
  int64_t cached_prompt_tokens = 0;
};

void PrintTo(const Case& k, std::ostream* out) {
  *out << "budget " << k.budget << ", threshold " << k.threshold << ", max_num_seqs " << k.max_num_seqs << ", "
       << k.num_stages << " stages, seed " << k.seed;
}

constexpr int64_t kNumRequests = 160;
constexpr int64_t kNumBlocks = 64;  // 1,024 tokens of 16-token blocks: preemption is common
constexpr int64_t kSystemPrompts[] = {40, 100, 200};

std::vector<workload::RequestSpec> random_workload(uint32_t seed, bool shared_prefixes) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> prompt(1, 320), output(1, 90);
  std::uniform_int_distribution<size_t> system(0, 2);
  std::vector<workload::RequestSpec> specs(kNumRequests);
  for (auto& s : specs) {
    s.num_prefill_tokens = prompt(rng);
    s.num_decode_tokens = output(rng);
    const size_t which = system(rng);
    if (shared_prefixes) s.content.push_back({which + 1, 0, std::min(kSystemPrompts[which], s.num_prefill_tokens)});
  }
  return specs;
}

Outcome run_case(const Case& k, bool prefix_caching) {
  const auto specs = random_workload(k.seed, prefix_caching);
  std::vector<Request> requests(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    auto& r = requests[i];
    r.id = static_cast<RequestId>(i);
    r.arrived_at = static_cast<double>(i);
    r.num_prefill_tokens = r.original_prefill_tokens = specs[i].num_prefill_tokens;
    r.num_decode_tokens = r.original_decode_tokens = specs[i].num_decode_tokens;
  }
  ReplicaSchedulerContext context;
  context.config.replica_scheduler = "vllm_v1";
  context.config.max_num_batched_tokens = k.budget;
  context.config.long_prefill_token_threshold = k.threshold;
  context.config.max_num_seqs = k.max_num_seqs;
  context.config.prefix_caching = prefix_caching;
  context.memory.num_blocks = kNumBlocks;
  context.memory.max_batch_size = 1000;
  context.num_stages = k.num_stages;
  context.max_tokens = 4096;
  context.requests = &requests;
  context.content = &specs;
  const auto scheduler = builtin_replica_schedulers().create("replica-scheduler", "vllm_v1", context);
  const int64_t block_size = context.config.block_size;

  Outcome out;
  std::mt19937 rng(k.seed + 1000);
  std::uniform_int_distribution<int> arrivals_per_step(0, 3);
  std::deque<Batch> in_flight;  // pipeline order
  std::set<RequestId> flying;
  std::vector<int64_t> tokens_run(specs.size(), 0);
  std::vector<int> completions(specs.size(), 0);
  size_t next_arrival = 0;
  int64_t steps = 0;
  double now = 0;
  while (true) {
    for (int a = arrivals_per_step(rng); a > 0 && next_arrival < specs.size(); --a)
      scheduler->add_request(static_cast<RequestId>(next_arrival++));
    for (auto& draft : scheduler->on_schedule()) {
      int64_t total = 0;
      for (size_t i = 0; i < draft.size(); ++i) {
        const RequestId id = draft.request_ids[i];
        const int64_t tokens = draft.num_tokens[i];
        Request& r = requests[static_cast<size_t>(id)];
        EXPECT_FALSE(r.completed) << "request " << id << " scheduled after completing";
        EXPECT_TRUE(flying.insert(id).second) << "request " << id << " is already in flight";
        EXPECT_GT(tokens, 0);
        if (r.is_prefill_complete) {
          EXPECT_EQ(tokens, 1) << "decode step of request " << id;
        } else {
          EXPECT_LE(r.num_processed_tokens + tokens, r.num_prefill_tokens) << "request " << id;
          if (k.threshold > 0) {
            EXPECT_LE(tokens, k.threshold);
          }
        }
        tokens_run[static_cast<size_t>(id)] += tokens;
        total += tokens;
        r.on_batch_schedule(now);
      }
      EXPECT_LE(total, k.budget);
      out.batches.emplace_back();
      for (size_t i = 0; i < draft.size(); ++i)
        out.batches.back().emplace_back(draft.request_ids[i], draft.num_tokens[i]);
      Batch b;
      b.request_ids = std::move(draft.request_ids);
      b.num_tokens = std::move(draft.num_tokens);
      in_flight.push_back(std::move(b));
    }
    EXPECT_LE(static_cast<int64_t>(in_flight.size()), k.num_stages);
    EXPECT_LE(scheduler->blocks().allocated(), kNumBlocks);
    // Admitted requests, in flight or not, each hold a block table.
    EXPECT_LE(static_cast<int64_t>(scheduler->blocks().num_holders()), k.max_num_seqs);
    if (in_flight.empty()) {
      if (next_arrival == specs.size()) break;
      continue;  // idle until the next arrival
    }
    now += 1;
    const Batch b = std::move(in_flight.front());
    in_flight.pop_front();
    int64_t processed = 0;
    for (size_t i = 0; i < b.request_ids.size(); ++i) {
      Request& r = requests[static_cast<size_t>(b.request_ids[i])];
      flying.erase(r.id);
      processed -= r.num_processed_tokens;
      r.on_batch_end(now, b.num_tokens[i]);
      processed += r.num_processed_tokens;
      if (r.completed) ++completions[static_cast<size_t>(r.id)];
    }
    scheduler->on_tokens_processed(processed);
    scheduler->on_batch_end(b);
    if (++steps > 200000) {
      ADD_FAILURE() << "no progress after " << steps << " steps";
      break;
    }
  }

  int64_t admissions = 0;
  for (const auto& r : requests) {
    EXPECT_TRUE(r.completed) << "request " << r.id;
    EXPECT_EQ(completions[static_cast<size_t>(r.id)], 1) << "request " << r.id;
    EXPECT_EQ(r.num_processed_tokens, r.original_prefill_tokens + r.original_decode_tokens);
    EXPECT_EQ(r.num_cached_prompt_tokens % block_size, 0);
    EXPECT_LE(r.num_cached_prompt_tokens, r.original_prefill_tokens - 1);
    if (!prefix_caching) {
      EXPECT_EQ(r.num_cached_prompt_tokens, 0);
    }
    // Without a restart every prompt token not found cached is computed once, and every output
    // token but the first (which the prefill emits) costs one decode step.
    if (r.num_restarts == 0) {
      EXPECT_EQ(tokens_run[static_cast<size_t>(r.id)],
                r.original_prefill_tokens - r.num_cached_prompt_tokens + r.original_decode_tokens - 1)
          << "request " << r.id;
    }
    out.restarts += r.num_restarts;
    out.cached_prompt_tokens += r.num_cached_prompt_tokens;
    admissions += 1 + r.num_restarts;
  }
  EXPECT_EQ(scheduler->blocks().allocated(), 0);
  EXPECT_EQ(scheduler->blocks().num_holders(), 0u);
  EXPECT_TRUE(scheduler->is_empty());
  EXPECT_EQ(scheduler->outstanding_tokens(), 0);
  const auto& stats = scheduler->blocks().prefix_stats();
  EXPECT_EQ(stats.lookups, prefix_caching ? admissions : 0);
  EXPECT_LE(stats.hit_tokens, stats.queried_tokens);
  return out;
}

class VllmV1Invariants : public ::testing::TestWithParam<std::tuple<Case, bool>> {};

}  // namespace

TEST_P(VllmV1Invariants, HoldOnRandomWorkloads) {
  const auto& [k, prefix_caching] = GetParam();
  const Outcome first = run_case(k, prefix_caching);
  EXPECT_FALSE(first.batches.empty());
  // The shared system prompts are found cached (whole blocks of them) when caching is on.
  if (prefix_caching) {
    EXPECT_GT(first.cached_prompt_tokens, 0);
  }
  // Same inputs, same schedule.
  const Outcome again = run_case(k, prefix_caching);
  EXPECT_EQ(first.batches, again.batches);
  EXPECT_EQ(first.restarts, again.restarts);
}

TEST(VllmV1InvariantsCoverage, TheSmallCacheForcesPreemptions) {
  // Guards the cases above against a workload too light to exercise preemption.
  EXPECT_GT(run_case({2048, 0, 1024, 1, 7}, false).restarts, 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, VllmV1Invariants,
                         ::testing::Combine(::testing::Values(Case{2048, 0, 1024, 1, 1}, Case{256, 0, 1024, 2, 2},
                                                              Case{512, 48, 1024, 1, 3}, Case{64, 0, 8, 4, 4},
                                                              Case{8192, 0, 6, 2, 5}),
                                            ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Case, bool>>& info) {
                           const Case& k = std::get<0>(info.param);
                           return "budget" + std::to_string(k.budget) + "_threshold" + std::to_string(k.threshold) +
                                  "_seqs" + std::to_string(k.max_num_seqs) + "_pp" + std::to_string(k.num_stages) +
                                  (std::get<1>(info.param) ? "_prefix_caching" : "_no_caching");
                         });
