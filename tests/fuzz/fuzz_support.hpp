#pragma once
// What every fuzz target shares: hostile bytes as a file for the parsers that read a path, and
// the one acceptable way to refuse them. Anything else a parser throws (or a crash, a leak, a
// hang) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "infersweep/common/error.hpp"

namespace infersweep::fuzz {

// A folder of this process's own under $TMPDIR (or /tmp), created on first use and removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / ("infersweep-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline const std::filesystem::path& scratch_dir() {
  static const ScratchDir dir;
  return dir.path();
}

// Writes the input to `name` in the scratch folder and returns its path.
inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  const auto path = (scratch_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Runs `parse`; an InputError is how a parser refuses bad input, so it is caught here.
template <class Parse>
void refuse_or_accept(Parse&& parse) {
  try {
    parse();
  } catch (const InputError&) {
  }
}

}  // namespace infersweep::fuzz
