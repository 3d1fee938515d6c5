#pragma once
// Grid text for the search tests: a small space on Llama-2-7B with the analytic predictor, so
// that searches take milliseconds; tests override what they exercise.
#include <string>

#include "infersweep/search/grid_spec.hpp"
#include "test_support.hpp"

namespace infersweep::test_support {

inline std::string small_grid_text(const std::string& extra = "", int64_t num_requests = 400) {
  return "models:\n"
         "  - name: llama-2-7b\n"
         "    identifier: meta-llama/Llama-2-7b-hf\n"
         "traces:\n"
         "  - name: conv\n"
         "    trace_file: " +
         vidur_trace("splitwise_conv.csv") +
         "\n"
         "    max_seq_len: 4096\n"
         "    num_requests: " +
         std::to_string(num_requests) +
         "\n"
         "    start_qps: 4\n"
         "clusters:\n"
         "  - device: a100\n"
         "    num_gpus: 4\n"
         "schedulers:\n"
         "  - scheduler: vllm\n"
         "  - scheduler: sarathi\n"
         "    chunk_size: 512\n"
         "tp_dimensions: [1, 2]\n"
         "pp_dimensions: [1, 2]\n"
         "batch_sizes: [64]\n"
         "predictor:\n"
         "  name: roofline\n" +
         extra;
}

inline search::GridSpec small_grid(const std::string& extra = "", int64_t num_requests = 400) {
  return search::parse_grid_text(small_grid_text(extra, num_requests), "small.yaml", ".");
}

}  // namespace infersweep::test_support
