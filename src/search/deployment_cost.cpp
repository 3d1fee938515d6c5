#include "infersweep/search/deployment_cost.hpp"

#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::search {

DeploymentCost deployment_cost(int64_t replicas, int64_t tp, int64_t pp, double price, double capacity_qps) {
  if (replicas < 1 || tp < 1 || pp < 1)
    throw InputError("deployment cost: replicas, TP and PP must be at least 1 (got " + std::to_string(replicas) + ", " +
                     std::to_string(tp) + ", " + std::to_string(pp) + ")");
  if (!(price > 0))
    throw InputError("deployment cost: price per GPU-hour must be positive, got " + format_double(price));
  DeploymentCost c;
  c.gpus = replicas * tp * pp;
  c.dollars_per_hour = static_cast<double>(c.gpus) * price;
  c.qps_per_dollar = capacity_qps / c.dollars_per_hour;
  c.capacity_per_replica = capacity_qps / static_cast<double>(replicas);
  return c;
}

std::map<std::string, spec::GpuPrice> grid_gpu_prices(const GridSpec& grid, const spec::SpecCatalog& catalog) {
  std::map<std::string, spec::GpuPrice> prices;
  for (const auto& [name, gpu] : catalog.gpus()) prices[name] = spec::spec_price(gpu);
  for (const auto& entry : grid.prices) {
    try {
      catalog.gpu(entry.gpu, "prices");
    } catch (const InputError& e) {
      throw InputError::in_file(entry.file, entry.line, entry.field, e.message());
    }
    prices[entry.gpu] = entry.price;
  }
  return prices;
}

}  // namespace infersweep::search
