#include "infersweep/search/capacity_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/config/identity.hpp"

namespace infersweep::search {

namespace {

constexpr double kHighestQps = 4294967296.0;  // 2^32: Vidur's upper end of every bracket
constexpr double kWidestStep = 4;             // the pilot strategy's widest step, as Vidur's x4

config::SettingGroup<SloSettings> declare_slo() {
  using config::Identity;
  config::SettingGroup<SloSettings> g("Capacity search (over the grid's search: section)");
  g.add(&SloSettings::scheduling_delay_quantile, "scheduling-delay-quantile", Identity::config(),
        "quantile of the scheduling delay the SLO bounds")
      .key("slo_scheduling_delay_quantile")
      .at_least(0)
      .at_most(1);
  g.add(&SloSettings::scheduling_delay_max_s, "scheduling-delay-slo", Identity::config(),
        "most scheduling delay at that quantile")
      .key("slo_scheduling_delay")
      .non_negative()
      .unit("s");
  g.add(&SloSettings::ttft_p90_max_s, "ttft-p90-slo", Identity::config(), "most TTFT at P90 (0: no TTFT SLO)")
      .key("slo_ttft_p90")
      .non_negative()
      .unit("s");
  g.add(&SloSettings::tbt_p99_max_s, "tbt-p99-slo", Identity::config(), "most TBT at P99 (0: no TBT SLO)")
      .key("slo_tbt_p99")
      .non_negative()
      .unit("s");
  return g;
}

config::SettingGroup<SearchSettings> declare() {
  using config::Identity;
  config::SettingGroup<SearchSettings> g("Capacity search (over the grid's search: section)");
  g.nest(&SearchSettings::slo, slo_settings());
  g.add(&SearchSettings::granularity_percent, "granularity-percent", Identity::config(),
        "stop when the bracket is narrower than this share of the QPS")
      .positive()
      .unit("%");
  g.add(&SearchSettings::max_iterations, "max-iterations", Identity::config(), "probes per search at most").at_least(1);
  g.add(&SearchSettings::time_limit_s, "probe-time-limit", Identity::config(),
        "simulated seconds per probe (0: none; Vidur: 30 minutes)")
      .grid_key("time_limit")
      .non_negative()
      .unit("s");
  g.add(&SearchSettings::early_stop, "early-stop", Identity::config(),
        "end a probe once its scheduling-delay SLO is lost");
  g.add(&SearchSettings::strategy, "search-strategy", Identity::config(),
        "pilot (probe around the rate a pilot run of every request waiting at once completes them at) or vidur "
        "(Vidur-Search's binary search from the trace's start_qps)")
      .grid_key("strategy")
      .choices([] { return search_strategies(); });
  g.add(&SearchSettings::pilot_requests, "pilot-requests", Identity::config(),
        "requests of the pilot run, all on one replica of a colocated deployment (at most the trace's num_requests; "
        "strategy pilot)")
      .grid_key("pilot_requests")
      .at_least(8)
      .unit("requests");
  return g;
}

}  // namespace

const config::SettingGroup<SloSettings>& slo_settings() {
  static const auto group = declare_slo();
  return group;
}

const config::SettingGroup<SearchSettings>& search_settings() {
  static const auto group = declare();
  return group;
}

std::string SearchSettings::canonical() const { return config::settings_text(search_settings(), *this); }

void judge_probe(ProbeRecord& p, const SloSettings& slo) {
  std::string violated;
  auto miss = [&violated](const char* name) { violated += (violated.empty() ? "" : ",") + std::string(name); };
  if (!(p.scheduling_delay_at_slo_quantile <= slo.scheduling_delay_max_s)) miss("scheduling_delay");
  if (slo.ttft_p90_max_s > 0 && !(p.ttft_p90 <= slo.ttft_p90_max_s)) miss("ttft_p90");
  if (slo.tbt_p99_max_s > 0 && !(p.tbt_p99 <= slo.tbt_p99_max_s)) miss("tbt_p99");
  p.violated = violated;
  p.passed = violated.empty();
}

const char* to_string(CapacityCaveat caveat) {
  switch (caveat) {
    case CapacityCaveat::iteration_limit:
      return "iteration_limit";
    case CapacityCaveat::workload_bound:
      return "workload_bound";
    case CapacityCaveat::none:
      break;
  }
  return "none";
}

CapacityCaveat capacity_caveat(const CapacityOutcome& outcome, bool converged, const SloSettings& slo) {
  if (outcome.best_probe < 0) return CapacityCaveat::none;
  const auto& p = outcome.probes[static_cast<size_t>(outcome.best_probe)];
  const double arrival_span_s = static_cast<double>(p.num_arrived) / p.qps;
  if (arrival_span_s < slo.scheduling_delay_max_s || arrival_span_s < p.e2e_p50) return CapacityCaveat::workload_bound;
  if (!converged) return CapacityCaveat::iteration_limit;
  return CapacityCaveat::none;
}

namespace {

void require_start(double qps, const char* what) {
  if (!(qps > 0) || !std::isfinite(qps))
    throw InputError(std::string("a capacity search needs a positive, finite ") + what + ", got " + format_double(qps));
}

}  // namespace

double first_probe_qps(double saturated_qps, double replicas, const SloSettings& slo) {
  // Kingman's heavy-traffic approximation of a queue with service rate mu per replica: its
  // delay quantile q is about C x ln(1 / (1 - q)) / (mu (1 - rho)) at utilisation rho, C the
  // arrivals' and services' squared variation halved. Solved for the delay at the SLO:
  // rho = 1 / (1 + C ln(1 / (1 - q)) / (SLO x mu)). A replica serving a batch varies far less
  // than one serving a request at a time: C = 1/6 took the fewest probes when the 4,374
  // searches of data/grids/vidur-default.yaml were replayed against their capacities
  // (docs/performance.md, "The whole grid").
  constexpr double kVariability = 1.0 / 6;
  const double per_replica = saturated_qps / replicas;
  const double headroom =
      kVariability * std::log(1 / (1 - slo.scheduling_delay_quantile)) / (slo.scheduling_delay_max_s * per_replica);
  if (!(headroom >= 0) || !std::isfinite(headroom)) return saturated_qps;
  return saturated_qps / (1 + headroom);
}

const std::vector<std::string>& search_strategies() {
  static const std::vector<std::string> names{"pilot", "vidur"};
  return names;
}

CapacityOutcome search_capacity(double start_qps, const SearchSettings& s, const ProbeOracle& probe,
                                const CapacityEstimate& estimate) {
  if (s.strategy == "vidur") return vidur_capacity_search(start_qps, s, probe);
  if (s.strategy != "pilot") throw InputError("unknown search strategy '" + s.strategy + "'");
  require_start(start_qps, "start_qps");
  const double pilot = estimate ? estimate() : 0;
  const bool usable = pilot > 0 && std::isfinite(pilot);
  auto out = pilot_capacity_search(usable ? std::min(pilot, kHighestQps) : start_qps, s, probe);
  out.pilot_qps = usable ? pilot : 0;
  return out;
}

CapacityOutcome pilot_capacity_search(double first_qps, const SearchSettings& s, const ProbeOracle& probe) {
  require_start(first_qps, "first QPS");
  CapacityOutcome out;
  double passing = 0;                                        // highest passing QPS probed (0: none yet)
  double failing = std::numeric_limits<double>::infinity();  // lowest failing QPS probed
  // Just inside the granularity: a pass and a fail one step apart close the bracket.
  double factor = 1 + 0.99 * s.granularity_percent / 100;
  double qps = first_qps;
  const auto bracketed = [&] { return passing > 0 && std::isfinite(failing); };
  const auto closed = [&] { return bracketed() && failing - passing < s.granularity_percent * qps / 100; };
  for (int64_t i = 0; i < s.max_iterations; ++i) {
    if (i > 0) {
      if (closed()) break;
      if (bracketed()) {
        qps = (passing + failing) / 2;
      } else {
        qps = passing > 0 ? std::min(passing * factor, kHighestQps) : failing / factor;
        factor = std::min(factor * factor, kWidestStep);
        if (qps <= passing) break;  // at the highest QPS probed and still passing
      }
    }
    auto record = probe(qps);
    record.qps = qps;
    judge_probe(record, s.slo);
    out.probes.push_back(std::move(record));
    if (out.probes.back().passed) {
      if (qps > passing) {
        passing = qps;
        out.capacity_qps = qps;
        out.best_probe = static_cast<int64_t>(out.probes.size()) - 1;
      }
    } else {
      failing = std::min(failing, qps);
    }
  }
  out.caveat = capacity_caveat(out, closed(), s.slo);
  return out;
}

CapacityOutcome vidur_capacity_search(double start_qps, const SearchSettings& s, const ProbeOracle& probe) {
  require_start(start_qps, "start_qps");
  const double slo = s.slo.scheduling_delay_max_s;
  CapacityOutcome out;
  double left = 0, right = 2 * start_qps, qps = 0;
  double lowest_failing = kHighestQps;
  const auto closed = [&] { return std::abs(left - right) < s.granularity_percent * qps / 100; };
  for (int64_t i = 0; i < s.max_iterations; ++i) {
    if (closed()) break;
    qps = (left + right) / 2;
    auto record = probe(qps);
    record.qps = qps;
    judge_probe(record, s.slo);
    const double delay = record.scheduling_delay_at_slo_quantile;
    out.probes.push_back(std::move(record));
    const auto& p = out.probes.back();
    if (p.passed) {
      out.capacity_qps = qps;
      out.best_probe = static_cast<int64_t>(out.probes.size()) - 1;
      if (delay < slo / 8)
        right = std::min(4 * right, lowest_failing);
      else if (delay < slo / 4 || qps > 0.8 * right)
        right = std::min(2 * right, lowest_failing);
      left = qps;
    } else {
      right = delay > 500 ? qps / 2 : qps;
      lowest_failing = std::min(lowest_failing, qps);
    }
  }
  out.caveat = capacity_caveat(out, closed(), s.slo);
  return out;
}

}  // namespace infersweep::search
