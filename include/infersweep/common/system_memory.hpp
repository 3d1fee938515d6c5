#pragma once
// How much memory this process may still use: the least of the system's available memory, the
// cgroup's remaining limit (Slurm confines jobs with cgroups) and the address-space limit.
#include <cstdint>
#include <optional>
#include <string>

namespace infersweep {

// Nothing when no source could be read (then nothing is refused for lack of memory).
std::optional<int64_t> available_memory_bytes();

// The sources, apart, for tests: /proc/meminfo's text and cgroup v2's memory.max/current.
std::optional<int64_t> meminfo_available_bytes(const std::string& meminfo_text);
std::optional<int64_t> cgroup_remaining_bytes(const std::string& memory_max, const std::string& memory_current);

// "1.5 GB", "480 MB": a size for messages.
std::string format_bytes(double bytes);

}  // namespace infersweep
