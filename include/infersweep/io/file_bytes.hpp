#pragma once
// A whole file's bytes, for the readers that parse text in memory and for content hashing, and
// whole-file writes that readers never see half done, and the questions asked before reading.
#include <filesystem>
#include <optional>
#include <string>

namespace infersweep::io {

// False, never an exception, for a path that is absent, unreadable or of another kind.
bool is_regular_file(const std::filesystem::path& path);
bool is_directory(const std::filesystem::path& path);

// Throws InputError naming the file when it cannot be opened.
std::string read_file_bytes(const std::string& path);

// nullopt when the file cannot be opened (e.g. an absent cache entry).
std::optional<std::string> try_read_file_bytes(const std::string& path);

// Writes `bytes` to a temporary file unique to this process and call, then renames it over
// `path`, so a reader (or a concurrent writer) sees the old file or the new one, never a part.
// Returns false, leaving no temporary file, when it cannot write.
bool try_write_file_atomically(const std::string& path, const std::string& bytes);

// The same; throws InputError naming the file when it cannot write.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace infersweep::io
