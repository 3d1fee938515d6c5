#include "infersweep/config/output_location.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "infersweep/common/error.hpp"

namespace infersweep::config {

namespace fs = std::filesystem;

namespace {

// Creates and removes a file in `dir`; returns the system's reason when that fails.
std::string probe_write(const fs::path& dir) {
  // A unique name, since several ranks (on several nodes) may check one folder at once.
  std::string probe = (dir / ".infersweep-write-check-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

}  // namespace

void check_output_location(const std::string& name, PathUse use, const std::string& path) {
  if (path.empty() || use == PathUse::input) return;
  std::error_code ec;
  const fs::path p(path);
  if (use == PathUse::output_dir) {
    if (fs::exists(p, ec) && !fs::is_directory(p, ec))
      throw InputError::setting(name, "'" + path + "' exists and is not a directory");
    fs::create_directories(p, ec);
    if (ec) throw InputError::setting(name, "cannot create directory '" + path + "': " + ec.message());
    if (const auto why = probe_write(p); !why.empty())
      throw InputError::setting(name, "cannot write into '" + path + "': " + why);
    return;
  }
  if (fs::is_directory(p, ec)) throw InputError::setting(name, "'" + path + "' is a directory, not a file");
  const fs::path folder = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec))
    throw InputError::setting(name, "cannot write '" + path + "': directory '" + folder.string() + "' does not exist");
  if (const auto why = probe_write(folder); !why.empty())
    throw InputError::setting(name, "cannot write '" + path + "': " + why);
  if (fs::exists(p, ec) && ::access(p.c_str(), W_OK) != 0)
    throw InputError::setting(name, "cannot write '" + path + "': " + std::strerror(errno));
}

}  // namespace infersweep::config
