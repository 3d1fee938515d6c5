#pragma once
// Mooncake's request traces (kvcache-ai/Mooncake, FAST25-release/traces): JSON lines
//   {"timestamp": <ms>, "input_length": n, "output_length": m, "hash_ids": [h0, h1, ...]}
// where hash id i names the content of prompt tokens [i B, (i + 1) B) for the trace's block size
// B (512 in the published traces) together with everything before them: two prompts that start
// with the same hash ids start with the same tokens. The last block may be partial.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infersweep/workload/request_generator.hpp"
#include "infersweep/workload/token_content.hpp"

namespace infersweep::workload {

struct MooncakeRow {
  int64_t line = 0;  // in the file, from 1
  double timestamp_ms = 0;
  int64_t input_length = 0;
  int64_t output_length = 0;
  std::vector<uint64_t> hash_ids;
};

// The rows of a Mooncake trace, the first `max_rows` at most (blank lines are skipped). Members
// other than the four above are ignored. Throws InputError naming file, line and field for a
// line that is not a JSON object, a missing or repeated member, a negative or non-finite
// timestamp, a length that is not a whole number in [0, 2^30], a hash id that is not a whole
// number in [0, 2^60), or a hash-id count other than ceil(input_length / block_size).
std::vector<MooncakeRow> read_mooncake_trace(const std::string& path, int64_t block_size,
                                             std::optional<size_t> max_rows = std::nullopt);

// One span per hash id: the id's stream (StreamSource::trace_block) from offset 0, block_size
// tokens long except the last, which holds what is left of input_length.
TokenContent mooncake_content(const MooncakeRow& row, int64_t block_size);

// The mooncake_trace request generator.
std::unique_ptr<RequestGenerator> make_mooncake_trace_generator(const WorkloadConfig& config);

}  // namespace infersweep::workload
