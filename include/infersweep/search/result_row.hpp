#pragma once
// The columns of a result row and of a probe row, declared once (name, kind, units, meaning)
// for every writer: capacity.csv, probes.csv, capacity.json, the HDF5 sweep file and the
// column tables of docs/sweep.md. The row builders fill exactly the declared columns, in order.
#include <cstdint>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/search_runner.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::search {

// Parameters, status, capacity, cost and the metrics at capacity of one config.
const table::Schema& result_columns();
// One probe of one config.
const table::Schema& probe_columns();

// A config's status as the value of the `status` enumeration column.
table::EnumValue status_value(ConfigStatus status);

// The values of result_columns() for one config.
std::vector<table::Field> result_fields(const SearchUnit& unit, const ConfigResult& result);
// The values of probe_columns() for one probe (`sequence` counts from 0 in probe order).
std::vector<table::Field> probe_fields(const SearchUnit& unit, int64_t sequence, const ProbeRecord& probe);

}  // namespace infersweep::search
