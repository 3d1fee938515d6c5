// add_repeatedly skips runs of additions that round alike; every series' sum stays bit-identical
// only if it gives what the additions one by one give, for every running sum and value:
// checked where the shortcut could slip (ties, binade ends, a value below half a spacing) and
// on random sums, values and counts of every magnitude.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "infersweep/sim/repeated_sum.hpp"

namespace infersweep::sim {
namespace {

double one_by_one(double sum, double value, int64_t count) {
  for (int64_t i = 0; i < count; ++i) sum += value;
  return sum;
}

void expect_same(double sum, double value, int64_t count) {
  const double expected = one_by_one(sum, value, count);
  const double got = add_repeatedly(sum, value, count);
  EXPECT_TRUE(got == expected || (std::isnan(got) && std::isnan(expected)))
      << std::hexfloat << "sum " << sum << " value " << value << " count " << count << ": " << got << " instead of "
      << expected;
}

TEST(AddRepeatedly, MatchesOneByOneAtTiesAndBinadeEnds) {
  for (int exponent : {-1021, -1000, -970, -30, -1, 0, 1, 20, 52, 1000, 1024}) {
    const double top = std::ldexp(1.0, exponent);
    const double ulp = std::ldexp(1.0, exponent - 53);
    for (double sum : {top / 2, top / 2 + ulp, top - ulp, top - 7 * ulp, top * 0.75}) {
      // Halfway between multiples of the spacing (ties to even), just off it, below half a
      // spacing, exactly a spacing, and values that cross the binade at once.
      for (double value : {ulp / 2, ulp / 2 * (1 + 0x1p-20), ulp / 2 * (1 - 0x1p-20), ulp / 4, ulp, 1.5 * ulp,
                           2.5 * ulp, 3 * ulp + ulp / 2, 1000.5 * ulp, top / 3, top, 3 * top})
        for (int64_t count : {1, 2, 5, 6, 17, 1000, 100000}) expect_same(sum, value, count);
    }
  }
}

TEST(AddRepeatedly, MatchesOneByOneOnRandomOperands) {
  std::mt19937_64 rng(20261129);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0);
  std::uniform_int_distribution<int> sum_exponent(-40, 40), gap(-60, 10);
  std::uniform_int_distribution<int64_t> count(0, 3000);
  for (int i = 0; i < 20000; ++i) {
    const int e = sum_exponent(rng);
    const double sum = i % 10 == 0 ? 0.0 : std::ldexp(mantissa(rng), e);
    double value = std::ldexp(mantissa(rng), e + gap(rng));
    // Values on a coarse grid: sums of gaps and times repeat short binary fractions.
    if (i % 3 == 0) value = std::ldexp(std::round(std::ldexp(value, 20 - e)), e - 20);
    expect_same(sum, value, count(rng));
  }
}

TEST(AddRepeatedly, LeavesZeroNegativeAndNonFiniteOperandsToTheAdditions) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (double sum : {0.0, -0.0, -3.5, 1.0, 1e300, inf, nan, std::numeric_limits<double>::denorm_min()})
    for (double value : {0.0, -1.25, 0.1, 1e-310, 1e300, inf, -inf, nan})
      for (int64_t count : {0, 1, 7, 500}) expect_same(sum, value, count);
}

}  // namespace
}  // namespace infersweep::sim
