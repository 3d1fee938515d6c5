#include "infersweep/search/probe_runner.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "infersweep/sim/simulation_summary.hpp"
#include "infersweep/sim/statistics.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::search {

namespace {

// Arrivals this dense all fall within microseconds: the requests wait together from the start.
constexpr double kArrivingAtOnceQps = 1e6;

}  // namespace

int64_t violations_that_decide(int64_t n, double q) {
  if (n <= 0) return 1;
  const auto position = static_cast<int64_t>(std::floor(q * static_cast<double>(n - 1)));
  return n - position;
}

ProbeRecord measure_probe(const sim::Simulation& s, double slo_quantile) {
  ProbeRecord p;
  const double end = s.end_time();
  std::vector<double> delay, ttft, e2e;
  for (const auto& r : s.requests()) {
    if (r.arrived_at > end) break;  // requests are in arrival order
    // Still waiting (or still in prefill): what it has waited so far is a lower bound.
    delay.push_back(r.admitted() ? r.scheduling_delay : end - r.arrived_at);
    ttft.push_back(r.prefill_completed_at > 0 ? r.prefill_completed_at - r.arrived_at : end - r.arrived_at);
    if (r.completed) e2e.push_back(r.completed_at - r.arrived_at);
  }
  p.num_arrived = static_cast<int64_t>(delay.size());
  p.num_completed = static_cast<int64_t>(e2e.size());
  for (auto* v : {&delay, &ttft, &e2e}) std::sort(v->begin(), v->end());
  p.scheduling_delay_at_slo_quantile = sim::quantile_sorted(delay, slo_quantile);
  p.scheduling_delay_p50 = sim::quantile_sorted(delay, 0.5);
  p.scheduling_delay_p99 = sim::quantile_sorted(delay, 0.99);
  p.ttft_p50 = sim::quantile_sorted(ttft, 0.5);
  p.ttft_p90 = sim::quantile_sorted(ttft, 0.9);
  p.ttft_p99 = sim::quantile_sorted(ttft, 0.99);
  p.e2e_p50 = sim::quantile_sorted(e2e, 0.5);
  p.e2e_p90 = sim::quantile_sorted(e2e, 0.9);
  p.e2e_p99 = sim::quantile_sorted(e2e, 0.99);
  const auto& m = s.metrics();
  if (m.tbt().count() > 0) {
    p.tbt_p50 = m.tbt().quantile(0.5);
    p.tbt_p90 = m.tbt().quantile(0.9);
    p.tbt_p99 = m.tbt().quantile(0.99);
  }
  double mfu = 0, busy = 0, memory = 0, stages = 0;
  for (int32_t rep = 0; rep < m.num_replicas(); ++rep) {
    memory += m.memory(rep).mean(end);
    for (int32_t st = 0; st < m.num_stages(rep); ++st) {
      mfu += m.mfu(rep, st).mean(end);
      busy += m.busy(rep, st).mean(end);
      stages += 1;
    }
  }
  p.mfu_mean_percent = stages > 0 ? mfu / stages : 0;
  p.busy_mean_percent = stages > 0 ? busy / stages : 0;
  p.memory_usage_mean_percent = m.num_replicas() > 0 ? memory / static_cast<double>(m.num_replicas()) : 0;
  p.batch_size_mean =
      m.batch_size().count() > 0 ? m.batch_size().sum() / static_cast<double>(m.batch_size().count()) : 0;
  const auto prefix = sim::summarize_prefix_cache(s).total;
  p.prefix_lookups = prefix.lookups;
  p.prefix_hit_rate_tokens = sim::token_hit_rate(prefix);
  p.prefix_hit_rate_blocks = sim::block_hit_rate(prefix);
  p.prefix_evictions = prefix.evictions;
  p.simulated_s = end;
  p.hit_time_limit = s.hit_time_limit();
  p.stopped_early = s.stopped_early();
  return p;
}

ProbeRunner::ProbeRunner(const SearchUnit& unit, const spec::SpecCatalog& catalog)
    : plan_(sim::plan_simulation(unit.simulation, catalog)), settings_(unit.settings) {
  auto& w = plan_.config.workload;
  if (w.length_generator == "trace" && !w.length_trace_rows)
    w.length_trace_rows = workload::read_length_trace(w.length_trace_file);
}

ProbeRecord ProbeRunner::run(double qps, const predict::ExecutionTimePredictor& predictor,
                             const predict::ExecutionTimePredictor* decode_predictor) const {
  auto setup = plan_;
  auto& config = setup.config;
  config.workload.qps = qps;
  config.detailed_metrics = false;  // measure_probe reads none of it
  const auto& slo = settings_.slo;
  const int64_t n = config.workload.num_requests.value_or(0);
  if (settings_.early_stop && n > 0) {
    config.stop_after_delayed_requests = violations_that_decide(n, slo.scheduling_delay_quantile);
    config.stop_delay_threshold_s = slo.scheduling_delay_max_s;
  }
  setup.requests = workload::generate_requests(config.workload);
  sim::Simulation simulation(setup, predictor, decode_predictor);
  simulation.run();
  return measure_probe(simulation, slo.scheduling_delay_quantile);
}

double ProbeRunner::saturated_qps(int64_t pilot_requests, const predict::ExecutionTimePredictor& predictor,
                                  const predict::ExecutionTimePredictor* decode_predictor) const {
  auto setup = plan_;
  auto& config = setup.config;
  auto& w = config.workload;
  // Replicas of a colocated deployment are alike and share the arrivals evenly: one replica
  // with every pilot request sees as many as it would in a pilot of them all, at 1/replicas of
  // the cost. A disaggregated deployment's pools depend on each other, so it runs whole.
  const double replicas = setup.disaggregated() ? 1 : static_cast<double>(config.num_replicas);
  if (!setup.disaggregated()) config.num_replicas = 1;
  const int64_t n = w.num_requests.value_or(0);
  w.num_requests = n > 0 ? std::min(n, pilot_requests) : pilot_requests;
  w.duration_s = 0;
  w.qps = kArrivingAtOnceQps;
  config.stop_after_delayed_requests = 0;
  config.detailed_metrics = false;
  const auto pilot = static_cast<size_t>(*w.num_requests);
  // The measurement ends at the third quarter's completion: the drain after it is not needed.
  config.stop_after_completed_requests = static_cast<int64_t>(3 * pilot / 4 + 1);
  setup.requests = workload::generate_requests(w);
  sim::Simulation simulation(setup, predictor, decode_predictor);
  simulation.run();
  std::vector<double> completed;
  for (const auto& r : simulation.requests())
    if (r.completed) completed.push_back(r.completed_at);
  if (completed.size() < 8) return 0;
  std::sort(completed.begin(), completed.end());
  // Quarters of the pilot's requests, or of those that completed where the time limit came first.
  const size_t measured = completed.size() > 3 * pilot / 4 ? pilot : completed.size();
  const size_t first = measured / 4, third = 3 * measured / 4;
  const double span = completed[third] - completed[first];
  return span > 0 ? replicas * static_cast<double>(third - first) / span : 0;
}

ProbeRecord run_probe(const SearchUnit& unit, double qps, const spec::SpecCatalog& catalog,
                      const predict::ExecutionTimePredictor& predictor) {
  return ProbeRunner(unit, catalog).run(qps, predictor);
}

}  // namespace infersweep::search
