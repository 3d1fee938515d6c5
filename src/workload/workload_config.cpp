#include "infersweep/workload/workload_config.hpp"

#include <algorithm>

#include "infersweep/common/text.hpp"
#include "infersweep/workload/interval_generator.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::workload {

namespace {

// The generators whose traits list `setting`, for help: "--length-generator uniform, zipf".
std::function<std::string()> read_by(const std::string& setting) {
  return [setting] {
    std::string out;
    const auto scan = [&](const auto& registry, const char* option) {
      const auto names = registry.names_reading(setting);
      if (!names.empty()) out += (out.empty() ? "" : "; ") + std::string(option) + " " + names;
    };
    scan(builtin_request_generators(), "--request-generator");
    scan(builtin_length_generators(), "--length-generator");
    scan(builtin_interval_generators(), "--interval-generator");
    return out;
  };
}

config::SettingGroup<WorkloadConfig> declare() {
  using config::Identity;
  using config::IdForm;
  using W = WorkloadConfig;
  config::SettingGroup<W> g("Workload");
  g.add(&W::generator, "request-generator", Identity::config(), "where requests come from").plugins([] {
    return builtin_request_generators().names();
  });
  g.add(&W::num_requests, "num-requests", Identity::config(), "requests to generate")
      .at_least(1)
      .default_note("128 (synthetic, conversation), every row (traces)");
  g.add(&W::duration_s, "duration", Identity::config(),
        "generate arrivals in [0, duration) instead of a count (0: by count)")
      .non_negative()
      .applies_to(read_by("duration"))
      .unit("s");
  g.add(&W::seed, "seed", Identity::config(), "seed of every random stream (arrivals, lengths, routing)")
      .topic("General");
  g.add(&W::max_tokens, "max-tokens", Identity::config(), "prompt + output cap per request; also sizes the KV budget")
      .at_least(2)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens");
  g.add(&W::length_generator, "length-generator", Identity::config(), "how prompt and output lengths are drawn")
      .applies_to(read_by("length-generator"))
      .plugins([] { return builtin_length_generators().names(); });
  g.add(&W::fixed_prefill_tokens, "prefill-tokens", Identity::config(), "prompt tokens")
      .at_least(1)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens")
      .applies_to(read_by("prefill-tokens"));
  g.add(&W::fixed_decode_tokens, "decode-tokens", Identity::config(), "output tokens")
      .at_least(1)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens")
      .applies_to(read_by("decode-tokens"));
  g.add(&W::min_tokens, "min-tokens", Identity::config(), "smallest total length")
      .at_least(2)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens")
      .applies_to(read_by("min-tokens"));
  g.add(&W::prefill_to_decode_ratio, "prefill-decode-ratio", Identity::config(), "prompt:output ratio")
      .positive()
      .applies_to(read_by("prefill-decode-ratio"));
  g.add(&W::zipf_theta, "zipf-theta", Identity::config(), "skew")
      .greater_than(0)
      .below(1)
      .applies_to(read_by("zipf-theta"));
  g.add(&W::zipf_scramble, "zipf-scramble", Identity::config(), "scatter popular lengths over the range")
      .bool_as_digit()
      .applies_to(read_by("zipf-scramble"));
  g.add(&W::length_trace_file, "length-trace-file", Identity::config(),
        "CSV with num_prefill_tokens, num_decode_tokens")
      .path()
      .applies_to(read_by("length-trace-file"))
      .id_form(IdForm::file_content);
  g.not_a_setting(&W::length_trace_rows, "the parsed rows of length_trace_file, shared by the probes of a search");
  g.add(&W::prefill_scale, "prefill-scale", Identity::config(), "multiply prompt lengths")
      .positive()
      .applies_to(read_by("prefill-scale"));
  g.add(&W::decode_scale, "decode-scale", Identity::config(), "multiply output lengths")
      .positive()
      .applies_to(read_by("decode-scale"));
  g.add(&W::interval_generator, "interval-generator", Identity::config(), "how arrivals are spaced")
      .applies_to(read_by("interval-generator"))
      .plugins([] { return builtin_interval_generators().names(); });
  g.add(&W::qps, "qps", Identity::probe(), "arrival rate").positive().unit("requests/s").applies_to(read_by("qps"));
  g.add(&W::gamma_cv, "gamma-cv", Identity::config(), "coefficient of variation of inter-arrival times")
      .positive()
      .applies_to(read_by("gamma-cv"));
  g.add(&W::interval_trace_file, "interval-trace-file", Identity::config(), "CSV with arrived_at (seconds)")
      .path()
      .applies_to(read_by("interval-trace-file"))
      .id_form(IdForm::file_content);
  g.add(&W::time_scale, "time-scale", Identity::config(), "multiply arrival times")
      .positive()
      .applies_to(read_by("time-scale"));
  g.add(&W::trace_file, "trace-file", Identity::config(),
        "the trace to replay, in its request generator's format: CSV with arrived_at, num_prefill_tokens, "
        "num_decode_tokens (trace_replay); Mooncake JSON lines; Azure's CSV (docs/workloads.md)")
      .path()
      .applies_to(read_by("trace-file"))
      .id_form(IdForm::file_content);
  g.add(&W::system_prompt_count, "system-prompt-count", Identity::config(),
        "system prompts that sessions choose from (0: sessions have none)")
      .non_negative()
      .at_most(static_cast<double>(kMaxSystemPrompts))
      .applies_to(read_by("system-prompt-count"));
  g.add(&W::system_prompt_tokens, "system-prompt-tokens", Identity::config(), "length of each system prompt")
      .at_least(1)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens")
      .applies_to(read_by("system-prompt-tokens"));
  g.add(&W::system_prompt_zipf_theta, "system-prompt-zipf-theta", Identity::config(),
        "popularity skew of the system prompts: prompt i is chosen with weight 1/(i+1)^theta (0: uniform)")
      .non_negative()
      .applies_to(read_by("system-prompt-zipf-theta"));
  g.add(&W::turns, "turns", Identity::config(), "turns (requests) per session; the fewest when --max-turns is above it")
      .at_least(1)
      .at_most(static_cast<double>(kMaxTurns))
      .applies_to(read_by("turns"));
  g.add(&W::max_turns, "max-turns", Identity::config(),
        "most turns per session, drawn uniformly from [--turns, --max-turns] (0: exactly --turns)")
      .non_negative()
      .at_most(static_cast<double>(kMaxTurns))
      .applies_to(read_by("max-turns"));
  g.add(&W::think_time_s, "think-time", Identity::config(),
        "mean pause (exponential) from a turn's arrival before the session's next turn may arrive")
      .non_negative()
      .unit("s")
      .applies_to(read_by("think-time"));
  g.add(&W::trace_block_size, "trace-block-size", Identity::config(), "tokens per hash id of the trace")
      .at_least(1)
      .at_most(static_cast<double>(kMaxRequestTokens))
      .unit("tokens")
      .applies_to(read_by("trace-block-size"));
  return g;
}

}  // namespace

void note_out_of_order_arrival(WorkloadNotes& notes, const std::string& file, int64_t line) {
  if (notes.out_of_order_arrivals++ > 0) return;
  notes.out_of_order_file = file;
  notes.first_out_of_order_line = line;
}

std::vector<std::string> describe_notes(const WorkloadNotes& notes) {
  std::vector<std::string> lines;
  if (notes.out_of_order_arrivals > 0)
    lines.push_back(notes.out_of_order_file + ":" + std::to_string(notes.first_out_of_order_line) + ": " +
                    format_count(notes.out_of_order_arrivals) +
                    " rows arrive before the row above them; arrivals are taken in time order");
  if (notes.cut_to_max_tokens > 0)
    lines.push_back(format_count(notes.cut_to_max_tokens) + " requests were cut to --max-tokens");
  if (notes.sessions_ended_at_max_tokens > 0)
    lines.push_back(format_count(notes.sessions_ended_at_max_tokens) +
                    " conversations ended before their last turn, which would exceed --max-tokens");
  if (notes.length_trace_reused > 0)
    lines.push_back("the length trace has " + format_count(notes.length_trace_rows) + " rows; " +
                    format_count(notes.length_trace_reused) + " requests reuse them from the start");
  return lines;
}

const config::SettingGroup<WorkloadConfig>& workload_settings() {
  static const auto group = declare();
  return group;
}

}  // namespace infersweep::workload
