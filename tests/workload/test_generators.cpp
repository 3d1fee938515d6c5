#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::workload;

namespace {

WorkloadConfig base(int64_t n) {
  WorkloadConfig c;
  c.num_requests = n;
  return c;
}

double mean_interval(const std::vector<RequestSpec>& r) { return r.back().arrived_at / static_cast<double>(r.size()); }

}  // namespace

TEST(IntervalGenerators, PoissonArrivalsHaveTheRequestedRate) {
  auto c = base(50000);
  c.qps = 4.0;
  const auto r = generate_requests(c);
  ASSERT_EQ(r.size(), 50000u);
  EXPECT_NEAR(mean_interval(r), 0.25, 0.25 * 0.02);
  EXPECT_GT(r.front().arrived_at, 0.0);  // the first request arrives after one interval
  EXPECT_TRUE(std::is_sorted(r.begin(), r.end(), [](auto& a, auto& b) { return a.arrived_at < b.arrived_at; }));
}

TEST(IntervalGenerators, GammaMatchesRateAndCoefficientOfVariation) {
  auto c = base(50000);
  c.interval_generator = "gamma";
  c.qps = 2.0;
  c.gamma_cv = 2.0;
  const auto r = generate_requests(c);
  double sum = 0, sum_sq = 0, previous = 0;
  for (const auto& q : r) {
    const double gap = q.arrived_at - previous;
    previous = q.arrived_at;
    sum += gap;
    sum_sq += gap * gap;
  }
  const double mean = sum / r.size();
  EXPECT_NEAR(mean, 0.5, 0.5 * 0.05);
  EXPECT_NEAR(std::sqrt(sum_sq / r.size() - mean * mean) / mean, 2.0, 0.1);
}

TEST(IntervalGenerators, StaticPutsEveryArrivalAtZeroAndDurationBoundsArrivals) {
  auto c = base(10);
  c.interval_generator = "static";
  for (const auto& q : generate_requests(c)) EXPECT_EQ(q.arrived_at, 0.0);
  auto d = base(1);
  d.num_requests.reset();
  d.duration_s = 100;
  d.qps = 3;
  const auto r = generate_requests(d);
  EXPECT_LT(r.back().arrived_at, 100.0);
  EXPECT_NEAR(static_cast<double>(r.size()), 300.0, 60.0);
}

TEST(LengthGenerators, FixedAndUniformRespectTheirBounds) {
  auto c = base(5);
  for (const auto& q : generate_requests(c)) {
    EXPECT_EQ(q.num_prefill_tokens, 2048);
    EXPECT_EQ(q.num_decode_tokens, 512);
  }
  auto u = base(20000);
  u.length_generator = "uniform";
  u.min_tokens = 1024;
  u.max_tokens = 4096;
  u.prefill_to_decode_ratio = 3;
  double total = 0;
  for (const auto& q : generate_requests(u)) {
    const int64_t t = q.num_prefill_tokens + q.num_decode_tokens;
    ASSERT_GE(t, 1024);
    ASSERT_LE(t, 4096);
    EXPECT_NEAR(static_cast<double>(q.num_prefill_tokens) / q.num_decode_tokens, 3.0, 0.05);
    total += t;
  }
  EXPECT_NEAR(total / 20000, (1024 + 4096) / 2.0, 30);
}

TEST(LengthGenerators, ZipfFavoursShortLengthsWithinRange) {
  auto z = base(20000);
  z.length_generator = "zipf";
  z.min_tokens = 100;
  z.max_tokens = 1000;
  z.zipf_theta = 0.9;
  int64_t at_min = 0, low_half = 0;
  for (const auto& q : generate_requests(z)) {
    const int64_t t = q.num_prefill_tokens + q.num_decode_tokens;
    ASSERT_GE(t, 100);
    ASSERT_LE(t, 1000);
    at_min += t == 100;
    low_half += t < 550;
  }
  // Rank 1 of a Zipf(0.9) over 901 values has probability 1 / H(901, 0.9).
  double harmonic = 0;
  for (int i = 1; i <= 901; ++i) harmonic += std::pow(i, -0.9);
  EXPECT_NEAR(at_min / 20000.0, 1.0 / harmonic, 0.01);
  EXPECT_GT(low_half, 20000 * 0.7);
}

TEST(LengthGenerators, TraceLengthsAreClippedProportionally) {
  EXPECT_EQ(clip_proportionally(1000, 3000, 4096).prefill, 1000);
  const auto clipped = clip_proportionally(6000, 2000, 4096);  // excess 3904: 2928 / 976
  EXPECT_EQ(clipped.prefill, 6000 - 2928);
  EXPECT_EQ(clipped.decode, 2000 - 976);
  EXPECT_LE(clipped.prefill + clipped.decode, 4096);
  EXPECT_EQ(clip_proportionally(0, 0, 4096).prefill, 1);

  const auto path = test_support::vidur_trace("splitwise_conv.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "Vidur data not found at " << path;
  auto c = base(19366);
  c.length_generator = "trace";
  c.length_trace_file = path;
  const auto r = generate_requests(c);
  double prefill_sum = 0;
  for (const auto& q : r) {
    ASSERT_LE(q.num_prefill_tokens + q.num_decode_tokens, 4096);
    ASSERT_GE(q.num_decode_tokens, 1);
    prefill_sum += q.num_prefill_tokens;
  }
  // The trace's mean prompt is 1154.7 tokens before clipping long rows to 4096 in total.
  EXPECT_GT(prefill_sum / r.size(), 950);
  EXPECT_LT(prefill_sum / r.size(), 1154.7);
  // One request more than the trace has rows starts the trace over, in the same order.
  c.num_requests = 19367;
  const auto wrapped = generate_workload(c);
  ASSERT_EQ(wrapped.requests.size(), 19367u);
  EXPECT_EQ(wrapped.notes.length_trace_reused, 1);
  for (size_t i = 0; i < r.size(); ++i) ASSERT_EQ(wrapped.requests[i].num_prefill_tokens, r[i].num_prefill_tokens);
  EXPECT_EQ(wrapped.requests.back().num_prefill_tokens, r.front().num_prefill_tokens);
  EXPECT_EQ(wrapped.requests.back().num_decode_tokens, r.front().num_decode_tokens);
}

TEST(LengthGenerators, TraceRowsReadOnceGiveTheSameRequestsAsTheFile) {
  const auto path = test_support::vidur_trace("splitwise_conv.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "Vidur data not found at " << path;
  auto c = base(2000);
  c.length_generator = "trace";
  c.length_trace_file = path;
  c.prefill_scale = 1.5;
  const auto from_file = generate_requests(c);
  c.length_trace_rows = read_length_trace(path);
  EXPECT_EQ(c.length_trace_rows->size(), 19366u);
  const auto from_rows = generate_requests(c);
  ASSERT_EQ(from_rows.size(), from_file.size());
  for (size_t i = 0; i < from_rows.size(); ++i) {
    EXPECT_EQ(from_rows[i].arrived_at, from_file[i].arrived_at);
    EXPECT_EQ(from_rows[i].num_prefill_tokens, from_file[i].num_prefill_tokens);
    EXPECT_EQ(from_rows[i].num_decode_tokens, from_file[i].num_decode_tokens);
  }
}

TEST(RequestGeneration, SeedsReproduceAndStreamsAreIndependent) {
  auto c = base(500);
  c.length_generator = "uniform";
  const auto a = generate_requests(c);
  const auto b = generate_requests(c);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrived_at, b[i].arrived_at);
    EXPECT_EQ(a[i].num_prefill_tokens, b[i].num_prefill_tokens);
  }
  c.seed = 43;
  EXPECT_NE(generate_requests(c)[0].arrived_at, a[0].arrived_at);
  // Another length generator draws differently, yet arrival times stay identical.
  auto z = base(500);
  z.length_generator = "zipf";
  const auto with_zipf = generate_requests(z);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(with_zipf[i].arrived_at, a[i].arrived_at);
}

TEST(TraceReplay, ReplaysEveryRowClippedToMaxTokens) {
  const auto path = test_support::vidur_trace("splitwise_code.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "Vidur data not found at " << path;
  WorkloadConfig c;
  c.generator = "trace_replay";
  c.trace_file = path;
  const auto r = generate_requests(c);
  EXPECT_EQ(r.size(), 8819u);
  for (const auto& q : r) {
    ASSERT_LE(q.num_prefill_tokens + q.num_decode_tokens, 4096);
    ASSERT_GE(q.num_prefill_tokens, 1);
  }
  c.num_requests = 100;
  EXPECT_EQ(generate_requests(c).size(), 100u);
}
