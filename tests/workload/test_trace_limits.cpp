// Trace CSVs at and beyond their limits: every numeric field overflowing, negative, NaN or
// empty is refused naming file, line and column; out-of-order arrivals follow one rule in both
// readers; cut and reused rows are counted.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::workload;

namespace {

std::string write(const test_support::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

WorkloadConfig replay(const std::string& path) {
  WorkloadConfig c;
  c.generator = "trace_replay";
  c.trace_file = path;
  return c;
}

WorkloadConfig lengths_from(const std::string& path, int64_t n) {
  WorkloadConfig c;
  c.num_requests = n;
  c.length_generator = "trace";
  c.length_trace_file = path;
  return c;
}

// The InputError `generate` throws, rendered; fails the test when it throws none.
template <class F>
std::string error_of(F&& generate) {
  try {
    generate();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

}  // namespace

TEST(TraceLimits, EveryBadTokenCountIsRefusedNamingFileLineAndColumn) {
  test_support::TempDir dir;
  const std::string header = "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,10\n";
  for (const std::string bad : {"9223372036854775807", "4611686018427387904", "1073741825", "-1", "nan", "", "1e300",
                                "12.5", "inf", "99999999999999999999"}) {
    SCOPED_TRACE("num_prefill_tokens = '" + bad + "'");
    const auto path = write(dir, "trace.csv", header + "1," + bad + ",10\n");
    const auto where = path + ":3: column 'num_prefill_tokens'";
    EXPECT_NE(error_of([&] { generate_requests(replay(path)); }).find(where), std::string::npos);
    EXPECT_NE(error_of([&] { generate_requests(lengths_from(path, 4)); }).find(where), std::string::npos);
    // The decode column the same way.
    const auto decode_path = write(dir, "decode.csv", header + "1,10," + bad + "\n");
    EXPECT_NE(error_of([&] { read_length_trace(decode_path); }).find(decode_path + ":3: column 'num_decode_tokens'"),
              std::string::npos);
  }
}

TEST(TraceLimits, TheLargestTokenCountIsCutNotWrapped) {
  test_support::TempDir dir;
  const auto count = std::to_string(kMaxRequestTokens);
  const auto path =
      write(dir, "trace.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0," + count + "," + count + "\n");
  auto c = replay(path);
  c.prefill_scale = 1e300;  // scaled far beyond the limit, still cut to max_tokens
  const auto replayed = generate_workload(c);
  ASSERT_EQ(replayed.requests.size(), 1u);
  EXPECT_EQ(replayed.requests[0].num_prefill_tokens + replayed.requests[0].num_decode_tokens, c.max_tokens);
  EXPECT_GE(replayed.requests[0].num_prefill_tokens, 1);
  EXPECT_EQ(replayed.notes.cut_to_max_tokens, 1);

  auto l = lengths_from(path, 1);
  l.decode_scale = 1e300;
  const auto drawn = generate_requests(l);
  EXPECT_LE(drawn[0].num_prefill_tokens + drawn[0].num_decode_tokens, l.max_tokens);
  EXPECT_GE(drawn[0].num_prefill_tokens, 1);
}

TEST(TraceLimits, BadArrivalTimesAreRefusedNamingTheLine) {
  test_support::TempDir dir;
  for (const std::string bad : {"-0.5", "nan", "inf", "", "1e400", "x"}) {
    SCOPED_TRACE("arrived_at = '" + bad + "'");
    const auto path =
        write(dir, "trace.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n" + bad + ",1,1\n");
    EXPECT_NE(error_of([&] { generate_requests(replay(path)); }).find(path + ":3: "), std::string::npos);
  }
  // A finite time that --time-scale makes infinite.
  const auto path = write(dir, "huge.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n1e300,1,1\n");
  auto c = replay(path);
  c.time_scale = 1e10;
  EXPECT_NE(error_of([&] { generate_requests(c); }).find(path + ":2: column 'arrived_at'"), std::string::npos);
}

TEST(TraceLimits, UnsortedArrivalsAreTakenInTimeOrderByBothReadersAndCounted) {
  test_support::TempDir dir;
  const auto path = write(dir, "trace.csv",
                          "arrived_at,num_prefill_tokens,num_decode_tokens\n"
                          "0,10,1\n3,30,1\n1,11,1\n2,20,1\n2,21,1\n4,40,1\n");
  const auto replayed = generate_workload(replay(path));
  ASSERT_EQ(replayed.requests.size(), 6u);
  const int64_t expected[] = {10, 11, 20, 21, 30, 40};  // equal times keep file order
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(replayed.requests[i].num_prefill_tokens, expected[i]);
  EXPECT_EQ(replayed.notes.out_of_order_arrivals, 1);
  EXPECT_EQ(replayed.notes.first_out_of_order_line, 4);
  EXPECT_EQ(replayed.notes.out_of_order_file, path);

  WorkloadConfig synthetic;
  synthetic.num_requests = 5;
  synthetic.interval_generator = "trace";
  synthetic.interval_trace_file = path;
  const auto arrivals = generate_workload(synthetic);  // used to be refused: "timestamps must not decrease"
  ASSERT_EQ(arrivals.requests.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(arrivals.requests[i].arrived_at, replayed.requests[i + 1].arrived_at);
  EXPECT_EQ(arrivals.notes.out_of_order_arrivals, 1);
  EXPECT_EQ(arrivals.notes.first_out_of_order_line, 4);
  ASSERT_EQ(describe_notes(arrivals.notes).size(), 1u);
  EXPECT_NE(describe_notes(arrivals.notes)[0].find(path + ":4: 1 rows arrive before"), std::string::npos);
}

TEST(TraceLimits, RequestsCutToMaxTokensAreCounted) {
  test_support::TempDir dir;
  const auto path = write(
      dir, "trace.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,100,10\n1,5000,10\n2,4000,96\n3,4000,97\n");
  const auto replayed = generate_workload(replay(path));
  EXPECT_EQ(replayed.notes.cut_to_max_tokens, 2);  // 5010 and 4097 tokens; 4096 fits
  const auto drawn = generate_workload(lengths_from(path, 8));
  EXPECT_EQ(drawn.notes.cut_to_max_tokens, 4);  // each of the two long rows drawn twice
  EXPECT_EQ(drawn.notes.length_trace_rows, 4);
  EXPECT_EQ(drawn.notes.length_trace_reused, 4);
  EXPECT_EQ(describe_notes(drawn.notes).size(), 2u);
  EXPECT_TRUE(describe_notes(generate_workload(lengths_from(path, 1)).notes).size() <= 1u);
}

TEST(TraceLimits, TokenSettingsAboveTheLimitAreRefused) {
  WorkloadConfig c;
  c.max_tokens = kMaxRequestTokens + 1;
  EXPECT_THROW(validate_workload(c), InputError);
  c = WorkloadConfig();
  c.fixed_prefill_tokens = int64_t{1} << 62;
  c.fixed_decode_tokens = int64_t{1} << 62;  // their sum used to wrap below --max-tokens
  EXPECT_THROW(validate_workload(c), InputError);
}
