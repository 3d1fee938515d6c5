#pragma once
// A whole CSV file in memory with its header (the dialect of csv_records.hpp), read strictly:
// every row must have as many cells as the header, and typed accessors report file, line and
// column on bad cells.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace infersweep::io {

class CsvTable {
 public:
  // Throws InputError if the file cannot be read, is empty, or has a ragged row.
  static CsvTable read(const std::string& path);
  static CsvTable parse(const std::string& text, const std::string& source_name);

  const std::string& path() const { return path_; }
  size_t num_rows() const { return rows_.size(); }
  const std::vector<std::string>& header() const { return header_; }

  // Index of a column; throws InputError listing the available columns when missing.
  size_t column(const std::string& name) const;
  std::optional<size_t> find_column(const std::string& name) const;

  const std::string& cell(size_t row, size_t column) const { return rows_[row][column]; }
  int64_t line_of(size_t row) const { return lines_[row]; }
  double as_double(size_t row, size_t column) const;
  int64_t as_int64(size_t row, size_t column) const;
  // How errors name a column: "column 'num_tokens'".
  std::string field(size_t column) const;

 private:
  std::string where(size_t row, size_t column) const;

  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int64_t> lines_;
};

// A cell as written to CSV: quoted (with doubled quotes) when it holds a comma, quote or newline.
std::string csv_quote(const std::string& text);

}  // namespace infersweep::io
