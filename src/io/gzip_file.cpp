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

}  // namespace

std::string gunzip(const std::string& compressed, const std::string& source, int64_t max_bytes) {
  auto fail = [&](const std::string& what) { return InputError::in_file(source, 0, "", what); };
  InflateStream stream;
  // 16 + MAX_WBITS: a gzip header and trailer (with its CRC) around the deflate data.
  if (inflateInit2(&stream.z, 16 + MAX_WBITS) != Z_OK) throw fail("cannot start gzip decompression");
  std::string out;
  size_t consumed = 0;
  char buffer[1 << 16];
  while (true) {
    const size_t chunk = std::min<size_t>(compressed.size() - consumed, 1u << 30);
    stream.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
    stream.z.avail_in = static_cast<uInt>(chunk);
    stream.z.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.z.avail_out = sizeof buffer;
    const int status = inflate(&stream.z, Z_NO_FLUSH);
    consumed += chunk - stream.z.avail_in;
    out.append(buffer, sizeof buffer - stream.z.avail_out);
    if (static_cast<int64_t>(out.size()) > max_bytes)
      throw fail("decompresses to more than " + std::to_string(max_bytes) + " bytes");
    if (status == Z_STREAM_END) {
      if (consumed == compressed.size()) return out;
      // Another member follows (gzip files may be concatenated).
      if (inflateReset(&stream.z) != Z_OK) throw fail("cannot continue gzip decompression");
      continue;
    }
    if (status == Z_OK) continue;
    // No progress with a fresh output buffer: the input ended inside a member.
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
