#pragma once
// Which tokens of a request are the same tokens as another request's. Traces carry lengths,
// not text, so sharing is described by content streams: a span says that a run of the
// request's tokens is tokens [offset, offset + length) of stream `stream` (a system prompt, a
// conversation, or a hashed block of a trace). Two requests share a KV block exactly when the
// block's tokens, and every token before them, come from the same streams at the same offsets.
#include <cstdint>
#include <vector>

namespace infersweep::workload {

struct ContentSpan {
  uint64_t stream = 0;
  int64_t offset = 0;
  int64_t length = 0;
};

// The spans of one request, in token order from its first prompt token. They may cover fewer
// tokens than prompt + output: the tokens after the last span belong to the request alone.
using TokenContent = std::vector<ContentSpan>;

// Stream keys. The top four bits of a key name the source of the stream, the other 60 bits its
// number within that source, so that streams of different sources never share a key: system
// prompt 3 and conversation 3 are different streams, and no workload stream can be mistaken
// for a request's own tokens.
enum class StreamSource : uint64_t {
  request = 0,        // a request's own tokens (number: the request id), keyed by the KV side
  system_prompt = 1,  // conversation workloads: system prompt p
  conversation = 2,   // conversation workloads: session s, its messages and outputs in order
  trace_block = 3,    // Mooncake traces: the block of one hash id
};

inline constexpr int kStreamSourceShift = 60;
inline constexpr uint64_t kMaxStreamNumber = (uint64_t{1} << kStreamSourceShift) - 1;

// The key of stream `number` (at most kMaxStreamNumber) of `source`.
constexpr uint64_t stream_key(StreamSource source, uint64_t number) {
  return (static_cast<uint64_t>(source) << kStreamSourceShift) | (number & kMaxStreamNumber);
}

constexpr StreamSource stream_source(uint64_t key) { return static_cast<StreamSource>(key >> kStreamSourceShift); }

}  // namespace infersweep::workload
