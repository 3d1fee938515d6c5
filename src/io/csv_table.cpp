#include "infersweep/io/csv_table.hpp"

#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::io {

namespace {

// Splits one CSV record; supports double-quoted cells without embedded newlines, which is
// all that Vidur's files and hand-written traces use.
std::vector<std::string> split_record(const std::string& line, const std::string& source, int64_t line_number) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(std::string(trim(cell)));
      cell.clear();
    } else {
      cell += c;
    }
  }
  if (quoted) throw InputError::in_file(source, line_number, "", "unterminated quoted cell");
  cells.push_back(std::string(trim(cell)));
  return cells;
}

}  // namespace

CsvTable CsvTable::read(const std::string& path) { return parse(read_file_bytes(path), path); }

CsvTable CsvTable::parse(const std::string& text, const std::string& source_name) {
  CsvTable table;
  table.path_ = source_name;
  std::istringstream in(std::string(strip_utf8_bom(text)));
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    auto cells = split_record(line, source_name, line_number);
    if (table.header_.empty()) {
      table.header_ = std::move(cells);
      continue;
    }
    if (cells.size() != table.header_.size())
      throw InputError::in_file(source_name, line_number, "",
                                "expected " + std::to_string(table.header_.size()) + " cells as in the header, got " +
                                    std::to_string(cells.size()));
    table.rows_.push_back(std::move(cells));
    table.lines_.push_back(line_number);
  }
  if (table.header_.empty()) throw InputError::in_file(source_name, 0, "", "file is empty");
  return table;
}

std::optional<size_t> CsvTable::find_column(const std::string& name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

size_t CsvTable::column(const std::string& name) const {
  if (auto index = find_column(name)) return *index;
  std::string available;
  for (const auto& h : header_) available += (available.empty() ? "" : ", ") + h;
  throw InputError::in_file(path_, 1, "column '" + name + "'", "missing from the header (columns: " + available + ")");
}

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
