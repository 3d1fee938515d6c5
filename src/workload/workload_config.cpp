#include "infersweep/workload/workload_config.hpp"

#include "infersweep/workload/interval_generator.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::workload {

namespace {

config::SettingGroup<WorkloadConfig> declare() {
  using config::IdForm;
  using config::Identity;
  using W = WorkloadConfig;
  config::SettingGroup<W> g("Workload");
  g.add(&W::generator, "request-generator", Identity::config(), "where requests come from")
      .plugins([] { return builtin_request_generators().names(); });
  g.add(&W::num_requests, "num-requests", Identity::config(), "requests to generate")
      .at_least(1)
      .default_note("128 (synthetic), every row (trace_replay)");
  g.add(&W::duration_s, "duration", Identity::config(),
        "synthetic: generate arrivals in [0, duration) instead of a count (0: by count)")
      .non_negative()
      .unit("s");
  g.add(&W::seed, "seed", Identity::config(), "seed of every random stream (arrivals, lengths, routing)")
      .topic("General");
  g.add(&W::max_tokens, "max-tokens", Identity::config(), "prompt + output cap per request; also sizes the KV budget")
      .at_least(2)
      .unit("tokens");
  g.add(&W::length_generator, "length-generator", Identity::config(), "synthetic: how prompt and output lengths are drawn")
      .plugins([] { return builtin_length_generators().names(); });
  g.add(&W::fixed_prefill_tokens, "prefill-tokens", Identity::config(), "fixed: prompt tokens").at_least(1).unit("tokens");
  g.add(&W::fixed_decode_tokens, "decode-tokens", Identity::config(), "fixed: output tokens").at_least(1).unit("tokens");
  g.add(&W::min_tokens, "min-tokens", Identity::config(), "uniform/zipf: smallest total length").at_least(2).unit("tokens");
  g.add(&W::prefill_to_decode_ratio, "prefill-decode-ratio", Identity::config(), "uniform/zipf: prompt:output ratio")
      .positive();
  g.add(&W::zipf_theta, "zipf-theta", Identity::config(), "zipf: skew").greater_than(0).below(1);
  g.add(&W::zipf_scramble, "zipf-scramble", Identity::config(), "zipf: scatter popular lengths over the range")
      .bool_as_digit();
  g.add(&W::length_trace_file, "length-trace-file", Identity::config(),
        "trace lengths: CSV with num_prefill_tokens, num_decode_tokens")
      .path()
      .id_form(IdForm::file_content);
  g.not_a_setting(&W::length_trace_rows, "the parsed rows of length_trace_file, shared by the probes of a search");
  g.add(&W::prefill_scale, "prefill-scale", Identity::config(), "trace: multiply prompt lengths").positive();
  g.add(&W::decode_scale, "decode-scale", Identity::config(), "trace: multiply output lengths").positive();
  g.add(&W::interval_generator, "interval-generator", Identity::config(), "synthetic: how arrivals are spaced")
      .plugins([] { return builtin_interval_generators().names(); });
  g.add(&W::qps, "qps", Identity::probe(), "poisson/gamma: arrival rate").positive().unit("requests/s");
  g.add(&W::gamma_cv, "gamma-cv", Identity::config(), "gamma: coefficient of variation of inter-arrival times")
      .positive();
  g.add(&W::interval_trace_file, "interval-trace-file", Identity::config(),
        "trace intervals: CSV with arrived_at (seconds)")
      .path()
      .id_form(IdForm::file_content);
  g.add(&W::time_scale, "time-scale", Identity::config(), "trace: multiply arrival times").positive();
  g.add(&W::trace_file, "trace-file", Identity::config(),
        "trace_replay: CSV with arrived_at, num_prefill_tokens, num_decode_tokens")
      .path()
      .id_form(IdForm::file_content);
  return g;
}

}  // namespace

const config::SettingGroup<WorkloadConfig>& workload_settings() {
  static const auto group = declare();
  return group;
}

}  // namespace infersweep::workload
