#include "infersweep/search/deployment_space.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/common/version.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/predict/grid_cache.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/search/deployment_cost.hpp"
#include "infersweep/search/predictor_pool.hpp"

namespace fs = std::filesystem;

namespace infersweep::search {

namespace {

template <class T>
bool contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// A skip reason or a grid error says what is wrong; which setting it concerns is the grid's
// own context. Errors about a file keep their place in it.
std::string reason_of(const InputError& e) {
  return e.subject() == InputError::Subject::file ? std::string(e.what()) : e.message();
}

// A file as the config id sees it: its name and a hash of its content, so that ids do not
// depend on where the file lies.
std::string file_content_identity(const std::string& path) {
  predict::ContentHash hash;
  hash.add_file(path);
  return fs::path(path).filename().string() + "#" + hash.hex();
}

// Where a deployment's (or its prefill pool's) replicas run.
struct Placement {
  const std::string& device;
  const std::string& node;
  int64_t cluster_gpus;  // the GPU budget
  int64_t tp, pp, replicas;
};

// One config of the grid's product; its index, id and skip reason are set by the caller.
SearchUnit make_unit(const GridSpec& g, const spec::SpecCatalog& catalog, const GridModel& m, const GridTrace& t,
                     const Placement& place, const GridScheduler& s, const std::string& router, int64_t batch_size,
                     const spec::GpuPrice& price) {
  SearchUnit u;
  auto& sc = u.simulation;
  const int64_t tp = place.tp, pp = place.pp;
  sc.model = m.identifier;
  sc.gpu = place.device;
  sc.node = place.node;
  sc.parallel = {tp, pp};
  sc.num_replicas = place.replicas;
  sc.scheduler.replica_scheduler = s.scheduler;
  sc.scheduler.global_scheduler = router;
  sc.scheduler.batch_size_cap = batch_size * pp;
  // The grid's batch size caps the requests of whichever setting the scheduler takes as its cap
  // (vLLM V1: max-num-seqs), unless the entry sets that itself.
  const auto& traits = sim::builtin_replica_schedulers().traits("replica-scheduler", s.scheduler);
  if (traits.request_cap != "batch-size-cap" && !s.sets(traits.request_cap))
    sim::scheduler_settings().at(traits.request_cap).assign(sc.scheduler, std::to_string(batch_size * pp));
  // Vidur's default token budget is the trace's max_seq_len; the entry's own settings win.
  sc.scheduler.max_tokens_in_batch = t.max_seq_len;
  std::set<std::string> given;
  for (const auto& [setting, value] : s.settings) {
    setting->assign(sc.scheduler, value);
    given.insert(setting->name());
  }
  sim::apply_scheduler_traits(sc.scheduler, given);
  auto& w = sc.workload;
  w.generator = t.generator.empty() ? "synthetic" : t.generator;
  w.num_requests = t.num_requests;
  w.seed = g.seed;
  w.max_tokens = t.max_seq_len;
  for (const auto& [setting, value] : t.settings) setting->assign(w, value);
  if (!t.trace_file.empty()) {
    w.length_generator = "trace";
    w.length_trace_file = t.trace_file;
  }
  w.interval_generator = "poisson";
  sc.predictor = g.predictor;
  sc.time_limit_s = g.search.time_limit_s;
  u.settings = g.search;
  u.price_per_gpu_hour = price.per_hour;
  u.price_source = price.source;

  auto& l = u.labels;
  l.model = m.name;
  l.model_identifier = catalog.model(m.identifier).name;
  l.trace = t.name;
  l.device = place.device;
  l.node = place.node;
  l.prefix_caching =
      sc.scheduler.prefix_caching && std::count(traits.settings.begin(), traits.settings.end(), "prefix-caching") > 0;
  l.router = router;
  l.scheduler = s.label() + (l.prefix_caching ? "+apc" : "") + (router == "round_robin" ? "" : "/" + router);
  l.chunk_size = s.chunk_size();
  l.cluster_gpus = place.cluster_gpus;
  l.tp = tp;
  l.pp = pp;
  l.replicas = sc.num_replicas;
  l.batch_size = batch_size;
  l.batch_size_cap = sc.scheduler.batch_size_cap;
  l.start_qps = t.start_qps;
  return u;
}

// The decode pool's GPU and node of a disaggregated entry, as the simulation resolves them.
sim::SimulationConfig decode_pool_of(const GridDisaggregated& e, const spec::SpecCatalog& catalog) {
  sim::SimulationConfig config;
  config.gpu = e.device;
  config.node = e.node;
  config.disaggregation = e.values;
  return sim::decode_pool_config(config, catalog);
}

// A pool's layout in a label: tp4, tp4pp2.
std::string layout_text(int64_t tp, int64_t pp) {
  return "tp" + std::to_string(tp) + (pp > 1 ? "pp" + std::to_string(pp) : "");
}

// Turns a co-located unit into its disaggregated variant: the decode pool's replicas, TP and PP
// and the entry's settings, the decode GPU's price, and labels that tell the shape apart.
void make_disaggregated(SearchUnit& u, const spec::SpecCatalog& catalog, const GridDisaggregated& e,
                        const PdRatio& ratio, int64_t decode_replicas, int64_t decode_tp, int64_t decode_pp,
                        const std::map<std::string, spec::GpuPrice>& prices) {
  auto& d = u.simulation.disaggregation;
  d = e.values;
  d.decode_replicas = decode_replicas;
  d.decode_tp = decode_tp;
  d.decode_pp = decode_pp;
  // The decode pool as the simulation will build it (its node defaults as there).
  const auto pool = sim::decode_pool_config(u.simulation, catalog);
  auto& l = u.labels;
  l.disaggregated = true;
  l.pd_ratio = ratio.text();
  l.decode_device = pool.gpu;
  l.decode_node = pool.node;
  l.decode_replicas = decode_replicas;
  l.decode_tp = decode_tp;
  l.decode_pp = decode_pp;
  l.kv_transfer = d.kv_transfer;
  const auto& price = prices.at(pool.gpu);
  u.decode_price_per_gpu_hour = price.per_hour;
  u.decode_price_source = price.source;
  l.scheduler += " P" + std::to_string(l.replicas) + ":D" + std::to_string(decode_replicas) + " " +
                 layout_text(l.tp, l.pp) + "/" + (pool.gpu == l.device ? "" : pool.gpu + ":") +
                 layout_text(decode_tp, decode_pp);
  if (!d.decode_scheduler.empty() && d.decode_scheduler != u.simulation.scheduler.replica_scheduler)
    l.scheduler += " decode:" + d.decode_scheduler;
  if (d.kv_transfer != sim::DisaggregationConfig{}.kv_transfer) l.scheduler += " kv:" + d.kv_transfer;
}

// The rules the grid itself decides: its exclusions and whether a replica fits the cluster.
std::string grid_rule_violation(const GridModel& m, const DeploymentLabels& l) {
  for (const auto& [tp, pp, device] :
       {std::tuple{l.tp, l.pp, l.device}, std::tuple{l.decode_tp, l.decode_pp, l.decode_device}}) {
    if (device.empty()) continue;  // no decode pool
    if (contains(m.exclude_tp, tp)) return "TP " + std::to_string(tp) + " is excluded for " + m.name + " in the grid";
    if (contains(m.exclude_pp, pp)) return "PP " + std::to_string(pp) + " is excluded for " + m.name + " in the grid";
    if (contains(m.exclude_devices, device)) return device + " is excluded for " + m.name + " in the grid";
  }
  if (l.disaggregated && (l.replicas < 1 || l.decode_replicas < 1))
    return "no replica: P:D " + l.pd_ratio + " takes at least " + std::to_string(l.tp * l.pp) + " x " +
           l.pd_ratio.substr(0, l.pd_ratio.find(':')) + " + " + std::to_string(l.decode_tp * l.decode_pp) + " x " +
           l.pd_ratio.substr(l.pd_ratio.find(':') + 1) + " GPUs, more than the " + std::to_string(l.cluster_gpus) +
           " of the budget";
  if (l.replicas < 1)
    return "no replica: TP x PP = " + std::to_string(l.tp * l.pp) + " GPUs exceeds the cluster's " +
           std::to_string(l.cluster_gpus);
  return "";
}

// Why a scheduler cannot serve a disaggregated deployment, or "".
std::string disaggregation_violation(const GridScheduler& s) {
  const auto& schedulers = sim::builtin_replica_schedulers();
  if (schedulers.traits("replica-scheduler", s.scheduler).takes_prefilled) return "";
  return s.scheduler +
         " cannot serve a disaggregated deployment: it takes no prefilled requests (schedulers that can: " +
         sim::schedulers_taking_prefilled(schedulers) + ")";
}

}  // namespace

PoolReplicas disaggregated_replicas(int64_t num_gpus, const PdRatio& ratio, int64_t prefill_replica_gpus,
                                    int64_t decode_replica_gpus) {
  const int64_t per_step = ratio.prefill * prefill_replica_gpus + ratio.decode * decode_replica_gpus;
  const int64_t k = per_step > 0 ? num_gpus / per_step : 0;
  return {ratio.prefill * k, ratio.decode * k};
}

config::FileIdentity SearchUnit::file_identity() const {
  // Paths differ between machines: traces are identified by their content, other files by
  // their names, and the shipped profiling data by the engine version (config::IdForm).
  return [this](const std::string& path) {
    return path == simulation.workload.length_trace_file ? trace_identity : file_content_identity(path);
  };
}

std::string SearchUnit::canonical() const {
  std::string text = std::string("engine_version = ") + engine_version() + "\n";
  text += "trace = " + labels.trace + "\n";
  text += "start_qps = " + format_double(labels.start_qps) + "\n";
  text += config::config_id_text(sim::simulation_settings(), simulation, file_identity());
  text += settings.canonical();
  return text;
}

std::string SearchUnit::workload_canonical() const {
  std::string text = std::string("engine_version = ") + engine_version() + "\n";
  text += "trace = " + labels.trace + "\n";
  text += config::config_id_text(workload::workload_settings(), simulation.workload, file_identity());
  text += settings.canonical();
  return text;
}

void for_each_grid_unit(const GridSpec& g, const spec::SpecCatalog& catalog, const GridFilter& filter,
                        const std::function<void(SearchUnit&&)>& visit) {
  // Grid-level errors first, with the line of the entry at fault.
  for (const auto& m : g.models) {
    try {
      catalog.model(m.identifier, "identifier");
    } catch (const InputError& e) {
      throw InputError::in_file(g.path, m.line, "models.identifier", reason_of(e));
    }
  }
  // A GPU and node of a pool: known, of one GPU type, priced.
  auto check_pool = [&](const std::string& device, const std::string& node_name, int64_t gpus_per_node, int64_t line,
                        const std::string& section, const std::string& device_key, const std::string& node_key) {
    spec::GpuSpec gpu;
    spec::NodeSpec node;
    try {
      gpu = catalog.gpu(device, "device");
    } catch (const InputError& e) {
      throw InputError::in_file(g.path, line, section + "." + device_key, reason_of(e));
    }
    try {
      node = catalog.node(node_name, "node");
    } catch (const InputError& e) {
      // The default node, <device>_pairwise_nvlink, exists for some GPUs only (an H200 comes
      // in 8-GPU nodes): say which nodes hold this one.
      std::string holding;
      for (const auto& [name, spec] : catalog.nodes())
        if (spec.gpu == gpu.name) holding += (holding.empty() ? "" : ", ") + name;
      throw InputError::in_file(g.path, line, section + "." + node_key,
                                reason_of(e) + "; nodes of " + gpu.name + ": " + (holding.empty() ? "none" : holding));
    }
    if (node.gpu != gpu.name)
      throw InputError::in_file(g.path, line, section + "." + node_key,
                                "node '" + node.name + "' holds " + node.gpu + " GPUs, not " + gpu.name);
    if (gpus_per_node > 0 && gpus_per_node != node.devices_per_node)
      throw InputError::in_file(g.path, line, section + ".gpus_per_node",
                                std::to_string(gpus_per_node) + " differs from the " +
                                    std::to_string(node.devices_per_node) + " GPUs of a " + node.name +
                                    " node (data/nodes/" + node.name + ".ini); pick another node");
    if (!(gpu.price_per_hour > 0))
      throw InputError::in_file(g.path, line, section + "." + device_key,
                                "GPU '" + gpu.name + "' has no price_per_hour in " + gpu.source_file);
  };
  for (const auto& c : g.clusters) check_pool(c.device, c.node, c.gpus_per_node, c.line, "clusters", "device", "node");
  for (const auto& e : g.disaggregated) {
    check_pool(e.device, e.node, 0, e.line, "disaggregated", "device", "node");
    const auto pool = decode_pool_of(e, catalog);
    check_pool(pool.gpu, pool.node, 0, e.line, "disaggregated", e.values.decode_gpu.empty() ? "device" : "decode_gpu",
               e.values.decode_node.empty() ? "node" : "decode_node");
  }
  const auto prices = grid_gpu_prices(g, catalog);
  auto keep = [](const std::vector<std::string>& only, const std::string& name) {
    return only.empty() || contains(only, name);
  };
  // Every name of the filter must be in the grid.
  auto require_known = [&g](const std::vector<std::string>& names, const char* setting, const char* what,
                            auto in_grid) {
    for (const auto& name : names)
      if (!in_grid(name))
        throw InputError::setting(setting, "the grid " + g.path + " has no " + what + " '" + name + "'");
  };
  require_known(filter.models, "model", "model", [&](const std::string& n) {
    return std::any_of(g.models.begin(), g.models.end(),
                       [&](const auto& m) { return m.name == n || m.identifier == n; });
  });
  require_known(filter.traces, "trace", "trace", [&](const std::string& n) {
    return std::any_of(g.traces.begin(), g.traces.end(), [&](const auto& t) { return t.name == n; });
  });
  require_known(filter.devices, "gpu", "cluster of GPU", [&](const std::string& n) {
    return std::any_of(g.clusters.begin(), g.clusters.end(), [&](const auto& c) { return c.device == n; }) ||
           std::any_of(g.disaggregated.begin(), g.disaggregated.end(),
                       [&](const auto& e) { return e.device == n || decode_pool_of(e, catalog).gpu == n; });
  });

  std::vector<std::string> trace_identity;
  for (const auto& t : g.traces)
    trace_identity.push_back(t.trace_file.empty() ? std::string() : file_content_identity(t.trace_file));

  // Whether the learned predictor has its data, asked once per predictor.
  std::map<std::string, std::string> predictor_problem;
  auto predictor_check = [&](const sim::SimulationSetup& setup) -> std::string {
    if (setup.config.predictor.name != "learned") return "";
    const auto key = PredictorPool::key_of(setup.config);
    if (const auto it = predictor_problem.find(key); it != predictor_problem.end()) return it->second;
    std::string problem;
    try {
      predict::resolve_learned_inputs(sim::predictor_context(setup));
    } catch (const InputError& e) {
      problem = "no profiling data: " + reason_of(e);
    }
    return predictor_problem.emplace(key, problem).first->second;
  };
  auto predictors_check = [&](const sim::SimulationSetup& setup) -> std::string {
    auto problem = predictor_check(setup);
    if (problem.empty() && setup.disaggregated()) {
      problem = predictor_check(*setup.decode_pool);
      if (!problem.empty()) problem = "the decode pool: " + problem;
    }
    return problem;
  };
  // Heads and layers divide, the TP group fits a node, the model and one max_seq_len request
  // fit in memory, the scheduler settings are coherent, the predictor has its data.
  auto runtime_check = [&](const SearchUnit& u) -> std::string {
    try {
      return predictors_check(sim::plan_simulation(u.simulation, catalog));
    } catch (const InputError& e) {
      return reason_of(e);
    }
  };

  int64_t index = 0;
  auto finish = [&](SearchUnit&& u, size_t ti, const std::string& rule_violation) {
    u.index = index++;
    u.trace_identity = trace_identity[ti];
    predict::ContentHash id;
    id.add(u.canonical());
    u.config_id = id.hex().substr(0, 16);
    predict::ContentHash workload_id;
    workload_id.add(u.workload_canonical());
    u.workload_id = workload_id.hex().substr(0, 16);
    u.skip_reason = rule_violation;
    if (u.runnable()) u.skip_reason = runtime_check(u);
    visit(std::move(u));
  };
  for (const auto& m : g.models) {
    if (!keep(filter.models, m.name) && !keep(filter.models, m.identifier)) continue;
    for (size_t ti = 0; ti < g.traces.size(); ++ti) {
      const auto& t = g.traces[ti];
      if (!keep(filter.traces, t.name)) continue;
      for (const auto& c : g.clusters) {
        if (!keep(filter.devices, c.device)) continue;
        for (const auto& s : g.schedulers)
          for (const auto& router : g.global_schedulers)
            for (const int64_t tp : g.tp_dimensions)
              for (const int64_t pp : g.pp_dimensions)
                for (const int64_t bs : g.batch_sizes) {
                  const Placement place{c.device, c.node, c.num_gpus, tp, pp, c.num_gpus / (tp * pp)};
                  auto u = make_unit(g, catalog, m, t, place, s, router, bs, prices.at(c.device));
                  const auto violation = grid_rule_violation(m, u.labels);
                  finish(std::move(u), ti, violation);
                }
      }
      for (const auto& e : g.disaggregated) {
        if (!keep(filter.devices, e.device) && !keep(filter.devices, decode_pool_of(e, catalog).gpu)) continue;
        for (const auto& s : g.schedulers)
          for (const auto& router : g.global_schedulers)
            for (const auto& ratio : e.pd_ratios)
              for (const int64_t tp : e.prefill_tp)
                for (const int64_t pp : e.prefill_pp)
                  for (const int64_t dtp : e.decode_tp)
                    for (const int64_t dpp : e.decode_pp)
                      for (const int64_t bs : g.batch_sizes) {
                        const auto replicas = disaggregated_replicas(e.num_gpus, ratio, tp * pp, dtp * dpp);
                        const Placement place{e.device, e.node, e.num_gpus, tp, pp, replicas.prefill};
                        auto u = make_unit(g, catalog, m, t, place, s, router, bs, prices.at(e.device));
                        make_disaggregated(u, catalog, e, ratio, replicas.decode, dtp, dpp, prices);
                        auto violation = disaggregation_violation(s);
                        if (violation.empty()) violation = grid_rule_violation(m, u.labels);
                        finish(std::move(u), ti, violation);
                      }
      }
    }
  }
}

std::vector<SearchUnit> enumerate_grid(const GridSpec& g, const spec::SpecCatalog& catalog, const GridFilter& filter) {
  std::vector<SearchUnit> units;
  for_each_grid_unit(g, catalog, filter, [&](SearchUnit&& u) { units.push_back(std::move(u)); });
  return units;
}

}  // namespace infersweep::search
