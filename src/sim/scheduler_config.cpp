#include "infersweep/sim/scheduler_config.hpp"

#include <algorithm>

#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::sim {

namespace {

// The built-in replica schedulers whose traits list `setting`, for help.
std::function<std::string()> read_by(const std::string& setting) {
  return [setting] { return builtin_replica_schedulers().names_reading(setting); };
}

// The built-in routers whose traits list `setting`, for help.
std::function<std::string()> routed_by(const std::string& setting) {
  return [setting] { return builtin_global_schedulers().names_reading(setting); };
}

config::SettingGroup<SchedulerConfig> declare() {
  using config::Identity;
  config::SettingGroup<SchedulerConfig> g("Scheduling");
  g.add(&SchedulerConfig::replica_scheduler, "replica-scheduler", Identity::config(), "how each replica forms batches")
      .plugins([] { return builtin_replica_schedulers().names(); });
  g.add(&SchedulerConfig::global_scheduler, "global-scheduler", Identity::config(),
        "how arriving requests are routed to replicas")
      .plugins([] { return builtin_global_schedulers().names(); });
  g.add(&SchedulerConfig::batch_size_cap, "batch-size-cap", Identity::config(),
        "most requests in flight per replica (split across PP micro-batches)")
      .at_least(1)
      .unit("requests");
  g.add(&SchedulerConfig::block_size, "block-size", Identity::config_and_predictor(),
        "tokens per KV block (schedulers that count KV in tokens use 1 unless set)")
      .at_least(1)
      .unit("tokens");
  g.add(&SchedulerConfig::watermark_blocks_fraction, "watermark-blocks-fraction", Identity::config(),
        "share of KV blocks kept free when admitting a request")
      .at_least(0)
      .below(1)
      .applies_to(read_by("watermark-blocks-fraction"));
  g.add(&SchedulerConfig::num_blocks, "num-blocks", Identity::config(),
        "KV blocks per replica (0: from the memory planner)")
      .non_negative()
      .unit("blocks");
  g.add(&SchedulerConfig::max_tokens_in_batch, "max-tokens-in-batch", Identity::config(),
        "token budget of a prefill batch")
      .at_least(1)
      .unit("tokens")
      .applies_to(read_by("max-tokens-in-batch"));
  g.add(&SchedulerConfig::chunk_size, "chunk-size", Identity::config(), "token budget of an iteration")
      .at_least(1)
      .unit("tokens")
      .applies_to(read_by("chunk-size"));
  g.add(&SchedulerConfig::max_waiting_iters, "max-waiting-iters", Identity::config(),
        "decode iterations before a prefill is forced")
      .at_least(1)
      .applies_to(read_by("max-waiting-iters"));
  g.add(&SchedulerConfig::prefix_caching, "prefix-caching", Identity::config(),
        "automatic prefix caching: full KV blocks of a prompt prefix seen before are reused, not prefilled")
      .applies_to(read_by("prefix-caching"));
  g.add(&SchedulerConfig::route_balance_abs_tokens, "route-balance-abs-tokens", Identity::config(),
        "load counts as imbalanced when the replicas' most and least outstanding tokens differ by more than this "
        "(and by route-balance-rel); the router then routes to the least loaded")
      .non_negative()
      .unit("tokens")
      .applies_to(routed_by("route-balance-abs-tokens"));
  g.add(&SchedulerConfig::route_balance_rel, "route-balance-rel", Identity::config(),
        "load counts as imbalanced when the most outstanding tokens are also above this times the least")
      .at_least(1)
      .applies_to(routed_by("route-balance-rel"));
  g.add(&SchedulerConfig::route_cache_threshold, "route-cache-threshold", Identity::config(),
        "share of a prompt that must be found cached on a replica (or routed there before) for the router to "
        "follow the cache rather than the load")
      .at_least(0)
      .at_most(1)
      .applies_to(routed_by("route-cache-threshold"));
  return g;
}

}  // namespace

const config::SettingGroup<SchedulerConfig>& scheduler_settings() {
  static const auto group = declare();
  return group;
}

}  // namespace infersweep::sim
