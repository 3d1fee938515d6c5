#pragma once
// A whole file's bytes, for the readers that parse text in memory and for content hashing.
#include <optional>
#include <string>

namespace infersweep::io {

// Throws InputError naming the file when it cannot be opened.
std::string read_file_bytes(const std::string& path);

// nullopt when the file cannot be opened (e.g. an absent cache entry).
std::optional<std::string> try_read_file_bytes(const std::string& path);

}  // namespace infersweep::io
