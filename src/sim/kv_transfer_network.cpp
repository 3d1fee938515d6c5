#include "infersweep/sim/kv_transfer_network.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "infersweep/common/error.hpp"

namespace infersweep::sim {

KvTransferNetwork::KvTransferNetwork(std::vector<double> sender_bytes_per_s, std::vector<double> receiver_bytes_per_s)
    : sender_capacity_(std::move(sender_bytes_per_s)),
      receiver_capacity_(std::move(receiver_bytes_per_s)),
      sending_(sender_capacity_.size(), 0),
      receiving_(receiver_capacity_.size(), 0) {}

void KvTransferNetwork::start(double now, RequestId id, int32_t sender, int32_t receiver, double bytes) {
  if (sender < 0 || static_cast<size_t>(sender) >= sender_capacity_.size() || receiver < 0 ||
      static_cast<size_t>(receiver) >= receiver_capacity_.size())
    throw SimulationError("KV transfer of request " + std::to_string(id) + " between unknown replicas");
  advance(now);
  active_.push_back(Transfer{id, sender, receiver, bytes});
  ++sending_[static_cast<size_t>(sender)];
  ++receiving_[static_cast<size_t>(receiver)];
  reshare(now);
}

void KvTransferNetwork::complete(double now, std::vector<RequestId>& done) {
  advance(now);
  size_t kept = 0;
  bool any = false;
  for (auto& t : active_) {
    if (t.finish <= now) {
      done.push_back(t.id);
      --sending_[static_cast<size_t>(t.sender)];
      --receiving_[static_cast<size_t>(t.receiver)];
      any = true;
    } else {
      active_[kept++] = t;
    }
  }
  active_.resize(kept);
  if (any) reshare(now);
}

void KvTransferNetwork::advance(double now) {
  const double elapsed = now - last_update_;
  if (elapsed > 0)
    for (auto& t : active_) t.remaining_bytes = std::max(0.0, t.remaining_bytes - t.rate * elapsed);
  last_update_ = now;
}

void KvTransferNetwork::reshare(double now) {
  ++version_;
  next_completion_ = std::numeric_limits<double>::infinity();
  for (auto& t : active_) {
    const double by_sender = sender_capacity_[static_cast<size_t>(t.sender)] / sending_[static_cast<size_t>(t.sender)];
    const double by_receiver =
        receiver_capacity_[static_cast<size_t>(t.receiver)] / receiving_[static_cast<size_t>(t.receiver)];
    t.rate = std::min(by_sender, by_receiver);
    t.finish = now + t.remaining_bytes / t.rate;
    next_completion_ = std::min(next_completion_, t.finish);
  }
}

}  // namespace infersweep::sim
