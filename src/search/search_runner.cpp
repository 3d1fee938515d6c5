#include "infersweep/search/search_runner.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "infersweep/common/error.hpp"
#include "infersweep/common/system_memory.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/search/probe_runner.hpp"
#include "infersweep/search/progress_meter.hpp"

namespace infersweep::search {

namespace {

struct WallBudgetExhausted {
  int64_t probes_done;
};

}  // namespace

const char* to_string(ConfigStatus status) {
  switch (status) {
    case ConfigStatus::ok:
      return "ok";
    case ConfigStatus::skipped:
      return "skipped";
    case ConfigStatus::failed:
      return "failed";
    case ConfigStatus::timeout:
      return "timeout";
  }
  return "unknown";
}

ConfigResult run_unit_search(const SearchUnit& unit, const spec::SpecCatalog& catalog, PredictorPool& pool,
                             double wall_limit_s) {
  ConfigResult r;
  r.index = unit.index;
  r.config_id = unit.config_id;
  if (!unit.runnable()) {
    r.status = ConfigStatus::skipped;
    r.message = unit.skip_reason;
    return r;
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    const ProbeRunner probes(unit, catalog);
    const auto predictor = pool.get(probes.plan());
    const auto decode_predictor = probes.plan().disaggregated() ? pool.get(*probes.plan().decode_pool) : nullptr;
    int64_t probes_done = 0;
    const auto pilot = [&] {
      const double rate = probes.saturated_qps(unit.settings.pilot_requests, *predictor, decode_predictor.get());
      return first_probe_qps(rate, static_cast<double>(probes.plan().config.num_replicas), unit.settings.slo);
    };
    r.outcome = search_capacity(
        unit.labels.start_qps, unit.settings,
        [&](double qps) {
          const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          if (wall_limit_s > 0 && elapsed > wall_limit_s) throw WallBudgetExhausted{probes_done};
          ++probes_done;
          return probes.run(qps, *predictor, decode_predictor.get());
        },
        pilot);
    r.cost = deployment_cost(unit, r.outcome.capacity_qps);
    r.status = ConfigStatus::ok;
    if (r.outcome.best_probe < 0 && !r.outcome.probes.empty())
      r.message = "no probed QPS met the SLO (lowest tried: " + std::to_string(r.outcome.probes.back().qps) + ")";
  } catch (const WallBudgetExhausted& e) {
    r.status = ConfigStatus::timeout;
    r.message = "wall-clock budget of " + format_double(wall_limit_s) + " s spent after " +
                std::to_string(e.probes_done) + " probes";
    r.outcome = {};
  } catch (const std::exception& e) {
    r.status = ConfigStatus::failed;
    r.message = e.what();
    r.outcome = {};
  } catch (...) {
    r.status = ConfigStatus::failed;
    r.message = "unknown error";
    r.outcome = {};
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

int thread_count(int64_t requested, std::ostream* note) {
  if (requested > 0) return static_cast<int>(requested);
  const int available = std::max(1, omp_get_num_procs());
  const int wanted = omp_get_max_threads();
  if (wanted <= available) return std::max(1, wanted);
  if (note)
    *note << "threads: OpenMP asks for " << wanted << " threads (OMP_NUM_THREADS?) but " << available << " processor"
          << (available > 1 ? "s are" : " is") << " available; using " << available << "\n";
  return available;
}

void GridFootprint::add(const SearchUnit& unit) {
  if (!unit.runnable()) return;
  ++runnable_;
  const auto f = sim::estimate_footprint(unit.simulation);
  if (runnable_ == 1 || f.bytes > most_.bytes) largest_id_ = unit.config_id, largest_ = unit.simulation, most_ = f;
}

void GridFootprint::check(int threads, int64_t available_bytes) const {
  if (runnable_ == 0) return;
  try {
    sim::check_footprint_fits(most_, largest_, available_bytes, std::min<int64_t>(threads, runnable_));
  } catch (const InputError& e) {
    throw InputError("config " + largest_id_ + ": " + e.message());
  }
}

void GridFootprint::check(int threads) const {
  if (const auto available = available_memory_bytes()) check(threads, *available);
}

void check_grid_memory(const std::vector<SearchUnit>& units, int threads, int64_t available_bytes) {
  GridFootprint footprint;
  for (const auto& u : units) footprint.add(u);
  footprint.check(threads, available_bytes);
}

void check_grid_memory(const std::vector<SearchUnit>& units, int threads) {
  if (const auto available = available_memory_bytes()) check_grid_memory(units, threads, *available);
}

std::vector<ConfigResult> run_searches(const std::vector<SearchUnit>& units, const spec::SpecCatalog& catalog,
                                       PredictorPool& pool, const SearchRunOptions& options) {
  std::vector<ConfigResult> results(units.size());
  std::vector<size_t> runnable;
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].runnable())
      runnable.push_back(i);
    else
      results[i] = run_unit_search(units[i], catalog, pool);
  }
  const int threads = thread_count(options.threads, options.progress);
  // Build every distinct predictor first, in parallel: neighbouring configs (same deployment,
  // another batch size or scheduler) share one, and threads starting on them would otherwise
  // wait on a single build. A build error is kept in the pool and fails those searches.
  // A disaggregated config's decode pool has a predictor of its own (its GPU, TP and PP).
  struct PredictorTask {
    size_t unit;
    bool decode_pool;
  };
  std::vector<PredictorTask> first_of_predictor;
  std::set<std::string> predictor_keys;
  for (size_t i : runnable) {
    const auto& config = units[i].simulation;
    if (predictor_keys.insert(PredictorPool::key_of(config)).second) first_of_predictor.push_back({i, false});
    if (config.disaggregation.decode_replicas > 0 &&
        predictor_keys.insert(PredictorPool::key_of(sim::decode_pool_config(config, catalog))).second)
      first_of_predictor.push_back({i, true});
  }
  // Predictors of one model, GPU and TP learn from the same rows and share their model
  // selections (PredictorPool): the first of every such family is built before any second, so
  // that the two threads seldom wait on a selection the other is making.
  {
    std::map<std::string, int> seen;
    std::vector<std::pair<int, PredictorTask>> ranked;
    for (const auto& task : first_of_predictor) {
      const auto& unit = units[task.unit].simulation;
      const auto config = task.decode_pool ? sim::decode_pool_config(unit, catalog) : unit;
      const auto family = config.model + "|" + config.gpu + "|" + std::to_string(config.parallel.tensor_parallel);
      ranked.push_back({seen[family]++, task});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < ranked.size(); ++k) first_of_predictor[k] = ranked[k].second;
  }
  const auto num_predictors = static_cast<int64_t>(first_of_predictor.size());
  if (options.progress && num_predictors > 0)
    *options.progress << "search: preparing " << num_predictors << " execution-time predictor"
                      << (num_predictors > 1 ? "s" : "") << " on " << threads << " thread" << (threads > 1 ? "s" : "")
                      << "\n";
  const auto preparing_since = std::chrono::steady_clock::now();
  // The pool may have selected before (a sweep's rank keeps it from bundle to bundle).
  const auto& selections = pool.selections();
  const int64_t asked_before = selections.requests();
  const size_t made_before = selections.distinct();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t k = 0; k < num_predictors; ++k) {
    const auto& task = first_of_predictor[static_cast<size_t>(k)];
    try {
      const auto plan = sim::plan_simulation(units[task.unit].simulation, catalog);
      pool.get(task.decode_pool ? *plan.decode_pool : plan);
    } catch (...) {  // reported by the searches that need it
    }
  }
  const int64_t asked = selections.requests() - asked_before;
  if (options.progress && asked > 0) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - preparing_since).count();
    *options.progress << "search: predictors ready in " << ProgressMeter::format_duration(seconds) << "; "
                      << selections.distinct() - made_before << " operator models selected for " << asked
                      << " operators (the others learn from the same rows)\n";
  }
  ProgressMeter progress(options.progress, "search", static_cast<int64_t>(runnable.size()),
                         options.progress_interval_s);
  const auto count = static_cast<int64_t>(runnable.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t k = 0; k < count; ++k) {
    const size_t i = runnable[static_cast<size_t>(k)];
    results[i] = run_unit_search(units[i], catalog, pool, options.config_wall_limit_s);
    progress.item_done(results[i].status == ConfigStatus::failed || results[i].status == ConfigStatus::timeout);
  }
  progress.finish();
  return results;
}

}  // namespace infersweep::search
