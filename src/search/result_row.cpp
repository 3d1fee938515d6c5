#include "infersweep/search/result_row.hpp"

#include <cmath>
#include <limits>

#include "infersweep/common/text.hpp"

namespace infersweep::search {

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

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
  f.push_back({"num_arrived", p ? p->num_arrived : int64_t{0}});
  f.push_back({"num_completed", p ? p->num_completed : int64_t{0}});
  num("simulated_s", &ProbeRecord::simulated_s);
  f.push_back({"hit_time_limit", p ? p->hit_time_limit : false});
  f.push_back({"stopped_early", p ? p->stopped_early : false});
}

}  // namespace

std::vector<Field> result_fields(const SearchUnit& u, const ConfigResult& r) {
  const auto& l = u.labels;
  const bool ok = r.status == ConfigStatus::ok;
  std::vector<Field> f{
      {"index", u.index},
      {"config_id", u.config_id},
      {"status", std::string(to_string(r.status))},
      {"model", l.model},
      {"model_identifier", l.model_identifier},
      {"trace", l.trace},
      {"device", l.device},
      {"node", l.node},
      {"cluster_gpus", l.cluster_gpus},
      {"tp", l.tp},
      {"pp", l.pp},
      {"replicas", l.replicas},
      {"gpus", l.gpus()},
      {"scheduler", u.simulation.scheduler.replica_scheduler},
      {"scheduler_label", l.scheduler},
      {"chunk_size", l.chunk_size},
      {"batch_size", l.batch_size},
      {"batch_size_cap", l.batch_size_cap},
      {"max_seq_len", u.simulation.workload.max_tokens},
      {"num_requests", u.simulation.workload.num_requests.value_or(0)},
      {"start_qps", l.start_qps},
      {"price_per_gpu_hour", u.price_per_gpu_hour},
      {"capacity_qps", ok ? r.outcome.capacity_qps : kNone},
      {"qps_per_dollar", ok ? r.cost.qps_per_dollar : kNone},
      {"dollars_per_hour", static_cast<double>(l.gpus()) * u.price_per_gpu_hour},
      {"capacity_per_replica", ok ? r.cost.capacity_per_replica : kNone},
      {"num_probes", static_cast<int64_t>(r.outcome.probes.size())},
  };
  add_probe_metrics(f, r.at_capacity());
  f.push_back({"wall_s", r.wall_s});
  f.push_back({"message", r.message});
  return f;
}

std::vector<Field> probe_fields(const SearchUnit& u, int64_t sequence, const ProbeRecord& p) {
  std::vector<Field> f{{"index", u.index},          {"config_id", u.config_id}, {"probe", sequence},
                       {"qps", p.qps},              {"passed", p.passed},       {"violated", p.violated}};
  add_probe_metrics(f, &p);
  return f;
}

std::string field_text(const Field& field) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return std::isnan(v) ? std::string() : format_double(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
  };
  return std::visit(Visitor{}, field.value);
}

}  // namespace infersweep::search
