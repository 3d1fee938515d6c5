#pragma once
// What a KV transfer between the pools of a disaggregated deployment costs (docs/disaggregation.md):
//
//   bytes    = tokens x layers x KV heads x head size x 2 (K and V) x 2 bytes (fp16)
//   time     = latency + bytes / (min(prefill GPUs, decode GPUs) x per-GPU bandwidth)
//
// Each GPU of a replica holds its share of the layers (PP) and KV heads (TP) and sends or
// receives it over its own link, so a replica's endpoint carries its GPUs x the per-GPU
// bandwidth, and a transfer goes at the pace of the smaller end.
#include <cstdint>

#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::sim {

struct KvLink {
  double bytes_per_token = 0;  // the whole model's, every layer and KV head
  double gpu_bytes_per_s = 0;  // per GPU and direction
  double latency_s = 0;
  int64_t prefill_gpus = 0, decode_gpus = 0;  // per replica
  bool instant = false;                       // kv-transfer none

  double sender_bytes_per_s() const { return static_cast<double>(prefill_gpus) * gpu_bytes_per_s; }
  double receiver_bytes_per_s() const { return static_cast<double>(decode_gpus) * gpu_bytes_per_s; }
  // A transfer alone on the link.
  double path_bytes_per_s() const;
  double transfer_time_s(int64_t tokens) const;
};

// The link of a disaggregated setup (setup.disaggregated()), from its node specs and settings.
KvLink kv_link(const SimulationSetup& setup);

}  // namespace infersweep::sim
