#include "infersweep/io/file_bytes.hpp"

#include <fstream>
#include <sstream>

#include "infersweep/common/error.hpp"

namespace infersweep::io {

std::optional<std::string> try_read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string read_file_bytes(const std::string& path) {
  auto bytes = try_read_file_bytes(path);
  if (!bytes) throw InputError::in_file(path, 0, "", "cannot open file");
  return std::move(*bytes);
}

}  // namespace infersweep::io
