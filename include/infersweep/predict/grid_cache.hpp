#pragma once
// On-disk cache of prediction grids. An entry is named by what it holds and keyed by a hash of
// every input byte and setting, so a changed CSV never reuses a stale grid. Writers publish
// with an atomic rename, so processes or MPI ranks starting at once never see half a file:
// each either finds a complete entry or builds its own and publishes an identical one.
#include <optional>
#include <string>

namespace infersweep::predict {

// $INFERSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/infersweep, else $HOME/.cache/infersweep; empty
// when none of them is set (no cache).
std::string default_cache_dir();

// The payload stored under (name, key), or nullopt when absent, for another key, or damaged.
std::optional<std::string> read_cache_entry(const std::string& dir, const std::string& name, const std::string& key);

// Stores atomically; returns false (and leaves no partial file) when the directory is not
// writable, since a cache that cannot be written only costs time.
bool write_cache_entry(const std::string& dir, const std::string& name, const std::string& key,
                       const std::string& payload);

// A 128-bit content hash in hex (two independent FNV-1a streams), for cache keys.
class ContentHash {
 public:
  void add(const std::string& bytes);
  void add_file(const std::string& path);  // throws InputError when unreadable
  std::string hex() const;

 private:
  uint64_t a_ = 0xcbf29ce484222325ULL, b_ = 0x84222325cbf29ce4ULL;
};

}  // namespace infersweep::predict
