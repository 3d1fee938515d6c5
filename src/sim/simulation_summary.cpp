#include "infersweep/sim/simulation_summary.hpp"

#include <cstring>
#include <stdexcept>

namespace infersweep::sim {

const Distribution& SimulationSummary::request_metric(const std::string& name) const {
  for (const auto& [key, d] : request_metrics)
    if (key == name) return d;
  throw std::out_of_range("no request metric named " + name);
}

namespace {

VidurUtilisation summarize_vidur_utilisation(const MetricsStore& metrics) {
  VidurUtilisation v;
  double memory = 0, busy = 0, mfu = 0;
  int64_t stages = 0;
  for (int32_t rep = 0; rep < static_cast<int32_t>(metrics.num_replicas()); ++rep) {
    VidurUtilisation::Replica r;
    r.memory_usage_percent = metrics.vidur_memory(rep).mean();
    memory += r.memory_usage_percent;
    for (int32_t st = 0; st < static_cast<int32_t>(metrics.num_stages(rep)); ++st) {
      r.busy_percent.push_back(metrics.vidur_busy(rep, st).mean());
      r.mfu_percent.push_back(metrics.vidur_mfu(rep, st).mean());
      busy += r.busy_percent.back();
      mfu += r.mfu_percent.back();
      ++stages;
    }
    v.replicas.push_back(std::move(r));
  }
  if (!v.replicas.empty()) v.memory_usage_percent = memory / static_cast<double>(v.replicas.size());
  if (stages > 0) {
    v.busy_percent = busy / static_cast<double>(stages);
    v.mfu_percent = mfu / static_cast<double>(stages);
  }
  return v;
}

PoolUsage summarize_pool(const char* name, const SimulationSetup& pool, const std::vector<ReplicaUsage>& replicas,
                         int32_t first, int32_t end) {
  PoolUsage u;
  u.name = name;
  u.gpu = pool.gpu.name;
  u.replicas = end - first;
  u.gpus = u.replicas * pool.config.parallel.tensor_parallel * pool.config.parallel.pipeline_parallel;
  int64_t stages = 0;
  for (int32_t rep = first; rep < end; ++rep) {
    const auto& r = replicas[static_cast<size_t>(rep)];
    u.memory_usage_mean_percent += r.memory_usage_mean_percent / static_cast<double>(u.replicas);
    u.memory_usage_max_percent = std::max(u.memory_usage_max_percent, r.memory_usage_max_percent);
    for (size_t st = 0; st < r.busy_mean_percent.size(); ++st) {
      u.busy_mean_percent += r.busy_mean_percent[st];
      u.mfu_mean_percent += r.mfu_mean_percent[st];
      ++stages;
    }
  }
  if (stages > 0) {
    u.busy_mean_percent /= static_cast<double>(stages);
    u.mfu_mean_percent /= static_cast<double>(stages);
  }
  return u;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

double share(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

double token_hit_rate(const PrefixCacheStats& s) { return share(s.hit_tokens, s.queried_tokens); }
double block_hit_rate(const PrefixCacheStats& s) { return share(s.hit_blocks, s.queried_blocks); }

PrefixCacheSummary summarize_prefix_cache(const Simulation& sim) {
  PrefixCacheSummary p;
  const auto replicas = static_cast<int32_t>(sim.metrics().num_replicas());
  for (int32_t rep = 0; rep < replicas; ++rep) {
    const auto& blocks = sim.replica_scheduler(rep).blocks();
    const PrefixCacheStats& s = blocks.prefix_stats();
    p.enabled = p.enabled || blocks.prefix_caching();
    p.total.lookups += s.lookups;
    p.total.queried_tokens += s.queried_tokens;
    p.total.hit_tokens += s.hit_tokens;
    p.total.queried_blocks += s.queried_blocks;
    p.total.hit_blocks += s.hit_blocks;
    p.total.evictions += s.evictions;
    p.replicas.push_back(s);
  }
  return p;
}

SimulationSummary summarize(const Simulation& sim) {
  SimulationSummary s;
  const auto& metrics = sim.metrics();
  s.num_requests = static_cast<int64_t>(sim.requests().size());
  s.num_completed = static_cast<int64_t>(metrics.completed().size());
  s.num_batches = sim.num_batches();
  s.num_events = sim.num_events();
  s.end_time_s = sim.end_time();
  s.hit_time_limit = sim.hit_time_limit();
  s.predictor_out_of_grid_lookups = sim.predictor().operators().out_of_grid_lookups();

  const char* names[] = {"e2e_time",
                         "e2e_time_normalized",
                         "execution_time",
                         "execution_time_normalized",
                         "model_execution_time",
                         "model_execution_time_normalized",
                         "preemption_time",
                         "scheduling_delay",
                         "execution_plus_preemption_time",
                         "execution_plus_preemption_time_normalized",
                         "ttft",
                         "prefill_time_execution_plus_preemption",
                         "prefill_time_execution_plus_preemption_normalized",
                         "decode_time_execution_plus_preemption_normalized",
                         "num_prefill_tokens",
                         "num_decode_tokens",
                         "pd_ratio",
                         "num_restarts",
                         "num_cached_prompt_tokens",
                         "decode_queueing_delay",
                         "kv_transfer_time"};
  constexpr size_t kSeries = sizeof(names) / sizeof(names[0]);
  std::vector<std::vector<double>> series(kSeries);
  for (auto& values : series) values.reserve(metrics.completed().size());
  int64_t output_tokens = 0;
  for (RequestId id : metrics.completed()) {
    const auto& r = sim.requests()[static_cast<size_t>(id)];
    const auto m = derive_request_metrics(r);
    const double values[kSeries] = {
        m.e2e_time,
        m.e2e_time_normalized,
        m.execution_time,
        m.execution_time_normalized,
        m.model_execution_time,
        m.model_execution_time_normalized,
        m.preemption_time,
        m.scheduling_delay,
        m.execution_plus_preemption_time,
        m.execution_plus_preemption_time_normalized,
        m.ttft,
        m.prefill_time_execution_plus_preemption,
        m.prefill_time_execution_plus_preemption_normalized,
        m.decode_time_execution_plus_preemption_normalized,
        static_cast<double>(r.original_prefill_tokens),
        static_cast<double>(r.original_decode_tokens),
        static_cast<double>(r.original_prefill_tokens) / static_cast<double>(r.original_decode_tokens),
        static_cast<double>(r.num_restarts),
        static_cast<double>(r.num_cached_prompt_tokens),
        m.decode_queueing_delay,
        m.kv_transfer_time};
    for (size_t k = 0; k < kSeries; ++k) series[k].push_back(values[k]);
    s.num_restarts += r.num_restarts;
    output_tokens += r.original_decode_tokens;
  }
  // Several series are often the same one (a request without preemption has equal execution,
  // model-execution and execution-plus-preemption times): a series equal bit for bit to an
  // earlier one has that one's distribution, without sorting it again.
  size_t first_equal[kSeries];
  for (size_t k = 0; k < kSeries; ++k) {
    first_equal[k] = 0;
    while (first_equal[k] < k && !same_bits(series[first_equal[k]], series[k])) ++first_equal[k];
  }
  for (size_t k = 0; k < kSeries; ++k) {
    const Distribution d =
        first_equal[k] < k ? s.request_metrics[first_equal[k]].second : summarize_exact(std::move(series[k]));
    s.request_metrics.emplace_back(names[k], d);
  }
  s.tbt = metrics.tbt().summarize();
  s.inter_arrival_delay = summarize_exact(metrics.inter_arrival_delays());
  s.batch_metrics = {{"batch_execution_time", metrics.batch_execution_time().summarize()},
                     {"batch_size", metrics.batch_size().summarize()},
                     {"batch_num_tokens", metrics.batch_num_tokens().summarize()},
                     {"batch_num_prefill_tokens", metrics.batch_num_prefill_tokens().summarize()},
                     {"batch_num_decode_tokens", metrics.batch_num_decode_tokens().summarize()}};
  if (s.end_time_s > 0) {
    s.completed_per_second = static_cast<double>(s.num_completed) / s.end_time_s;
    s.output_tokens_per_second = static_cast<double>(output_tokens) / s.end_time_s;
  }
  for (int32_t rep = 0; rep < static_cast<int32_t>(metrics.num_replicas()); ++rep) {
    ReplicaUsage u;
    u.memory_usage_mean_percent = metrics.memory(rep).mean(s.end_time_s);
    u.memory_usage_max_percent = metrics.memory(rep).max();
    for (int32_t st = 0; st < static_cast<int32_t>(metrics.num_stages(rep)); ++st) {
      u.busy_mean_percent.push_back(metrics.busy(rep, st).mean(s.end_time_s));
      u.mfu_mean_percent.push_back(metrics.mfu(rep, st).mean(s.end_time_s));
    }
    s.replicas.push_back(std::move(u));
  }
  s.vidur_utilisation = summarize_vidur_utilisation(metrics);
  s.prefix_cache = summarize_prefix_cache(sim);
  if (sim.setup().disaggregated()) {
    s.pools.push_back(summarize_pool("prefill", sim.setup(), s.replicas, 0, sim.num_prefill_replicas()));
    s.pools.push_back(
        summarize_pool("decode", *sim.setup().decode_pool, s.replicas, sim.num_prefill_replicas(), sim.num_replicas()));
  }
  return s;
}

}  // namespace infersweep::sim
