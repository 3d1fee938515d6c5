#pragma once
// A table held column by column, the shape in which the sweep file stores results: each
// column has a name, a kind, units and a description, and every column has the same number
// of rows. Rows go in and come out as the search module's named fields, so the HDF5 file,
// the MPI messages and the CSV report share one column definition.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "infersweep/search/result_row.hpp"

namespace infersweep::sweep {

enum class ColumnKind { text, int64, float64, boolean };

struct ColumnSpec {
  std::string name;
  ColumnKind kind = ColumnKind::float64;
  std::string units;        // "s", "1/s", "%", "$/h", ... or "" for none
  std::string description;
  size_t text_width = 0;    // bytes stored per text value (fixed-length strings in the file)
};

using Schema = std::vector<ColumnSpec>;

class ColumnTable {
 public:
  using Column = std::variant<std::vector<std::string>, std::vector<int64_t>, std::vector<double>,
                              std::vector<uint8_t>>;

  ColumnTable() = default;
  explicit ColumnTable(Schema schema);

  const Schema& schema() const { return schema_; }
  size_t rows() const { return rows_; }
  size_t column_index(const std::string& name) const;  // throws if absent
  bool has_column(const std::string& name) const;

  // Appends one row; its fields must match the schema by name, in order.
  void append(const std::vector<search::Field>& row);
  // Appends row `row` of `other`, matching columns by name; columns `other` lacks get their
  // kind's empty value (NaN, 0, false, "").
  void append_from(const ColumnTable& other, size_t row);
  void clear();

  const Column& column(size_t c) const { return columns_[c]; }
  Column& column(size_t c) { return columns_[c]; }
  const std::vector<std::string>& text(const std::string& name) const;
  const std::vector<int64_t>& int64(const std::string& name) const;
  const std::vector<double>& float64(const std::string& name) const;
  const std::vector<uint8_t>& boolean(const std::string& name) const;

  search::Field field(size_t column, size_t row) const;
  std::vector<search::Field> row(size_t row) const;
  // Sets the row count after columns were filled directly (file reader); checks the lengths.
  void set_rows_from_columns();

 private:
  Schema schema_;
  std::vector<Column> columns_;
  size_t rows_ = 0;
};

}  // namespace infersweep::sweep
