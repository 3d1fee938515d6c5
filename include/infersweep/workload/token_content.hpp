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

}  // namespace infersweep::workload
