#pragma once
// Tables held column by column: each column has a name, a kind, units and a description, and
// every column has the same number of rows. A table's columns are declared once (a Schema);
// the sweep file, the MPI messages, the CSV/JSON reports and the docs are derived from it.
// Nothing here knows about MPI or HDF5.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "infersweep/table/field.hpp"

namespace infersweep::table {

// In the order of Field::Value's alternatives (and of ColumnTable::Column's).
enum class ColumnKind { text, int64, float64, boolean, enumeration };
const char* to_string(ColumnKind kind);  // "text", "int64", "float64", "boolean", "enum"

struct ColumnSpec {
  ColumnSpec() = default;
  ColumnSpec(std::string name_, ColumnKind kind_, std::string units_, std::string description_, size_t text_width_ = 0,
             std::vector<std::string> labels_ = {})
      : name(std::move(name_)),
        kind(kind_),
        units(std::move(units_)),
        description(std::move(description_)),
        text_width(text_width_),
        labels(std::move(labels_)) {}

  std::string name;
  ColumnKind kind = ColumnKind::float64;
  std::string units;  // "s", "1/s", "%", "$/h", ... or "" for none
  std::string description;
  size_t text_width = 0;            // text: bytes stored per value (fixed-length strings in the file)
  std::vector<std::string> labels;  // enumeration: the name of each code, from 0
};

using Schema = std::vector<ColumnSpec>;

// Where `row` and `schema` disagree (names, order, kinds, enumeration names), as one line
// naming the first difference; empty when they agree.
std::string row_mismatch(const Schema& schema, const std::vector<Field>& row);

// The schema as a Markdown table: column, type, units, meaning (one line per column).
std::string markdown_table(const Schema& schema);

class ColumnTable {
 public:
  using Column = std::variant<std::vector<std::string>, std::vector<int64_t>, std::vector<double>, std::vector<uint8_t>,
                              std::vector<int8_t>>;

  ColumnTable() = default;
  explicit ColumnTable(Schema schema);

  const Schema& schema() const { return schema_; }
  size_t rows() const { return rows_; }
  size_t column_index(const std::string& name) const;  // throws if absent
  bool has_column(const std::string& name) const;

  // Appends one row; its fields must match the schema by name and kind, in order.
  void append(const std::vector<Field>& row);
  // Appends row `row` of `other`, matching columns by name; columns `other` lacks get their
  // kind's empty value (NaN, 0, false, "", code 0). Enumeration values are matched by name,
  // also from a text column (a table written before the column became an enumeration).
  void append_from(const ColumnTable& other, size_t row);
  void clear();

  const Column& column(size_t c) const { return columns_[c]; }
  Column& column(size_t c) { return columns_[c]; }
  const std::vector<std::string>& text(const std::string& name) const;
  const std::vector<int64_t>& int64(const std::string& name) const;
  const std::vector<double>& float64(const std::string& name) const;
  const std::vector<uint8_t>& boolean(const std::string& name) const;
  const std::vector<int8_t>& codes(const std::string& name) const;  // enumeration codes
  // An enumeration column's values as their names.
  std::vector<std::string> enum_names(const std::string& name) const;
  // Any column's values as text (field_text): names for an enumeration, the text itself for a
  // text column (a status stored either way reads the same).
  std::vector<std::string> texts(const std::string& name) const;

  Field field(size_t column, size_t row) const;
  std::vector<Field> row(size_t row) const;
  // Sets the row count after columns were filled directly (file reader); checks the lengths
  // and that enumeration codes have names.
  void set_rows_from_columns();

 private:
  Schema schema_;
  std::vector<Column> columns_;
  size_t rows_ = 0;
};

}  // namespace infersweep::table
