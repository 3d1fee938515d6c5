#include "infersweep/search/result_row.hpp"

#include <cmath>
#include <limits>

namespace infersweep::search {

namespace {

using table::ColumnKind;
using table::ColumnSpec;
using table::Field;
using table::Schema;

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kTextWidth = 96;  // bytes per text value in the sweep file, unless declared

// The metrics of one probe: in probe rows, and in result rows for the probe at capacity.
const Schema kProbeMetricColumns{
    {"scheduling_delay_at_slo_quantile", ColumnKind::float64, "s", "scheduling delay at the SLO's quantile"},
    {"scheduling_delay_p50", ColumnKind::float64, "s", "median scheduling delay"},
    {"scheduling_delay_p99", ColumnKind::float64, "s", "99th percentile scheduling delay"},
    {"ttft_p50", ColumnKind::float64, "s", "median time to first token"},
    {"ttft_p90", ColumnKind::float64, "s", "90th percentile time to first token"},
    {"ttft_p99", ColumnKind::float64, "s", "99th percentile time to first token"},
    {"tbt_p50", ColumnKind::float64, "s", "median time between tokens"},
    {"tbt_p90", ColumnKind::float64, "s", "90th percentile time between tokens"},
    {"tbt_p99", ColumnKind::float64, "s", "99th percentile time between tokens"},
    {"e2e_p50", ColumnKind::float64, "s", "median end-to-end latency of completed requests"},
    {"e2e_p90", ColumnKind::float64, "s", "90th percentile end-to-end latency"},
    {"e2e_p99", ColumnKind::float64, "s", "99th percentile end-to-end latency"},
    {"mfu_mean_percent", ColumnKind::float64, "%", "model FLOPs utilisation, mean over replicas and stages"},
    {"busy_mean_percent", ColumnKind::float64, "%", "share of time stages were busy, mean"},
    {"memory_usage_mean_percent", ColumnKind::float64, "%", "KV-cache blocks in use, mean over replicas"},
    {"batch_size_mean", ColumnKind::float64, "requests", "mean batch size"},
    {"prefix_lookups", ColumnKind::int64, "",
     "prefix-cache lookups (one per admission of a request; 0 without prefix caching)"},
    {"prefix_hit_rate_tokens", ColumnKind::float64, "",
     "share of the prompt tokens looked up in the prefix cache that were found cached (0 when none was looked up)"},
    {"prefix_hit_rate_blocks", ColumnKind::float64, "",
     "share of the full KV blocks looked up in the prefix cache that were found cached (0 when none was looked up)"},
    {"prefix_evictions", ColumnKind::int64, "blocks", "cached KV blocks evicted to make room, over all replicas"},
    {"num_arrived", ColumnKind::int64, "requests", "requests that arrived before the probe ended"},
    {"num_completed", ColumnKind::int64, "requests", "requests completed before the probe ended"},
    {"simulated_s", ColumnKind::float64, "s", "simulated time of the probe"},
    {"hit_time_limit", ColumnKind::boolean, "", "the probe reached the simulated-time limit"},
    {"stopped_early", ColumnKind::boolean, "", "the probe ended as soon as its scheduling-delay SLO was lost"},
};

// The key of both tables (probes join results on config_id).
const Schema kKeyColumns{
    {"index", ColumnKind::int64, "", "position of the config in its grid's enumeration"},
    {"config_id", ColumnKind::text, "", "16 hex digits hashing every setting, the trace content and the engine version",
     16},
};

// The names follow ConfigStatus's values (0 ok, 1 skipped, 2 failed, 3 timeout).
const Schema kConfigColumns{
    {"status",
     ColumnKind::enumeration,
     "",
     "ok, skipped (invalid config; see message), failed (error; see message) or timeout",
     0,
     {"ok", "skipped", "failed", "timeout"}},
    {"model", ColumnKind::text, "", "model name as the grid gives it"},
    {"model_identifier", ColumnKind::text, "", "model spec identifier (data/models)"},
    {"trace", ColumnKind::text, "", "trace name as the grid gives it"},
    {"workload_id", ColumnKind::text, "",
     "16 hex digits hashing the workload (trace content, lengths, request count) and the search settings (SLOs): "
     "capacities compare only within one",
     16},
    {"device", ColumnKind::text, "", "GPU SKU"},
    {"node", ColumnKind::text, "", "node spec (GPUs per node and interconnect)"},
    {"cluster_gpus", ColumnKind::int64, "GPUs", "GPUs in the cluster the replicas are carved from"},
    {"tp", ColumnKind::int64, "", "tensor-parallel degree"},
    {"pp", ColumnKind::int64, "", "pipeline-parallel stages"},
    {"replicas", ColumnKind::int64, "", "replicas of the model (disaggregated: of the prefill pool)"},
    {"gpus", ColumnKind::int64, "GPUs",
     "GPUs used: replicas x tp x pp (disaggregated: plus decode_replicas x decode_tp x decode_pp)"},
    // The names follow DeploymentLabels::shape().
    {"shape",
     ColumnKind::enumeration,
     "",
     "colocated (every replica prefills and decodes) or disaggregated (device, node, tp, pp and replicas are the "
     "prefill pool's; decode_* the decode pool's)",
     0,
     {"colocated", "disaggregated"}},
    {"pd_ratio", ColumnKind::text, "", "prefill:decode replica ratio from the grid (empty when colocated)", 16},
    {"decode_device", ColumnKind::text, "", "GPU SKU of the decode pool (empty when colocated)"},
    {"decode_node", ColumnKind::text, "", "node spec of the decode pool (empty when colocated)"},
    {"decode_replicas", ColumnKind::int64, "", "replicas of the decode pool (0 when colocated)"},
    {"decode_tp", ColumnKind::int64, "", "tensor-parallel degree of a decode replica (0 when colocated)"},
    {"decode_pp", ColumnKind::int64, "", "pipeline-parallel stages of a decode replica (0 when colocated)"},
    {"kv_transfer", ColumnKind::text, "",
     "how the KV cache reaches the decode pool: whole, layerwise or none (empty when colocated)", 16},
    {"scheduler", ColumnKind::text, "", "replica scheduler (vllm, orca, sarathi, lightllm, faster_transformer)"},
    {"scheduler_label", ColumnKind::text, "",
     "scheduler with its parameters, as labelled in tables: chunk size, +apc with prefix caching, /router unless "
     "round_robin"},
    {"prefix_caching", ColumnKind::boolean, "", "automatic prefix caching on (for a scheduler that reads it)"},
    {"router", ColumnKind::text, "", "global scheduler routing requests to replicas"},
    {"chunk_size", ColumnKind::int64, "tokens", "Sarathi chunk size (0: not applicable)"},
    {"batch_size", ColumnKind::int64, "requests", "batch size from the grid"},
    {"batch_size_cap", ColumnKind::int64, "requests", "batch size cap the scheduler uses"},
    {"max_seq_len", ColumnKind::int64, "tokens", "longest request the trace may contain"},
    {"num_requests", ColumnKind::int64, "requests", "requests simulated per probe"},
    {"start_qps", ColumnKind::float64, "1/s",
     "arrival rate the capacity search starts from (strategy pilot: only without a pilot rate)"},
    {"price_per_gpu_hour", ColumnKind::float64, "$/h",
     "price of one GPU-hour, as priced for this run (disaggregated: of the prefill pool's GPU)"},
    {"price_source", ColumnKind::text, "",
     "where price_per_gpu_hour comes from: 'gpu spec <file>: <source> (<date>)', 'prices file <file>:<line>: ...' "
     "(--gpu-prices) or 'grid <file>:<line>: prices.<gpu>' (empty in files written before it was recorded)",
     240},
    {"decode_price_per_gpu_hour", ColumnKind::float64, "$/h",
     "price of one GPU-hour of the decode pool's GPU (0 when colocated)"},
    {"decode_price_source", ColumnKind::text, "",
     "where decode_price_per_gpu_hour comes from, as price_source (empty when colocated)", 240},
    {"capacity_qps", ColumnKind::float64, "1/s", "highest arrival rate meeting the SLO (NaN unless status is ok)"},
    {"qps_per_dollar", ColumnKind::float64, "1/$ per h", "capacity_qps divided by dollars_per_hour"},
    {"dollars_per_hour", ColumnKind::float64, "$/h",
     "gpus x price_per_gpu_hour (disaggregated: each pool's GPUs at its own GPU's price)"},
    {"capacity_per_replica", ColumnKind::float64, "1/s",
     "capacity_qps divided by replicas (disaggregated: by the replicas of both pools)"},
    {"num_probes", ColumnKind::int64, "", "simulations the capacity search ran"},
    // The names follow CapacityCaveat's values.
    {"capacity_caveat",
     ColumnKind::enumeration,
     "",
     "none, iteration_limit (the search stopped at max_iterations with its bracket open) or workload_bound (at "
     "capacity the arrivals span less than the delay SLO or the median latency: the workload's size, not the "
     "deployment, bounds it); fronts and best choices leave such configs out unless asked",
     0,
     {"none", "iteration_limit", "workload_bound"}},
};

const Schema kResultTailColumns{
    {"wall_s", ColumnKind::float64, "s", "wall-clock time of the whole search (machine-dependent)"},
    {"message", ColumnKind::text, "", "skip reason, error, or note", 400},
};

const Schema kProbeColumns{
    {"probe", ColumnKind::int64, "", "probe number within its config's search, from 0"},
    {"qps", ColumnKind::float64, "1/s", "arrival rate of the probe"},
    {"passed", ColumnKind::boolean, "", "the probe met every SLO"},
    {"violated", ColumnKind::text, "", "SLOs the probe missed, comma-separated"},
};

Schema joined(std::initializer_list<const Schema*> parts) {
  Schema schema;
  for (const auto* part : parts)
    for (auto spec : *part) {
      if (spec.kind == ColumnKind::text && spec.text_width == 0) spec.text_width = kTextWidth;
      schema.push_back(std::move(spec));
    }
  return schema;
}

void add_probe_metrics(std::vector<Field>& f, const ProbeRecord* p) {
  auto num = [&](const char* name, double ProbeRecord::*member) { f.push_back({name, p ? p->*member : kNone}); };
  num("scheduling_delay_at_slo_quantile", &ProbeRecord::scheduling_delay_at_slo_quantile);
  num("scheduling_delay_p50", &ProbeRecord::scheduling_delay_p50);
  num("scheduling_delay_p99", &ProbeRecord::scheduling_delay_p99);
  num("ttft_p50", &ProbeRecord::ttft_p50);
  num("ttft_p90", &ProbeRecord::ttft_p90);
  num("ttft_p99", &ProbeRecord::ttft_p99);
  num("tbt_p50", &ProbeRecord::tbt_p50);
  num("tbt_p90", &ProbeRecord::tbt_p90);
  num("tbt_p99", &ProbeRecord::tbt_p99);
  num("e2e_p50", &ProbeRecord::e2e_p50);
  num("e2e_p90", &ProbeRecord::e2e_p90);
  num("e2e_p99", &ProbeRecord::e2e_p99);
  num("mfu_mean_percent", &ProbeRecord::mfu_mean_percent);
  num("busy_mean_percent", &ProbeRecord::busy_mean_percent);
  num("memory_usage_mean_percent", &ProbeRecord::memory_usage_mean_percent);
  num("batch_size_mean", &ProbeRecord::batch_size_mean);
  f.push_back({"prefix_lookups", p ? p->prefix_lookups : int64_t{0}});
  num("prefix_hit_rate_tokens", &ProbeRecord::prefix_hit_rate_tokens);
  num("prefix_hit_rate_blocks", &ProbeRecord::prefix_hit_rate_blocks);
  f.push_back({"prefix_evictions", p ? p->prefix_evictions : int64_t{0}});
  f.push_back({"num_arrived", p ? p->num_arrived : int64_t{0}});
  f.push_back({"num_completed", p ? p->num_completed : int64_t{0}});
  num("simulated_s", &ProbeRecord::simulated_s);
  f.push_back({"hit_time_limit", p ? p->hit_time_limit : false});
  f.push_back({"stopped_early", p ? p->stopped_early : false});
}

}  // namespace

const table::Schema& result_columns() {
  static const Schema schema = joined({&kKeyColumns, &kConfigColumns, &kProbeMetricColumns, &kResultTailColumns});
  return schema;
}

const table::Schema& probe_columns() {
  static const Schema schema = joined({&kKeyColumns, &kProbeColumns, &kProbeMetricColumns});
  return schema;
}

table::EnumValue status_value(ConfigStatus status) { return {static_cast<int64_t>(status), to_string(status)}; }

std::vector<Field> result_fields(const SearchUnit& u, const ConfigResult& r) {
  const auto& l = u.labels;
  const bool ok = r.status == ConfigStatus::ok;
  std::vector<Field> f{
      {"index", u.index},
      {"config_id", u.config_id},
      {"status", status_value(r.status)},
      {"model", l.model},
      {"model_identifier", l.model_identifier},
      {"trace", l.trace},
      {"workload_id", u.workload_id},
      {"device", l.device},
      {"node", l.node},
      {"cluster_gpus", l.cluster_gpus},
      {"tp", l.tp},
      {"pp", l.pp},
      {"replicas", l.replicas},
      {"gpus", l.gpus()},
      {"shape", table::EnumValue{l.disaggregated ? 1 : 0, l.shape()}},
      {"pd_ratio", l.pd_ratio},
      {"decode_device", l.decode_device},
      {"decode_node", l.decode_node},
      {"decode_replicas", l.decode_replicas},
      {"decode_tp", l.decode_tp},
      {"decode_pp", l.decode_pp},
      {"kv_transfer", l.kv_transfer},
      {"scheduler", u.simulation.scheduler.replica_scheduler},
      {"scheduler_label", l.scheduler},
      {"prefix_caching", l.prefix_caching},
      {"router", l.router},
      {"chunk_size", l.chunk_size},
      {"batch_size", l.batch_size},
      {"batch_size_cap", l.batch_size_cap},
      {"max_seq_len", u.simulation.workload.max_tokens},
      {"num_requests", u.simulation.workload.num_requests.value_or(0)},
      {"start_qps", l.start_qps},
      {"price_per_gpu_hour", u.price_per_gpu_hour},
      {"price_source", u.price_source},
      {"decode_price_per_gpu_hour", u.decode_price_per_gpu_hour},
      {"decode_price_source", u.decode_price_source},
      {"capacity_qps", ok ? r.outcome.capacity_qps : kNone},
      {"qps_per_dollar", ok ? r.cost.qps_per_dollar : kNone},
      {"dollars_per_hour", u.dollars_per_hour()},
      {"capacity_per_replica", ok ? r.cost.capacity_per_replica : kNone},
      {"num_probes", static_cast<int64_t>(r.outcome.probes.size())},
      {"capacity_caveat", table::EnumValue{static_cast<int64_t>(ok ? r.outcome.caveat : CapacityCaveat::none),
                                           to_string(ok ? r.outcome.caveat : CapacityCaveat::none)}},
  };
  add_probe_metrics(f, r.at_capacity());
  f.push_back({"wall_s", r.wall_s});
  f.push_back({"message", r.message});
  return f;
}

std::vector<Field> probe_fields(const SearchUnit& u, int64_t sequence, const ProbeRecord& p) {
  std::vector<Field> f{{"index", u.index}, {"config_id", u.config_id}, {"probe", sequence},
                       {"qps", p.qps},     {"passed", p.passed},       {"violated", p.violated}};
  add_probe_metrics(f, &p);
  return f;
}

}  // namespace infersweep::search
