// The cache-aware router: follows the longest cached prefix while the replicas' load is
// balanced, the least loaded replica otherwise (docs/routing.md).
#include <algorithm>
#include <tuple>

#include "builtin_routers.hpp"
#include "routed_prefixes.hpp"

namespace infersweep::sim {

namespace {

class PrefixAwareRouter : public GlobalScheduler {
 public:
  explicit PrefixAwareRouter(const GlobalSchedulerContext& c)
      : requests_(c.requests),
        block_size_(c.scheduler.block_size),
        balance_abs_tokens_(c.scheduler.route_balance_abs_tokens),
        balance_rel_(c.scheduler.route_balance_rel),
        cache_threshold_(c.scheduler.route_cache_threshold),
        routed_(c.num_replicas, c.kv_blocks_per_replica) {}

  int32_t choose_replica(const ReplicaLoads& loads, RequestId id) override {
    const int32_t least = least_outstanding_replica(loads);
    const workload::RequestSpec* spec = requests_ ? &(*requests_)[static_cast<size_t>(id)] : nullptr;
    const int64_t prompt = spec ? spec->num_prefill_tokens : 0;
    // The blocks the request's replica will have computed by its end (all but its last token),
    // of which the lookup reads those of the prompt less its last token, as the replica's does.
    const auto chain = spec ? shared_block_chain(spec->content, block_size_, prompt + spec->num_decode_tokens - 1)
                            : std::vector<uint64_t>{};
    const auto lookup_blocks = static_cast<size_t>(std::max<int64_t>(0, prompt - 1) / block_size_);
    const int32_t chosen =
        !spec || imbalanced(loads) ? least : by_cache(loads, id, chain, lookup_blocks, prompt, least);
    routed_.record(chosen, chain);
    return chosen;
  }

 private:
  bool imbalanced(const ReplicaLoads& loads) const {
    int64_t most = loads.outstanding_tokens(0), fewest = most;
    for (int32_t r = 1; r < loads.num_replicas(); ++r) {
      most = std::max(most, loads.outstanding_tokens(r));
      fewest = std::min(fewest, loads.outstanding_tokens(r));
    }
    return most - fewest > balance_abs_tokens_ &&
           static_cast<double>(most) > balance_rel_ * static_cast<double>(fewest);
  }

  // The replica holding (or last sent) the longest prefix of the request, fewer outstanding
  // tokens then the lower id among equals, if that prefix is at least the cache threshold's
  // share of the prompt; else the least loaded.
  int32_t by_cache(const ReplicaLoads& loads, RequestId id, const std::vector<uint64_t>& chain, size_t lookup_blocks,
                   int64_t prompt, int32_t least) const {
    int32_t best = -1;
    int64_t best_match = 0;
    for (int32_t r = 0; r < loads.num_replicas(); ++r) {
      const int64_t match =
          std::max(loads.cached_prefix_tokens(r, id), routed_.leading_blocks(r, chain, lookup_blocks) * block_size_);
      if (best < 0 || std::make_tuple(-match, loads.outstanding_tokens(r)) <
                          std::make_tuple(-best_match, loads.outstanding_tokens(best))) {
        best = r;
        best_match = match;
      }
    }
    return static_cast<double>(best_match) >= cache_threshold_ * static_cast<double>(prompt) ? best : least;
  }

  const std::vector<workload::RequestSpec>* requests_;
  int64_t block_size_;
  int64_t balance_abs_tokens_;
  double balance_rel_;
  double cache_threshold_;
  RoutedPrefixes routed_;
};

}  // namespace

void add_prefix_aware_router(GlobalSchedulerRegistry& registry) {
  registry.add(
      "prefix_aware", [](const GlobalSchedulerContext& c) { return std::make_unique<PrefixAwareRouter>(c); },
      GlobalSchedulerTraits{{"route-balance-abs-tokens", "route-balance-rel", "route-cache-threshold"}},
      "the longest cached (or earlier routed) prompt prefix while load is balanced, else the least loaded");
}

}  // namespace infersweep::sim
