#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/deployment_cost.hpp"
#include "infersweep/search/probe_runner.hpp"
#include "infersweep/sim/statistics.hpp"

using namespace infersweep;
using search::ProbeRecord;

namespace {

// A deployment whose P99 scheduling delay grows steeply with load and crosses the 5 s SLO
// exactly at `capacity`: delay = 5 * (qps / capacity)^8.
search::ProbeOracle monotone_oracle(double capacity, std::vector<double>* asked = nullptr) {
  return [capacity, asked](double qps) {
    if (asked) asked->push_back(qps);
    ProbeRecord p;
    p.scheduling_delay_at_slo_quantile = 5.0 * std::pow(qps / capacity, 8);
    return p;
  };
}

// Every probe measures the same delay (and arrivals): all pass or all fail.
search::ProbeOracle constant_oracle(double delay, std::vector<double>* asked = nullptr, int64_t arrived = 0) {
  return [delay, asked, arrived](double qps) {
    if (asked) asked->push_back(qps);
    ProbeRecord p;
    p.scheduling_delay_at_slo_quantile = delay;
    p.num_arrived = arrived;
    return p;
  };
}

}  // namespace

TEST(CapacitySearch, FindsTheBoundaryWithinTheGranularity) {
  const search::SearchSettings settings;  // 2.5 %, 20 iterations, P99 <= 5 s
  for (const double capacity : {0.7, 3.3, 9.0, 37.5, 120.0, 1000.0}) {
    for (const double start : {1.0, 4.0, 32.0}) {
      std::vector<double> asked;
      const auto out = search::vidur_capacity_search(start, settings, monotone_oracle(capacity, &asked));
      SCOPED_TRACE("capacity " + std::to_string(capacity) + " start " + std::to_string(start));
      ASSERT_GE(out.best_probe, 0);
      EXPECT_LE(out.capacity_qps, capacity);
      // The bracket closes to within 2.5 % of the QPS. A start far from the capacity could use up
      // the 20 probes before it closes; then only the upper bound above holds.
      if (out.probes.size() < 20) {
        EXPECT_GE(out.capacity_qps, capacity * (1 - 0.026));
      }
      // Every probe is recorded, in order, with its verdict.
      ASSERT_EQ(out.probes.size(), asked.size());
      for (size_t i = 0; i < asked.size(); ++i) {
        EXPECT_DOUBLE_EQ(out.probes[i].qps, asked[i]);
        EXPECT_EQ(out.probes[i].passed, asked[i] <= capacity);
        EXPECT_EQ(out.probes[i].violated, asked[i] <= capacity ? "" : "scheduling_delay");
      }
      EXPECT_DOUBLE_EQ(out.probes[static_cast<size_t>(out.best_probe)].qps, out.capacity_qps);
      EXPECT_LE(out.probes.size(), 20u);
    }
  }
}

TEST(CapacitySearch, FollowsVidursFirstSteps) {
  // Start 4: bracket [0, 8], first probe 4. Far below the SLO (< 5/8) the upper end grows x4.
  std::vector<double> asked;
  search::vidur_capacity_search(4, {}, monotone_oracle(100, &asked));
  ASSERT_GE(asked.size(), 3u);
  EXPECT_DOUBLE_EQ(asked[0], 4);
  EXPECT_DOUBLE_EQ(asked[1], (4 + 32) / 2.0);
  EXPECT_DOUBLE_EQ(asked[2], (18 + 128) / 2.0);
}

TEST(CapacitySearch, HugeDelaysHalveTheUpperEnd) {
  std::vector<double> asked;
  search::vidur_capacity_search(100, {}, monotone_oracle(1, &asked));  // delay at 100 QPS: 5e16 s
  ASSERT_GE(asked.size(), 2u);
  EXPECT_DOUBLE_EQ(asked[1], (0 + 50) / 2.0);
}

TEST(CapacitySearch, StopsAfterMaxIterationsAndReportsNoCapacityWhenNothingPasses) {
  search::SearchSettings settings;
  settings.max_iterations = 4;
  const auto out = search::vidur_capacity_search(10, settings, constant_oracle(100));
  EXPECT_EQ(out.probes.size(), 4u);
  EXPECT_EQ(out.best_probe, -1);
  EXPECT_EQ(out.capacity_qps, 0);
}

TEST(CapacitySearch, OptionalSlosJudgeTtftAndTbt) {
  search::SloSettings slo;
  ProbeRecord p;
  p.scheduling_delay_at_slo_quantile = 1;
  p.ttft_p90 = 3;
  p.tbt_p99 = 0.5;
  search::judge_probe(p, slo);
  EXPECT_TRUE(p.passed);  // TTFT/TBT SLOs off by default
  slo.ttft_p90_max_s = 2;
  search::judge_probe(p, slo);
  EXPECT_FALSE(p.passed);
  EXPECT_EQ(p.violated, "ttft_p90");
  slo.tbt_p99_max_s = 0.2;
  p.scheduling_delay_at_slo_quantile = 6;
  search::judge_probe(p, slo);
  EXPECT_EQ(p.violated, "scheduling_delay,ttft_p90,tbt_p99");
  p.scheduling_delay_at_slo_quantile = std::nan("");  // never a silent pass
  slo = {};
  search::judge_probe(p, slo);
  EXPECT_FALSE(p.passed);
}

TEST(CapacitySearch, OracleErrorsPropagateAndBadStartIsRejected) {
  EXPECT_THROW(search::vidur_capacity_search(4, {}, [](double) -> ProbeRecord { throw SimulationError("boom"); }),
               SimulationError);
  EXPECT_THROW(search::vidur_capacity_search(0, {}, monotone_oracle(1)), InputError);
}

TEST(CapacitySearch, EarlyStopCountDecidesTheQuantileExactly) {
  // With k >= violations_that_decide(n, q) of n delays above the threshold, the interpolated
  // q-quantile exceeds it whatever the other values are: stopping then is safe.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(rng() % 300);
    const double q = std::uniform_real_distribution<double>(0, 1)(rng);
    const int64_t k = static_cast<int64_t>(rng() % static_cast<uint64_t>(n + 1));
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i) values.push_back(i < n - k ? 1.0 + static_cast<double>(i) / n : 10.0 + i);
    std::sort(values.begin(), values.end());
    if (k >= search::violations_that_decide(n, q)) {
      EXPECT_GT(sim::quantile_sorted(values, q), 5.0) << "n " << n << " q " << q << " k " << k;
    }
  }
  // And no fewer would do: with 101 values the P99 is the 100th exactly, so 2 are needed.
  EXPECT_EQ(search::violations_that_decide(101, 0.99), 2);
  std::vector<double> one_above(101, 1.0);
  one_above.back() = 100;
  EXPECT_LT(sim::quantile_sorted(one_above, 0.99), 5.0);
  EXPECT_EQ(search::violations_that_decide(16000, 0.99), 161);
}

TEST(DeploymentCost, CountsEveryGpuOfEveryReplica) {
  const auto c = search::deployment_cost(3, 2, 2, 2.21, 12.0);
  EXPECT_EQ(c.gpus, 12);
  EXPECT_DOUBLE_EQ(c.dollars_per_hour, 12 * 2.21);
  EXPECT_DOUBLE_EQ(c.qps_per_dollar, 12.0 / (12 * 2.21));
  EXPECT_DOUBLE_EQ(c.capacity_per_replica, 4.0);
  EXPECT_EQ(search::deployment_cost(1, 1, 1, 4.25, 0).qps_per_dollar, 0);
  EXPECT_THROW(search::deployment_cost(1, 1, 1, 0, 1), InputError);
  EXPECT_THROW(search::deployment_cost(0, 1, 1, 1, 1), InputError);
}

namespace {

// monotone_oracle with `requests` arrivals per probe and a median latency of `e2e_p50` seconds.
search::ProbeOracle sized_oracle(double capacity, int64_t requests, double e2e_p50 = 1.0) {
  return [=](double qps) {
    auto p = monotone_oracle(capacity)(qps);
    p.num_arrived = requests;
    p.e2e_p50 = e2e_p50;
    return p;
  };
}

}  // namespace

TEST(CapacitySearch, ASearchBoundedByTheSystemHasNoCaveat) {
  const auto out = search::vidur_capacity_search(4, {}, sized_oracle(10, 400));  // arrivals span ~40 s at capacity
  EXPECT_NEAR(out.capacity_qps, 10, 0.3);
  EXPECT_EQ(out.caveat, search::CapacityCaveat::none);
}

TEST(CapacitySearch, ArrivalsSpanningLessThanTheDelaySloOrTheLatencyMakeItWorkloadBound) {
  // 20 requests at 10 QPS arrive within 2 s: the whole workload drains inside the 5 s SLO.
  EXPECT_EQ(search::vidur_capacity_search(4, {}, sized_oracle(10, 20)).caveat, search::CapacityCaveat::workload_bound);
  // 400 requests span 40 s, but each takes a minute: the probe never reaches a steady state.
  EXPECT_EQ(search::vidur_capacity_search(4, {}, sized_oracle(10, 400, 60)).caveat,
            search::CapacityCaveat::workload_bound);
  EXPECT_STREQ(search::to_string(search::CapacityCaveat::workload_bound), "workload_bound");
}

TEST(CapacitySearch, ABracketStillOpenAtTheIterationLimitIsMarked) {
  search::SearchSettings settings;
  settings.max_iterations = 4;  // the bracket grows x4 per pass: still open after 4 probes
  const auto out = search::vidur_capacity_search(4, settings, sized_oracle(1e6, int64_t{1} << 40));
  EXPECT_EQ(out.probes.size(), 4u);
  EXPECT_EQ(out.caveat, search::CapacityCaveat::iteration_limit);
  settings.max_iterations = 20;
  EXPECT_EQ(search::vidur_capacity_search(4, settings, sized_oracle(10, int64_t{1} << 40)).caveat,
            search::CapacityCaveat::none);
}

TEST(PilotCapacitySearch, FindsTheBoundaryWithinTheGranularityFromAnyFirstQps) {
  const search::SearchSettings settings;  // 2.5 %, 20 iterations, P99 <= 5 s
  for (const double capacity : {0.7, 9.0, 120.0, 1000.0}) {
    for (const double ratio : {0.01, 0.3, 0.9, 0.97, 1.0, 1.04, 1.5, 40.0}) {
      std::vector<double> asked;
      const auto out = search::pilot_capacity_search(capacity * ratio, settings, monotone_oracle(capacity, &asked));
      SCOPED_TRACE("capacity " + std::to_string(capacity) + " first at " + std::to_string(ratio) + " x");
      ASSERT_GE(out.best_probe, 0);
      EXPECT_LE(out.capacity_qps, capacity);
      EXPECT_GE(out.capacity_qps, capacity * (1 - 0.025));
      ASSERT_EQ(out.probes.size(), asked.size());
      EXPECT_DOUBLE_EQ(asked[0], capacity * ratio);
      for (size_t i = 0; i < asked.size(); ++i) {
        EXPECT_DOUBLE_EQ(out.probes[i].qps, asked[i]);
        EXPECT_EQ(out.probes[i].passed, asked[i] <= capacity);
      }
      EXPECT_DOUBLE_EQ(out.probes[static_cast<size_t>(out.best_probe)].qps, out.capacity_qps);
      // It stopped with a failing QPS above the capacity, closer than 2.5 % of the last QPS.
      double lowest_failing = std::numeric_limits<double>::infinity();
      for (const auto& p : out.probes)
        if (!p.passed) lowest_failing = std::min(lowest_failing, p.qps);
      EXPECT_GT(lowest_failing, out.capacity_qps);
      EXPECT_LT(lowest_failing - out.capacity_qps, 0.025 * asked.back());
      // Near the capacity a few probes; far from it the step widens, so 100x off still converges.
      EXPECT_LE(out.probes.size(), ratio >= 0.9 && ratio <= 1.1 ? 7u : 19u);
    }
  }
}

TEST(PilotCapacitySearch, TakesTwoProbesFromAFirstQpsWithinTheGranularity) {
  const search::SearchSettings settings;
  // Capacity / first QPS, and the probes it takes: two within 2.4 %, four within 7 %.
  const std::pair<double, size_t> cases[] = {{0.976, 2}, {0.99, 2}, {1.0, 2},  {1.01, 2}, {1.024, 2}, {0.955, 4},
                                             {0.97, 4},  {1.03, 4}, {1.07, 4}, {0.9, 6},  {1.1, 7}};
  for (const auto& [ratio, probes] : cases) {
    std::vector<double> asked;
    const auto out = search::pilot_capacity_search(100, settings, monotone_oracle(100 * ratio, &asked));
    SCOPED_TRACE("capacity at " + std::to_string(ratio) + " x the first QPS");
    EXPECT_EQ(asked.size(), probes);
    EXPECT_GE(out.capacity_qps, 100 * ratio * (1 - 0.025));
    EXPECT_LE(out.capacity_qps, 100 * ratio);
  }
  // And against Vidur's loop from the grid's start, on the same boundary:
  std::vector<double> vidur;
  search::vidur_capacity_search(32, settings, monotone_oracle(171.5, &vidur));
  EXPECT_GE(vidur.size(), 7u);
}

TEST(PilotCapacitySearch, StaysWithinZeroAndTwoToThe32) {
  search::SearchSettings settings;
  std::vector<double> asked;
  // Nothing passes: the QPS falls by a widening factor, never to 0, until max_iterations.
  auto none = search::pilot_capacity_search(50, settings, constant_oracle(100, &asked));
  EXPECT_EQ(none.probes.size(), 20u);
  EXPECT_EQ(none.best_probe, -1);
  EXPECT_EQ(none.capacity_qps, 0);
  for (size_t i = 1; i < asked.size(); ++i) {
    EXPECT_GT(asked[i], 0);
    EXPECT_LT(asked[i], asked[i - 1]);
  }
  // Everything passes: the QPS rises to 2^32 and the search stops there, its bracket open.
  asked.clear();
  const auto all = search::pilot_capacity_search(1e9, settings, constant_oracle(0, &asked, int64_t{1} << 50));
  EXPECT_LT(all.probes.size(), 20u);
  EXPECT_DOUBLE_EQ(all.capacity_qps, 4294967296.0);
  EXPECT_LE(*std::max_element(asked.begin(), asked.end()), 4294967296.0);
  EXPECT_EQ(all.caveat, search::CapacityCaveat::iteration_limit);
}

TEST(SearchStrategy, TheSettingChoosesTheLoopAndThePilotRunsOnlyForItsOwn) {
  search::SearchSettings settings;
  int pilots = 0;
  const search::CapacityEstimate estimate = [&pilots] {
    ++pilots;
    return 37.0;
  };
  std::vector<double> asked, vidur;
  settings.strategy = "vidur";
  const auto v = search::search_capacity(4, settings, monotone_oracle(100, &asked), estimate);
  search::vidur_capacity_search(4, settings, monotone_oracle(100, &vidur));
  EXPECT_EQ(asked, vidur);
  EXPECT_EQ(pilots, 0);
  EXPECT_EQ(v.pilot_qps, 0);

  settings.strategy = "pilot";
  asked.clear();
  const auto p = search::search_capacity(4, settings, monotone_oracle(100, &asked), estimate);
  EXPECT_EQ(pilots, 1);
  EXPECT_DOUBLE_EQ(asked.at(0), 37.0);
  EXPECT_DOUBLE_EQ(p.pilot_qps, 37.0);
  // No usable estimate: the pilot loop starts from start_qps.
  for (const double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    asked.clear();
    const auto out = search::search_capacity(4, settings, monotone_oracle(100, &asked), [bad] { return bad; });
    EXPECT_DOUBLE_EQ(asked.at(0), 4.0);
    EXPECT_EQ(out.pilot_qps, 0);
  }
  settings.strategy = "bisect";
  EXPECT_THROW(config::check_settings(search::search_settings(), settings), InputError);
}

TEST(PilotCapacitySearch, TheFirstQpsLeavesTheQueueingHeadroomOfTheSlo) {
  search::SloSettings slo;  // 5 s at P99
  ASSERT_DOUBLE_EQ(slo.scheduling_delay_max_s, 5);
  ASSERT_DOUBLE_EQ(slo.scheduling_delay_quantile, 0.99);
  // One replica at 10 QPS: 50 requests' worth of service in the SLO; ln(100) / 6 of them as headroom.
  EXPECT_DOUBLE_EQ(search::first_probe_qps(10, 1, slo), 10 / (1 + std::log(100.0) / 6 / 50));
  // The headroom grows as each replica serves fewer requests within the SLO: slower replicas,
  // more of them sharing the rate, a tighter SLO, a higher quantile.
  const double one = search::first_probe_qps(160, 1, slo);
  const double sixteen = search::first_probe_qps(160, 16, slo);
  EXPECT_LT(sixteen, one);
  EXPECT_LT(one, 160);
  EXPECT_DOUBLE_EQ(sixteen, 16 * search::first_probe_qps(10, 1, slo));
  auto tight = slo;
  tight.scheduling_delay_max_s = 1;
  EXPECT_LT(search::first_probe_qps(10, 1, tight), search::first_probe_qps(10, 1, slo));
  auto median = slo;
  median.scheduling_delay_quantile = 0.5;
  EXPECT_GT(search::first_probe_qps(10, 1, median), search::first_probe_qps(10, 1, slo));
  // No finite headroom to compute, or none needed: the pilot's rate as it is.
  auto zero = slo;
  zero.scheduling_delay_max_s = 0;
  EXPECT_EQ(search::first_probe_qps(10, 1, zero), 10);
  auto every = slo;
  every.scheduling_delay_quantile = 1;
  EXPECT_EQ(search::first_probe_qps(10, 1, every), 10);
  auto none = slo;
  none.scheduling_delay_quantile = 0;
  EXPECT_EQ(search::first_probe_qps(10, 1, none), 10);
  // No pilot rate stays none, so the search starts from start_qps.
  EXPECT_EQ(search::first_probe_qps(0, 4, slo), 0);
}
