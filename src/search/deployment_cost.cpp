#include "infersweep/search/deployment_cost.hpp"

#include <stdexcept>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/search/result_row.hpp"

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
  for (const auto& cluster : grid.clusters) {
    const auto it = prices.find(cluster.device);
    if (it == prices.end() || it->second.source.size() <= recorded_source_bytes()) continue;
    if (const auto entry = given.find(cluster.device); entry != given.end())
      throw InputError::in_file(entry->second->file, entry->second->line, entry->second->field,
                                too_long(it->second.source));
    throw InputError::in_file(catalog.gpu(cluster.device).source_file, 0, "price_source", too_long(it->second.source));
  }
  return prices;
}

}  // namespace infersweep::search
