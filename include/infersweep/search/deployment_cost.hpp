#pragma once
// What a deployment costs and what it buys, as Vidur's analyzer counts it: every GPU of every
// replica is paid for by the hour, and "QPS per dollar" is capacity per dollar-per-hour. A
// disaggregated deployment pays for both pools, each GPU at its own SKU's price.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/spec/gpu_price.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace infersweep::search {

struct DeploymentCost {
  int64_t gpus = 0;                 // replicas x TP x PP, summed over the pools
  double dollars_per_hour = 0;      // each pool's gpus x its price per GPU-hour, summed
  double qps_per_dollar = 0;        // capacity QPS / dollars_per_hour
  double capacity_per_replica = 0;  // capacity QPS / replicas of every pool
};

// A pool of identical replicas on one GPU SKU.
struct PoolCost {
  int64_t replicas = 0, tp = 1, pp = 1;
  double price_per_gpu_hour = 0;
};

// Throws InputError for a non-positive price or GPU count, or no pool.
DeploymentCost deployment_cost(const std::vector<PoolCost>& pools, double capacity_qps);
DeploymentCost deployment_cost(int64_t replicas, int64_t tp, int64_t pp, double price_per_gpu_hour,
                               double capacity_qps);
// A unit's deployment: its one pool, or its prefill and decode pools.
DeploymentCost deployment_cost(const SearchUnit& unit, double capacity_qps);

// The price of a GPU-hour of each GPU of `catalog` for a run of `grid`: the last of the grid's
// price entries for it (GridSpec::prices: the grid's own, then a prices file's), else the GPU
// spec's. Throws InputError, naming the entry's file and line, for an entry whose GPU the
// catalog does not have.
std::map<std::string, spec::GpuPrice> grid_gpu_prices(const GridSpec& grid, const spec::SpecCatalog& catalog);

}  // namespace infersweep::search
