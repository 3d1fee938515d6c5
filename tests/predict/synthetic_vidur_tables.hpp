#pragma once
// A complete, small set of Vidur prediction tables as Vidur names and lays them out, with
// values that encode their keys, and a predictor context whose grid settings it fits.
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>

#include "infersweep/predict/learned_predictor.hpp"
#include "test_support.hpp"

namespace infersweep::test_support {

struct SyntheticTableGrid {
  int64_t max_tokens = 128;  // token operators at 1..max_tokens, contexts 0..max_tokens
  int64_t granularity = 64;
  int64_t max_batch = 4;
  int64_t max_chunk = 16;
  bool all_reduce = false;
  bool send_recv = false;
  bool gzip = false;  // write <op>_<hash>_predictions.csv.gz
};

// Token operator `op` (its TokenOp index) at n tokens: 0.001 n + op ms.
inline double synthetic_token_ms(int op, int64_t n) { return 0.001 * static_cast<double>(n) + op; }

inline void write_table_file(const std::string& path, const std::string& text, bool gzip) {
  if (!gzip) {
    std::ofstream(path) << text;
    return;
  }
  gzFile out = gzopen((path + ".gz").c_str(), "wb");
  gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
}

inline void write_synthetic_tables(const std::string& dir, const SyntheticTableGrid& g = {}) {
  auto token_table = [&](const std::string& name, int op) {
    std::ostringstream text;
    text << "num_tokens,prediction\n";
    for (int64_t n = 1; n <= g.max_tokens; ++n) text << n << "," << synthetic_token_ms(op, n) << "\n";
    write_table_file(dir + "/" + name + "_0123abcd_predictions.csv", text.str(), g.gzip);
  };
  for (int op = 0; op <= static_cast<int>(predict::TokenOp::attn_kv_cache_save); ++op)
    token_table(predict::token_op_name(static_cast<predict::TokenOp>(op)), op);
  if (g.all_reduce) token_table("all_reduce", 20);
  if (g.send_recv) token_table("send_recv", 30);
  std::ostringstream decode;
  decode << "batch_size,kv_cache_size,prediction\n";
  for (int64_t b = 1; b <= g.max_batch; ++b)
    for (int64_t kv = 0; kv <= g.max_tokens; kv += g.granularity)
      decode << b << "," << kv << "," << static_cast<double>(b) * 0.01 + static_cast<double>(kv) * 0.0001 << "\n";
  write_table_file(dir + "/attn_decode_89abcdef_predictions.csv", decode.str(), g.gzip);
  std::ostringstream prefill;
  prefill << "kv_cache_size,prefill_chunk_size_squared,prediction\n";
  for (int64_t kv = 0; kv <= g.max_tokens; kv += g.granularity)
    for (int64_t c = 1; c <= g.max_chunk; ++c)
      prefill << kv << "," << c * c << ".0," << static_cast<double>(kv) * 0.001 + static_cast<double>(c) * 0.01 << "\n";
  write_table_file(dir + "/attn_prefill_fedcba98_predictions.csv", prefill.str(), g.gzip);
  // Vidur's cache also holds training predictions, which the table predictor must ignore.
  std::ofstream(dir + "/mlp_up_proj_0123abcd_training_predictions.csv") << "num_tokens,x,prediction\n1,2,3\n";
}

// Llama-2-7b on an A100, TP 1 and PP 1 unless changed, with the grid settings of `g`.
inline predict::PredictorContext synthetic_table_context(const std::string& dir, const SyntheticTableGrid& g = {}) {
  predict::PredictorContext c;
  c.model = catalog().model("Llama-2-7b-hf");
  c.gpu = catalog().gpu("a100");
  c.config.name = "table";
  c.config.learned.table_dir = dir;
  c.config.learned.max_tokens_per_request = g.max_tokens;
  c.config.learned.max_batch_size = g.max_batch;
  c.config.learned.max_prefill_chunk_size = g.max_chunk;
  c.config.kv_cache_prediction_granularity = g.granularity;
  return c;
}

}  // namespace infersweep::test_support
