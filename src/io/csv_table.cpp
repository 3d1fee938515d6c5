#include "infersweep/io/csv_table.hpp"

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_records.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::io {

CsvTable CsvTable::read(const std::string& path) { return parse(read_file_bytes(path), path); }

CsvTable CsvTable::parse(const std::string& text, const std::string& source_name) {
  CsvTable table;
  table.path_ = source_name;
  CsvRecords records(text, source_name);
  table.header_ = records.header();
  while (records.next()) {
    table.rows_.emplace_back(records.cells().begin(), records.cells().end());
    table.lines_.push_back(records.line());
  }
  return table;
}

std::optional<size_t> CsvTable::find_column(const std::string& name) const { return find_header_column(header_, name); }

size_t CsvTable::column(const std::string& name) const { return header_column(header_, name, path_); }

std::string CsvTable::field(size_t column) const { return "column '" + header_[column] + "'"; }

std::string CsvTable::where(size_t row, size_t column) const {
  return path_ + ":" + std::to_string(lines_[row]) + ": " + field(column);
}

double CsvTable::as_double(size_t row, size_t column) const {
  return parse_double(rows_[row][column], where(row, column));
}

int64_t CsvTable::as_int64(size_t row, size_t column) const {
  return parse_int64(rows_[row][column], where(row, column));
}

std::string csv_quote(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace infersweep::io
