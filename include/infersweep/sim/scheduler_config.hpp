#pragma once
// Parameters of the schedulers; each replica scheduler reads the ones its traits list.
#include <cstdint>
#include <string>

#include "infersweep/config/setting.hpp"

namespace infersweep::sim {

struct SchedulerConfig {
  std::string replica_scheduler = "sarathi";
  std::string global_scheduler = "round_robin";
  int64_t batch_size_cap = 128;
  int64_t block_size = 16;
  double watermark_blocks_fraction = 0.01;
  int64_t num_blocks = 0;  // 0: from the memory planner
  int64_t max_tokens_in_batch = 4096;
  int64_t chunk_size = 512;
  int64_t max_waiting_iters = 10;
  bool prefix_caching = false;  // automatic prefix caching, for the schedulers that read it
  // Routing, for the global schedulers that read them (docs/routing.md).
  int64_t route_balance_abs_tokens = 16384;
  double route_balance_rel = 1.5;
  double route_cache_threshold = 0.3;
  // vLLM V1's step limits (defaults of vLLM v0.11.0's OpenAI server on GPUs of >= 70 GiB).
  int64_t max_num_batched_tokens = 8192;
  int64_t max_num_seqs = 1024;
  int64_t long_prefill_token_threshold = 0;  // 0: a prompt chunk is limited by the budget alone
};

const config::SettingGroup<SchedulerConfig>& scheduler_settings();

}  // namespace infersweep::sim
