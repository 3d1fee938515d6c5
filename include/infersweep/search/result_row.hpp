#pragma once
// The columns of a result row and of a probe row, defined once for every writer (CSV, JSON,
// the HDF5 sweep file): name and typed value, in a fixed order.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/search_runner.hpp"

namespace infersweep::search {

struct Field {
  using Value = std::variant<std::string, int64_t, double, bool>;
  std::string name;
  Value value;  // a NaN double means "no value"
};

// Parameters, status, capacity, cost and the metrics at capacity of one config.
std::vector<Field> result_fields(const SearchUnit& unit, const ConfigResult& result);
// One probe of one config (`sequence` counts from 0 in probe order).
std::vector<Field> probe_fields(const SearchUnit& unit, int64_t sequence, const ProbeRecord& probe);

// A field as CSV/table text: doubles round-trip exactly, NaN is empty, booleans are true/false.
std::string field_text(const Field& field);

}  // namespace infersweep::search
