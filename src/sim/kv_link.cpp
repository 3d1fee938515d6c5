#include "infersweep/sim/kv_link.hpp"

#include <algorithm>

namespace infersweep::sim {

double KvLink::path_bytes_per_s() const { return std::min(sender_bytes_per_s(), receiver_bytes_per_s()); }

double KvLink::transfer_time_s(int64_t tokens) const {
  if (instant) return 0;
  return latency_s + static_cast<double>(tokens) * bytes_per_token / path_bytes_per_s();
}

KvLink kv_link(const SimulationSetup& setup) {
  KvLink link;
  const auto& model = setup.model;
  constexpr double fp16_bytes = 2;
  link.bytes_per_token =
      static_cast<double>(model.num_layers * model.num_kv_heads * model.head_dim()) * 2.0 * fp16_bytes;
  const auto& d = setup.config.disaggregation;
  link.instant = d.kv_transfer == "none";
  const auto& p = setup.config.parallel;
  link.prefill_gpus = p.tensor_parallel * p.pipeline_parallel;
  if (setup.decode_pool) {
    const auto& q = setup.decode_pool->config.parallel;
    link.decode_gpus = q.tensor_parallel * q.pipeline_parallel;
  }
  const auto& from = setup.node;
  const auto& to = setup.decode_pool ? setup.decode_pool->node : setup.node;
  double gbps = 0, latency_us = 0;
  if (d.kv_link == "intra_node") {
    gbps = from.intra_node_bandwidth_gbps;
    latency_us = from.intra_node_latency_us;
  } else {
    gbps = std::min(from.inter_node_bandwidth_gbps, to.inter_node_bandwidth_gbps);
    latency_us = std::max(from.inter_node_latency_us, to.inter_node_latency_us);
  }
  if (d.kv_link_bandwidth_gbps > 0) gbps = d.kv_link_bandwidth_gbps;
  link.gpu_bytes_per_s = gbps * 1e9;
  link.latency_s = latency_us * 1e-6;
  return link;
}

}  // namespace infersweep::sim
