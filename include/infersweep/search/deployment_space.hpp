#pragma once
// The grid's Cartesian product as a list of search units, each checked up front: a config that
// cannot run is kept as a skipped unit with its reason instead of failing mid-search. A unit is
// plain data (it can be shipped to another process), and its id is a hash of its canonical
// form and the engine version, stable across runs, machines and thread counts.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infersweep/config/identity.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace infersweep::search {

// The parameters a result row shows. Of a disaggregated deployment, device, node, tp, pp and
// replicas describe the prefill pool and the decode_* fields the decode pool.
struct DeploymentLabels {
  std::string model;             // the grid's short name
  std::string model_identifier;  // model spec name
  std::string trace;
  std::string device, node;
  std::string scheduler;  // label: vllm, sarathi_cs512, sarathi_cs512 P2:D2 tp4/tp8, ...
  std::string router;     // global scheduler
  bool prefix_caching = false;
  int64_t chunk_size = 0;
  int64_t cluster_gpus = 0;
  int64_t tp = 1, pp = 1, replicas = 0;
  int64_t batch_size = 0;      // the grid's batch size (per micro-batch)
  int64_t batch_size_cap = 0;  // passed to the scheduler: batch_size x PP, as Vidur
  double start_qps = 0;
  bool disaggregated = false;
  std::string pd_ratio;  // the grid's prefill:decode ratio, e.g. "1:2"; empty when co-located
  std::string decode_device, decode_node;
  int64_t decode_replicas = 0, decode_tp = 0, decode_pp = 0;  // 0 when co-located
  std::string kv_transfer;                                    // empty when co-located

  const char* shape() const { return disaggregated ? "disaggregated" : "colocated"; }
  int64_t prefill_gpus() const { return replicas * tp * pp; }
  int64_t decode_gpus() const { return decode_replicas * decode_tp * decode_pp; }
  int64_t gpus() const { return prefill_gpus() + decode_gpus(); }
};

// How many replicas each pool of a disaggregated deployment gets: k x the ratio, with the
// largest k whose GPUs fit the budget (k = 0: none fits).
struct PoolReplicas {
  int64_t prefill = 0, decode = 0;
};
PoolReplicas disaggregated_replicas(int64_t num_gpus, const PdRatio& ratio, int64_t prefill_replica_gpus,
                                    int64_t decode_replica_gpus);

struct SearchUnit {
  int64_t index = 0;        // position in the enumeration: the row order of every output
  std::string config_id;    // 16 hex digits
  std::string workload_id;  // 16 hex digits: what capacities are comparable under (see workload_canonical)
  std::string skip_reason;  // empty: runnable
  DeploymentLabels labels;
  // What a GPU-hour costs and where that figure comes from (spec/gpu_price.hpp); not part of
  // the id, since capacity does not depend on it.
  double price_per_gpu_hour = 0;
  std::string price_source;
  double decode_price_per_gpu_hour = 0;  // the decode pool's GPU; 0 when co-located
  std::string decode_price_source;
  sim::SimulationConfig simulation;  // the probe QPS is filled in per probe
  std::string trace_identity;        // the trace file's base name and content hash
  SearchSettings settings;

  bool runnable() const { return skip_reason.empty(); }
  // Every GPU of both pools at its own price.
  double dollars_per_hour() const {
    return static_cast<double>(labels.prefill_gpus()) * price_per_gpu_hour +
           static_cast<double>(labels.decode_gpus()) * decode_price_per_gpu_hour;
  }
  // The text the id hashes: engine version, every simulation setting (the trace by content,
  // not by path; QPS left out) and the search settings.
  std::string canonical() const;
  // The part of canonical() that is not the deployment: the workload (the trace by content)
  // and the search settings. Rows of two workload ids measured different things.
  std::string workload_canonical() const;

 private:
  config::FileIdentity file_identity() const;
};

// Which rows of the grid to enumerate; empty lists keep everything.
struct GridFilter {
  std::vector<std::string> models, traces, devices;
};

// Throws InputError (with the grid line) for what is wrong in the grid itself: an unknown
// model, device or node, a node of another GPU type, a GPU without a price, a price for an
// unknown GPU. Configurations that are well-formed but cannot run are returned as skipped
// units.
std::vector<SearchUnit> enumerate_grid(const GridSpec& grid, const spec::SpecCatalog& catalog,
                                       const GridFilter& filter = {});
// The same units, handed to `visit` one at a time in enumeration order and not kept, so that a
// grid of millions of configs can be listed or counted in constant memory.
void for_each_grid_unit(const GridSpec& grid, const spec::SpecCatalog& catalog, const GridFilter& filter,
                        const std::function<void(SearchUnit&&)>& visit);

}  // namespace infersweep::search
