// A sweep's HDF5 results file through its public reader, on mutations of real sweep files.
#include "fuzz_support.hpp"
#include "infersweep/sweep/results_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "results.h5");
  // No writer races a fuzzed file, so no retries; and a short limit for reads HDF5 never ends.
  fuzz::refuse_or_accept([&] { sweep::read_results_file(path, {1, 2}); });
  return 0;
}
