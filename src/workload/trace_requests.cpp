#include "trace_requests.hpp"

#include <algorithm>
#include <cmath>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::workload {

size_t rows_to_take(size_t rows, const WorkloadConfig& config, const std::string& path) {
  if (!config.num_requests) return rows;
  if (static_cast<size_t>(*config.num_requests) > rows)
    throw InputError::setting("num-requests", "trace " + path + " has only " + std::to_string(rows) +
                                                  " rows, asked for " + std::to_string(*config.num_requests));
  return static_cast<size_t>(*config.num_requests);
}

void cut_content(TokenContent& content, int64_t tokens) {
  int64_t covered = 0;
  size_t kept = 0;
  for (; kept < content.size() && covered < tokens; ++kept) {
    auto& span = content[kept];
    span.length = std::min(span.length, tokens - covered);
    covered += span.length;
  }
  content.resize(kept);
}

TraceRequests::TraceRequests(std::string path, int64_t max_tokens, size_t expected_rows)
    : path_(std::move(path)), max_tokens_(max_tokens) {
  out_.requests.reserve(expected_rows);
}

double TraceRequests::check_arrival(int64_t line, const std::string& arrival_field, double arrived) const {
  if (!(arrived >= 0) || !std::isfinite(arrived))
    throw InputError::in_file(
        path_, line, arrival_field,
        "expected a finite, non-negative time (after --time-scale), got " + format_double(arrived));
  return arrived;
}

void TraceRequests::add(int64_t line, const std::string& arrival_field, double arrived, int64_t prefill, int64_t decode,
                        TokenContent content) {
  check_arrival(line, arrival_field, arrived);
  int64_t p = std::max<int64_t>(1, prefill);
  int64_t d = std::max<int64_t>(1, decode);
  if (p + d > max_tokens_) {
    d = std::min(d, max_tokens_ - 1);
    p = max_tokens_ - d;
    ++out_.notes.cut_to_max_tokens;
  }
  cut_content(content, p);
  auto& requests = out_.requests;
  if (!requests.empty() && arrived < requests.back().arrived_at) note_out_of_order_arrival(out_.notes, path_, line);
  requests.push_back({arrived, p, d, std::move(content)});
}

GeneratedWorkload TraceRequests::finish() {
  if (out_.requests.empty()) throw InputError::in_file(path_, 0, "", "trace has no rows");
  std::stable_sort(out_.requests.begin(), out_.requests.end(),
                   [](const RequestSpec& a, const RequestSpec& b) { return a.arrived_at < b.arrived_at; });
  return std::move(out_);
}

}  // namespace infersweep::workload
