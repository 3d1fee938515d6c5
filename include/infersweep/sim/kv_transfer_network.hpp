#pragma once
// The links that carry KV caches from prefill replicas to decode replicas. Every replica has one
// endpoint whose capacity is its GPUs times the per-GPU link bandwidth; a transfer moves its
// bytes at an equal share of the busier of its two endpoints (the sender's capacity over the
// transfers it sends, or the receiver's over those it receives, whichever is smaller), and the
// shares are recomputed whenever a transfer starts or ends. See docs/disaggregation.md.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

class KvTransferNetwork {
 public:
  KvTransferNetwork() = default;
  // Capacities in bytes per second, one per sender (prefill replica) and receiver (decode replica).
  KvTransferNetwork(std::vector<double> sender_bytes_per_s, std::vector<double> receiver_bytes_per_s);

  // Starts sending `bytes` of request `id` at `now`.
  void start(double now, RequestId id, int32_t sender, int32_t receiver, double bytes);
  // When the next transfer will have sent its last byte, as shares stand; +inf if none is active.
  double next_completion() const { return next_completion_; }
  // Ends the transfers whose bytes are all sent by `now` (a time next_completion() returned, or
  // later) and appends their requests to `done`, in the order they started.
  void complete(double now, std::vector<RequestId>& done);
  // Changes with every start and completion: a completion foreseen under an older version is stale.
  uint64_t version() const { return version_; }
  size_t num_active() const { return active_.size(); }
  // Transfers the sender or receiver is part of right now.
  int32_t sending(int32_t sender) const { return sending_[static_cast<size_t>(sender)]; }
  int32_t receiving(int32_t receiver) const { return receiving_[static_cast<size_t>(receiver)]; }

 private:
  struct Transfer {
    RequestId id;
    int32_t sender, receiver;
    double remaining_bytes;
    double rate = 0;    // bytes per second under the current shares
    double finish = 0;  // when its last byte is sent at that rate
  };
  // Brings every active transfer's remaining bytes to `now` at its current rate.
  void advance(double now);
  // New shares and finish times from `now`.
  void reshare(double now);

  std::vector<double> sender_capacity_, receiver_capacity_;
  std::vector<int32_t> sending_, receiving_;
  std::vector<Transfer> active_;  // in start order
  double last_update_ = 0;
  double next_completion_ = std::numeric_limits<double>::infinity();
  uint64_t version_ = 0;
};

}  // namespace infersweep::sim
