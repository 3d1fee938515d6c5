// A --config file of simulate's options (key = value lines), read as the command line reads it.
#include "fuzz_support.hpp"
#include "infersweep/cli/simulate_command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "options.conf");
  fuzz::refuse_or_accept([&] { cli::parse_simulate_options({"--config", path}); });
  return 0;
}
