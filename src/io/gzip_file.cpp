#include "infersweep/io/gzip_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::io {

namespace {

struct InflateStream {
  z_stream z{};
  InflateStream() = default;
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  ~InflateStream() { inflateEnd(&z); }
};

// A first size for the output: a gzip trailer ends with the last member's size modulo 2^32,
// which for one member of a table is the whole size. Damaged data may claim anything, so the
// claim is capped; a wrong guess only costs a reallocation.
size_t initial_size(const std::string& compressed, int64_t max_bytes) {
  const size_t cap = std::min<size_t>(static_cast<size_t>(max_bytes) + 1, 64 * compressed.size() + (1u << 16));
  if (compressed.size() < 18) return cap;
  const auto* trailer = reinterpret_cast<const unsigned char*>(compressed.data() + compressed.size() - 4);
  const uint32_t claimed =
      uint32_t{trailer[0]} | uint32_t{trailer[1]} << 8 | uint32_t{trailer[2]} << 16 | uint32_t{trailer[3]} << 24;
  // One byte more than claimed, so that a right claim ends the stream before the buffer is full.
  return std::min<size_t>(cap, size_t{claimed} + 1);
}

}  // namespace

std::string gunzip(const std::string& compressed, const std::string& source, int64_t max_bytes) {
  auto fail = [&](const std::string& what) { return InputError::in_file(source, 0, "", what); };
  InflateStream stream;
  // 16 + MAX_WBITS: a gzip header and trailer (with its CRC) around the deflate data.
  if (inflateInit2(&stream.z, 16 + MAX_WBITS) != Z_OK) throw fail("cannot start gzip decompression");
  // Inflated straight into the result; more than max_bytes + 1 bytes are never needed to tell
  // that the data is too large.
  const size_t limit = static_cast<size_t>(max_bytes) + 1;
  std::string out(initial_size(compressed, max_bytes), '\0');
  size_t produced = 0;
  size_t consumed = 0;
  while (true) {
    if (produced == out.size()) out.resize(std::min(limit, std::max<size_t>(2 * out.size(), 1u << 16)));
    const size_t chunk = std::min<size_t>(compressed.size() - consumed, 1u << 30);
    const size_t room = std::min<size_t>(out.size() - produced, 1u << 30);
    stream.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
    stream.z.avail_in = static_cast<uInt>(chunk);
    stream.z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.z.avail_out = static_cast<uInt>(room);
    const int status = inflate(&stream.z, Z_NO_FLUSH);
    consumed += chunk - stream.z.avail_in;
    produced += room - stream.z.avail_out;
    if (static_cast<int64_t>(produced) > max_bytes)
      throw fail("decompresses to more than " + std::to_string(max_bytes) + " bytes");
    if (status == Z_STREAM_END) {
      if (consumed == compressed.size()) {
        out.resize(produced);
        return out;
      }
      // Another member follows (gzip files may be concatenated).
      if (inflateReset(&stream.z) != Z_OK) throw fail("cannot continue gzip decompression");
      continue;
    }
    if (status == Z_OK) continue;
    // No progress although there was room for output: the input ended inside a member.
    if (status == Z_BUF_ERROR && consumed == compressed.size())
      throw fail(compressed.empty() ? "is empty, expected gzip data" : "gzip data is truncated");
    const std::string detail = stream.z.msg ? stream.z.msg : "error " + std::to_string(status);
    throw fail("is not valid gzip data (" + detail + ")");
  }
}

std::string read_gzip_file(const std::string& path, int64_t max_bytes) {
  return gunzip(read_file_bytes(path), path, max_bytes);
}

bool is_gzip_path(const std::string& path) { return path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0; }

}  // namespace infersweep::io
