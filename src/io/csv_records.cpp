#include "infersweep/io/csv_records.hpp"

#include <cstring>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::io {

CsvRecords::CsvRecords(std::string_view text, const std::string& source)
    : rest_(strip_utf8_bom(text)), source_(source) {
  if (!next_record()) throw InputError::in_file(source_, 0, "", "file is empty");
  header_.assign(cells_.begin(), cells_.end());
}

bool CsvRecords::next() {
  if (!next_record()) return false;
  if (cells_.size() != header_.size())
    throw InputError::in_file(
        source_, line_, "",
        "expected " + std::to_string(header_.size()) + " cells as in the header, got " + std::to_string(cells_.size()));
  return true;
}

bool CsvRecords::next_record() {
  while (!rest_.empty()) {
    ++line_;
    const void* newline = std::memchr(rest_.data(), '\n', rest_.size());
    const size_t length =
        newline ? static_cast<size_t>(static_cast<const char*>(newline) - rest_.data()) : rest_.size();
    std::string_view record = rest_.substr(0, length);
    rest_.remove_prefix(newline ? length + 1 : length);
    if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
    if (trim(record).empty()) continue;
    cells_.clear();
    if (record.find('"') != std::string_view::npos) {
      split_quoted(record);
      return true;
    }
    // Without quotes a cell is the text between commas.
    while (true) {
      const size_t comma = record.find(',');
      cells_.push_back(trim(record.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      record.remove_prefix(comma + 1);
    }
    return true;
  }
  return false;
}

void CsvRecords::split_quoted(std::string_view record) {
  unquoted_.clear();
  cell_ends_.clear();
  bool quoted = false;
  for (size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c == '"' && i + 1 < record.size() && record[i + 1] == '"') {
        unquoted_ += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        unquoted_ += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cell_ends_.push_back(unquoted_.size());
    } else {
      unquoted_ += c;
    }
  }
  if (quoted) throw InputError::in_file(source_, line_, "", "unterminated quoted cell");
  cell_ends_.push_back(unquoted_.size());
  const std::string_view text(unquoted_);
  size_t start = 0;
  for (const size_t end : cell_ends_) {
    cells_.push_back(trim(text.substr(start, end - start)));
    start = end;
  }
}

std::optional<size_t> find_header_column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

size_t header_column(const std::vector<std::string>& header, const std::string& name, const std::string& source) {
  if (auto index = find_header_column(header, name)) return *index;
  std::string available;
  for (const auto& h : header) available += (available.empty() ? "" : ", ") + h;
  throw InputError::in_file(source, 1, "column '" + name + "'", "missing from the header (columns: " + available + ")");
}

}  // namespace infersweep::io
