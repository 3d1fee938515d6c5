#include "infersweep/sim/batch.hpp"

namespace infersweep::sim {

std::string describe_batch(const Batch& batch, const std::vector<Request>& requests) {
  std::string text = "batch " + std::to_string(batch.id) + " on replica " + std::to_string(batch.replica_id) + " (" +
                     std::to_string(batch.size()) + " requests, " + std::to_string(batch.total_tokens) +
                     " tokens: " + std::to_string(batch.prefill_tokens) + " prefill, " +
                     std::to_string(batch.decode_tokens()) + " decode):";
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& r = requests[static_cast<size_t>(batch.request_ids[i])];
    text += (i == 0 ? " request " : "; request ") + std::to_string(r.id) + ": " + std::to_string(batch.num_tokens[i]) +
            (r.is_prefill_complete ? " decode" : " prefill") + (batch.num_tokens[i] == 1 ? " token" : " tokens") +
            " at context " + std::to_string(r.num_processed_tokens) + " (prompt " +
            std::to_string(r.num_prefill_tokens) + ", output " + std::to_string(r.num_decode_tokens) + ")";
  }
  return text;
}

}  // namespace infersweep::sim
