#include "infersweep/sim/disaggregation_config.hpp"

#include <iterator>
#include <vector>

#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::sim {

namespace {

template <size_t N>
std::function<std::vector<std::string>()> listed(const char* const (&names)[N]) {
  return [&names] { return std::vector<std::string>(std::begin(names), std::end(names)); };
}

config::SettingGroup<DisaggregationConfig> declare() {
  using config::Identity;
  using D = DisaggregationConfig;
  config::SettingGroup<D> g("Disaggregation");
  g.add(&D::decode_replicas, "decode-replicas", Identity::config(),
        "replicas of a separate decode pool; with it, replicas, gpu, node, tp, pp and the scheduler settings "
        "describe the prefill pool (0: every replica prefills and decodes)")
      .non_negative();
  g.add(&D::decode_gpu, "decode-gpu", Identity::config(), "GPU SKU of the decode pool")
      .default_note("the prefill pool's");
  g.add(&D::decode_node, "decode-node", Identity::config(), "node SKU of the decode pool")
      .default_note("the prefill pool's node for the same GPU, else the decode GPU's default node");
  g.add(&D::decode_tp, "decode-tp", Identity::config(), "tensor-parallel GPUs per stage of a decode replica")
      .non_negative()
      .default_note("0: the prefill pool's");
  g.add(&D::decode_pp, "decode-pp", Identity::config(), "pipeline-parallel stages of a decode replica")
      .non_negative()
      .default_note("0: the prefill pool's");
  g.add(&D::decode_scheduler, "decode-scheduler", Identity::config(),
        "replica scheduler of the decode pool (one that takes prefilled requests: vllm, sarathi, vllm_v1)")
      .default_note("the prefill pool's");
  g.add(&D::decode_batch_size_cap, "decode-batch-size-cap", Identity::config(),
        "most requests in flight per decode replica")
      .non_negative()
      .unit("requests")
      .default_note("0: the prefill pool's batch-size-cap");
  g.add(&D::decode_router, "decode-router", Identity::config(),
        "how a prefilled request's decode replica is chosen (a global scheduler: least_kv, "
        "least_outstanding_tokens, round_robin, ...)")
      .plugins([] { return builtin_global_schedulers().names(); });
  g.add(&D::kv_transfer, "kv-transfer", Identity::config(),
        "how the KV cache reaches the decode replica: whole (after the prefill), layerwise (each layer as it is "
        "computed, overlapping the last prefill iteration) or none (instantly, a bound)")
      .choices(listed(kv_transfer_modes));
  g.add(&D::kv_link, "kv-link", Identity::config(),
        "the link between the pools: inter_node (the nodes' network) or intra_node (NVLink; both replicas in one "
        "node)")
      .choices(listed(kv_links));
  g.add(&D::kv_link_bandwidth_gbps, "kv-link-bandwidth", Identity::config(),
        "bandwidth of the link per GPU and direction (0: the node spec's for that link)")
      .non_negative()
      .unit("GB/s");
  return g;
}

}  // namespace

const config::SettingGroup<DisaggregationConfig>& disaggregation_settings() {
  static const auto group = declare();
  return group;
}

}  // namespace infersweep::sim
