// The routers' rules on replica loads set by hand: each rule and each tie.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/scheduler_config.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

class FakeLoads : public ReplicaLoads {
 public:
  explicit FakeLoads(int32_t n) : queued_(n, 0), outstanding_(n, 0), kv_(n, 0.0) {}
  int32_t num_replicas() const override { return static_cast<int32_t>(queued_.size()); }
  int64_t queued(int32_t r) const override { return queued_[static_cast<size_t>(r)]; }
  int64_t outstanding_tokens(int32_t r) const override { return outstanding_[static_cast<size_t>(r)]; }
  double kv_usage(int32_t r) const override { return kv_[static_cast<size_t>(r)]; }
  int64_t cached_prefix_tokens(int32_t r, RequestId id) const override {
    const auto it = cached_.find({r, id});
    return it == cached_.end() ? 0 : it->second;
  }

  std::vector<int64_t> queued_, outstanding_;
  std::vector<double> kv_;
  std::map<std::pair<int32_t, RequestId>, int64_t> cached_;
};

std::unique_ptr<GlobalScheduler> router(const std::string& name, const GlobalSchedulerContext& context) {
  return builtin_global_schedulers().create("global-scheduler", name, context);
}

std::unique_ptr<GlobalScheduler> router(const std::string& name, int32_t replicas) {
  GlobalSchedulerContext context;
  context.num_replicas = replicas;
  return router(name, context);
}

workload::RequestSpec spec(int64_t prompt, int64_t output, workload::TokenContent content = {}) {
  workload::RequestSpec s;
  s.num_prefill_tokens = prompt;
  s.num_decode_tokens = output;
  s.content = std::move(content);
  return s;
}

// Three replicas, 16-token blocks; imbalanced beyond 1,000 tokens and 1.5 times; the cache is
// followed from half the prompt.
GlobalSchedulerContext prefix_context(const std::vector<workload::RequestSpec>* requests, int64_t kv_blocks = 1000) {
  GlobalSchedulerContext c;
  c.num_replicas = 3;
  c.scheduler.block_size = 16;
  c.scheduler.route_balance_abs_tokens = 1000;
  c.scheduler.route_balance_rel = 1.5;
  c.scheduler.route_cache_threshold = 0.5;
  c.kv_blocks_per_replica = kv_blocks;
  c.requests = requests;
  return c;
}

}  // namespace

TEST(Routers, AreRegisteredByNameAndTheirSettingsSayWhoReadsThem) {
  for (const char* name : {"round_robin", "random", "lor", "least_outstanding_tokens", "least_kv", "prefix_aware"})
    EXPECT_TRUE(builtin_global_schedulers().contains(name)) << name;
  for (const char* setting : {"route-balance-abs-tokens", "route-balance-rel", "route-cache-threshold"})
    EXPECT_EQ(scheduler_settings().at(setting).spec().applies_to(), "prefix_aware") << setting;
}

TEST(LeastOutstandingTokens, PicksTheFewestTokensLowestIdOnTies) {
  auto r = router("least_outstanding_tokens", 3);
  FakeLoads loads(3);
  loads.outstanding_ = {500, 200, 300};
  loads.queued_ = {0, 9, 0};  // queues do not count, tokens do
  EXPECT_EQ(r->choose_replica(loads, 0), 1);
  loads.outstanding_ = {200, 100, 100};
  EXPECT_EQ(r->choose_replica(loads, 1), 1);
  loads.outstanding_ = {100, 100, 100};
  EXPECT_EQ(r->choose_replica(loads, 2), 0);
  loads.outstanding_ = {100, 100, 0};
  EXPECT_EQ(r->choose_replica(loads, 3), 2);
}

TEST(LeastKv, PicksTheLowestUsageThenFewerQueuedThenLowestId) {
  auto r = router("least_kv", 3);
  FakeLoads loads(3);
  loads.kv_ = {0.5, 0.2, 0.3};
  loads.queued_ = {0, 5, 0};
  EXPECT_EQ(r->choose_replica(loads, 0), 1);
  loads.kv_ = {0.2, 0.2, 0.5};
  loads.queued_ = {3, 1, 0};
  EXPECT_EQ(r->choose_replica(loads, 1), 1);
  loads.kv_ = {0.4, 0.2, 0.2};
  loads.queued_ = {0, 2, 2};
  EXPECT_EQ(r->choose_replica(loads, 2), 1);
  loads.kv_ = {0.0, 0.0, 0.0};
  loads.queued_ = {0, 0, 0};
  loads.outstanding_ = {900, 0, 0};  // outstanding tokens do not count
  EXPECT_EQ(r->choose_replica(loads, 3), 0);
}

TEST(PrefixAware, ImbalancedLoadGoesToTheLeastLoadedWhateverIsCached) {
  const std::vector<workload::RequestSpec> requests{spec(200, 10)};
  auto r = router("prefix_aware", prefix_context(&requests));
  FakeLoads loads(3);
  loads.cached_[{0, 0}] = 192;
  // 5000 - 100 > 1000 and 5000 > 1.5 x 100.
  loads.outstanding_ = {5000, 100, 3000};
  EXPECT_EQ(r->choose_replica(loads, 0), 1);
}

TEST(PrefixAware, LoadIsImbalancedOnlyWhenBothGapsAreExceeded) {
  const std::vector<workload::RequestSpec> requests(3, spec(200, 10));
  FakeLoads loads(3);
  for (RequestId id = 0; id < 3; ++id) loads.cached_[{0, id}] = 160;  // 0.8 of the prompt on replica 0
  // Absolute gap 5000 > 1000, but 30000 is not above 1.5 x 25000: balanced, the cache decides.
  loads.outstanding_ = {30000, 25000, 28000};
  EXPECT_EQ(router("prefix_aware", prefix_context(&requests))->choose_replica(loads, 0), 0);
  // Relative gap unbounded (over 0 tokens), absolute gap 1000 is not above 1000: balanced.
  loads.outstanding_ = {1000, 0, 500};
  EXPECT_EQ(router("prefix_aware", prefix_context(&requests))->choose_replica(loads, 1), 0);
  // One token more and both gaps are exceeded.
  loads.outstanding_ = {1001, 0, 500};
  EXPECT_EQ(router("prefix_aware", prefix_context(&requests))->choose_replica(loads, 2), 1);
}

TEST(PrefixAware, FollowsTheLongestMatchFromTheCacheThresholdOn) {
  const std::vector<workload::RequestSpec> requests{spec(200, 10), spec(192, 10), spec(192, 10)};
  auto r = router("prefix_aware", prefix_context(&requests));
  FakeLoads loads(3);
  loads.outstanding_ = {300, 100, 200};
  // 64 of 200 tokens (0.32) is below the threshold of 0.5: the least loaded.
  loads.cached_[{2, 0}] = 64;
  EXPECT_EQ(r->choose_replica(loads, 0), 1);
  // 96 of 192 is exactly half: followed.
  loads.cached_[{2, 1}] = 96;
  EXPECT_EQ(r->choose_replica(loads, 1), 2);
  // The longest match wins over a shorter one on a less loaded replica.
  loads.cached_[{0, 2}] = 176;
  loads.cached_[{1, 2}] = 160;
  EXPECT_EQ(r->choose_replica(loads, 2), 0);
}

TEST(PrefixAware, EqualMatchesGoToTheLessLoadedThenTheLowerId) {
  const std::vector<workload::RequestSpec> requests(2, spec(200, 10));
  auto r = router("prefix_aware", prefix_context(&requests));
  FakeLoads loads(3);
  for (RequestId id = 0; id < 2; ++id) {
    loads.cached_[{0, id}] = 64;
    loads.cached_[{1, id}] = 128;
    loads.cached_[{2, id}] = 128;
  }
  loads.outstanding_ = {0, 500, 400};
  EXPECT_EQ(r->choose_replica(loads, 0), 2);
  loads.outstanding_ = {0, 400, 400};
  EXPECT_EQ(r->choose_replica(loads, 1), 1);
}

TEST(PrefixAware, ABurstWithANewPrefixFollowsItsFirstRequestBeforeAnythingIsCached) {
  // Three requests sharing a 160-token system prompt (stream 7), each with 40 tokens of its own;
  // then one with another prompt.
  const workload::TokenContent shared{{7, 0, 160}};
  const std::vector<workload::RequestSpec> requests{spec(200, 10, shared), spec(200, 10, shared), spec(200, 10, shared),
                                                    spec(200, 10, {{8, 0, 160}})};
  auto r = router("prefix_aware", prefix_context(&requests));
  FakeLoads loads(3);  // nothing cached anywhere
  EXPECT_EQ(r->choose_replica(loads, 0), 0);
  loads.outstanding_[0] += 210;
  EXPECT_EQ(r->choose_replica(loads, 1), 0);  // 160 of 200 tokens routed there before
  loads.outstanding_[0] += 210;
  EXPECT_EQ(r->choose_replica(loads, 2), 0);
  loads.outstanding_[0] += 210;
  EXPECT_EQ(r->choose_replica(loads, 3), 1);  // nothing in common: the least loaded

  // A router that has routed nothing yet sends the same request by load alone.
  auto fresh = router("prefix_aware", prefix_context(&requests));
  EXPECT_EQ(fresh->choose_replica(loads, 1), 1);
}

TEST(PrefixAware, RequestsShareBlocksOnlyWithTheSameStreamsAtTheSameOffsets) {
  const std::vector<workload::RequestSpec> requests{
      spec(200, 10, {{5, 0, 100}, {5, 100, 100}}),  // stream 5, tokens 0-199, in two spans
      spec(200, 10, {{5, 0, 200}}),                 // the same tokens in one span
      spec(200, 10, {{5, 16, 200}}),                // the same stream shifted by one block
      spec(200, 10, {{5, 0, 96}, {6, 96, 104}}),    // leaves stream 5 after 6 blocks
  };
  auto r = router("prefix_aware", prefix_context(&requests));
  FakeLoads loads(3);
  EXPECT_EQ(r->choose_replica(loads, 0), 0);
  loads.outstanding_ = {500, 0, 0};
  EXPECT_EQ(r->choose_replica(loads, 1), 0);  // all 12 lookup blocks (192 tokens) match
  EXPECT_EQ(r->choose_replica(loads, 2), 1);  // no block matches
  // 6 blocks (96 tokens) of 200 match, 0.48, below the threshold: the least loaded.
  loads.outstanding_ = {500, 300, 0};
  EXPECT_EQ(r->choose_replica(loads, 3), 2);
}

TEST(PrefixAware, OnlyFullBlocksOfSharedTokensMatch) {
  // 40 shared tokens then the request's own: two full shared blocks, 32 tokens of 200.
  const workload::TokenContent shared{{3, 0, 40}};
  const std::vector<workload::RequestSpec> requests{spec(200, 10, shared), spec(200, 10, shared)};
  auto context = prefix_context(&requests);
  context.scheduler.route_cache_threshold = 0.15;  // 32 / 200 = 0.16 above, 0.17 below
  auto follows = router("prefix_aware", context);
  FakeLoads loads(3);
  EXPECT_EQ(follows->choose_replica(loads, 0), 0);
  loads.outstanding_ = {210, 0, 0};
  EXPECT_EQ(follows->choose_replica(loads, 1), 0);

  context.scheduler.route_cache_threshold = 0.17;
  auto does_not = router("prefix_aware", context);
  loads.outstanding_ = {0, 0, 0};
  EXPECT_EQ(does_not->choose_replica(loads, 0), 0);
  loads.outstanding_ = {210, 0, 0};
  EXPECT_EQ(does_not->choose_replica(loads, 1), 1);
}

TEST(PrefixAware, RemembersAReplicasKvBlocksForgettingTheLeastRecentlyRoutedFirst) {
  // 12 blocks remembered per replica. A and B each bring 12 shared blocks (192 tokens, lookups
  // of 12 blocks); after both went to replica 0, only B's blocks are left there.
  const std::vector<workload::RequestSpec> requests{spec(200, 0, {{1, 0, 200}}), spec(200, 0, {{2, 0, 200}}),
                                                    spec(200, 0, {{2, 0, 200}}), spec(200, 0, {{1, 0, 200}})};
  auto r = router("prefix_aware", prefix_context(&requests, 12));
  FakeLoads loads(3);
  loads.outstanding_ = {0, 50, 50};
  EXPECT_EQ(r->choose_replica(loads, 0), 0);  // A
  EXPECT_EQ(r->choose_replica(loads, 1), 0);  // B, by load
  loads.outstanding_ = {100, 0, 50};
  EXPECT_EQ(r->choose_replica(loads, 2), 0);  // B again: remembered
  EXPECT_EQ(r->choose_replica(loads, 3), 1);  // A again: forgotten, by load

  // With room for 14 blocks, A keeps its first two (its leading blocks are its most recent),
  // 32 of 200 tokens (0.16): followed under a threshold of 0.15.
  auto context = prefix_context(&requests, 14);
  context.scheduler.route_cache_threshold = 0.15;
  auto roomier = router("prefix_aware", context);
  loads.outstanding_ = {0, 50, 50};
  EXPECT_EQ(roomier->choose_replica(loads, 0), 0);
  EXPECT_EQ(roomier->choose_replica(loads, 1), 0);
  loads.outstanding_ = {100, 0, 50};
  EXPECT_EQ(roomier->choose_replica(loads, 3), 0);
}

TEST(PrefixAware, WithoutTheRequestsRoutesByLoad) {
  auto r = router("prefix_aware", prefix_context(nullptr));
  FakeLoads loads(3);
  loads.outstanding_ = {300, 100, 200};
  loads.cached_[{2, 0}] = 4096;  // a prompt of unknown length: no share to compare
  EXPECT_EQ(r->choose_replica(loads, 0), 1);
}
