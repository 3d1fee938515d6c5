// The sketch's bucket keys come from per-binade threshold tables instead of a log() per value;
// every output stays bit-identical only if the tables give the defining expression's key for
// every double. Checked at each bucket boundary (where a table could be off by one) and on
// random doubles of every magnitude.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "infersweep/common/double_bits.hpp"
#include "infersweep/sim/log_bucket_keys.hpp"
#include "infersweep/sim/statistics.hpp"

using infersweep::double_bits;
using infersweep::double_from_bits;
using namespace infersweep::sim;

namespace {

const double kLogGamma = std::log((1.0 + 0.001) / (1.0 - 0.001));

// Smallest positive double whose key is at least k: a plain bisection over all positive
// bit patterns, independent of how the tables find it.
uint64_t threshold(const LogBucketKeys& keys, int64_t k) {
  uint64_t low = 0, high = double_bits(std::numeric_limits<double>::max());  // key(low) < k <= key(high)
  while (high - low > 1) {
    const uint64_t middle = low + (high - low) / 2;
    if (keys.exact(double_from_bits(middle)) >= k) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high;
}

// Every bucket boundary of the binades [2^first, 2^last), with two neighbours on either side.
void expect_boundaries_match(int first, int last) {
  LogBucketKeys keys(kLogGamma);
  const int64_t first_key = keys.exact(std::ldexp(1.0, first)) + 1;
  const int64_t last_key = keys.exact(std::ldexp(1.0, last));
  for (int64_t k = first_key; k <= last_key; ++k) {
    const uint64_t t = threshold(keys, k);
    for (uint64_t bits = t - 2; bits <= t + 2; ++bits) {
      const double value = double_from_bits(bits);
      ASSERT_EQ(keys.key(value), keys.exact(value)) << "value " << value << " near the threshold of key " << k;
    }
    ASSERT_EQ(keys.exact(double_from_bits(t)), k);
    ASSERT_EQ(keys.exact(double_from_bits(t - 1)), k - 1);
  }
  // Each threshold's sub-range and its neighbour's came from the table, not the log.
  EXPECT_GE(keys.tabulated_sub_ranges(), last_key - first_key + 1);
}

}  // namespace

TEST(LogBucketKeys, MatchesTheLogAtEveryBucketBoundary) {
  expect_boundaries_match(-24, 12);       // 60 ns to 4096 s; batch sizes and token counts
  expect_boundaries_match(-1022, -1019);  // the smallest normal binades
  expect_boundaries_match(1020, 1023);    // up to 2^1023
}

TEST(LogBucketKeys, MatchesTheLogOnRandomDoublesOfEveryMagnitude) {
  std::mt19937_64 random(20240611);
  // Every binade, in windows of 32 (the table of one instance spans 64 at most).
  for (int first = -1022; first <= 1023; first += 32) {
    LogBucketKeys keys(kLogGamma);
    const int last = std::min(first + 32, 1024);
    const uint64_t low = double_bits(std::ldexp(1.0, first));
    const uint64_t high =
        last == 1024 ? double_bits(std::numeric_limits<double>::max()) : double_bits(std::ldexp(1.0, last));
    std::uniform_int_distribution<uint64_t> in_window(low, high);
    for (int i = 0; i < 5000; ++i) {
      const double value = double_from_bits(in_window(random));
      ASSERT_EQ(keys.key(value), keys.exact(value)) << value;
    }
    EXPECT_GT(keys.tabulated_sub_ranges(), 3000) << "binades from 2^" << first;
  }
  // The magnitudes the simulator records: seconds between tokens and per batch, token counts.
  LogBucketKeys keys(kLogGamma);
  std::uniform_real_distribution<double> exponent(-20.0, 20.0);
  for (int i = 0; i < 1500000; ++i) {
    const double value = std::exp2(exponent(random));
    ASSERT_EQ(keys.key(value), keys.exact(value)) << value;
  }
  for (int n = 1; n <= 200000; ++n) {
    ASSERT_EQ(keys.key(n), keys.exact(n)) << n;
  }
}

TEST(LogBucketKeys, ValuesBeyondTheTableTakeTheLog) {
  LogBucketKeys keys(kLogGamma);
  EXPECT_EQ(keys.key(1.0), keys.exact(1.0));
  const int64_t tabulated = keys.tabulated_sub_ranges();
  EXPECT_EQ(tabulated, 1);
  for (const double far : {1e-200, 1e200}) {
    EXPECT_EQ(keys.key(far), keys.exact(far));
    EXPECT_EQ(keys.tabulated_sub_ranges(), tabulated);
  }
}

TEST(LogBucketKeys, SubnormalsAndTheExtremeNormalsMatchTheLog) {
  LogBucketKeys keys(kLogGamma);
  const double subnormal = std::numeric_limits<double>::denorm_min() * 12345;
  EXPECT_EQ(keys.key(subnormal), keys.exact(subnormal));
  EXPECT_EQ(keys.key(std::numeric_limits<double>::min()), keys.exact(std::numeric_limits<double>::min()));
  EXPECT_EQ(keys.key(std::numeric_limits<double>::max()), keys.exact(std::numeric_limits<double>::max()));
}

TEST(LogBucketKeys, OtherAccuraciesMatchTheLogToo) {
  for (const double a : {0.01, 0.05, 0.3}) {
    LogBucketKeys keys(std::log((1.0 + a) / (1.0 - a)));
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> exponent(-40.0, 40.0);
    for (int i = 0; i < 100000; ++i) {
      const double value = std::exp2(exponent(random));
      ASSERT_EQ(keys.key(value), keys.exact(value)) << "a = " << a << ", value " << value;
    }
    EXPECT_GT(keys.tabulated_sub_ranges(), 80) << "a = " << a;
  }
}

TEST(QuantileSketch, QuantilesAreWithinTheRelativeAccuracyOfTheExactOnes) {
  QuantileSketch sketch;
  std::vector<double> values;
  std::mt19937_64 random(3);
  std::lognormal_distribution<double> gap(-3.5, 0.6);
  for (int i = 0; i < 20000; ++i) {
    values.push_back(gap(random));
    sketch.add(values.back());
  }
  sketch.add(0.0);  // counted, in no bucket
  values.push_back(0.0);
  const Distribution exact = summarize_exact(values);
  const Distribution sketched = sketch.summarize();
  EXPECT_EQ(sketched.count, exact.count);
  EXPECT_EQ(sketched.min, 0.0);
  EXPECT_EQ(sketched.max, exact.max);
  for (const auto& [got, want] :
       {std::pair{sketched.p50, exact.p50}, std::pair{sketched.p90, exact.p90}, std::pair{sketched.p99, exact.p99}}) {
    EXPECT_NEAR(got, want, 0.0011 * want);
  }
}

TEST(QuantileSketch, ARepeatedValueAddedOnceCountsAsManySamplesBitForBit) {
  QuantileSketch one_by_one, in_runs;
  std::mt19937_64 random(11);
  std::lognormal_distribution<double> gap(-3.5, 0.6);
  std::uniform_int_distribution<int64_t> run(1, 40);
  for (int i = 0; i < 3000; ++i) {
    const double value = i % 97 == 0 ? 0.0 : gap(random);
    const int64_t n = run(random);
    for (int64_t k = 0; k < n; ++k) one_by_one.add(value);
    in_runs.add(value, n);
  }
  in_runs.add(1.0, 0);  // nothing
  const Distribution a = one_by_one.summarize(), b = in_runs.summarize();
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(one_by_one.sum(), in_runs.sum());  // the same additions in the same order
  for (const auto& [x, y] :
       {std::pair{a.mean, b.mean}, std::pair{a.min, b.min}, std::pair{a.max, b.max}, std::pair{a.p50, b.p50},
        std::pair{a.p90, b.p90}, std::pair{a.p95, b.p95}, std::pair{a.p99, b.p99}})
    EXPECT_EQ(x, y);
}

// The summary's sort gives the sequence std::sort gives, bit for bit, on the series it sorts
// (a radix sort above a few thousand values) and on those it leaves to std::sort.
TEST(SortValues, GivesStdSortsSequence) {
  std::mt19937_64 random(5);
  std::lognormal_distribution<double> latency(-1.0, 2.0);
  std::uniform_int_distribution<int> tokens(1, 4096);
  std::uniform_int_distribution<uint64_t> any_bits;
  const auto check = [](std::vector<double> values) {
    std::vector<double> expected = values;
    std::sort(expected.begin(), expected.end());
    sort_values(values);
    ASSERT_EQ(values.size(), expected.size());
    for (size_t i = 0; i < values.size(); ++i)
      ASSERT_EQ(double_bits(values[i]), double_bits(expected[i])) << "at " << i << " of " << values.size();
  };
  for (size_t n : {0u, 1u, 100u, 4095u, 4096u, 100000u}) {
    std::vector<double> latencies, counts, mixed, ratios;
    for (size_t i = 0; i < n; ++i) {
      latencies.push_back(latency(random));
      counts.push_back(static_cast<double>(tokens(random)));  // many equal values
      double any = double_from_bits(any_bits(random));
      if (std::isnan(any)) any = -1.5;  // every other bit pattern: both signs, subnormals, infinities
      mixed.push_back(i % 7 == 0 ? 0.0 : any);
      ratios.push_back(static_cast<double>(tokens(random)) / static_cast<double>(tokens(random)));
    }
    check(latencies);
    check(counts);
    check(mixed);
    check(ratios);
    // In order already (constant, ascending with repeats), or all but the last value.
    check(std::vector<double>(n, 0.0));
    check(std::vector<double>(n, 2.5));
    std::vector<double> ascending = counts;
    std::sort(ascending.begin(), ascending.end());
    check(ascending);
    if (!ascending.empty()) ascending.back() = -1.0;
    check(ascending);
    std::reverse(ascending.begin(), ascending.end());
    check(ascending);
  }
  // Zeros of both signs and NaN go to std::sort: the result is still sorted and complete.
  std::vector<double> zeros(5000, 0.0);
  zeros[17] = -0.0;
  zeros[4000] = 3.0;
  sort_values(zeros);
  EXPECT_TRUE(std::is_sorted(zeros.begin(), zeros.end()));
  EXPECT_EQ(zeros.back(), 3.0);
  std::vector<double> with_nan(5000, 1.0);
  with_nan[10] = std::numeric_limits<double>::quiet_NaN();
  sort_values(with_nan);
  EXPECT_EQ(std::count_if(with_nan.begin(), with_nan.end(), [](double v) { return std::isnan(v); }), 1);
}
