#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "infersweep/common/double_bits.hpp"
#include "infersweep/common/double_text_memo.hpp"
#include "infersweep/common/text.hpp"

using namespace infersweep;

namespace {

// The text the tables have always had: "nan", "inf", "-inf", else std::to_chars's shortest
// round-trip form (the reference the faster paths must reproduce byte for byte).
std::string reference_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  EXPECT_EQ(ec, std::errc());
  return std::string(buffer, ptr);
}

std::vector<double> edge_cases() {
  using limits = std::numeric_limits<double>;
  std::vector<double> values = {0.0,
                                -0.0,
                                limits::denorm_min(),
                                -limits::denorm_min(),
                                limits::min(),
                                -limits::min(),
                                limits::min() - limits::denorm_min(),  // the largest subnormal
                                limits::max(),
                                -limits::max(),
                                limits::lowest(),
                                limits::epsilon(),
                                limits::infinity(),
                                -limits::infinity(),
                                limits::quiet_NaN(),
                                -limits::quiet_NaN(),
                                limits::signaling_NaN(),
                                1e-7,
                                1e-5,
                                1e-4,
                                0.1,
                                1.0 / 3.0,
                                1e15,
                                1e16,
                                1e17,
                                1e21,
                                1e22,
                                1e23,
                                123456789012345680000.0,
                                9007199254740992.0,  // 2^53
                                9007199254740993.0,
                                4096.0,
                                -1.0,
                                1.5445339947487147,
                                7.325208054236974e-05,
                                -2.2250738585072014e-308};
  for (int e = -320; e <= 308; ++e) values.push_back(std::pow(10.0, e));
  for (int i = -1000; i <= 1000; ++i) values.push_back(static_cast<double>(i));
  return values;
}

std::string memo_text(DoubleTextMemo& memo, double value) {
  // Room for exactly the longest text: the memo must not write past it.
  char buffer[kMaxDoubleText + 1];
  buffer[kMaxDoubleText] = '#';
  char* end = memo.write(buffer, value);
  EXPECT_EQ(buffer[kMaxDoubleText], '#');
  return std::string(buffer, end);
}

}  // namespace

TEST(WriteDouble, GivesTheReferenceTextForEdgeCases) {
  for (double v : edge_cases()) {
    char buffer[kMaxDoubleText];
    char* end = write_double(buffer, v);
    EXPECT_EQ(std::string(buffer, end), reference_text(v)) << "bits " << double_bits(v);
    EXPECT_EQ(format_double(v), reference_text(v));
  }
  EXPECT_EQ(format_double(0.0), "0");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(1e21), "1e+21");
  EXPECT_EQ(format_double(1e-7), "1e-07");
  EXPECT_EQ(format_double(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(format_double(-2.2250738585072014e-308).size(), kMaxDoubleText);
}

TEST(WriteDouble, FitsAndRoundTripsOnRandomBitPatterns) {
  std::mt19937_64 random(11);
  size_t longest = 0;
  for (int i = 0; i < 200000; ++i) {
    const double v = double_from_bits(random());
    char buffer[kMaxDoubleText];
    const std::string text(buffer, write_double(buffer, v));
    ASSERT_EQ(text, reference_text(v));
    longest = std::max(longest, text.size());
    if (std::isfinite(v)) {
      double back = 0;
      std::from_chars(text.data(), text.data() + text.size(), back);
      ASSERT_EQ(double_bits(back), double_bits(v)) << text;
    }
  }
  EXPECT_LE(longest, kMaxDoubleText);
}

// Each value several times, in orders that repeat values within a row (hits), across rows, and
// that make values share a slot (misses that must replace the slot's text, not reuse it).
TEST(DoubleTextMemo, WritesTheSameTextAsFormatDouble) {
  DoubleTextMemo memo;
  const auto values = edge_cases();
  for (int pass = 0; pass < 3; ++pass)
    for (double v : values) {
      ASSERT_EQ(memo_text(memo, v), reference_text(v)) << "bits " << double_bits(v);
      ASSERT_EQ(memo_text(memo, v), reference_text(v)) << "bits " << double_bits(v);
    }
  std::mt19937_64 random(3);
  std::lognormal_distribution<double> latency(-1.0, 2.0);
  std::uniform_int_distribution<uint64_t> any_bits;
  std::vector<double> recent;
  for (int i = 0; i < 300000; ++i) {
    double v = 0;
    switch (i % 4) {
      case 0:
        v = latency(random);
        break;
      case 1:
        v = double_from_bits(any_bits(random));
        break;
      case 2:  // a neighbour of a recent value: same slot or not, never the same text
        v = recent.empty() ? 0.0 : std::nextafter(recent.back(), 1e300);
        break;
      default:  // a recent value again
        v = recent.empty() ? 1.0 : recent[static_cast<size_t>(any_bits(random) % recent.size())];
    }
    ASSERT_EQ(memo_text(memo, v), reference_text(v)) << "bits " << double_bits(v) << " at " << i;
    recent.push_back(v);
    if (recent.size() > 600) recent.erase(recent.begin(), recent.begin() + 300);
  }
}

TEST(DoubleTextMemo, ZerosOfBothSignsKeepTheirText) {
  DoubleTextMemo memo;
  EXPECT_EQ(memo_text(memo, 0.0), "0");
  EXPECT_EQ(memo_text(memo, -0.0), "-0");
  EXPECT_EQ(memo_text(memo, 0.0), "0");
  EXPECT_EQ(memo_text(memo, -0.0), "-0");
}
