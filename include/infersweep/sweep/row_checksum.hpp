#pragma once
// Checksums of the rows of a sweep file's table, so that a damaged row is found and left out
// rather than read as a result. A row's checksum is FNV-1a (64 bits) over the bytes of its
// other columns as the file stores them (text NUL-padded to its width, numbers in the reader's
// native layout, enums and booleans as one byte), column by column in the table's order. It
// covers whatever columns the table has; analysis/results.py computes the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace infersweep::sweep {

class RowChecksums {
 public:
  explicit RowChecksums(size_t rows);
  // Adds one column: `bytes` holds every row's element, `element_size` bytes each.
  void add_column(const std::string& bytes, size_t element_size);
  // As stored in the file's int64 column (the same 64 bits).
  const std::vector<int64_t>& values() const { return values_; }

 private:
  std::vector<int64_t> values_;
};

}  // namespace infersweep::sweep
