#include "infersweep/sweep/row_checksum.hpp"

#include <stdexcept>

namespace infersweep::sweep {

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

}  // namespace

RowChecksums::RowChecksums(size_t rows) : values_(rows, static_cast<int64_t>(kFnvOffset)) {}

void RowChecksums::add_column(const std::string& bytes, size_t element_size) {
  if (bytes.size() != values_.size() * element_size) throw std::logic_error("column bytes do not match the row count");
  for (size_t row = 0; row < values_.size(); ++row) {
    auto hash = static_cast<uint64_t>(values_[row]);
    const char* element = bytes.data() + row * element_size;
    for (size_t b = 0; b < element_size; ++b) {
      hash ^= static_cast<unsigned char>(element[b]);
      hash *= kFnvPrime;
    }
    values_[row] = static_cast<int64_t>(hash);
  }
}

}  // namespace infersweep::sweep
