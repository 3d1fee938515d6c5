#pragma once
// What requests a simulation sees. Defaults follow Vidur's: a synthetic workload of 128
// requests with fixed lengths (2048 prompt + 512 output tokens) arriving as a Poisson process.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/workload/token_content.hpp"

namespace infersweep::workload {

// The most tokens one request may have in a trace, in --max-tokens and in any count the
// workload settings give. Far above any model's context, it keeps every sum of a request's
// counts, and its KV cache size in bytes, within 64-bit integers.
constexpr int64_t kMaxRequestTokens = int64_t{1} << 30;

struct TokenCounts {
  int64_t prefill = 0;
  int64_t decode = 0;
};

// Requests of a synthetic workload given neither a count nor a duration (Vidur's default).
inline constexpr int64_t kDefaultSyntheticRequests = 128;

// Bounds of the conversation settings: the popularity table holds one entry per system prompt.
inline constexpr int64_t kMaxSystemPrompts = 1000000;
inline constexpr int64_t kMaxTurns = 1000000;

struct WorkloadConfig {
  std::string generator = "synthetic";  // synthetic | conversation | trace_replay | mooncake_trace | azure_trace
  std::optional<int64_t> num_requests;  // synthetic, conversation: 128 if unset; traces: every row
  double duration_s = 0;                // synthetic: if > 0, arrivals in [0, duration) instead
  uint64_t seed = 42;
  int64_t max_tokens = 4096;  // prompt + output cap per request (also sizes the KV budget)

  std::string length_generator = "fixed";  // fixed | uniform | zipf | trace
  int64_t fixed_prefill_tokens = 2048;
  int64_t fixed_decode_tokens = 512;
  int64_t min_tokens = 1024;              // uniform, zipf
  double prefill_to_decode_ratio = 20.0;  // uniform, zipf
  double zipf_theta = 0.6;
  bool zipf_scramble = false;
  std::string length_trace_file;  // trace length generator
  // The rows of length_trace_file when the caller has read them already (read_length_trace),
  // so that many workloads drawn from one trace parse it once; null: the file is read.
  std::shared_ptr<const std::vector<TokenCounts>> length_trace_rows;
  double prefill_scale = 1.0;
  double decode_scale = 1.0;

  std::string interval_generator = "poisson";  // static | poisson | gamma | trace
  double qps = 0.5;
  double gamma_cv = 0.5;
  std::string interval_trace_file;  // column arrived_at, seconds
  double time_scale = 1.0;          // multiplies trace arrival times and intervals

  std::string trace_file;  // the trace of trace_replay, mooncake_trace or azure_trace

  // conversation: sessions of turns that share a system prompt and their own history.
  int64_t system_prompt_count = 4;  // 0: no system prompt
  int64_t system_prompt_tokens = 512;
  double system_prompt_zipf_theta = 1.0;  // popularity of the system prompts (0: uniform)
  int64_t turns = 4;                      // turns per session (the fewest when max_turns > turns)
  int64_t max_turns = 0;                  // 0: exactly `turns`
  double think_time_s = 10;               // mean of the exponential pause before a session's next turn

  int64_t trace_block_size = 512;  // mooncake_trace: tokens per hash id
};

const config::SettingGroup<WorkloadConfig>& workload_settings();

// What the workload's plug-ins (request, length and interval generators) declare about
// themselves: the settings they read (help says who reads what), those that must be given
// (paths of the files they read), and their own checks across settings.
struct WorkloadPluginTraits {
  std::vector<std::string> settings;
  std::vector<std::string> required;
  std::function<void(const WorkloadConfig&)> validate;  // may be empty
  // Request generators: how many requests generate() makes, known without making them (an
  // upper estimate where chance decides), so that a run too large to fit is refused up front.
  std::function<int64_t(const WorkloadConfig&)> request_count = nullptr;
};

struct RequestSpec {
  double arrived_at = 0;
  int64_t num_prefill_tokens = 0;
  int64_t num_decode_tokens = 0;
  // What the request's tokens share with other requests' (empty: nothing), for prefix caching.
  TokenContent content;
};

// What generating a workload changed in its traces, for the summary and for warnings.
struct WorkloadNotes {
  int64_t cut_to_max_tokens = 0;      // requests whose trace lengths were cut to --max-tokens
  int64_t length_trace_rows = 0;      // rows of the length trace (0 when none is read)
  int64_t length_trace_reused = 0;    // draws served by starting the length trace over
  int64_t out_of_order_arrivals = 0;  // trace rows that arrive before the row above them
  std::string out_of_order_file;      // the trace holding them, and the first one's line
  int64_t first_out_of_order_line = 0;
  int64_t sessions_ended_at_max_tokens = 0;  // conversations whose next turn would exceed --max-tokens
};

struct GeneratedWorkload {
  std::vector<RequestSpec> requests;  // in arrival order
  WorkloadNotes notes;
};

// One line per note that deserves a warning (none when nothing was changed).
std::vector<std::string> describe_notes(const WorkloadNotes& notes);

// Counts a trace row that arrives before the row above it; the first one's file and line are kept.
void note_out_of_order_arrival(WorkloadNotes& notes, const std::string& file, int64_t line);

}  // namespace infersweep::workload
