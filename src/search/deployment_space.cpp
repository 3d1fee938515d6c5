#include "infersweep/search/deployment_space.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

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

// One config of the grid's product; its index, id and skip reason are set by the caller.
SearchUnit make_unit(const GridSpec& g, const spec::SpecCatalog& catalog, const GridModel& m, const GridTrace& t,
                     const GridCluster& c, const GridScheduler& s, const std::string& router, int64_t tp, int64_t pp,
                     int64_t batch_size, const spec::GpuPrice& price) {
  SearchUnit u;
  auto& sc = u.simulation;
  sc.model = m.identifier;
  sc.gpu = c.device;
  sc.node = c.node;
  sc.parallel = {tp, pp};
  sc.num_replicas = c.num_gpus / (tp * pp);
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
  l.device = c.device;
  l.node = c.node;
  l.prefix_caching =
      sc.scheduler.prefix_caching && std::count(traits.settings.begin(), traits.settings.end(), "prefix-caching") > 0;
  l.router = router;
  l.scheduler = s.label() + (l.prefix_caching ? "+apc" : "") + (router == "round_robin" ? "" : "/" + router);
  l.chunk_size = s.chunk_size();
  l.cluster_gpus = c.num_gpus;
  l.tp = tp;
  l.pp = pp;
  l.replicas = sc.num_replicas;
  l.batch_size = batch_size;
  l.batch_size_cap = sc.scheduler.batch_size_cap;
  l.start_qps = t.start_qps;
  return u;
}

// The rules the grid itself decides: its exclusions and whether a replica fits the cluster.
std::string grid_rule_violation(const GridModel& m, const GridCluster& c, const DeploymentLabels& l) {
  if (contains(m.exclude_tp, l.tp)) return "TP " + std::to_string(l.tp) + " is excluded for " + m.name + " in the grid";
  if (contains(m.exclude_pp, l.pp)) return "PP " + std::to_string(l.pp) + " is excluded for " + m.name + " in the grid";
  if (contains(m.exclude_devices, c.device)) return c.device + " is excluded for " + m.name + " in the grid";
  if (l.replicas < 1)
    return "no replica: TP x PP = " + std::to_string(l.tp * l.pp) + " GPUs exceeds the cluster's " +
           std::to_string(c.num_gpus);
  return "";
}

}  // namespace

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
  for (const auto& c : g.clusters) {
    spec::GpuSpec gpu;
    spec::NodeSpec node;
    try {
      gpu = catalog.gpu(c.device, "device");
    } catch (const InputError& e) {
      throw InputError::in_file(g.path, c.line, "clusters", reason_of(e));
    }
    try {
      node = catalog.node(c.node, "node");
    } catch (const InputError& e) {
      // The default node, <device>_pairwise_nvlink, exists for some GPUs only (an H200 comes
      // in 8-GPU nodes): say which nodes hold this one.
      std::string holding;
      for (const auto& [name, spec] : catalog.nodes())
        if (spec.gpu == gpu.name) holding += (holding.empty() ? "" : ", ") + name;
      throw InputError::in_file(g.path, c.line, "clusters.node",
                                reason_of(e) + "; nodes of " + gpu.name + ": " + (holding.empty() ? "none" : holding));
    }
    if (node.gpu != gpu.name)
      throw InputError::in_file(g.path, c.line, "clusters.node",
                                "node '" + node.name + "' holds " + node.gpu + " GPUs, not " + gpu.name);
    if (c.gpus_per_node > 0 && c.gpus_per_node != node.devices_per_node)
      throw InputError::in_file(g.path, c.line, "clusters.gpus_per_node",
                                std::to_string(c.gpus_per_node) + " differs from the " +
                                    std::to_string(node.devices_per_node) + " GPUs of a " + node.name +
                                    " node (data/nodes/" + node.name + ".ini); pick another node");
    if (!(gpu.price_per_hour > 0))
      throw InputError::in_file(g.path, c.line, "clusters.device",
                                "GPU '" + gpu.name + "' has no price_per_hour in " + gpu.source_file);
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
    return std::any_of(g.clusters.begin(), g.clusters.end(), [&](const auto& c) { return c.device == n; });
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
  // Heads and layers divide, the TP group fits a node, the model and one max_seq_len request
  // fit in memory, the scheduler settings are coherent, the predictor has its data.
  auto runtime_check = [&](const SearchUnit& u) -> std::string {
    try {
      return predictor_check(sim::plan_simulation(u.simulation, catalog));
    } catch (const InputError& e) {
      return reason_of(e);
    }
  };

  int64_t index = 0;
  for (const auto& m : g.models) {
    if (!keep(filter.models, m.name) && !keep(filter.models, m.identifier)) continue;
    for (size_t ti = 0; ti < g.traces.size(); ++ti) {
      if (!keep(filter.traces, g.traces[ti].name)) continue;
      for (const auto& c : g.clusters) {
        if (!keep(filter.devices, c.device)) continue;
        for (const auto& s : g.schedulers)
          for (const auto& router : g.global_schedulers)
            for (const int64_t tp : g.tp_dimensions)
              for (const int64_t pp : g.pp_dimensions)
                for (const int64_t bs : g.batch_sizes) {
                  auto u = make_unit(g, catalog, m, g.traces[ti], c, s, router, tp, pp, bs, prices.at(c.device));
                  u.index = index++;
                  u.trace_identity = trace_identity[ti];
                  predict::ContentHash id;
                  id.add(u.canonical());
                  u.config_id = id.hex().substr(0, 16);
                  predict::ContentHash workload_id;
                  workload_id.add(u.workload_canonical());
                  u.workload_id = workload_id.hex().substr(0, 16);
                  u.skip_reason = grid_rule_violation(m, c, u.labels);
                  if (u.runnable()) u.skip_reason = runtime_check(u);
                  visit(std::move(u));
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
