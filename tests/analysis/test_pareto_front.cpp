// The Pareto and best-config rules on hand-made points: dominance, ties, missing metrics,
// the near-front tolerance and the SLO filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "infersweep/analysis/pareto_front.hpp"

namespace infersweep::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ParetoFront, KeepsNonDominatedPointsByIncreasingLatency) {
  //                                 0           1           2 (dominated by 0)  3
  const std::vector<TradeoffPoint> p{{3.0, 1.0}, {2.0, 0.5}, {1.0, 2.0}, {4.0, 3.0}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1, 0, 3}));
}

TEST(ParetoFront, EmptyAndSinglePoint) {
  EXPECT_TRUE(pareto_front({}).empty());
  EXPECT_EQ(pareto_front({{1.0, 1.0}}), (std::vector<size_t>{0}));
}

TEST(ParetoFront, IdenticalPointsAreAllOnTheFront) {
  const std::vector<TradeoffPoint> p{{2.0, 1.0}, {1.0, 0.5}, {2.0, 1.0}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1, 0, 2}));
}

TEST(ParetoFront, EqualLatencyKeepsOnlyTheMostQpsPerDollar) {
  const std::vector<TradeoffPoint> p{{1.0, 1.0}, {2.0, 1.0}, {1.5, 1.0}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1}));
}

TEST(ParetoFront, EqualQpsPerDollarKeepsOnlyTheLowestLatency) {
  const std::vector<TradeoffPoint> p{{2.0, 1.5}, {2.0, 1.0}, {2.0, 3.0}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1}));
}

TEST(ParetoFront, PointsWithAMissingOrInfiniteCoordinateTakeNoPart) {
  // Without the missing points, {3, 2} would be dominated by the NaN-latency point's QPS.
  const std::vector<TradeoffPoint> p{{kNaN, 0.1}, {9.0, kNaN}, {3.0, 2.0}, {kInf, 0.5}, {1.0, 1.0}, {5.0, -kInf}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{4, 2}));
  EXPECT_EQ(near_front(p, pareto_front(p), 0.5), (std::vector<size_t>{2, 4}));
  EXPECT_TRUE(pareto_front({{kNaN, kNaN}}).empty());
}

// The front equals the set of points no other point dominates, checked by brute force on
// random points drawn from a small lattice so that ties are frequent.
TEST(ParetoFront, MatchesTheDefinitionOnRandomPointsWithTies) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> coordinate(0, 6);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<TradeoffPoint> p(1 + trial % 25);
    for (auto& point : p) point = {0.5 * coordinate(rng), 0.25 * coordinate(rng)};
    std::vector<size_t> expected;
    for (size_t i = 0; i < p.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < p.size(); ++j)
        dominated |= p[j].qps_per_dollar >= p[i].qps_per_dollar && p[j].latency_s <= p[i].latency_s &&
                     (p[j].qps_per_dollar > p[i].qps_per_dollar || p[j].latency_s < p[i].latency_s);
      if (!dominated) expected.push_back(i);
    }
    auto front = pareto_front(p);
    for (size_t k = 1; k < front.size(); ++k) EXPECT_LE(p[front[k - 1]].latency_s, p[front[k]].latency_s);
    std::sort(front.begin(), front.end());
    EXPECT_EQ(front, expected) << "trial " << trial;
  }
}

TEST(NearFront, ToleranceBoundsAreInclusiveOnBothAxes) {
  const TradeoffPoint f{10.0, 2.0};
  EXPECT_TRUE(is_near({5.0, 3.0}, f, 0.5));
  EXPECT_FALSE(is_near({4.999, 3.0}, f, 0.5));
  EXPECT_FALSE(is_near({5.0, 3.001}, f, 0.5));
  EXPECT_TRUE(is_near(f, f, 0.0));
}

TEST(NearFront, IncludesFrontPointsAndConfigsCloseToAnyOfThem) {
  //                                 front        front        near 0       near 1        far
  const std::vector<TradeoffPoint> p{{10.0, 1.0}, {12.0, 2.0}, {9.5, 1.05}, {11.0, 2.1}, {5.0, 1.5}};
  const auto front = pareto_front(p);
  EXPECT_EQ(front, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(near_front(p, front, 0.1), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(near_front(p, front, 0.0), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(near_front(p, {}, 0.1).empty());
}

ConfigCandidate config(const std::string& id, double qps_per_dollar, double ttft, double tbt, double capacity = 10,
                       long long gpus = 4) {
  return {id, qps_per_dollar, capacity, gpus, ttft, tbt};
}

TEST(BestUnderSlos, TakesTheMostQpsPerDollarAmongConfigsMeetingBothSlos) {
  const SloLimits slos{2.0, 0.2};
  const std::vector<ConfigCandidate> c{config("a", 3.0, 2.5, 0.1),  // misses TTFT
                                       config("b", 2.9, 1.0, 0.3),  // misses TBT
                                       config("c", 2.0, 2.0, 0.2),  // on both limits: meets them
                                       config("d", 1.0, 0.5, 0.05)};
  EXPECT_FALSE(meets_slos(c[0], slos));
  EXPECT_FALSE(meets_slos(c[1], slos));
  EXPECT_TRUE(meets_slos(c[2], slos));
  EXPECT_EQ(best_under_slos(c, slos), std::optional<size_t>(2));
  EXPECT_EQ(best_under_slos(c, {3.0, 0.5}), std::optional<size_t>(0));
  EXPECT_FALSE(best_under_slos(c, {0.1, 0.01}).has_value());
  EXPECT_FALSE(best_under_slos({}, slos).has_value());
}

TEST(BestUnderSlos, AMissingMetricOrCapacityNeverMeetsTheSlos) {
  const SloLimits slos{2.0, 0.2};
  EXPECT_FALSE(meets_slos(config("a", 5.0, kNaN, 0.1), slos));
  EXPECT_FALSE(meets_slos(config("b", 5.0, 1.0, kNaN), slos));
  EXPECT_FALSE(meets_slos(config("c", kNaN, 1.0, 0.1), slos));
  const std::vector<ConfigCandidate> c{config("a", 5.0, kNaN, 0.1), config("b", 1.0, 1.0, 0.1)};
  EXPECT_EQ(best_under_slos(c, slos), std::optional<size_t>(1));
}

TEST(BestUnderSlos, TiesGoToCapacityThenFewerGpusThenTheSmallerConfigId) {
  const SloLimits slos{2.0, 0.2};
  EXPECT_EQ(best_under_slos({config("a", 2.0, 1, 0.1, 10), config("b", 2.0, 1, 0.1, 20)}, slos),
            std::optional<size_t>(1));
  EXPECT_EQ(best_under_slos({config("a", 2.0, 1, 0.1, 10, 8), config("b", 2.0, 1, 0.1, 10, 4)}, slos),
            std::optional<size_t>(1));
  EXPECT_EQ(best_under_slos({config("b", 2.0, 1, 0.1), config("a", 2.0, 1, 0.1)}, slos), std::optional<size_t>(1));
  EXPECT_EQ(best_under_slos({config("a", 2.0, 1, 0.1), config("b", 2.0, 1, 0.1)}, slos), std::optional<size_t>(0));
}

}  // namespace
}  // namespace infersweep::analysis
