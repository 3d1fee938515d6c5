// Trace CSVs through every reader of them: the length trace, trace_replay, the interval trace
// of a synthetic workload, and Azure's traces.
#include "fuzz_support.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "trace.csv");
  fuzz::refuse_or_accept([&] { workload::read_length_trace(path); });

  workload::WorkloadConfig replay;
  replay.generator = "trace_replay";
  replay.trace_file = path;
  fuzz::refuse_or_accept([&] { workload::generate_workload(replay); });

  workload::WorkloadConfig synthetic;
  synthetic.length_generator = "trace";
  synthetic.length_trace_file = path;
  synthetic.interval_generator = "trace";
  synthetic.interval_trace_file = path;
  synthetic.num_requests = 64;
  fuzz::refuse_or_accept([&] { workload::generate_workload(synthetic); });

  workload::WorkloadConfig azure;
  azure.generator = "azure_trace";
  azure.trace_file = path;
  fuzz::refuse_or_accept([&] { workload::generate_workload(azure); });
  return 0;
}
