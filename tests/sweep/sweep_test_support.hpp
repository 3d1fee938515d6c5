#pragma once
// Helpers of the sweep tests: rows with the sweep's real schema, and comparisons of result
// tables that ignore how rows were produced (wall time, run, rank) and their order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "infersweep/sweep/sweep_schema.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::test_support {

inline std::vector<table::Field> result_row(const std::string& id, const std::string& status, int64_t run,
                                            double capacity) {
  search::SearchUnit unit;
  unit.config_id = id;
  unit.labels.model = "llama";
  search::ConfigResult r;
  r.status = status == "ok"        ? search::ConfigStatus::ok
             : status == "failed"  ? search::ConfigStatus::failed
             : status == "timeout" ? search::ConfigStatus::timeout
                                   : search::ConfigStatus::skipped;
  r.outcome.capacity_qps = capacity;
  r.message = "row " + id + " of run " + std::to_string(run);
  return sweep::sweep_result_row(unit, r, run, 0);
}

inline std::vector<table::Field> probe_row(const std::string& id, int64_t sequence, int64_t run, double qps) {
  search::SearchUnit unit;
  unit.config_id = id;
  search::ProbeRecord p;
  p.qps = qps;
  p.passed = sequence % 2 == 0;
  return sweep::sweep_probe_row(unit, sequence, p, run);
}

// Field values by column, keyed by a row's `key` column, without execution columns; doubles
// compared bit for bit (as text of their bits), NaN equal to NaN.
inline std::map<std::string, std::vector<std::string>> rows_by_key(const table::ColumnTable& t,
                                                                   const std::string& key) {
  std::map<std::string, std::vector<std::string>> rows;
  const auto& keys = t.text(key);
  for (size_t r = 0; r < t.rows(); ++r) {
    std::vector<std::string> values;
    for (size_t c = 0; c < t.schema().size(); ++c) {
      if (sweep::is_execution_column(t.schema()[c].name)) continue;
      const auto f = t.field(c, r);
      if (auto* d = std::get_if<double>(&f.value)) {
        uint64_t bits = 0;
        std::memcpy(&bits, d, sizeof bits);
        values.push_back(std::isnan(*d) ? "nan" : std::to_string(bits));
      } else {
        values.push_back(t.schema()[c].name + "=" + table::field_text(f));
      }
    }
    EXPECT_TRUE(rows.emplace(keys[r], values).second) << "duplicate " << key << " " << keys[r];
  }
  return rows;
}

}  // namespace infersweep::test_support
