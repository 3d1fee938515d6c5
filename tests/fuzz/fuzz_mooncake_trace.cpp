// Mooncake JSON-lines traces through their reader and the mooncake_trace generator, with the
// published block size and a small one.
#include "fuzz_support.hpp"
#include "infersweep/workload/request_generator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "trace.jsonl");
  for (const int64_t block_size : {512, 16}) {
    workload::WorkloadConfig c;
    c.generator = "mooncake_trace";
    c.trace_file = path;
    c.trace_block_size = block_size;
    c.max_tokens = 4096;
    fuzz::refuse_or_accept([&] { workload::generate_workload(c); });
  }
  return 0;
}
