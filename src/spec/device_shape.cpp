#include "infersweep/spec/device_shape.hpp"

namespace infersweep::spec {

DeviceShape device_shape(const ModelSpec& m, int64_t tensor_parallel, int64_t pipeline_parallel) {
  const int64_t tp = tensor_parallel;
  DeviceShape d;
  d.q_heads = m.num_q_heads / tp;
  d.kv_heads = (m.num_kv_heads + tp - 1) / tp;
  d.head_dim = m.head_dim();
  d.hidden_size = m.hidden_size;
  d.mlp_hidden_size = m.mlp_hidden_size / tp;
  d.layers_per_stage = m.num_layers / pipeline_parallel;
  // The MLP term divides the whole product by TP, not the width first (they differ where TP does
  // not divide the width).
  const int64_t h = d.hidden_size, hd = d.head_dim;
  const int64_t mlp_matrices = m.gated_mlp ? 3 : 2;
  const int64_t per_layer =
      h * hd * (d.q_heads + 2 * d.kv_heads) + h * hd * d.q_heads + mlp_matrices * h * m.mlp_hidden_size / tp;
  d.parameters = per_layer * d.layers_per_stage;
  return d;
}

}  // namespace infersweep::spec
