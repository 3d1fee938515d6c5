#include "infersweep/sweep/sweep_schema.hpp"

#include <map>
#include <stdexcept>

namespace infersweep::sweep {

namespace {

struct ColumnNote {
  const char* units;
  const char* description;
};

// Units and one-line descriptions of every column; a column missing here is a programming
// error caught by the schema test.
const std::map<std::string, ColumnNote>& column_notes() {
  static const std::map<std::string, ColumnNote> notes{
      {"index", {"", "position of the config in its grid's enumeration"}},
      {"config_id", {"", "16 hex digits hashing every setting, the trace content and the engine version"}},
      {"status", {"", "ok, skipped (invalid config; see message), failed (error; see message) or timeout"}},
      {"model", {"", "model name as the grid gives it"}},
      {"model_identifier", {"", "model spec identifier (data/models)"}},
      {"trace", {"", "trace name as the grid gives it"}},
      {"device", {"", "GPU SKU"}},
      {"node", {"", "node spec (GPUs per node and interconnect)"}},
      {"cluster_gpus", {"GPUs", "GPUs in the cluster the replicas are carved from"}},
      {"tp", {"", "tensor-parallel degree"}},
      {"pp", {"", "pipeline-parallel stages"}},
      {"replicas", {"", "replicas of the model"}},
      {"gpus", {"GPUs", "GPUs used: replicas x tp x pp"}},
      {"scheduler", {"", "replica scheduler (vllm, orca, sarathi, lightllm, faster_transformer)"}},
      {"scheduler_label", {"", "scheduler with its parameters, as labelled in tables"}},
      {"chunk_size", {"tokens", "Sarathi chunk size (0: not applicable)"}},
      {"batch_size", {"requests", "batch size from the grid"}},
      {"batch_size_cap", {"requests", "batch size cap the scheduler uses"}},
      {"max_seq_len", {"tokens", "longest request the trace may contain"}},
      {"num_requests", {"requests", "requests simulated per probe"}},
      {"start_qps", {"1/s", "arrival rate the capacity search starts from"}},
      {"price_per_gpu_hour", {"$/h", "price of one GPU"}},
      {"capacity_qps", {"1/s", "highest arrival rate meeting the SLO (NaN unless status is ok)"}},
      {"qps_per_dollar", {"1/$ per h", "capacity_qps divided by dollars_per_hour"}},
      {"dollars_per_hour", {"$/h", "gpus x price_per_gpu_hour"}},
      {"capacity_per_replica", {"1/s", "capacity_qps divided by replicas"}},
      {"num_probes", {"", "simulations the capacity search ran"}},
      {"scheduling_delay_at_slo_quantile", {"s", "scheduling delay at the SLO's quantile"}},
      {"scheduling_delay_p50", {"s", "median scheduling delay"}},
      {"scheduling_delay_p99", {"s", "99th percentile scheduling delay"}},
      {"ttft_p50", {"s", "median time to first token"}},
      {"ttft_p90", {"s", "90th percentile time to first token"}},
      {"ttft_p99", {"s", "99th percentile time to first token"}},
      {"tbt_p50", {"s", "median time between tokens"}},
      {"tbt_p90", {"s", "90th percentile time between tokens"}},
      {"tbt_p99", {"s", "99th percentile time between tokens"}},
      {"e2e_p50", {"s", "median end-to-end latency of completed requests"}},
      {"e2e_p90", {"s", "90th percentile end-to-end latency"}},
      {"e2e_p99", {"s", "99th percentile end-to-end latency"}},
      {"mfu_mean_percent", {"%", "model FLOPs utilisation, mean over replicas and stages"}},
      {"busy_mean_percent", {"%", "share of time stages were busy, mean"}},
      {"memory_usage_mean_percent", {"%", "KV-cache blocks in use, mean over replicas"}},
      {"batch_size_mean", {"requests", "mean batch size"}},
      {"num_arrived", {"requests", "requests that arrived before the probe ended"}},
      {"num_completed", {"requests", "requests completed before the probe ended"}},
      {"simulated_s", {"s", "simulated time of the probe"}},
      {"hit_time_limit", {"", "the probe reached the simulated-time limit"}},
      {"stopped_early", {"", "the probe ended as soon as its scheduling-delay SLO was lost"}},
      {"wall_s", {"s", "wall-clock time of the whole search (machine-dependent)"}},
      {"message", {"", "skip reason, error, or note"}},
      {"run", {"", "which run of the sweep wrote the row (see /runs)"}},
      {"rank", {"", "MPI rank that ran the search (0 for rows rank 0 wrote itself)"}},
      {"probe", {"", "probe number within its config's search, from 0"}},
      {"qps", {"1/s", "arrival rate of the probe"}},
      {"passed", {"", "the probe met every SLO"}},
      {"violated", {"", "SLOs the probe missed, comma-separated"}},
  };
  return notes;
}

size_t text_width(const std::string& name) {
  if (name == "config_id") return 16;
  if (name == "status") return 8;
  if (name == "message") return 400;
  return 96;
}

Schema schema_of(const std::vector<search::Field>& sample) {
  Schema schema;
  for (const auto& f : sample) {
    const auto it = column_notes().find(f.name);
    if (it == column_notes().end()) throw std::logic_error("column '" + f.name + "' has no description");
    ColumnSpec spec;
    spec.name = f.name;
    spec.units = it->second.units;
    spec.description = it->second.description;
    switch (f.value.index()) {
      case 0: spec.kind = ColumnKind::text, spec.text_width = text_width(f.name); break;
      case 1: spec.kind = ColumnKind::int64; break;
      case 2: spec.kind = ColumnKind::float64; break;
      default: spec.kind = ColumnKind::boolean; break;
    }
    schema.push_back(std::move(spec));
  }
  return schema;
}

}  // namespace

std::vector<search::Field> sweep_result_row(const search::SearchUnit& unit, const search::ConfigResult& result,
                                            int64_t run, int64_t rank) {
  auto row = search::result_fields(unit, result);
  row.push_back({"run", run});
  row.push_back({"rank", rank});
  return row;
}

std::vector<search::Field> sweep_probe_row(const search::SearchUnit& unit, int64_t sequence,
                                           const search::ProbeRecord& probe, int64_t run) {
  auto row = search::probe_fields(unit, sequence, probe);
  row.push_back({"run", run});
  return row;
}

Schema results_schema() { return schema_of(sweep_result_row({}, {}, 0, 0)); }
Schema probes_schema() { return schema_of(sweep_probe_row({}, 0, {}, 0)); }

bool is_execution_column(const std::string& name) { return name == "wall_s" || name == "run" || name == "rank"; }

}  // namespace infersweep::sweep
