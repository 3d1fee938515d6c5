#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "infersweep/common/random_stream.hpp"

using infersweep::RandomStream;

TEST(RandomStream, SameSeedAndPurposeGiveTheSameSequence) {
  RandomStream a(7, "interval"), b(7, "interval");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomStream, PurposesAndSeedsGiveDifferentSequences) {
  RandomStream a(7, "interval"), b(7, "length"), c(8, "interval");
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    same_ab += x == b.next_u64();
    same_ac += x == c.next_u64();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(RandomStream, UniformIsInRangeWithTheRightMean) {
  RandomStream rng(1, "u");
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
}

TEST(RandomStream, UniformIndexCoversEveryValueEvenly) {
  RandomStream rng(3, "index");
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.uniform_index(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(RandomStream, ExponentialHasMeanOneOverRate) {
  RandomStream rng(5, "exp");
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.exponential(4.0);
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.25, 0.0025);
  EXPECT_NEAR(std::sqrt(sum_sq / n - mean * mean) / mean, 1.0, 0.02);  // cv of an exponential
}

TEST(RandomStream, GammaHasTheRequestedMeanAndVariance) {
  for (const double shape : {0.5, 4.0}) {
    RandomStream rng(9, "gamma");
    double sum = 0, sum_sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
      const double x = rng.gamma(shape, 2.0);
      ASSERT_GT(x, 0.0);
      sum += x;
      sum_sq += x * x;
    }
    const double mean = sum / n, var = sum_sq / n - mean * mean;
    EXPECT_NEAR(mean, shape * 2.0, 0.02 * shape * 2.0) << "shape " << shape;
    EXPECT_NEAR(var, shape * 4.0, 0.05 * shape * 4.0) << "shape " << shape;
  }
}
