#include "infersweep/io/file_bytes.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "infersweep/common/error.hpp"

namespace infersweep::io {

bool is_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

bool is_directory(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

std::optional<std::string> try_read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  // A directory opens as a stream on Linux and reads as nothing: name it instead.
  if (std::filesystem::is_directory(path, ec))
    throw InputError::in_file(path, 0, "", "is a directory, expected a file");
  errno = 0;
  auto bytes = try_read_file_bytes(path);
  if (!bytes) {
    const int reason = errno;
    throw InputError::in_file(path, 0, "",
                              "cannot open file" + (reason != 0 ? ": " + std::string(std::strerror(reason)) : ""));
  }
  return std::move(*bytes);
}

bool try_write_file_atomically(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::random_device entropy;
  const auto unique = std::to_string(::getpid()) + "." + std::to_string(entropy()) + std::to_string(entropy());
  const fs::path temporary = path + ".tmp." + unique;
  std::error_code ec;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(temporary, ec);
      return false;
    }
  }
  fs::rename(temporary, path, ec);
  if (ec) fs::remove(temporary, ec);
  return !ec;
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  if (!try_write_file_atomically(path, bytes)) throw InputError::in_file(path, 0, "", "cannot write file");
}

}  // namespace infersweep::io
