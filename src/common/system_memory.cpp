#include "infersweep/common/system_memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace infersweep {

namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<int64_t> parse_count(const std::string& text) {
  try {
    size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (value < 0) return std::nullopt;
    return static_cast<int64_t>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The cgroup (v2) this process belongs to, from /proc/self/cgroup's "0::/path" line.
std::string own_cgroup_dir() {
  std::istringstream lines(read_small_file("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  return "/sys/fs/cgroup";
}

}  // namespace

std::optional<int64_t> meminfo_available_bytes(const std::string& meminfo_text) {
  std::istringstream lines(meminfo_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    const auto kb = parse_count(line.substr(13));
    if (kb && *kb < (int64_t{1} << 52)) return *kb * 1024;
  }
  return std::nullopt;
}

std::optional<int64_t> cgroup_remaining_bytes(const std::string& memory_max, const std::string& memory_current) {
  const auto limit = parse_count(memory_max);  // "max" (no limit) does not parse
  const auto used = parse_count(memory_current);
  if (!limit) return std::nullopt;
  return std::max<int64_t>(0, *limit - used.value_or(0));
}

std::optional<int64_t> available_memory_bytes() {
  std::optional<int64_t> least = meminfo_available_bytes(read_small_file("/proc/meminfo"));
  const auto keep_least = [&](std::optional<int64_t> v) {
    if (v && (!least || *v < *least)) least = v;
  };
  const auto dir = own_cgroup_dir();
  keep_least(cgroup_remaining_bytes(read_small_file(dir + "/memory.max"), read_small_file(dir + "/memory.current")));
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    keep_least(static_cast<int64_t>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 62)));
  return least;
}

std::string format_bytes(double bytes) {
  char text[32];
  if (bytes >= 1e9)
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  else
    std::snprintf(text, sizeof text, "%.0f MB", bytes / 1e6);
  return text;
}

}  // namespace infersweep
