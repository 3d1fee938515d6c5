// The model, GPU and node spec files (.ini key = value).
#include "fuzz_support.hpp"
#include "infersweep/spec/spec_catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "spec.ini");
  fuzz::refuse_or_accept([&] { spec::read_model_spec(path); });
  fuzz::refuse_or_accept([&] { spec::read_gpu_spec(path); });
  fuzz::refuse_or_accept([&] { spec::read_node_spec(path); });
  return 0;
}
