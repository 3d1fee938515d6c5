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

// The built-in schedulers whose running requests `setting` caps, for help.
std::string capped_by(const std::string& setting) {
  std::string out;
  for (const auto* entry : builtin_replica_schedulers().entries())
    if (entry->traits.request_cap == setting) out += (out.empty() ? "" : ", ") + entry->name;
  return out;
}

// The default as help shows it: the declared value, then the value each built-in scheduler
// takes unless the setting is given ("false; true for vllm_v1").
std::string default_with_implied(const std::string& setting, const std::string& declared) {
  std::string note = declared;
  for (const auto* entry : builtin_replica_schedulers().entries())
    for (const auto& [name, value] : entry->traits.implied_settings)
      if (name == setting) note += "; " + value + " for " + entry->name;
  return note;
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
      .unit("requests")
      .applies_to([] { return capped_by("batch-size-cap"); });
  const SchedulerConfig defaults;
  g.add(&SchedulerConfig::block_size, "block-size", Identity::config_and_predictor(), "tokens per KV block")
      .at_least(1)
      .unit("tokens")
      .default_note(default_with_implied("block-size", std::to_string(defaults.block_size)));
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
      .applies_to(read_by("prefix-caching"))
      .default_note(default_with_implied("prefix-caching", defaults.prefix_caching ? "true" : "false"));
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
  g.add(&SchedulerConfig::max_num_batched_tokens, "max-num-batched-tokens", Identity::config(),
        "token budget of an iteration, decodes and prompt chunks together; the default is vLLM v0.11.0's for "
        "its OpenAI server on GPUs of 70 GiB or more other than the A100")
      .at_least(1)
      .unit("tokens")
      .applies_to(read_by("max-num-batched-tokens"));
  g.add(&SchedulerConfig::max_num_seqs, "max-num-seqs", Identity::config(),
        "most requests admitted at once, in flight or waiting for their next step; the default is vLLM "
        "v0.11.0's, as for --max-num-batched-tokens")
      .at_least(1)
      .unit("requests")
      .applies_to(read_by("max-num-seqs"));
  g.add(&SchedulerConfig::long_prefill_token_threshold, "long-prefill-token-threshold", Identity::config(),
        "most prompt tokens one request is given in an iteration; 0, vLLM v0.11.0's default, leaves only the "
        "budget")
      .non_negative()
      .unit("tokens")
      .applies_to(read_by("long-prefill-token-threshold"));
  return g;
}

}  // namespace

const config::SettingGroup<SchedulerConfig>& scheduler_settings() {
  static const auto group = declare();
  return group;
}

}  // namespace infersweep::sim
