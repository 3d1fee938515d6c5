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
  // Its first `count` requests are the decodes that its replica's previous batch end left
  // running, in that order (Simulation's decode runs): their last token came out at
  // `last_token_at`, their contexts summed `processed_sum` when it was formed, and the closest
  // of them to completion had `until_completion` tokens to go. Zero count: none known.
  struct LeadingDecodes {
    int64_t count = 0;
    int64_t processed_sum = 0;
    int64_t until_completion = 0;
    double last_token_at = 0;
  } leading_decodes;

  // How many of its first requests its end leaves running, known without reading them: its
  // leading decodes when none of them completes in it.
  size_t known_staying() const {
    return leading_decodes.until_completion > 1 ? static_cast<size_t>(leading_decodes.count) : 0;
  }

  int64_t decode_tokens() const { return total_tokens - prefill_tokens; }
  size_t size() const { return request_ids.size(); }
};

// The batch for an error message: its id, replica, size and tokens, then each request with its
// id, the tokens it runs in this iteration (prefill or decode), its context (tokens processed
// before) and its prompt and output lengths, as the requests stand before the batch runs.
std::string describe_batch(const Batch& batch, const std::vector<Request>& requests);

}  // namespace infersweep::sim
