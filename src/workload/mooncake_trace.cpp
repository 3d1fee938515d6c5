#include "infersweep/workload/mooncake_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/workload/json_line.hpp"
#include "trace_requests.hpp"

namespace infersweep::workload {

namespace {

std::string field_name(const char* name) { return std::string("field '") + name + "'"; }

class RowReader {
 public:
  RowReader(const std::string& path, int64_t line, const JsonValue& object)
      : path_(path), line_(line), object_(object) {}

  const JsonValue& member(const char* name, JsonValue::Kind kind) const {
    const JsonValue* value = object_.find(name);
    if (!value) throw InputError::in_file(path_, line_, field_name(name), "expected this member, it is missing");
    if (value->kind != kind)
      throw InputError::in_file(path_, line_, field_name(name),
                                "expected " + describe(kind) + ", got " + describe(value->kind));
    return *value;
  }

  // A whole number in [0, max]; integral values written with a fraction or exponent ("512.0")
  // are accepted, as in the CSV readers.
  int64_t whole_number(const JsonValue& value, const std::string& field, int64_t max) const {
    const std::string& t = value.text;
    const std::string expected = "expected a whole number in [0, " + format_count(max) + "]";
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec == std::errc() && ptr == t.data() + t.size()) {
      if (n < 0 || n > max) throw InputError::in_file(path_, line_, field, expected + ", got " + t);
      return n;
    }
    double d = 0;
    const auto [dptr, dec] = std::from_chars(t.data(), t.data() + t.size(), d);
    if (dec == std::errc() && dptr == t.data() + t.size() && std::isfinite(d) && d == std::floor(d) && d >= 0 &&
        d <= static_cast<double>(max) && d < 9.0e15)
      return static_cast<int64_t>(d);
    throw InputError::in_file(path_, line_, field, expected + ", got " + t);
  }

  MooncakeRow read(int64_t block_size) const {
    MooncakeRow row;
    row.line = line_;
    const auto& timestamp = member("timestamp", JsonValue::Kind::number);
    double ms = 0;
    const auto& t = timestamp.text;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), ms);
    if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(ms) || ms < 0)
      throw InputError::in_file(path_, line_, field_name("timestamp"),
                                "expected a finite, non-negative time in milliseconds, got " + t);
    row.timestamp_ms = ms;
    row.input_length =
        whole_number(member("input_length", JsonValue::Kind::number), field_name("input_length"), kMaxRequestTokens);
    row.output_length =
        whole_number(member("output_length", JsonValue::Kind::number), field_name("output_length"), kMaxRequestTokens);
    const auto& ids = member("hash_ids", JsonValue::Kind::array);
    const int64_t blocks = (row.input_length + block_size - 1) / block_size;
    if (static_cast<int64_t>(ids.items.size()) != blocks)
      throw InputError::in_file(path_, line_, field_name("hash_ids"),
                                "expected ceil(input_length / " + std::to_string(block_size) +
                                    ") = " + std::to_string(blocks) + " hash ids for input_length " +
                                    std::to_string(row.input_length) + ", got " + std::to_string(ids.items.size()) +
                                    " (is --trace-block-size the trace's block size?)");
    row.hash_ids.reserve(ids.items.size());
    for (size_t i = 0; i < ids.items.size(); ++i) {
      const std::string field = "field 'hash_ids' item " + std::to_string(i + 1);
      if (ids.items[i].kind != JsonValue::Kind::number)
        throw InputError::in_file(path_, line_, field, "expected a number, got " + describe(ids.items[i].kind));
      row.hash_ids.push_back(
          static_cast<uint64_t>(whole_number(ids.items[i], field, static_cast<int64_t>(kMaxStreamNumber))));
    }
    return row;
  }

 private:
  const std::string& path_;
  int64_t line_;
  const JsonValue& object_;
};

bool blank(std::string_view line) {
  for (const char c : line)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

class MooncakeTraceGenerator : public RequestGenerator {
 public:
  explicit MooncakeTraceGenerator(const WorkloadConfig& c) : config_(c) {}

  GeneratedWorkload generate() override {
    const auto limit =
        config_.num_requests ? std::optional<size_t>(static_cast<size_t>(*config_.num_requests)) : std::nullopt;
    const auto rows = read_mooncake_trace(config_.trace_file, config_.trace_block_size, limit);
    TraceRequests requests(config_.trace_file, config_.max_tokens,
                           rows_to_take(rows.size(), config_, config_.trace_file));
    for (const auto& row : rows)
      requests.add(row.line, field_name("timestamp"), row.timestamp_ms / 1000.0 * config_.time_scale, row.input_length,
                   row.output_length, mooncake_content(row, config_.trace_block_size));
    return requests.finish();
  }

 private:
  WorkloadConfig config_;
};

}  // namespace

std::vector<MooncakeRow> read_mooncake_trace(const std::string& path, int64_t block_size,
                                             std::optional<size_t> max_rows) {
  const std::string bytes = io::read_file_bytes(path);
  const std::string_view text = strip_utf8_bom(bytes);
  std::vector<MooncakeRow> rows;
  int64_t line = 0;
  size_t start = 0;
  while (start < text.size() && (!max_rows || rows.size() < *max_rows)) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view content = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (blank(content)) continue;
    const JsonValue value = parse_json_line(content, path, line);
    if (value.kind != JsonValue::Kind::object)
      throw InputError::in_file(path, line, "", "expected a JSON object per line, got " + describe(value.kind));
    rows.push_back(RowReader(path, line, value).read(block_size));
  }
  return rows;
}

TokenContent mooncake_content(const MooncakeRow& row, int64_t block_size) {
  TokenContent content;
  content.reserve(row.hash_ids.size());
  int64_t left = row.input_length;
  for (const uint64_t id : row.hash_ids) {
    const int64_t length = std::min(block_size, left);
    content.push_back({stream_key(StreamSource::trace_block, id), 0, length});
    left -= length;
  }
  return content;
}

std::unique_ptr<RequestGenerator> make_mooncake_trace_generator(const WorkloadConfig& config) {
  return std::make_unique<MooncakeTraceGenerator>(config);
}

}  // namespace infersweep::workload
