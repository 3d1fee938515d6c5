#include "infersweep/workload/request_generator.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include "arrivals.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/workload/azure_trace.hpp"
#include "infersweep/workload/conversation_generator.hpp"
#include "infersweep/workload/interval_generator.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/mooncake_trace.hpp"
#include "trace_requests.hpp"

namespace infersweep::workload {

namespace {

void sort_by_arrival(std::vector<RequestSpec>& requests) {
  std::stable_sort(requests.begin(), requests.end(),
                   [](const RequestSpec& a, const RequestSpec& b) { return a.arrived_at < b.arrived_at; });
}

// Arrival i is the sum of the first i+1 intervals; lengths come from the length generator.
class SyntheticRequestGenerator : public RequestGenerator {
 public:
  explicit SyntheticRequestGenerator(const WorkloadConfig& c) : config_(c) {}

  GeneratedWorkload generate() override {
    Arrivals arrivals(config_);
    auto lengths = builtin_length_generators().create("length-generator", config_.length_generator, config_);
    std::vector<RequestSpec> requests;
    while (const auto now = arrivals.next()) {
      const auto tokens = lengths->next();
      requests.push_back({*now, tokens.prefill, tokens.decode, {}});
    }
    sort_by_arrival(requests);
    GeneratedWorkload out{std::move(requests), {}};
    arrivals.add_notes(out.notes);
    lengths->add_notes(out.notes);
    return out;
  }

 private:
  WorkloadConfig config_;
};

// Replays a trace file row by row, with the rules of every trace reader (trace_requests.hpp).
class TraceReplayRequestGenerator : public RequestGenerator {
 public:
  explicit TraceReplayRequestGenerator(const WorkloadConfig& c) : config_(c) {}

  GeneratedWorkload generate() override {
    const auto table = io::CsvTable::read(config_.trace_file);
    const size_t a_col = table.column("arrived_at");
    const size_t p_col = table.column("num_prefill_tokens");
    const size_t d_col = table.column("num_decode_tokens");
    const size_t rows = rows_to_take(table.num_rows(), config_, config_.trace_file);
    TraceRequests requests(table.path(), config_.max_tokens, rows);
    for (size_t row = 0; row < rows; ++row) {
      const int64_t line = table.line_of(row);
      const double arrived =
          requests.check_arrival(line, table.field(a_col), table.as_double(row, a_col) * config_.time_scale);
      const int64_t p = scale_count(read_token_count(table, row, p_col), config_.prefill_scale);
      const int64_t d = scale_count(read_token_count(table, row, d_col), config_.decode_scale);
      requests.add(line, table.field(a_col), arrived, p, d);
    }
    return requests.finish();
  }

 private:
  WorkloadConfig config_;
};

// Lines of a text file (rows plus header: an upper bound on its rows); 0 if it cannot be read,
// which the generator itself reports.
int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  int64_t lines = 0;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    lines += std::count(buffer.data(), buffer.data() + in.gcount(), '\n');
  }
  return lines + 1;
}

// A Poisson count over a duration exceeds its mean by 6 standard deviations with probability
// about 1e-9, so mean + 6 sd (+16 for tiny means) is a safe upper estimate.
int64_t synthetic_request_count(const WorkloadConfig& c) {
  if (c.duration_s <= 0) return c.num_requests.value_or(kDefaultSyntheticRequests);
  if (c.interval_generator == "trace") return count_lines(c.interval_trace_file);
  const double mean = c.qps * c.duration_s;
  const double bound = mean + 6 * std::sqrt(mean) + 16;
  return bound >= 9e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(bound);
}

}  // namespace

RequestGeneratorRegistry make_request_generator_registry() {
  RequestGeneratorRegistry registry("request generator");
  registry.add(
      "synthetic", [](const WorkloadConfig& c) { return std::make_unique<SyntheticRequestGenerator>(c); },
      {{"duration", "length-generator", "interval-generator"}, {}, nullptr, synthetic_request_count},
      "lengths and arrivals from a length and an interval generator");
  registry.add(
      "trace_replay", [](const WorkloadConfig& c) { return std::make_unique<TraceReplayRequestGenerator>(c); },
      {{"trace-file", "prefill-scale", "decode-scale", "time-scale"},
       {"trace-file"},
       nullptr,
       [](const WorkloadConfig& c) { return c.num_requests.value_or(count_lines(c.trace_file)); }},
      "a trace's rows as they are: arrival, prompt and output");
  registry.add("conversation", make_conversation_generator,
               {{"duration", "length-generator", "interval-generator", "system-prompt-count", "system-prompt-tokens",
                 "system-prompt-zipf-theta", "turns", "max-turns", "think-time"},
                {},
                validate_conversation,
                synthetic_request_count},
               "multi-turn sessions sharing system prompts and their history; arrivals and lengths as synthetic's");
  const auto trace_rows = [](const WorkloadConfig& c) { return c.num_requests.value_or(count_lines(c.trace_file)); };
  registry.add("mooncake_trace", make_mooncake_trace_generator,
               {{"trace-file", "trace-block-size", "time-scale"}, {"trace-file"}, nullptr, trace_rows},
               "a Mooncake JSON-lines trace: arrivals, lengths, and prompt blocks shared by hash id");
  registry.add("azure_trace", make_azure_trace_generator,
               {{"trace-file", "prefill-scale", "decode-scale", "time-scale"}, {"trace-file"}, nullptr, trace_rows},
               "an Azure LLM inference trace as published: date-times, context and generated tokens");
  return registry;
}

const RequestGeneratorRegistry& builtin_request_generators() {
  static const RequestGeneratorRegistry registry = make_request_generator_registry();
  return registry;
}

namespace {

// Checks one plug-in's declared needs: its required settings are given, its own rules hold.
template <class Registry>
void check_plugin(const Registry& registry, const std::string& setting, const std::string& name,
                  const WorkloadConfig& c) {
  const auto& traits = registry.traits(setting, name);
  for (const auto& required : traits.required)
    if (workload_settings().at(required).text(c).empty())
      throw InputError::setting(required, "required with --" + setting + " " + name);
  if (traits.validate) traits.validate(c);
}

}  // namespace

int64_t expected_request_count(const WorkloadConfig& c) {
  const auto& count = builtin_request_generators().traits("request-generator", c.generator).request_count;
  return count ? count(c) : c.num_requests.value_or(kDefaultSyntheticRequests);
}

void validate_workload(const WorkloadConfig& c) {
  config::check_settings(workload_settings(), c);
  check_plugin(builtin_request_generators(), "request-generator", c.generator, c);
  // A request generator that draws lengths and arrivals from generators names them as settings.
  const auto& reads = builtin_request_generators().traits("request-generator", c.generator).settings;
  const auto reads_setting = [&reads](const char* name) { return std::count(reads.begin(), reads.end(), name) > 0; };
  if (reads_setting("length-generator"))
    check_plugin(builtin_length_generators(), "length-generator", c.length_generator, c);
  if (reads_setting("interval-generator"))
    check_plugin(builtin_interval_generators(), "interval-generator", c.interval_generator, c);
}

GeneratedWorkload generate_workload(const WorkloadConfig& config) {
  validate_workload(config);
  return builtin_request_generators().create("request-generator", config.generator, config)->generate();
}

std::vector<RequestSpec> generate_requests(const WorkloadConfig& config) { return generate_workload(config).requests; }

}  // namespace infersweep::workload
