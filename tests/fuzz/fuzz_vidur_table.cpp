// Vidur's prediction tables (<op>_<hash>_predictions.csv), with one and with two key columns.
#include "fuzz_support.hpp"
#include "infersweep/predict/vidur_table_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infersweep;
  const auto path = fuzz::write_input(data, size, "table.csv");
  fuzz::refuse_or_accept([&] { predict::read_prediction_table(path, "mlp_up_proj", {"num_tokens"}); });
  fuzz::refuse_or_accept([&] { predict::read_prediction_table(path, "attn_decode", {"batch_size", "kv_cache_size"}); });
  return 0;
}
