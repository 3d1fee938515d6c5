// Azure LLM inference traces as published: date-times of any precision become arrivals in
// seconds after the earliest row, and a malformed date-time is refused naming its line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/workload/azure_trace.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::workload;

namespace {

std::string write(const test_support::TempDir& dir, const std::string& rows) {
  const auto path = dir.file("azure.csv");
  std::ofstream(path, std::ios::binary) << "TIMESTAMP,ContextTokens,GeneratedTokens\n" << rows;
  return path;
}

WorkloadConfig azure(const std::string& path) {
  WorkloadConfig c;
  c.generator = "azure_trace";
  c.trace_file = path;
  return c;
}

}  // namespace

TEST(AzureTrace, DateTimesAreSecondsSince1970InUtc) {
  const auto t = parse_date_time("2023-11-16 18:15:46.6805900");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1700158546);  // date -u -d '2023-11-16 18:15:46' +%s
  EXPECT_EQ(t->fraction, 0.68059);
  // The 2024 trace's form: six digits and a UTC offset.
  const auto u = parse_date_time("2024-05-10 00:00:00.009930+00:00");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->seconds, 1715299200);
  EXPECT_EQ(u->fraction, 0.00993);
  EXPECT_EQ(parse_date_time("1970-01-01 00:00:00")->seconds, 0);
  EXPECT_EQ(parse_date_time("1900-03-01T00:00:00Z")->seconds, -2203891200);
  EXPECT_EQ(parse_date_time("2024-02-29 12:00:00")->seconds, 1709208000);  // a leap day
  // An offset says how far local time is ahead of UTC.
  EXPECT_EQ(parse_date_time("2024-05-10 02:00:00+02:00")->seconds, 1715299200);
  EXPECT_EQ(parse_date_time("2024-05-09 19:30:00-04:30")->seconds, 1715299200);
}

TEST(AzureTrace, FractionsOfAnyPrecisionAreKept) {
  const auto a = *parse_date_time("2023-12-31 23:59:59.5");
  const auto b = *parse_date_time("2024-01-01 00:00:00.25");
  EXPECT_EQ(seconds_between(a, b), 0.75);
  EXPECT_EQ(parse_date_time("2023-11-16 18:15:46.1")->fraction, 0.1);
  EXPECT_EQ(parse_date_time("2023-11-16 18:15:46.000000000001")->fraction, 1e-12);
  EXPECT_EQ(parse_date_time("2023-11-16 18:15:46.1234567890123456789")->fraction, 0.1234567890123456789);
  EXPECT_LT(parse_date_time("2023-11-16 18:15:46.99999999999999999999")->fraction, 1.0);
  // Far from 1970 the difference of two date-times keeps every digit of their fractions.
  const auto c = *parse_date_time("2099-06-01 12:00:00.0000001");
  const auto d = *parse_date_time("2099-06-01 12:00:00.0000003");
  EXPECT_NEAR(seconds_between(c, d), 2e-7, 1e-20);
}

TEST(AzureTrace, MalformedDateTimesAreNotDateTimes) {
  for (const char* bad : {"",
                          "2023-11-16",
                          "2023-11-16 18:15",
                          "2023/11/16 18:15:46",
                          "2023-11-16_18:15:46",
                          "2023-13-01 00:00:00",
                          "2023-00-10 00:00:00",
                          "2023-02-29 00:00:00",
                          "2023-04-31 00:00:00",
                          "2023-11-16 24:00:00",
                          "2023-11-16 18:60:00",
                          "2023-11-16 18:15:60",
                          "2023-11-16 18:15:46.",
                          "2023-11-16 18:15:46.5x",
                          "2023-11-16 18:15:46,5",
                          "2023-11-16 18:15:46+0100",
                          "2023-11-16 18:15:46+01",
                          "2023-11-16 18:15:46+24:00",
                          "2023-11-16 18:15:46Z ",
                          "+2023-11-16 18:15:46",
                          "2023-1-16 18:15:46",
                          "1700158546",
                          "2023-11-16 18:15:4a"})
    EXPECT_FALSE(parse_date_time(bad)) << "'" << bad << "'";
}

TEST(AzureTrace, ArrivalsAreSecondsAfterTheEarliestRow) {
  test_support::TempDir dir;
  const auto path = write(dir,
                          "2023-11-16 18:15:46.6805900,374,44\n"
                          "2023-11-16 18:15:50.9951690,396,109\n"
                          "2023-11-16 18:15:51.2224670,879,0\n");
  const auto workload = generate_workload(azure(path));
  const auto& r = workload.requests;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].arrived_at, 0.0);
  EXPECT_NEAR(r[1].arrived_at, 4.314579, 1e-12);
  EXPECT_NEAR(r[2].arrived_at, 4.541877, 1e-12);
  EXPECT_EQ(r[0].num_prefill_tokens, 374);
  EXPECT_EQ(r[0].num_decode_tokens, 44);
  EXPECT_EQ(r[2].num_decode_tokens, 1);                    // no output becomes one token, as in trace_replay
  for (const auto& q : r) EXPECT_TRUE(q.content.empty());  // Azure traces say nothing of sharing
  EXPECT_EQ(workload.notes.out_of_order_arrivals, 0);
}

TEST(AzureTrace, RowsOutOfOrderAreTakenInTimeOrderFromTheEarliest) {
  test_support::TempDir dir;
  const auto path = write(dir,
                          "2024-05-10 00:00:02.5+00:00,10,1\n"
                          "2024-05-10 00:00:01+00:00,20,2\n"
                          "2024-05-10 02:00:03+02:00,30,3\n");
  auto c = azure(path);
  c.time_scale = 2;
  c.prefill_scale = 0.5;
  const auto workload = generate_workload(c);
  const auto& r = workload.requests;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].arrived_at, 0.0);
  EXPECT_EQ(r[0].num_prefill_tokens, 10);
  EXPECT_EQ(r[1].arrived_at, 3.0);
  EXPECT_EQ(r[1].num_prefill_tokens, 5);
  EXPECT_EQ(r[2].arrived_at, 4.0);
  EXPECT_EQ(r[2].num_prefill_tokens, 15);
  EXPECT_EQ(workload.notes.out_of_order_arrivals, 1);
  EXPECT_EQ(workload.notes.first_out_of_order_line, 3);
}

TEST(AzureTrace, BadRowsAreRefusedNamingFileLineAndColumn) {
  test_support::TempDir dir;
  auto path = write(dir, "2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:61,1,1\n");
  EXPECT_NE(test_support::input_error_of([&] {
              generate_workload(azure(path));
            }).find(path + ":3: column 'TIMESTAMP': expected a date-time such as 2023-11-16 18:15:46.6805900"),
            std::string::npos);
  path = write(dir, "2023-11-16 18:15:46.68,374,-4\n");
  EXPECT_NE(
      test_support::input_error_of([&] { generate_workload(azure(path)); }).find(path + ":2: column 'GeneratedTokens'"),
      std::string::npos);
  std::ofstream(path) << "timestamp,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\n";
  EXPECT_NE(test_support::input_error_of([&] { generate_workload(azure(path)); }).find("TIMESTAMP"), std::string::npos);
}

TEST(AzureTrace, MaxTokensAndNumRequestsApplyAsInTraceReplay) {
  test_support::TempDir dir;
  const auto path = write(dir, "2023-11-16 18:15:46,5000,100\n2023-11-16 18:15:47,100,5000\n2023-11-16 18:15:48,1,1\n");
  auto c = azure(path);
  c.num_requests = 2;
  c.max_tokens = 1000;
  const auto workload = generate_workload(c);
  ASSERT_EQ(workload.requests.size(), 2u);
  EXPECT_EQ(workload.requests[0].num_prefill_tokens, 900);
  EXPECT_EQ(workload.requests[0].num_decode_tokens, 100);
  EXPECT_EQ(workload.requests[1].num_prefill_tokens, 1);
  EXPECT_EQ(workload.requests[1].num_decode_tokens, 999);
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 2);
  EXPECT_EQ(expected_request_count(c), 2);
  c.num_requests = 4;
  EXPECT_NE(test_support::input_error_of([&] { generate_workload(c); }).find("has only 3 rows, asked for 4"),
            std::string::npos);
}

TEST(AzureTrace, TheShippedSampleReads) {
  const auto requests = generate_requests(azure(test_support::data_dir() + "/traces/azure-conv-sample.csv"));
  ASSERT_EQ(requests.size(), 300u);
  EXPECT_EQ(requests.front().arrived_at, 0.0);
  EXPECT_GT(requests.back().arrived_at, 30.0);
  EXPECT_LT(requests.back().arrived_at, 120.0);
}
