// Mooncake traces: hash ids become content spans block by block (the last one partial), the
// JSON-lines reader refuses bad lines naming file, line and field, and the shipped sample reads.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/workload/json_line.hpp"
#include "infersweep/workload/mooncake_trace.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::workload;

namespace {

std::string write(const test_support::TempDir& dir, const std::string& text) {
  const auto path = dir.file("trace.jsonl");
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

WorkloadConfig mooncake(const std::string& path) {
  WorkloadConfig c;
  c.generator = "mooncake_trace";
  c.trace_file = path;
  c.max_tokens = 100000;
  return c;
}

uint64_t block(uint64_t id) { return stream_key(StreamSource::trace_block, id); }

void expect_span(const ContentSpan& span, uint64_t stream, int64_t length) {
  EXPECT_EQ(span.stream, stream);
  EXPECT_EQ(span.offset, 0);
  EXPECT_EQ(span.length, length);
}

}  // namespace

TEST(MooncakeTrace, EachHashIdIsOneBlockOfContentAndTheLastMayBePartial) {
  test_support::TempDir dir;
  const auto path =
      write(dir,
            "{\"timestamp\": 0, \"input_length\": 1100, \"output_length\": 30, \"hash_ids\": [0, 1, 2]}\n"
            "{\"timestamp\": 2500, \"input_length\": 1024, \"output_length\": 7, \"hash_ids\": [0, 1]}\n"
            "{\"timestamp\": 2500.5, \"input_length\": 1500, \"output_length\": 1, \"hash_ids\": [0, 5, 6]}\n");
  const auto workload = generate_workload(mooncake(path));
  const auto& r = workload.requests;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].arrived_at, 0.0);
  EXPECT_EQ(r[1].arrived_at, 2.5);
  EXPECT_EQ(r[2].arrived_at, 2.5005);
  EXPECT_EQ(r[0].num_prefill_tokens, 1100);
  EXPECT_EQ(r[0].num_decode_tokens, 30);
  ASSERT_EQ(r[0].content.size(), 3u);
  expect_span(r[0].content[0], block(0), 512);
  expect_span(r[0].content[1], block(1), 512);
  expect_span(r[0].content[2], block(2), 1100 - 1024);
  // A prompt of whole blocks ends with a whole block; the output is the request's own.
  ASSERT_EQ(r[1].content.size(), 2u);
  expect_span(r[1].content[1], block(1), 512);
  // The same first hash id is the same first block; the next ones differ.
  ASSERT_EQ(r[2].content.size(), 3u);
  expect_span(r[2].content[0], block(0), 512);
  expect_span(r[2].content[1], block(5), 512);
  expect_span(r[2].content[2], block(6), 476);
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 0);
}

TEST(MooncakeTrace, TheTraceBlockSizeSetsTokensPerHashId) {
  test_support::TempDir dir;
  const auto path =
      write(dir, "{\"timestamp\": 10, \"input_length\": 40, \"output_length\": 3, \"hash_ids\": [7, 8, 9]}");
  auto c = mooncake(path);
  c.trace_block_size = 16;
  c.time_scale = 2;
  const auto r = generate_requests(c);
  ASSERT_EQ(r[0].content.size(), 3u);
  expect_span(r[0].content[0], block(7), 16);
  expect_span(r[0].content[1], block(8), 16);
  expect_span(r[0].content[2], block(9), 8);
  EXPECT_EQ(r[0].arrived_at, 0.02);
  // With the default 512 the same row has one hash id too many.
  EXPECT_NE(test_support::input_error_of([&] { generate_workload(mooncake(path)); })
                .find(path + ":1: field 'hash_ids': expected ceil(input_length / 512) = 1 hash ids for input_length "
                             "40, got 3"),
            std::string::npos);
}

TEST(MooncakeTrace, MaxTokensCutsThePromptAndItsSpans) {
  test_support::TempDir dir;
  const auto path =
      write(dir, "{\"timestamp\": 0, \"input_length\": 1100, \"output_length\": 200, \"hash_ids\": [0, 1, 2]}\n");
  auto c = mooncake(path);
  c.max_tokens = 1000;
  const auto workload = generate_workload(c);
  const auto& r = workload.requests.at(0);
  EXPECT_EQ(r.num_prefill_tokens, 800);
  EXPECT_EQ(r.num_decode_tokens, 200);
  ASSERT_EQ(r.content.size(), 2u);
  expect_span(r.content[0], block(0), 512);
  expect_span(r.content[1], block(1), 288);
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 1);
}

TEST(MooncakeTrace, BlankLinesAreSkippedAndRowsOutOfOrderAreSortedAndCounted) {
  test_support::TempDir dir;
  const auto path =
      write(dir,
            "\xEF\xBB\xBF{\"timestamp\": 300, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\r\n"
            "\n   \n"
            "{\"hash_ids\": [2], \"output_length\": 0, \"input_length\": 0, \"timestamp\": 100, \"extra\": "
            "{\"a\": [true, null, \"x\\u00e9\"]}}\n"
            "{\"timestamp\": 200, \"input_length\": 0, \"output_length\": 0, \"hash_ids\": []}");
  EXPECT_NE(test_support::input_error_of([&] {
              generate_workload(mooncake(path));
            }).find(path + ":4: field 'hash_ids': expected ceil(input_length / 512) = 0 hash ids"),
            std::string::npos);
  std::ofstream(path, std::ios::binary)
      << "{\"timestamp\": 300, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\r\n\n   \n"
         "{\"hash_ids\": [], \"output_length\": 0, \"input_length\": 0, \"timestamp\": 100, \"extra\": {\"a\": "
         "[true]}}\n"
         "{\"timestamp\": 200, \"input_length\": 0, \"output_length\": 0, \"hash_ids\": []}";
  const auto workload = generate_workload(mooncake(path));
  ASSERT_EQ(workload.requests.size(), 3u);
  EXPECT_EQ(workload.requests[0].arrived_at, 0.1);
  EXPECT_EQ(workload.requests[0].num_prefill_tokens, 1);  // empty prompt and output become one token
  EXPECT_EQ(workload.requests[0].num_decode_tokens, 1);
  EXPECT_TRUE(workload.requests[0].content.empty());
  EXPECT_EQ(workload.requests[2].arrived_at, 0.3);
  EXPECT_EQ(workload.notes.out_of_order_arrivals, 1);
  EXPECT_EQ(workload.notes.first_out_of_order_line, 4);
}

TEST(MooncakeTrace, NumRequestsTakesTheFirstRowsAndNoMore) {
  test_support::TempDir dir;
  const auto path = write(dir,
                          "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1]}\n"
                          "{\"timestamp\": 1, \"input_length\": 6, \"output_length\": 1, \"hash_ids\": [2]}\n"
                          "this line is never read\n");
  auto c = mooncake(path);
  c.num_requests = 2;
  EXPECT_EQ(generate_requests(c).size(), 2u);
  EXPECT_EQ(expected_request_count(c), 2);
  c.num_requests = 3;
  EXPECT_NE(test_support::input_error_of([&] {
              generate_workload(c);
            }).find(path + ":3: column 1: expected a JSON value, got 't'"),
            std::string::npos);
  std::ofstream(path, std::ios::binary)
      << "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1]}\n";
  EXPECT_NE(test_support::input_error_of([&] { generate_workload(c); }).find("has only 1 rows, asked for 3"),
            std::string::npos);
}

TEST(MooncakeTrace, BadLinesAreRefusedNamingFileLineAndField) {
  test_support::TempDir dir;
  const std::string good = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 9, \"hash_ids\": [0, 1]}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2]", ":2: expected a JSON object per line, got an array"},
      {"{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 9}", ":2: field 'hash_ids': expected this member"},
      {"{\"timestamp\": \"0\", \"input_length\": 1, \"output_length\": 9, \"hash_ids\": [0]}",
       ":2: field 'timestamp': expected a number, got a string"},
      {"{\"timestamp\": -1, \"input_length\": 1, \"output_length\": 9, \"hash_ids\": [0]}",
       ":2: field 'timestamp': expected a finite, non-negative time in milliseconds, got -1"},
      {"{\"timestamp\": 1e999, \"input_length\": 1, \"output_length\": 9, \"hash_ids\": [0]}",
       ":2: field 'timestamp': expected a finite, non-negative time"},
      {"{\"timestamp\": 0, \"input_length\": 12.5, \"output_length\": 9, \"hash_ids\": [0]}",
       ":2: field 'input_length': expected a whole number in [0, 1,073,741,824], got 12.5"},
      {"{\"timestamp\": 0, \"input_length\": 1073741825, \"output_length\": 9, \"hash_ids\": [0]}",
       ":2: field 'input_length': expected a whole number in [0, 1,073,741,824], got 1073741825"},
      {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": -3, \"hash_ids\": [0]}",
       ":2: field 'output_length': expected a whole number"},
      {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1152921504606846976]}",
       ":2: field 'hash_ids' item 1: expected a whole number in [0, 1,152,921,504,606,846,975]"},
      {"{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [\"a\"]}",
       ":2: field 'hash_ids' item 1: expected a number, got a string"},
      {"{\"timestamp\": 0, \"timestamp\": 1}",
       ":2: column 18: expected each member name once, 'timestamp' is repeated"},
      {"{\"timestamp\": 0,}", ":2: column 17: expected a member name in double quotes, got '}'"},
      {"{\"timestamp\": 0} x", ":2: column 18: expected the end of the line after the value, got 'x'"},
      {"{\"timestamp\": 01}", ":2: column 16: expected no leading zero in a number, got '1'"},
      {"{\"timestamp\": 0", ":2: column 16: expected ',' or '}' after an object member, got the end of the line"},
      {"{\"timestamp\": \"\x01\"}", ":2: column 16: expected no control character in a string, got '\\x01'"},
      {std::string(100, '['), ":2: column 65: expected at most 64 nested arrays or objects"},
  };
  for (const auto& [line, expected] : cases) {
    SCOPED_TRACE(line);
    const auto path = write(dir, good + line + "\n" + good);
    const auto message = test_support::input_error_of([&] { generate_workload(mooncake(path)); });
    EXPECT_NE(message.find(path + expected), std::string::npos) << message;
  }
}

TEST(MooncakeTrace, JsonStringsDecodeTheirEscapes) {
  const auto value = parse_json_line(R"({"k\"ey": "a\\b\/c\n\u00e9\ud83d\ude00", "n": -0.5e+3})", "x", 1);
  ASSERT_EQ(value.members.size(), 2u);
  EXPECT_EQ(value.members[0].first, "k\"ey");
  EXPECT_EQ(value.members[0].second.text, "a\\b/c\n\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(value.find("n")->text, "-0.5e+3");
  EXPECT_EQ(value.find("missing"), nullptr);
  EXPECT_THROW(parse_json_line(R"("\ude00")", "x", 1), InputError);  // a lone low surrogate
  EXPECT_THROW(parse_json_line(R"("\ud83d")", "x", 1), InputError);  // a high one without its pair
  EXPECT_THROW(parse_json_line("tru", "x", 1), InputError);
  EXPECT_THROW(parse_json_line("1.", "x", 1), InputError);
  EXPECT_THROW(parse_json_line("", "x", 1), InputError);
}

TEST(MooncakeTrace, TheShippedSampleReadsWithSharedPrefixes) {
  const auto path = test_support::data_dir() + "/traces/mooncake-sample.jsonl";
  const auto rows = read_mooncake_trace(path, 512);
  ASSERT_EQ(rows.size(), 200u);
  auto c = mooncake(path);
  c.max_tokens = 8192;
  const auto workload = generate_workload(c);
  ASSERT_EQ(workload.requests.size(), 200u);
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 0);
  EXPECT_EQ(workload.notes.out_of_order_arrivals, 0);
  // Some first blocks recur (shared system prompts) and some requests extend an earlier one's
  // blocks (conversations).
  size_t repeated_first = 0;
  for (size_t i = 1; i < rows.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (rows[i].hash_ids.size() > 0 && rows[j].hash_ids.size() > 0 && rows[i].hash_ids[0] == rows[j].hash_ids[0]) {
        ++repeated_first;
        break;
      }
  EXPECT_GT(repeated_first, 150u);
}
