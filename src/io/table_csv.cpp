#include "infersweep/io/table_csv.hpp"

#include <cmath>
#include <limits>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::io {

namespace {

using table::ColumnKind;

std::string expected_header(const table::Schema& schema) {
  std::string names;
  for (const auto& spec : schema) names += (names.empty() ? "" : ",") + spec.name;
  return names;
}

void check_header(const CsvTable& csv, const table::Schema& schema) {
  const auto& header = csv.header();
  for (size_t i = 0; i < schema.size() || i < header.size(); ++i) {
    if (i < schema.size() && i < header.size() && header[i] == schema[i].name) continue;
    std::string problem;
    if (i >= header.size())
      problem = "column " + std::to_string(i + 1) + " '" + schema[i].name + "' is missing";
    else if (i >= schema.size())
      problem = "column " + std::to_string(i + 1) + " '" + header[i] + "' is not declared";
    else
      problem = "column " + std::to_string(i + 1) + " is '" + header[i] + "', expected '" + schema[i].name + "'";
    throw InputError::in_file(
        csv.path(), 1, "header",
        problem + " (expected the " + std::to_string(schema.size()) + " columns " + expected_header(schema) + ")");
  }
}

table::Field::Value cell_value(const CsvTable& csv, size_t row, size_t column, const table::ColumnSpec& spec) {
  const auto& text = csv.cell(row, column);
  auto bad = [&](const std::string& expected) {
    return InputError::in_file(csv.path(), csv.line_of(row), "column '" + spec.name + "'",
                               "expected " + expected + ", got '" + text + "'");
  };
  switch (spec.kind) {
    case ColumnKind::text:
      return text;
    case ColumnKind::int64:
      if (text.empty()) throw bad("an integer");
      try {
        return csv.as_int64(row, column);
      } catch (const InputError&) {
        throw bad("an integer");
      }
    case ColumnKind::float64:
      if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
      try {
        return csv.as_double(row, column);
      } catch (const InputError&) {
        throw bad("a number (or an empty cell for none)");
      }
    case ColumnKind::boolean:
      if (text == "true") return true;
      if (text == "false") return false;
      throw bad("true or false");
    case ColumnKind::enumeration:
      for (size_t code = 0; code < spec.labels.size(); ++code)
        if (spec.labels[code] == text) return table::EnumValue{static_cast<int64_t>(code), text};
      {
        std::string names;
        for (const auto& label : spec.labels) names += (names.empty() ? "" : ", ") + label;
        throw bad("one of " + names);
      }
  }
  throw bad("a value");
}

}  // namespace

table::ColumnTable table_from_csv(const CsvTable& csv, const table::Schema& schema) {
  check_header(csv, schema);
  table::ColumnTable result(schema);
  std::vector<table::Field> row(schema.size());
  for (size_t c = 0; c < schema.size(); ++c) row[c].name = schema[c].name;
  for (size_t r = 0; r < csv.num_rows(); ++r) {
    for (size_t c = 0; c < schema.size(); ++c) row[c].value = cell_value(csv, r, c, schema[c]);
    result.append(row);
  }
  return result;
}

table::ColumnTable read_table_csv(const std::string& path, const table::Schema& schema) {
  return table_from_csv(CsvTable::read(path), schema);
}

}  // namespace infersweep::io
