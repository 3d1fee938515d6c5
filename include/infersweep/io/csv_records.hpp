#pragma once
// One pass over CSV text, record by record, without copying cells: the dialect that CsvTable
// reads (a header, then rows with as many cells as the header; cells trimmed; double-quoted
// cells with doubled quotes, no newlines inside; blank lines skipped; a UTF-8 BOM ignored),
// for readers of large files that need only a few columns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infersweep::io {

class CsvRecords {
 public:
  // Reads the header. `text` must outlive this; `source` names it in errors. Throws InputError
  // when there is no header ("file is empty").
  CsvRecords(std::string_view text, const std::string& source);

  const std::vector<std::string>& header() const { return header_; }
  // Moves to the next row; false at the end. Throws InputError naming the line on an
  // unterminated quoted cell or a row whose cell count differs from the header's.
  bool next();
  // The current row's cells (trimmed, unquoted), valid until the next call to next().
  const std::vector<std::string_view>& cells() const { return cells_; }
  // The current row's line number, counting from 1 and including blank lines.
  int64_t line() const { return line_; }

 private:
  // Splits the next non-blank line into cells_; false at the end of the text.
  bool next_record();
  void split_quoted(std::string_view record);

  std::string_view rest_;
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::string_view> cells_;
  std::string unquoted_;           // the cells of a record with quotes, one after another
  std::vector<size_t> cell_ends_;  // where each of them ends in unquoted_
  int64_t line_ = 0;
};

// The index of the first header cell equal to `name`, or none.
std::optional<size_t> find_header_column(const std::vector<std::string>& header, const std::string& name);
// The same, or an InputError about `source` listing the columns there are.
size_t header_column(const std::vector<std::string>& header, const std::string& name, const std::string& source);

}  // namespace infersweep::io
