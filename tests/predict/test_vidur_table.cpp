// The table predictor reads Vidur's prediction CSVs and answers only from them.
#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/vidur_table_model.hpp"
#include "test_support.hpp"

namespace infersweep::predict {
namespace {

// Writes a complete table set as Vidur names it, with values that encode their keys.
void write_tables(const std::string& dir) {
  for (int op = 0; op <= static_cast<int>(TokenOp::attn_kv_cache_save); ++op) {
    std::ofstream out(dir + "/" + token_op_name(static_cast<TokenOp>(op)) + "_0123abcd_predictions.csv");
    out << "num_tokens,prediction\n";
    for (int n = 1; n <= 64; ++n) out << n << "," << 0.001 * n + op << "\n";
  }
  std::ofstream decode(dir + "/attn_decode_89abcdef_predictions.csv");
  decode << "batch_size,kv_cache_size,prediction\n";
  for (int b = 1; b <= 4; ++b)
    for (int kv = 0; kv <= 128; kv += 64) decode << b << "," << kv << "," << b * 0.01 + kv * 0.0001 << "\n";
  std::ofstream prefill(dir + "/attn_prefill_fedcba98_predictions.csv");
  prefill << "kv_cache_size,prefill_chunk_size_squared,prediction\n";
  for (int kv = 0; kv <= 128; kv += 64)
    for (int c = 1; c <= 16; ++c) prefill << kv << "," << c * c << ".0," << kv * 0.001 + c * 0.01 << "\n";
  std::ofstream(dir + "/mlp_up_proj_0123abcd_training_predictions.csv") << "num_tokens,x,prediction\n1,2,3\n";
}

PredictorContext table_context(const std::string& dir) {
  PredictorContext c;
  c.model = test_support::catalog().model("Llama-2-7b-hf");
  c.config.name = "table";
  c.config.learned.table_dir = dir;
  return c;
}

TEST(VidurTable, AnswersFromTheTablesExactly) {
  test_support::TempDir dir;
  write_tables(dir.path.string());
  const VidurTableModel model(table_context(dir.path.string()));
  EXPECT_DOUBLE_EQ(model.token_op_ms(TokenOp::mlp_up_proj, 16), 0.016 + static_cast<int>(TokenOp::mlp_up_proj));
  EXPECT_DOUBLE_EQ(model.token_op_ms(TokenOp::attn_kv_cache_save, 13), 0.013 + 9);
  EXPECT_DOUBLE_EQ(model.decode_attention_ms(3, 64), 0.03 + 0.0064);
  EXPECT_DOUBLE_EQ(model.prefill_attention_ms(128, 100), 0.128 + 0.1);
  EXPECT_EQ(model.all_reduce_ms(8), 0.0);  // TP 1: no collective table needed
}

TEST(VidurTable, KeyOutsideTheTableIsASimulationErrorNamingIt) {
  test_support::TempDir dir;
  write_tables(dir.path.string());
  const VidurTableModel model(table_context(dir.path.string()));
  try {
    model.token_op_ms(TokenOp::mlp_up_proj, 72);
    FAIL();
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("mlp_up_proj has no entry for 72"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model.decode_attention_ms(5, 64), SimulationError);
}

TEST(VidurTable, MissingOrAmbiguousTablesAreInputErrors) {
  test_support::TempDir dir;
  write_tables(dir.path.string());
  auto c = table_context(dir.path.string());
  c.tensor_parallel = 2;  // needs all_reduce_<hash>_predictions.csv
  try {
    VidurTableModel{c};
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no all_reduce_<hash>_predictions.csv"), std::string::npos) << e.what();
  }
  std::ofstream(dir.file("add_deadbeef_predictions.csv")) << "num_tokens,prediction\n1,1\n";
  try {
    VidurTableModel{table_context(dir.path.string())};
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("several tables for add"), std::string::npos) << e.what();
  }
}

TEST(VidurTable, NegativeOrNonFinitePredictionsAreErrorsWithTheirLine) {
  test_support::TempDir dir;
  const auto zero = dir.file("attn_kv_cache_save_0123abcd_predictions.csv");
  std::ofstream(zero) << "num_tokens,prediction\n1,0\n2,0.0\n";  // Vidur's own tables hold zeros
  EXPECT_EQ(read_prediction_table(zero, "attn_kv_cache_save", {"num_tokens"}).at(2, 0, false), 0.0);
  for (const std::string bad : {"-0.25", "-1e-300", "nan", "inf", ""}) {
    SCOPED_TRACE(bad);
    const auto path = dir.file("mlp_up_proj_0123abcd_predictions.csv");
    std::ofstream(path) << "num_tokens,prediction\n1,0.5\n2," << bad << "\n";
    try {
      read_prediction_table(path, "mlp_up_proj", {"num_tokens"});
      FAIL();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path + ":3: column 'prediction'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace infersweep::predict
