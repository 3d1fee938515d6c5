#pragma once
// Facts about models, GPUs and nodes, loaded from data/ (see data/README.md for the format).
#include <cstdint>
#include <string>

namespace infersweep::spec {

struct ModelSpec {
  std::string name;  // Hugging Face id, e.g. meta-llama/Llama-2-7b-hf
  int64_t num_layers = 0;
  int64_t num_q_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t hidden_size = 0;
  int64_t mlp_hidden_size = 0;
  bool gated_mlp = true;
  int64_t vocab_size = 0;
  std::string norm;  // rms_norm | layer_norm
  bool post_attention_norm = true;
  int64_t max_position_embeddings = 0;
  std::string source_file;

  int64_t head_dim() const { return hidden_size / num_q_heads; }
  bool is_gqa() const { return num_q_heads > num_kv_heads; }
};

struct GpuSpec {
  std::string name;  // a100, h100, a40
  std::string description;
  double fp16_tflops = 0;            // dense peak
  double memory_gib = 0;             // total device memory in GiB (2^30 bytes)
  double memory_bandwidth_gbps = 0;  // HBM, GB/s (1e9 bytes/s)
  int64_t sm_count = 0;              // streaming multiprocessors: kernels run in waves over them
  double price_per_hour = 0;         // USD per GPU-hour
  std::string price_source;
  std::string price_date;
  std::string source_file;

  double memory_bytes() const { return memory_gib * 1024.0 * 1024.0 * 1024.0; }
};

struct NodeSpec {
  std::string name;  // a100_dgx, ...
  std::string gpu;
  int64_t devices_per_node = 0;
  double intra_node_bandwidth_gbps = 0;  // per GPU, per direction
  double intra_node_latency_us = 0;
  double inter_node_bandwidth_gbps = 0;  // per GPU, per direction
  double inter_node_latency_us = 0;
  // The node whose measured network profiles (all-reduce, send/recv) stand in for this one's:
  // its own name unless the spec borrows another node's, such as an H200 node the H100
  // node of the same NVLink and NVSwitch generation.
  std::string network_profile;
  std::string source_file;
};

}  // namespace infersweep::spec
