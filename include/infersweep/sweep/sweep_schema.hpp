#pragma once
// The two tables of a sweep file, `/results` (one row per config) and `/probes` (one row per
// probe of every search): the search module's declared columns (search/result_row.hpp), plus
// which run of the sweep and which MPI rank produced the row.
#include <cstdint>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/search/search_runner.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::sweep {

const table::Schema& results_schema();
const table::Schema& probes_schema();

std::vector<table::Field> sweep_result_row(const search::SearchUnit& unit, const search::ConfigResult& result,
                                           int64_t run, int64_t rank);
std::vector<table::Field> sweep_probe_row(const search::SearchUnit& unit, int64_t sequence,
                                          const search::ProbeRecord& probe, int64_t run);

// The file's last column in both tables: a checksum of each stored row (row_checksum.hpp).
// The file module adds and checks it; the tables above and the ones read back lack it.
const table::ColumnSpec& row_checksum_column();

// Columns that describe how a row was produced rather than what it found: excluded when two
// sweeps are compared for identical results.
bool is_execution_column(const std::string& name);

}  // namespace infersweep::sweep
