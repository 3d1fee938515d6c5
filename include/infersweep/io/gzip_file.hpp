#pragma once
// Reading gzip-compressed text (Vidur's prediction tables are often kept as .csv.gz).
#include <cstdint>
#include <string>

namespace infersweep::io {

// The decompressed bytes of a gzip file (several concatenated members are read in turn).
// Throws InputError naming the file when it cannot be opened, is not gzip data, is truncated
// or damaged, or would decompress to more than `max_bytes`.
std::string read_gzip_file(const std::string& path, int64_t max_bytes = int64_t{1} << 32);

// The same on bytes already in memory; `source` names them in errors.
std::string gunzip(const std::string& compressed, const std::string& source, int64_t max_bytes = int64_t{1} << 32);

// True when `path` ends in ".gz".
bool is_gzip_path(const std::string& path);

}  // namespace infersweep::io
