#pragma once
// The rules every trace reader shares when it turns rows into requests: which rows are taken,
// how arrivals are checked, how a request too long for --max-tokens is cut, and arrival order.
#include <cstddef>
#include <cstdint>
#include <string>

#include "infersweep/workload/workload_config.hpp"

namespace infersweep::workload {

// Rows of a trace a generator takes: all `rows`, or the first --num-requests (InputError if the
// trace has fewer).
size_t rows_to_take(size_t rows, const WorkloadConfig& config, const std::string& path);

// A request list built row by row.
class TraceRequests {
 public:
  TraceRequests(std::string path, int64_t max_tokens, size_t expected_rows);

  // `arrived` (seconds, after --time-scale) unless it is not finite and non-negative: then an
  // InputError names the line and `arrival_field`.
  double check_arrival(int64_t line, const std::string& arrival_field, double arrived) const;

  // Adds the request of the row at `line`, its arrival checked as above. A prompt or
  // output under one token becomes one token. A request longer than max_tokens loses prompt
  // tokens first: its output is capped at max_tokens - 1 so that the prompt keeps a token (Vidur
  // cuts only the prompt and can leave it at zero or below); its content is cut to the prompt
  // tokens left.
  void add(int64_t line, const std::string& arrival_field, double arrived, int64_t prefill, int64_t decode,
           TokenContent content = {});

  // The requests in arrival order: rows that arrive before the row above them are moved into
  // place (a stable sort, so equal times keep file order) and counted in the notes. Throws
  // InputError for a trace without rows.
  GeneratedWorkload finish();

 private:
  std::string path_;
  int64_t max_tokens_;
  GeneratedWorkload out_;
};

// The content cut to its first `tokens` tokens.
void cut_content(TokenContent& content, int64_t tokens);

}  // namespace infersweep::workload
