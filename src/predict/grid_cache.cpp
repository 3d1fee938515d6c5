#include "infersweep/predict/grid_cache.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "infersweep/common/random_stream.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "infersweep prediction grid 1\n";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

std::string default_cache_dir() {
  if (auto d = env("INFERSWEEP_CACHE_DIR"); !d.empty()) return d;
  if (auto d = env("XDG_CACHE_HOME"); !d.empty()) return d + "/infersweep";
  if (auto d = env("HOME"); !d.empty()) return d + "/.cache/infersweep";
  return {};
}

void ContentHash::add(const std::string& bytes) {
  for (unsigned char c : bytes) {
    a_ = (a_ ^ c) * 0x100000001b3ULL;
    b_ = (b_ ^ static_cast<unsigned char>(c + 0x5b)) * 0x100000001b3ULL;
  }
  // Length-delimit, so that add("ab"), add("c") differs from add("a"), add("bc").
  const std::string length = "#" + std::to_string(bytes.size()) + "#";
  for (unsigned char c : length) a_ = (a_ ^ c) * 0x100000001b3ULL, b_ = (b_ ^ c) * 0x100000001b3ULL;
}

void ContentHash::add_file(const std::string& path) { add(io::read_file_bytes(path)); }

std::string ContentHash::hex() const {
  std::ostringstream out;
  out << std::hex << std::setfill('0') << std::setw(16) << a_ << std::setw(16) << b_;
  return out.str();
}

std::optional<std::string> read_cache_entry(const std::string& dir, const std::string& name, const std::string& key) {
  if (dir.empty()) return std::nullopt;
  const auto read = io::try_read_file_bytes((fs::path(dir) / name).string());
  if (!read) return std::nullopt;
  const std::string& bytes = *read;
  const std::string header = std::string(kMagic) + key + "\n";
  if (bytes.compare(0, header.size(), header) != 0) return std::nullopt;
  if (bytes.size() < header.size() + 2 * sizeof(uint64_t)) return std::nullopt;
  uint64_t size = 0, sum = 0;
  std::memcpy(&size, bytes.data() + header.size(), sizeof size);
  if (size != bytes.size() - header.size() - 2 * sizeof(uint64_t)) return std::nullopt;
  std::string payload = bytes.substr(header.size() + sizeof size, size);
  std::memcpy(&sum, bytes.data() + header.size() + sizeof size + size, sizeof sum);
  if (sum != fnv1a64(payload)) return std::nullopt;
  return payload;
}

bool write_cache_entry(const std::string& dir, const std::string& name, const std::string& key,
                       const std::string& payload) {
  if (dir.empty()) return false;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const uint64_t size = payload.size(), sum = fnv1a64(payload);
  std::string entry = std::string(kMagic) + key + "\n";
  entry.append(reinterpret_cast<const char*>(&size), sizeof size);
  entry += payload;
  entry.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  return io::try_write_file_atomically((fs::path(dir) / name).string(), entry);
}

}  // namespace infersweep::predict
