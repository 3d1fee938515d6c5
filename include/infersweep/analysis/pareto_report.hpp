#pragma once
// `infersweep pareto`'s analysis of a sweep's results table: per group of configs (by default
// each model and trace), the best config under the SLOs by QPS per dollar, the Pareto fronts
// of QPS per dollar against TTFT p90 and against TBT p99, and the configs near either front.
// Only configs with status ok take part, and of those only the ones without a capacity caveat
// (search::CapacityCaveat) unless asked. Rows of different workloads (the workload_id column:
// trace content, request count, SLOs) never share a group, even under one key: a file whose
// grid changed between runs holds both, and their capacities measured different things.
// Every result is independent of row order.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "infersweep/analysis/pareto_front.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::analysis {

struct ParetoOptions {
  SloLimits slos;
  double tolerance = 0.1;                         // "near": within 10 % of a front point
  std::vector<std::string> by{"model", "trace"};  // grouping columns; empty: one group
  bool list_all = false;                          // list every config, not only the notable ones
  bool include_caveats = false;                   // let configs with a capacity caveat take part
};

enum class FrontRole { none, near, on };
const char* to_string(FrontRole role);  // "", "near", "on"

struct AnalysedConfig {
  size_t row = 0;  // row of the results table
  ConfigCandidate candidate;
  bool meets_slos = false;
  bool best = false;
  FrontRole ttft_front = FrontRole::none;
  FrontRole tbt_front = FrontRole::none;
  bool notable() const { return best || ttft_front != FrontRole::none || tbt_front != FrontRole::none; }
};

struct ParetoGroup {
  std::vector<table::Field> key;        // one field per grouping column
  int64_t rows = 0;                     // configs of the group, any status
  int64_t not_ok = 0;                   // skipped, failed or timed out
  int64_t with_caveat = 0;              // ok, but left out for a capacity caveat
  std::string workload_id;              // of every row of the group ("" when the table has no such column)
  int64_t workloads_under_key = 1;      // groups that share this key, one per workload
  std::string runs;                     // which runs of a sweep wrote its rows, e.g. "runs 1-2" ("": unknown)
  std::vector<AnalysedConfig> configs;  // the ok ones, by config id
  std::optional<size_t> best;           // index into configs
  std::vector<size_t> ttft_front;       // indices into configs, by increasing TTFT p90
  std::vector<size_t> tbt_front;        // ... by increasing TBT p99
  int64_t meeting_slos() const;
};

// Throws InputError when a grouping column is not a text, integer or enumeration column, or
// a column the analysis needs is missing.
std::vector<ParetoGroup> analyse_pareto(const table::ColumnTable& results, const ParetoOptions& options);

// The configs a report lists for a group: the notable ones (or all with list_all), by QPS per
// dollar, best first (ties as ranks_above).
std::vector<size_t> listed_configs(const ParetoGroup& group, const ParetoOptions& options);

// Columns that describe a listed config in the CSV and JSON outputs (those the table has).
std::vector<std::string> description_columns(const table::ColumnTable& results);

void print_pareto_table(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                        const ParetoOptions& options, std::ostream& out);
void write_pareto_csv(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                      const ParetoOptions& options, std::ostream& out);
// `header` fields (file, sweep state, ...) open the JSON object.
void write_pareto_json(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                       const ParetoOptions& options, const std::vector<table::Field>& header, std::ostream& out);

}  // namespace infersweep::analysis
