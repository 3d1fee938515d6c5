#include "infersweep/sweep/sweep_schema.hpp"

namespace infersweep::sweep {

namespace {

const table::ColumnSpec kRunColumn{"run", table::ColumnKind::int64, "",
                                   "which run of the sweep wrote the row (see /runs)"};
const table::ColumnSpec kRankColumn{"rank", table::ColumnKind::int64, "",
                                    "MPI rank that ran the search (0 for rows rank 0 wrote itself)"};

table::Schema with(table::Schema schema, std::initializer_list<table::ColumnSpec> more) {
  schema.insert(schema.end(), more);
  return schema;
}

}  // namespace

const table::Schema& results_schema() {
  static const table::Schema schema = with(search::result_columns(), {kRunColumn, kRankColumn});
  return schema;
}

const table::Schema& probes_schema() {
  static const table::Schema schema = with(search::probe_columns(), {kRunColumn});
  return schema;
}

std::vector<table::Field> sweep_result_row(const search::SearchUnit& unit, const search::ConfigResult& result,
                                           int64_t run, int64_t rank) {
  auto row = search::result_fields(unit, result);
  row.push_back({"run", run});
  row.push_back({"rank", rank});
  return row;
}

std::vector<table::Field> sweep_probe_row(const search::SearchUnit& unit, int64_t sequence,
                                          const search::ProbeRecord& probe, int64_t run) {
  auto row = search::probe_fields(unit, sequence, probe);
  row.push_back({"run", run});
  return row;
}

const table::ColumnSpec& row_checksum_column() {
  static const table::ColumnSpec column{
      "row_checksum", table::ColumnKind::int64, "",
      "FNV-1a hash (64 bits) of the row's other columns as stored; a row whose hash differs is damaged and not used"};
  return column;
}

bool is_execution_column(const std::string& name) {
  return name == "wall_s" || name == "run" || name == "rank" || name == row_checksum_column().name;
}

}  // namespace infersweep::sweep
