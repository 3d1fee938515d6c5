// Vidur's profiling CSVs (mlp, attention, all_reduce, send_recv, cpu_overheads), read for
// Llama-2-7b at TP1 and TP2 as the learned predictor reads them.
#include "fuzz_support.hpp"
#include "infersweep/predict/profiling_data.hpp"
#include "infersweep/spec/spec_catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  static const auto model = spec::read_model_spec(INFERSWEEP_FUZZ_DATA_DIR "/models/llama-2-7b.ini");
  const auto path = fuzz::write_input(data, size, "profile.csv");
  for (const int64_t tp : {1, 2}) {
    fuzz::refuse_or_accept([&] { predict::read_mlp_profile(path, model, tp); });
    fuzz::refuse_or_accept([&] { predict::read_attention_profile(path, model, tp, 16); });
    fuzz::refuse_or_accept([&] { predict::read_all_reduce_profile(path, model, tp); });
    fuzz::refuse_or_accept([&] { predict::read_cpu_overhead_profile(path, model, tp); });
  }
  fuzz::refuse_or_accept([&] { predict::read_send_recv_profile(path, model, false); });
  return 0;
}
