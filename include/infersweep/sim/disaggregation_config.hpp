#pragma once
// Prefill/decode disaggregation: a separate pool of replicas that only decode. With
// decode_replicas > 0 the deployment's own settings (replicas, gpu, node, tp, pp, scheduler)
// describe the prefill pool; a request is prefilled there, its KV cache is sent over a link to a
// decode replica, and it decodes there. docs/disaggregation.md describes the model.
#include <cstdint>
#include <string>

#include "infersweep/config/setting.hpp"

namespace infersweep::sim {

struct DisaggregationConfig {
  int64_t decode_replicas = 0;  // 0: prefill and decode co-located on every replica
  // The decode pool's own deployment; empty or 0: the prefill pool's value.
  std::string decode_gpu;
  std::string decode_node;
  int64_t decode_tp = 0;
  int64_t decode_pp = 0;
  std::string decode_scheduler;
  int64_t decode_batch_size_cap = 0;
  std::string decode_router = "least_kv";  // picks the decode replica of a prefilled request
  // How the KV cache travels: whole (after the prefill), layerwise (each layer as soon as it is
  // computed, overlapping the last prefill iteration), or none (instantly: a bound, not a link).
  std::string kv_transfer = "whole";
  std::string kv_link = "inter_node";  // inter_node (the nodes' network) or intra_node (NVLink)
  double kv_link_bandwidth_gbps = 0;   // per GPU and direction; 0: the node spec's for the link
};

const config::SettingGroup<DisaggregationConfig>& disaggregation_settings();

// The transfer modes and links, as the settings accept them.
inline constexpr const char* kv_transfer_modes[] = {"whole", "layerwise", "none"};
inline constexpr const char* kv_links[] = {"inter_node", "intra_node"};

}  // namespace infersweep::sim
