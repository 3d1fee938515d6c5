#include "infersweep/search/deployment_cost.hpp"

#include <stdexcept>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/search/result_row.hpp"

namespace infersweep::search {

DeploymentCost deployment_cost(const std::vector<PoolCost>& pools, double capacity_qps) {
  if (pools.empty()) throw InputError("deployment cost: no pool of replicas");
  DeploymentCost c;
  int64_t replicas = 0;
  for (const auto& p : pools) {
    if (p.replicas < 1 || p.tp < 1 || p.pp < 1)
      throw InputError("deployment cost: replicas, TP and PP must be at least 1 (got " + std::to_string(p.replicas) +
                       ", " + std::to_string(p.tp) + ", " + std::to_string(p.pp) + ")");
    if (!(p.price_per_gpu_hour > 0))
      throw InputError("deployment cost: price per GPU-hour must be positive, got " +
                       format_double(p.price_per_gpu_hour));
    const int64_t gpus = p.replicas * p.tp * p.pp;
    c.gpus += gpus;
    c.dollars_per_hour += static_cast<double>(gpus) * p.price_per_gpu_hour;
    replicas += p.replicas;
  }
  c.qps_per_dollar = capacity_qps / c.dollars_per_hour;
  c.capacity_per_replica = capacity_qps / static_cast<double>(replicas);
  return c;
}

DeploymentCost deployment_cost(int64_t replicas, int64_t tp, int64_t pp, double price, double capacity_qps) {
  return deployment_cost(std::vector<PoolCost>{{replicas, tp, pp, price}}, capacity_qps);
}

DeploymentCost deployment_cost(const SearchUnit& unit, double capacity_qps) {
  const auto& l = unit.labels;
  std::vector<PoolCost> pools{{l.replicas, l.tp, l.pp, unit.price_per_gpu_hour}};
  if (l.disaggregated) pools.push_back({l.decode_replicas, l.decode_tp, l.decode_pp, unit.decode_price_per_gpu_hour});
  return deployment_cost(pools, capacity_qps);
}

namespace {

// A sweep file keeps a fixed number of bytes of each text value: a longer source would be cut
// there, and there only.
size_t recorded_source_bytes() {
  for (const auto& column : result_columns())
    if (column.name == "price_source") return column.text_width;
  throw std::logic_error("result_columns() declares no price_source");
}

std::string too_long(const std::string& source) {
  return "the price's source as results record it takes " + std::to_string(source.size()) + " bytes, more than the " +
         std::to_string(recorded_source_bytes()) + " a result keeps ('" + source + "'): shorten it";
}

}  // namespace

std::map<std::string, spec::GpuPrice> grid_gpu_prices(const GridSpec& grid, const spec::SpecCatalog& catalog) {
  std::map<std::string, spec::GpuPrice> prices;
  for (const auto& [name, gpu] : catalog.gpus()) prices[name] = spec::spec_price(gpu);
  std::map<std::string, const spec::PriceEntry*> given;
  for (const auto& entry : grid.prices) {
    try {
      catalog.gpu(entry.gpu, "prices");
    } catch (const InputError& e) {
      throw InputError::in_file(entry.file, entry.line, entry.field, e.message());
    }
    prices[entry.gpu] = entry.price;
    given[entry.gpu] = &entry;
  }
  std::vector<std::string> devices;
  for (const auto& cluster : grid.clusters) devices.push_back(cluster.device);
  for (const auto& entry : grid.disaggregated) {
    devices.push_back(entry.device);
    if (!entry.values.decode_gpu.empty()) devices.push_back(entry.values.decode_gpu);
  }
  for (const auto& device : devices) {
    const auto it = prices.find(device);
    if (it == prices.end() || it->second.source.size() <= recorded_source_bytes()) continue;
    if (const auto entry = given.find(device); entry != given.end())
      throw InputError::in_file(entry->second->file, entry->second->line, entry->second->field,
                                too_long(it->second.source));
    throw InputError::in_file(catalog.gpu(device).source_file, 0, "price_source", too_long(it->second.source));
  }
  return prices;
}

}  // namespace infersweep::search
