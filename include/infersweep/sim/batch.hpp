#pragma once
// A set of requests run together for one iteration on one replica; each request contributes
// some tokens (a prompt chunk or one decode token).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/predict/batch_timing.hpp"
#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

using BatchId = int64_t;

// What a replica scheduler proposes; the simulation turns it into a Batch with an id.
struct BatchDraft {
  std::vector<RequestId> request_ids;
  std::vector<int64_t> num_tokens;
  int64_t group = -1;  // static-batching group (FasterTransformer), else -1

  void add(RequestId id, int64_t tokens) {
    request_ids.push_back(id);
    num_tokens.push_back(tokens);
  }
  size_t size() const { return request_ids.size(); }
  bool empty() const { return request_ids.empty(); }
};

struct Batch {
  BatchId id = 0;
  int32_t replica_id = 0;
  std::vector<RequestId> request_ids;
  std::vector<int64_t> num_tokens;
  int64_t total_tokens = 0;
  int64_t prefill_tokens = 0;  // tokens of requests whose prefill was incomplete at creation
  double scheduled_at = 0;
  bool has_timing = false;
  predict::BatchTiming timing;
  double stage_flops = 0;  // work of one pipeline stage, for MFU; set with timing
  bool finished = false;   // left the last stage
  int64_t group = -1;      // static-batching group (FasterTransformer), else -1

  int64_t decode_tokens() const { return total_tokens - prefill_tokens; }
  size_t size() const { return request_ids.size(); }
};

// The batch for an error message: its id, replica, size and tokens, then each request with its
// id, the tokens it runs in this iteration (prefill or decode), its context (tokens processed
// before) and its prompt and output lengths, as the requests stand before the batch runs.
std::string describe_batch(const Batch& batch, const std::vector<Request>& requests);

}  // namespace infersweep::sim
