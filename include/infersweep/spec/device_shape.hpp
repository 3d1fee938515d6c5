#pragma once
// The part of a model one GPU holds under tensor parallelism (TP) and pipeline parallelism (PP):
// computed once here for the memory planner, the predictors and the simulator's MFU.
#include <cstdint>

#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::spec {

struct DeviceShape {
  int64_t q_heads = 0;           // num_q_heads / TP
  int64_t kv_heads = 0;          // num_kv_heads / TP rounded up: a KV head is replicated, not split
  int64_t head_dim = 0;          // hidden_size / num_q_heads
  int64_t hidden_size = 0;       // not sharded
  int64_t mlp_hidden_size = 0;   // mlp_hidden_size / TP
  int64_t layers_per_stage = 0;  // num_layers / PP
  // Weights one GPU holds: attention and MLP matrices of its layers, sharded by TP. Embeddings,
  // norms and the LM head are not counted (as in Vidur).
  int64_t parameters = 0;
};

// Integer divisions, as the parallelism checks leave them (TP divides the heads and the hidden
// size, PP the layers).
DeviceShape device_shape(const ModelSpec& model, int64_t tensor_parallel, int64_t pipeline_parallel);

}  // namespace infersweep::spec
