// Prefix caching: block identities, the block pool's sharing and eviction rules, and the hit
// counts of whole simulations whose requests share system prompts.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <utility>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/block_hash.hpp"
#include "infersweep/sim/block_hash_index.hpp"
#include "infersweep/sim/kv_block_manager.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;
using workload::ContentSpan;
using workload::RequestSpec;
using workload::TokenContent;

namespace {

std::vector<uint64_t> hashes(const TokenContent& content, RequestId owner, int64_t block_size, int64_t blocks) {
  BlockHashChain chain(content, owner, block_size);
  std::vector<uint64_t> out;
  for (int64_t b = 0; b < blocks; ++b) out.push_back(chain.next());
  return out;
}

RequestSpec request_spec(int64_t prompt, int64_t decode, TokenContent content = {}) {
  RequestSpec s;
  s.num_prefill_tokens = prompt;
  s.num_decode_tokens = decode;
  s.content = std::move(content);
  return s;
}

constexpr uint64_t kStreamA = 11, kStreamB = 12, kStreamC = 13;

}  // namespace

TEST(BlockHash, MixerIsSplitMix64sFinaliser) {
  // SplitMix64 seeded with 0 yields mix64 of multiples of its gamma; its published outputs pin
  // the mixer, hence every block hash, on every platform.
  constexpr uint64_t gamma = 0x9e3779b97f4a7c15ULL;
  EXPECT_EQ(mix64(gamma), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(mix64(2 * gamma), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(mix64(3 * gamma), 0x06c45d188009454fULL);
}

TEST(BlockHash, SameSpansGiveSameHashesHoweverTheyAreCut) {
  const TokenContent whole = {{kStreamA, 0, 40}, {kStreamB, 100, 24}};
  // The same tokens in more, shorter spans, with an empty one in between.
  const TokenContent cut = {
      {kStreamA, 0, 7}, {kStreamA, 7, 0}, {kStreamA, 7, 33}, {kStreamB, 100, 5}, {kStreamB, 105, 19}};
  const auto a = hashes(whole, 1, 16, 4);
  EXPECT_EQ(a, hashes(whole, 2, 16, 4));  // the owner does not matter while spans cover the blocks
  EXPECT_EQ(a, hashes(cut, 3, 16, 4));
  // All different from each other (block 3 starts past the spans: own tokens).
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = i + 1; j < a.size(); ++j) EXPECT_NE(a[i], a[j]);
}

TEST(BlockHash, ADifferentEarlierBlockChangesEveryLaterHash) {
  const TokenContent base = {{kStreamA, 0, 64}, {kStreamB, 0, 64}};
  // Only tokens 16..31 differ (stream C), yet blocks 2-7 have the same tokens as base's.
  const TokenContent changed = {{kStreamA, 0, 16}, {kStreamC, 16, 16}, {kStreamA, 32, 32}, {kStreamB, 0, 64}};
  const auto a = hashes(base, 1, 16, 8);
  const auto b = hashes(changed, 2, 16, 8);
  EXPECT_EQ(a[0], b[0]);
  for (size_t i = 1; i < a.size(); ++i) EXPECT_NE(a[i], b[i]) << "block " << i;
  // Same stream, shifted offsets: different tokens.
  EXPECT_NE(a[0], hashes({{kStreamA, 1, 64}}, 1, 16, 1)[0]);
}

TEST(BlockHash, OwnTokensMatchOnlyTheirOwnRequest) {
  const TokenContent partial = {{kStreamA, 0, 24}};  // block 1 is half stream A, half own
  const auto one = hashes(partial, 5, 16, 3);
  const auto other = hashes(partial, 6, 16, 3);
  EXPECT_EQ(one[0], other[0]);
  EXPECT_NE(one[1], other[1]);
  EXPECT_NE(one[2], other[2]);
  // No spans at all: nothing shared between requests, whatever their ids.
  const auto own5 = hashes({}, 5, 16, 2);
  const auto own6 = hashes({}, 6, 16, 2);
  EXPECT_NE(own5[0], own6[0]);
  EXPECT_NE(own5[1], own6[1]);
  // A stream numbered like the request and placed like its own tokens is still a stream.
  EXPECT_NE(own5[0], hashes({{5, 0, 16}}, 5, 16, 1)[0]);
}

TEST(BlockHash, ARestartedRequestMatchesItselfAndTheChainResumes) {
  const TokenContent content = {{kStreamA, 3, 20}, {kStreamB, 0, 9}};
  const auto all = hashes(content, 9, 8, 10);
  EXPECT_EQ(all, hashes(content, 9, 8, 10));  // a new chain for the same request
  BlockHashChain chain(content, 9, 8);
  for (int b = 0; b < 3; ++b) chain.next();
  EXPECT_EQ(chain.blocks_hashed(), 3);
  for (size_t b = 3; b < all.size(); ++b) EXPECT_EQ(chain.next(), all[b]);
}

TEST(BlockHashIndex, AgreesWithAMapThroughInsertionsAndErasures) {
  // Keys crowd a few home slots (low bits from 0-7, wrapping around the table's end) so that
  // probes run long and erasures shift entries back.
  constexpr int64_t kMaxEntries = 64;
  BlockHashIndex index(kMaxEntries);
  std::map<uint64_t, int64_t> reference;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const uint64_t key = ((rng() % 40) << 32) | (rng() % 8 == 0 ? 127 - rng() % 3 : rng() % 8);
    if (rng() % 2 == 0 && static_cast<int64_t>(reference.size()) < kMaxEntries) {
      const int64_t block = static_cast<int64_t>(rng() % 1000);
      EXPECT_EQ(index.insert(key, block), reference.emplace(key, block).second);
    } else {
      index.erase(key);
      reference.erase(key);
    }
    ASSERT_EQ(index.size(), static_cast<int64_t>(reference.size()));
    if (step % 97 == 0)
      for (uint64_t low = 0; low < 128; ++low)
        for (uint64_t high = 0; high < 40; ++high) {
          const uint64_t probe = (high << 32) | low;
          const auto found = reference.find(probe);
          ASSERT_EQ(index.find(probe), found == reference.end() ? BlockHashIndex::kAbsent : found->second);
        }
  }
  // Full: one more distinct key is refused.
  BlockHashIndex small(2);
  EXPECT_TRUE(small.insert(1, 0));
  EXPECT_TRUE(small.insert(2, 1));
  EXPECT_FALSE(small.insert(2, 5));
  EXPECT_EQ(small.find(2), 1);
  EXPECT_THROW(small.insert(3, 2), SimulationError);
}

TEST(PrefixBlockPool, SharedBlocksAreCountedOnceAndKeptWhileReferenced) {
  // Requests 0-2 share 12 tokens of stream A (3 blocks of 4), then have their own.
  const std::vector<RequestSpec> requests = {request_spec(14, 2, {{kStreamA, 0, 12}}),
                                             request_spec(14, 2, {{kStreamA, 0, 12}}),
                                             request_spec(14, 2, {{kStreamA, 0, 12}})};
  KvBlockManager m(10, requests.size(), 4, &requests);
  EXPECT_TRUE(m.prefix_caching());
  EXPECT_EQ(m.find_cached_prefix(0, 13).blocks, 0);
  m.take_cached_prefix(0, {}, 13);
  EXPECT_FALSE(m.holds(0));
  m.allocate(0, 4);
  m.cache_full_blocks(0, 14);  // 3 full blocks
  EXPECT_EQ(m.allocated(), 4);

  const auto hit = m.find_cached_prefix(1, 13);
  EXPECT_EQ(hit.blocks, 3);
  EXPECT_EQ(hit.evictable, 0);  // request 0 holds them
  m.take_cached_prefix(1, hit, 13);
  EXPECT_EQ(m.blocks_of(1), 3);
  EXPECT_EQ(m.allocated(), 4);  // shared, counted once
  m.allocate(1, 1);
  EXPECT_EQ(m.allocated(), 5);
  EXPECT_EQ(m.num_holders(), 2u);

  m.free(0);  // only its own last block is released
  EXPECT_EQ(m.allocated(), 4);
  EXPECT_EQ(m.free_blocks(), 6);
  EXPECT_EQ(m.find_cached_prefix(2, 13).blocks, 3);
  EXPECT_EQ(m.find_cached_prefix(2, 13).evictable, 0);
  m.free(1);
  m.free(1);  // freeing twice is harmless
  EXPECT_EQ(m.allocated(), 0);
  EXPECT_EQ(m.free_blocks(), 10);  // cached blocks nobody references count as free
  const auto later = m.find_cached_prefix(2, 13);
  EXPECT_EQ(later.blocks, 3);
  EXPECT_EQ(later.evictable, 3);
  EXPECT_EQ(m.find_cached_prefix(2, 11).blocks, 2);  // whole blocks within the limit only

  // Taking unreferenced cached blocks uses free blocks.
  m.take_cached_prefix(2, later, 13);
  EXPECT_EQ(m.allocated(), 3);
  EXPECT_EQ(m.free_blocks(), 7);

  const auto& s = m.prefix_stats();
  EXPECT_EQ(s.lookups, 3);
  EXPECT_EQ(s.queried_tokens, 39);
  EXPECT_EQ(s.queried_blocks, 9);
  EXPECT_EQ(s.hit_blocks, 6);
  EXPECT_EQ(s.hit_tokens, 24);
  EXPECT_EQ(s.evictions, 0);
}

TEST(PrefixBlockPool, EvictsLeastRecentlyFreedFirstAndARequestsTailBeforeItsHead) {
  // A (0) and B (1) fill 4 blocks each with streams A and B; probes 2 and 3 have the same
  // content; 4 takes fresh blocks.
  const std::vector<RequestSpec> requests = {
      request_spec(16, 1, {{kStreamA, 0, 16}}), request_spec(16, 1, {{kStreamB, 0, 16}}),
      request_spec(17, 1, {{kStreamA, 0, 16}}), request_spec(17, 1, {{kStreamB, 0, 16}}), request_spec(64, 1)};
  KvBlockManager m(8, requests.size(), 4, &requests);
  for (RequestId id : {0, 1}) {
    m.allocate(id, 4);
    m.cache_full_blocks(id, 16);
  }
  m.free(0);
  m.free(1);
  ASSERT_EQ(m.allocated(), 0);
  auto cached_a = [&] { return m.find_cached_prefix(2, 16).blocks; };
  auto cached_b = [&] { return m.find_cached_prefix(3, 16).blocks; };
  EXPECT_EQ(cached_a(), 4);
  EXPECT_EQ(cached_b(), 4);
  // A was freed first, its last block first: A3, A2, A1, A0, then B3...
  const int64_t expected_a[] = {3, 2, 1, 0, 0, 0, 0, 0};
  const int64_t expected_b[] = {4, 4, 4, 4, 3, 2, 1, 0};
  for (int i = 0; i < 8; ++i) {
    m.allocate(4, 1);
    EXPECT_EQ(cached_a(), expected_a[i]) << "after " << i + 1 << " blocks";
    EXPECT_EQ(cached_b(), expected_b[i]) << "after " << i + 1 << " blocks";
    EXPECT_EQ(m.prefix_stats().evictions, i + 1);
  }
  EXPECT_THROW(m.allocate(4, 1), SimulationError);
  EXPECT_EQ(m.allocated(), 8);
}

TEST(PrefixBlockPool, AHitTakesItsBlocksOutOfTheEvictionQueue) {
  const std::vector<RequestSpec> requests = {
      request_spec(16, 1, {{kStreamA, 0, 16}}), request_spec(16, 1, {{kStreamB, 0, 16}}),
      request_spec(17, 1, {{kStreamA, 0, 16}}), request_spec(17, 1, {{kStreamB, 0, 16}}), request_spec(64, 1)};
  KvBlockManager m(8, requests.size(), 4, &requests);
  for (RequestId id : {0, 1}) {
    m.allocate(id, 4);
    m.cache_full_blocks(id, 16);
    m.free(id);
  }
  // Request 2 revives A's blocks (at the head of the queue); fresh blocks then come from B's.
  const auto hit = m.find_cached_prefix(2, 16);
  ASSERT_EQ(hit.blocks, 4);
  ASSERT_EQ(hit.evictable, 4);
  m.take_cached_prefix(2, hit, 16);
  EXPECT_EQ(m.allocated(), 4);
  EXPECT_FALSE(m.can_allocate(5));
  EXPECT_THROW(m.allocate(4, 5), SimulationError);
  m.allocate(4, 3);
  EXPECT_EQ(m.find_cached_prefix(3, 16).blocks, 1);  // B3, B2, B1 evicted; B0 left
  EXPECT_EQ(m.find_cached_prefix(0, 16).blocks, 4);
  EXPECT_EQ(m.prefix_stats().evictions, 3);
  m.free(2);
  m.free(4);
  EXPECT_EQ(m.allocated(), 0);
}

TEST(PrefixBlockPool, ADuplicateComputedMeanwhileIsNotCached) {
  // Both requests compute the same 3 blocks before either is cached: the first copy is kept.
  const std::vector<RequestSpec> requests = {request_spec(13, 1, {{kStreamA, 0, 12}}),
                                             request_spec(13, 1, {{kStreamA, 0, 12}}),
                                             request_spec(13, 1, {{kStreamA, 0, 12}}), request_spec(32, 1)};
  KvBlockManager m(8, requests.size(), 4, &requests);
  m.allocate(0, 3);
  m.allocate(1, 3);
  m.cache_full_blocks(0, 12);
  m.cache_full_blocks(1, 12);
  m.free(0);
  auto hit = m.find_cached_prefix(2, 12);
  EXPECT_EQ(hit.blocks, 3);
  EXPECT_EQ(hit.evictable, 3);  // request 0's copy, though request 1 holds its own
  m.free(1);
  // Taking all 8 blocks evicts only the 3 cached ones.
  m.allocate(3, 8);
  EXPECT_EQ(m.prefix_stats().evictions, 3);
  EXPECT_EQ(m.find_cached_prefix(2, 12).blocks, 0);
}

TEST(PrefixBlockPool, APreemptedRequestFindsItsOwnBlocksAgain) {
  // Nothing shared: request 0's blocks match only request 0.
  const std::vector<RequestSpec> requests = {request_spec(20, 30), request_spec(20, 30)};
  KvBlockManager m(8, requests.size(), 4, &requests);
  m.take_cached_prefix(0, {}, 19);
  m.allocate(0, 6);
  m.cache_full_blocks(0, 22);  // prompt and two output tokens: 5 full blocks
  m.free(0);                   // preempted
  EXPECT_EQ(m.find_cached_prefix(1, 21).blocks, 0);
  const auto hit = m.find_cached_prefix(0, 21);  // restarted with a prompt of 22 tokens
  EXPECT_EQ(hit.blocks, 5);
  EXPECT_EQ(hit.evictable, 5);
  m.take_cached_prefix(0, hit, 21);
  EXPECT_EQ(m.blocks_of(0), 5);
  EXPECT_EQ(m.allocated(), 5);
  EXPECT_EQ(m.prefix_stats().lookups, 2);
  EXPECT_EQ(m.prefix_stats().hit_tokens, 20);
}

TEST(PrefixBlockPool, MisuseIsASimulationError) {
  const std::vector<RequestSpec> requests = {request_spec(13, 1, {{kStreamA, 0, 12}}),
                                             request_spec(13, 1, {{kStreamA, 0, 12}})};
  KvBlockManager m(8, requests.size(), 4, &requests);
  m.allocate(0, 2);
  EXPECT_THROW(m.cache_full_blocks(0, 12), SimulationError);           // 3 full blocks in 2
  EXPECT_THROW(m.cache_full_blocks(1, 4), SimulationError);            // holds nothing
  EXPECT_THROW(m.take_cached_prefix(0, {}, 12), SimulationError);      // already holds blocks
  EXPECT_THROW(m.take_cached_prefix(1, {2, 0}, 12), SimulationError);  // nothing is cached
  EXPECT_THROW(m.allocate(0, 7), SimulationError);
  EXPECT_EQ(m.allocated(), 2);
  const std::vector<RequestSpec> none;
  EXPECT_THROW(KvBlockManager(8, 2, 0, &requests), SimulationError);
  EXPECT_THROW(KvBlockManager(8, 2, 4, nullptr), SimulationError);
  KvBlockManager unknown(8, 2, 4, &none);
  EXPECT_THROW(unknown.allocate(1, 1), SimulationError);  // no content known for request 1
}

TEST(PrefixBlockPool, CountingModeFindsNothing) {
  KvBlockManager m(8, 2);
  EXPECT_FALSE(m.prefix_caching());
  m.allocate(0, 3);
  m.cache_full_blocks(0, 12);
  EXPECT_EQ(m.find_cached_prefix(1, 12).blocks, 0);
  m.take_cached_prefix(1, {}, 12);
  EXPECT_EQ(m.prefix_stats().lookups, 0);
  EXPECT_EQ(m.allocated(), 3);
}

// End to end: K system prompts of length L; request i is prompt i % K followed by a suffix of
// its own. Every request but the first of each prompt finds the prompt's full blocks cached, up
// to its prompt less the last token.
namespace {

struct SystemPromptCase {
  int64_t system_tokens;  // L
  int64_t num_prompts;    // K
  double interval_s;      // between arrivals (0: all at once)
};

void PrintTo(const SystemPromptCase& c, std::ostream* out) {
  *out << "L=" << c.system_tokens << " K=" << c.num_prompts << " interval=" << c.interval_s;
}

class SystemPromptHits : public ::testing::TestWithParam<SystemPromptCase> {};

}  // namespace

TEST_P(SystemPromptHits, AreExactlyThePromptsFullBlocks) {
  const auto k = GetParam();
  constexpr int64_t kRequests = 40;
  SimulationConfig config;
  config.scheduler.replica_scheduler = "sarathi";
  config.scheduler.prefix_caching = true;
  config.scheduler.num_blocks = 4096;
  auto setup = plan_simulation(config, test_support::catalog());
  const int64_t block = setup.config.scheduler.block_size;
  std::vector<int64_t> expected_cached(kRequests, 0);
  int64_t expected_hit_blocks = 0, queried_tokens = 0, queried_blocks = 0, batch_tokens = 0;
  for (int64_t i = 0; i < kRequests; ++i) {
    // Suffixes of 0 to 20 tokens: a prompt may be the system prompt alone.
    const int64_t suffix = (i * 7) % 21;
    const int64_t prompt = k.system_tokens + suffix;
    const int64_t decode = 4 + i % 5;
    setup.requests.push_back(
        request_spec(prompt, decode, {{static_cast<uint64_t>(1000 + i % k.num_prompts), 0, k.system_tokens}}));
    setup.requests.back().arrived_at = k.interval_s * static_cast<double>(i);
    if (i >= k.num_prompts) {
      // The lookup covers the prompt less its last token, in whole blocks.
      const int64_t hit_blocks = std::min(k.system_tokens, prompt - 1) / block;
      expected_cached[static_cast<size_t>(i)] = hit_blocks * block;
      expected_hit_blocks += hit_blocks;
    }
    queried_tokens += prompt - 1;
    queried_blocks += (prompt - 1) / block;
    batch_tokens += prompt + decode - 1 - expected_cached[static_cast<size_t>(i)];
  }
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  ASSERT_EQ(summarize(sim).num_completed, kRequests);
  ASSERT_EQ(summarize(sim).num_restarts, 0);
  const auto& blocks = sim.replica_scheduler(0).blocks();
  const auto& s = blocks.prefix_stats();
  EXPECT_EQ(s.lookups, kRequests);
  EXPECT_EQ(s.queried_tokens, queried_tokens);
  EXPECT_EQ(s.queried_blocks, queried_blocks);
  EXPECT_EQ(s.hit_blocks, expected_hit_blocks);
  // When L is not a multiple of B, the last token never reaches into the prompt's full blocks.
  if (k.system_tokens % block != 0) {
    EXPECT_EQ(s.hit_blocks, (kRequests - k.num_prompts) * (k.system_tokens / block));
  }
  EXPECT_EQ(s.hit_tokens, expected_hit_blocks * block);
  EXPECT_EQ(s.evictions, 0);
  for (const auto& r : sim.requests())
    EXPECT_EQ(r.num_cached_prompt_tokens, expected_cached[static_cast<size_t>(r.id)]) << "request " << r.id;
  // Cached prompt tokens are not prefilled.
  EXPECT_DOUBLE_EQ(sim.metrics().batch_num_tokens().sum(), static_cast<double>(batch_tokens));
  EXPECT_EQ(blocks.allocated(), 0);
}

INSTANTIATE_TEST_SUITE_P(Sarathi, SystemPromptHits,
                         ::testing::Values(SystemPromptCase{100, 3, 5.0},  // L not a multiple of the block size
                                           SystemPromptCase{64, 4, 5.0},  // L a multiple: prompts of L tokens hit L - B
                                           SystemPromptCase{300, 2, 5.0},  // several blocks, few prompts
                                           SystemPromptCase{100, 3,
                                                            0.0}),  // all at once: hits on blocks cached when scheduled
                         [](const ::testing::TestParamInfo<SystemPromptCase>& info) {
                           return "L" + std::to_string(info.param.system_tokens) + "_K" +
                                  std::to_string(info.param.num_prompts) +
                                  (info.param.interval_s > 0 ? "_spaced" : "_burst");
                         });

TEST(SystemPromptHits, NoneWithoutPrefixCaching) {
  SimulationConfig config;
  config.scheduler.replica_scheduler = "sarathi";
  auto setup = plan_simulation(config, test_support::catalog());
  for (int64_t i = 0; i < 8; ++i) {
    setup.requests.push_back(request_spec(120, 4, {{1000, 0, 100}}));
    setup.requests.back().arrived_at = static_cast<double>(i);
  }
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  EXPECT_FALSE(sim.replica_scheduler(0).blocks().prefix_caching());
  EXPECT_EQ(sim.replica_scheduler(0).blocks().prefix_stats().lookups, 0);
  EXPECT_DOUBLE_EQ(sim.metrics().batch_num_tokens().sum(), 8.0 * (120 + 4 - 1));
}

TEST(SystemPromptHits, NothingSharedAndNoRestartsChangesNothing) {
  // Prefix caching on a workload without shared content finds nothing, so every request runs
  // exactly as in counting mode.
  SimulationConfig config;
  config.scheduler.replica_scheduler = "sarathi";
  config.workload.num_requests = 200;
  config.workload.qps = 1;
  std::vector<double> completed[2];
  for (bool caching : {false, true}) {
    config.scheduler.prefix_caching = caching;
    const auto setup = prepare_simulation(config, test_support::catalog());
    const auto predictor = test_support::make_predictor(setup);
    Simulation sim(setup, predictor);
    sim.run();
    ASSERT_EQ(summarize(sim).num_restarts, 0);
    EXPECT_EQ(sim.replica_scheduler(0).blocks().prefix_caching(), caching);
    EXPECT_EQ(sim.replica_scheduler(0).blocks().prefix_stats().hit_blocks, 0);
    for (const auto& r : sim.requests()) completed[caching ? 1 : 0].push_back(r.completed_at);
  }
  EXPECT_EQ(completed[0], completed[1]);
}

TEST(SystemPromptHits, VllmV0IgnoresPrefixCaching) {
  // vllm (v0) batches whole prompts and does not read the setting: with it set, requests that
  // share a system prompt run exactly as without.
  SimulationConfig config;
  config.scheduler.replica_scheduler = "vllm";
  std::vector<double> completed[2];
  for (bool caching : {false, true}) {
    config.scheduler.prefix_caching = caching;
    auto setup = plan_simulation(config, test_support::catalog());
    for (int64_t i = 0; i < 12; ++i) {
      setup.requests.push_back(request_spec(120 + i, 4, {{1000, 0, 100}}));
      setup.requests.back().arrived_at = 0.5 * static_cast<double>(i);
    }
    const auto predictor = test_support::make_predictor(setup);
    Simulation sim(setup, predictor);
    sim.run();
    EXPECT_EQ(sim.replica_scheduler(0).blocks().prefix_caching(), caching);  // built so, never used
    EXPECT_EQ(sim.replica_scheduler(0).blocks().prefix_stats().lookups, 0);
    for (const auto& r : sim.requests()) {
      EXPECT_EQ(r.num_cached_prompt_tokens, 0);
      completed[caching ? 1 : 0].push_back(r.completed_at);
    }
  }
  EXPECT_EQ(completed[0], completed[1]);
}
