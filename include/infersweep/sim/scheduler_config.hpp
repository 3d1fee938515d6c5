#pragma once
// Parameters of the replica schedulers; each scheduler reads the ones that apply to it.
#include <cstdint>
#include <string>

namespace infersweep::sim {

struct SchedulerConfig {
  std::string replica_scheduler = "sarathi";  // vllm | orca | sarathi | lightllm | faster_transformer
  std::string global_scheduler = "round_robin";  // round_robin | random | lor
  int64_t batch_size_cap = 128;
  int64_t block_size = 16;  // lightllm requires 1
  double watermark_blocks_fraction = 0.01;
  int64_t num_blocks = 0;  // 0: from the memory planner
  int64_t max_tokens_in_batch = 4096;  // vllm, lightllm
  int64_t chunk_size = 512;            // sarathi
  int64_t max_waiting_iters = 10;      // lightllm
};

}  // namespace infersweep::sim
