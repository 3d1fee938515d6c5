// Grid YAML files. Traces named in the grid are looked up next to it, where a valid one waits.
#include "fuzz_support.hpp"
#include "infersweep/search/grid_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  static const bool trace_written = [] {
    const std::string trace = "num_prefill_tokens,num_decode_tokens\n100,20\n3000,400\n";
    fuzz::write_input(reinterpret_cast<const uint8_t*>(trace.data()), trace.size(), "trace.csv");
    return true;
  }();
  (void)trace_written;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto dir = fuzz::scratch_dir().string();
  fuzz::refuse_or_accept([&] { search::parse_grid_text(text, dir + "/grid.yaml", dir, search::GridPaths{dir}); });
  return 0;
}
