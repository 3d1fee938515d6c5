#pragma once
// The numbers a finished simulation reports: distributions of every request, token and batch
// metric, and per-replica utilisation. Also what a capacity search reads.
#include <string>
#include <utility>
#include <vector>

#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/statistics.hpp"

namespace infersweep::sim {

struct ReplicaUsage {
  double memory_usage_mean_percent = 0;
  double memory_usage_max_percent = 0;
  std::vector<double> busy_mean_percent;  // per stage
  std::vector<double> mfu_mean_percent;   // per stage
};

// One pool of a disaggregated deployment: its replicas' utilisation, averaged over them (memory)
// and over their stages (busy, MFU).
struct PoolUsage {
  std::string name;  // prefill, decode
  std::string gpu;
  int64_t replicas = 0, gpus = 0;
  double memory_usage_mean_percent = 0, memory_usage_max_percent = 0;
  double busy_mean_percent = 0, mfu_mean_percent = 0;
};

// Utilisation in Vidur's conventions (see vidur_utilisation.hpp), comparable one to one with
// the `*_weighted_mean` figures of its plots/*.json: KV memory as the plain mean of its samples,
// busy time and MFU time-weighted from a stage's first batch start to its last batch end, MFU
// against fp16_tflops x 2^40. NaN where Vidur reports nothing (a stage that never ran).
struct VidurUtilisation {
  struct Replica {
    double memory_usage_percent = 0;
    std::vector<double> busy_percent;  // per stage
    std::vector<double> mfu_percent;   // per stage
  };
  // Means over replicas (memory) and over every replica's stages (busy, MFU), the way Vidur's
  // analyzer averages its per-replica files.
  double memory_usage_percent = 0;
  double busy_percent = 0;
  double mfu_percent = 0;
  std::vector<Replica> replicas;
};

// The prefix-cache counters (PrefixCacheStats) of each replica and their sums. All zero when
// the replicas do not cache prefixes.
struct PrefixCacheSummary {
  bool enabled = false;  // the replicas' KV managers run in prefix-caching mode
  PrefixCacheStats total;
  std::vector<PrefixCacheStats> replicas;
};
PrefixCacheSummary summarize_prefix_cache(const Simulation& simulation);

// Hit rates, hit over queried tokens or blocks; 0 when nothing was queried (no lookup, or only
// prompts shorter than a block), so that a run without prefix caching reads as no hits.
double token_hit_rate(const PrefixCacheStats& stats);
double block_hit_rate(const PrefixCacheStats& stats);

struct SimulationSummary {
  int64_t num_requests = 0;
  int64_t num_completed = 0;
  int64_t num_restarts = 0;
  int64_t num_batches = 0;
  int64_t num_events = 0;
  double end_time_s = 0;
  bool hit_time_limit = false;
  // Operator lookups outside the predictor's grids, extrapolated instead (counted on the
  // predictor, so this includes other simulations sharing it).
  int64_t predictor_out_of_grid_lookups = 0;
  double completed_per_second = 0;
  double output_tokens_per_second = 0;
  std::vector<std::pair<std::string, Distribution>> request_metrics;  // in a fixed order
  std::vector<std::pair<std::string, Distribution>> batch_metrics;
  Distribution tbt;
  Distribution inter_arrival_delay;
  std::vector<ReplicaUsage> replicas;  // prefill pool first, then the decode pool
  std::vector<PoolUsage> pools;        // disaggregated: prefill, decode; else empty
  VidurUtilisation vidur_utilisation;
  PrefixCacheSummary prefix_cache;

  const Distribution& request_metric(const std::string& name) const;
};

SimulationSummary summarize(const Simulation& simulation);

}  // namespace infersweep::sim
