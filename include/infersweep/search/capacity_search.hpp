#pragma once
// The capacity search: the highest arrival rate (QPS) a deployment sustains while its
// scheduling-delay quantile, and optionally TTFT-p90 and TBT-p99, stay within the SLO. Two
// strategies: Vidur-Search's binary search from the grid's start QPS, whose bracket widens
// quickly while the delay is far below the SLO, and a bracket around the rate a short pilot run
// completes requests at, which puts every probe near the capacity. The search only sees an
// oracle `qps -> ProbeRecord` (and the pilot's estimate), so it is testable without simulating.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"

namespace infersweep::search {

struct SloSettings {
  double scheduling_delay_quantile = 0.99;  // Vidur: P99 scheduling delay
  double scheduling_delay_max_s = 5.0;      // ... at most 5 s
  double ttft_p90_max_s = 0;                // 0: no TTFT SLO
  double tbt_p99_max_s = 0;                 // 0: no TBT SLO
};

struct SearchSettings {
  SloSettings slo;
  double granularity_percent = 2.5;  // stop when the bracket is narrower than this share of QPS
  int64_t max_iterations = 20;       // probes per search at most
  double time_limit_s = 1800;        // simulated seconds per probe (0: none); Vidur's 30 min
  bool early_stop = true;            // end a probe once its scheduling-delay SLO is lost
  std::string strategy = "pilot";    // pilot | vidur (search_capacity)
  int64_t pilot_requests = 4096;     // requests of the pilot run (at most num_requests)

  std::string canonical() const;  // `key = value` lines, part of every config identity
};

// The search settings a grid's `search:` section sets (keys: the settings' grid keys).
const config::SettingGroup<SloSettings>& slo_settings();
const config::SettingGroup<SearchSettings>& search_settings();  // nests slo_settings()

// What one probe (one simulation at one QPS) measured. Latency quantiles are over the requests
// that arrived before the simulation ended; a request still waiting counts with the time it
// has waited so far (a lower bound), so a time-limited or stopped run never looks better than
// it is. E2E quantiles are over completed requests.
struct ProbeRecord {
  double qps = 0;
  bool passed = false;
  std::string violated;  // SLOs missed, comma-separated: scheduling_delay, ttft_p90, tbt_p99
  double scheduling_delay_at_slo_quantile = 0;
  double scheduling_delay_p50 = 0, scheduling_delay_p99 = 0;
  double ttft_p50 = 0, ttft_p90 = 0, ttft_p99 = 0;
  double tbt_p50 = 0, tbt_p90 = 0, tbt_p99 = 0;
  double e2e_p50 = 0, e2e_p90 = 0, e2e_p99 = 0;
  double mfu_mean_percent = 0;  // mean over replicas and stages, time-weighted
  double busy_mean_percent = 0;
  double memory_usage_mean_percent = 0;  // KV blocks in use, mean over replicas
  double batch_size_mean = 0;
  // Prefix cache, summed over replicas (sim::PrefixCacheStats): lookups, hit rates of the
  // queried tokens and blocks (0 when nothing was queried), cached blocks evicted.
  int64_t prefix_lookups = 0;
  double prefix_hit_rate_tokens = 0, prefix_hit_rate_blocks = 0;
  int64_t prefix_evictions = 0;
  int64_t num_arrived = 0, num_completed = 0;
  double simulated_s = 0;
  bool hit_time_limit = false;
  bool stopped_early = false;
};

// Why a capacity may say more about the search or the workload than about the deployment.
// Such configs are kept out of fronts and best choices unless a report is asked to include
// them, since they once topped a Pareto front with 56,173 QPS on 8 GPUs.
enum class CapacityCaveat {
  none,
  // The search used max_iterations probes and its bracket was still open.
  iteration_limit,
  // At capacity the probe's arrivals span less time than the scheduling-delay SLO or the
  // median end-to-end latency: the whole workload can queue and drain within the SLO, so the
  // capacity measures the number of requests, not the deployment's throughput.
  workload_bound,
};
const char* to_string(CapacityCaveat caveat);  // "none", "iteration_limit", "workload_bound"

struct CapacityOutcome {
  double capacity_qps = 0;  // 0 when no probe passed
  int64_t best_probe = -1;  // index into probes of the probe at capacity, -1 if none
  std::vector<ProbeRecord> probes;
  CapacityCaveat caveat = CapacityCaveat::none;
  double pilot_qps = 0;  // the pilot strategy's estimate (0: none, or the vidur strategy)
};

// The caveat of a search that ended (`converged`: its bracket closed within the granularity).
CapacityCaveat capacity_caveat(const CapacityOutcome& outcome, bool converged, const SloSettings& slo);

// Decides pass/fail of a probe from its measurements and fills `passed` and `violated`.
void judge_probe(ProbeRecord& probe, const SloSettings& slo);

using ProbeOracle = std::function<ProbeRecord(double qps)>;
// The pilot run of the pilot strategy: a QPS near the capacity (0 or less: none known;
// first_probe_qps of the pilot's rate).
using CapacityEstimate = std::function<double()>;

// The pilot strategy's first QPS from the pilot's rate (ProbeRunner::saturated_qps) of a
// deployment of `replicas` replicas: below it by the headroom a queue needs to keep the SLO's
// delay quantile within the SLO (heavy-traffic approximation); the rate itself where the SLO
// leaves no finite headroom to compute (a zero delay SLO, a quantile of 1).
double first_probe_qps(double saturated_qps, double replicas, const SloSettings& slo);

// The strategies, by their names in SearchSettings::strategy.
const std::vector<std::string>& search_strategies();

// Runs the settings' strategy: vidur_capacity_search from start_qps, or pilot_capacity_search
// from `estimate()` (from start_qps when the estimate is not a positive, finite QPS).
CapacityOutcome search_capacity(double start_qps, const SearchSettings& settings, const ProbeOracle& probe,
                                const CapacityEstimate& estimate);

// The pilot strategy. The first probe is at `first_qps`; while every probe has passed, the next is
// higher by a factor, while every probe has failed lower by one, the factor starting just inside
// the granularity (1 + 0.99 x granularity) and squared at each step (at most x4); once a passing
// and a failing QPS bracket the capacity, the midpoint is probed. Stops as Vidur's loop does
// (bracket within granularity_percent of the last QPS probed, or max_iterations), never probes
// above 2^32 QPS, and gives the highest passing QPS probed. With a first QPS within the
// granularity of the capacity and monotone verdicts it takes two probes, where Vidur's loop takes
// about eight from far below.
CapacityOutcome pilot_capacity_search(double first_qps, const SearchSettings& settings, const ProbeOracle& probe);

// Vidur's capacity_search.py loop: bracket [0, 2 x start_qps], probe the midpoint; on a pass
// raise the lower end and widen the upper end (x4 below SLO/8, x2 below SLO/4 or near the top,
// never past the lowest failing QPS); on a fail lower the upper end (halve it when the delay
// exceeds 500 s). Stops when the bracket is within granularity_percent of the QPS or after
// max_iterations probes. Exceptions from the oracle propagate.
CapacityOutcome vidur_capacity_search(double start_qps, const SearchSettings& settings, const ProbeOracle& probe);

}  // namespace infersweep::search
