// The table predictor reads Vidur's prediction CSVs (plain or gzip'd), answers only from them,
// and refuses a table set made for another configuration.
#include <filesystem>
#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/io/gzip_file.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/vidur_table_model.hpp"
#include "predict/synthetic_vidur_tables.hpp"
#include "test_support.hpp"

namespace infersweep::predict {
namespace {

using test_support::synthetic_table_context;
using test_support::SyntheticTableGrid;
using test_support::write_synthetic_tables;

std::string error_of(const PredictorContext& c) {
  try {
    VidurTableModel{c};
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(VidurTable, AnswersFromTheTablesExactly) {
  test_support::TempDir dir;
  write_synthetic_tables(dir.path.string());
  const VidurTableModel model(synthetic_table_context(dir.path.string()));
  EXPECT_DOUBLE_EQ(model.token_op_ms(TokenOp::mlp_up_proj, 16), 0.016 + static_cast<int>(TokenOp::mlp_up_proj));
  EXPECT_DOUBLE_EQ(model.token_op_ms(TokenOp::attn_kv_cache_save, 13), 0.013 + 9);
  EXPECT_DOUBLE_EQ(model.decode_attention_ms(3, 64), 0.03 + 0.0064);
  EXPECT_DOUBLE_EQ(model.prefill_attention_ms(128, 100), 0.128 + 0.1);
  EXPECT_EQ(model.all_reduce_ms(8), 0.0);  // TP 1: no collective table needed
}

TEST(VidurTable, GzippedTablesGiveTheSameAnswers) {
  test_support::TempDir plain, packed;
  write_synthetic_tables(plain.path.string());
  SyntheticTableGrid g;
  g.gzip = true;
  write_synthetic_tables(packed.path.string(), g);
  ASSERT_TRUE(std::filesystem::exists(packed.file("attn_prefill_fedcba98_predictions.csv.gz")));
  ASSERT_FALSE(std::filesystem::exists(packed.file("attn_prefill_fedcba98_predictions.csv")));
  const VidurTableModel a(synthetic_table_context(plain.path.string()));
  const VidurTableModel b(synthetic_table_context(packed.path.string()));
  for (int64_t n : {1, 8, 77, 128})
    for (int op = 0; op <= static_cast<int>(TokenOp::attn_kv_cache_save); ++op)
      EXPECT_EQ(a.token_op_ms(static_cast<TokenOp>(op), n), b.token_op_ms(static_cast<TokenOp>(op), n));
  EXPECT_EQ(a.decode_attention_ms(4, 128), b.decode_attention_ms(4, 128));
  EXPECT_EQ(a.prefill_attention_ms(64, 225), b.prefill_attention_ms(64, 225));
}

TEST(VidurTable, DamagedGzipIsAnInputErrorNamingTheFile) {
  test_support::TempDir dir;
  SyntheticTableGrid g;
  g.gzip = true;
  write_synthetic_tables(dir.path.string(), g);
  const auto path = dir.file("add_0123abcd_predictions.csv.gz");
  const auto bytes = io::read_file_bytes(path);
  for (const auto& [damage, expected] :
       std::vector<std::pair<std::string, std::string>>{{bytes.substr(0, bytes.size() / 2), "gzip data is truncated"},
                                                        {"num_tokens,prediction\n1,2\n", "not valid gzip data"},
                                                        {"", "is empty, expected gzip data"}}) {
    SCOPED_TRACE(expected);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damage;
    try {
      read_prediction_table(path, "add", {"num_tokens"});
      FAIL();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  // Two concatenated members read as one text, as gzip -d reads them.
  const auto two = io::gunzip(bytes + bytes, "two members");
  EXPECT_EQ(two.size(), 2 * io::gunzip(bytes, "one member").size());
}

TEST(VidurTable, KeyOutsideTheTableIsASimulationErrorNamingIt) {
  test_support::TempDir dir;
  write_synthetic_tables(dir.path.string());
  const VidurTableModel model(synthetic_table_context(dir.path.string()));
  try {
    model.token_op_ms(TokenOp::mlp_up_proj, 136);
    FAIL();
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("mlp_up_proj has no entry for num_tokens 136"), std::string::npos) << e.what();
  }
  try {
    model.prefill_attention_ms(64, 17 * 17);
    FAIL();
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("attn_prefill has no entry for kv_cache_size 64, "
                                         "prefill_chunk_size_squared 289"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(model.decode_attention_ms(5, 64), SimulationError);
}

TEST(VidurTable, MissingOrAmbiguousTablesAreInputErrors) {
  test_support::TempDir dir;
  write_synthetic_tables(dir.path.string());
  std::ofstream(dir.file("add_deadbeef_predictions.csv")) << "num_tokens,prediction\n1,1\n";
  EXPECT_NE(error_of(synthetic_table_context(dir.path.string())).find("several tables for add"), std::string::npos);
  std::filesystem::remove(dir.file("add_deadbeef_predictions.csv"));
  std::filesystem::remove(dir.file("attn_rope_0123abcd_predictions.csv"));
  EXPECT_NE(error_of(synthetic_table_context(dir.path.string())).find("no attn_rope_<hash>_predictions.csv"),
            std::string::npos);
}

TEST(VidurTable, CollectiveTablesMustMatchTheParallelism) {
  test_support::TempDir dir;
  const auto d = dir.path.string();
  write_synthetic_tables(d);
  auto c = synthetic_table_context(d);
  c.tensor_parallel = 2;
  auto message = error_of(c);
  EXPECT_NE(message.find("the tables in '" + d + "' do not fit this configuration"), std::string::npos) << message;
  EXPECT_NE(message.find("expected an all_reduce table (Vidur writes one for TP > 1), found none"), std::string::npos)
      << message;

  SyntheticTableGrid g;
  g.all_reduce = g.send_recv = true;
  write_synthetic_tables(d, g);
  c.pipeline_parallel = 2;
  EXPECT_EQ(error_of(c), "(accepted)");
  message = error_of(synthetic_table_context(d));  // TP 1, PP 1
  EXPECT_NE(message.find("expected no all_reduce table at TP 1, found all_reduce_0123abcd_predictions.csv"),
            std::string::npos)
      << message;
  c.pipeline_parallel = 1;
  message = error_of(c);
  EXPECT_NE(message.find("expected no send_recv table at PP 1, found send_recv_0123abcd_predictions.csv"),
            std::string::npos)
      << message;
}

TEST(VidurTable, CpuOverheadTablesAreRefused) {
  test_support::TempDir dir;
  write_synthetic_tables(dir.path.string());
  std::ofstream(dir.file("schedule_00ff00ff_predictions.csv")) << "batch_size,prediction\n1,0.1\n";
  const auto message = error_of(synthetic_table_context(dir.path.string()));
  EXPECT_NE(message.find("expected no CPU-overhead tables, found schedule_00ff00ff_predictions.csv"), std::string::npos)
      << message;
}

TEST(VidurTable, TheGridMustCoverTheConfiguredRanges) {
  test_support::TempDir dir;
  const auto d = dir.path.string();
  write_synthetic_tables(d);
  SyntheticTableGrid wider;
  wider.max_tokens = 192;
  auto message = error_of(synthetic_table_context(d, wider));
  EXPECT_NE(message.find("expected attn_pre_proj at num_tokens 1..192 (--prediction-max-tokens-per-request 192), "
                         "found no entry for 129 in attn_pre_proj_0123abcd_predictions.csv, whose largest is 128"),
            std::string::npos)
      << message;

  auto c = synthetic_table_context(d);
  c.token_grid_spans_batch = true;  // Orca-like: batches hold up to 128 x 4 tokens
  message = error_of(c);
  EXPECT_NE(message.find("num_tokens 1..512 (--prediction-max-tokens-per-request 128 x --prediction-max-batch-size 4"),
            std::string::npos)
      << message;

  SyntheticTableGrid more_batches;
  more_batches.max_batch = 8;
  message = error_of(synthetic_table_context(d, more_batches));
  EXPECT_NE(message.find("expected attn_decode at batch size 1..8 (--prediction-max-batch-size) x context 0..128 "
                         "step 64 (--prediction-max-tokens-per-request, --kv-granularity), found no entry for (5, 0)"),
            std::string::npos)
      << message;

  SyntheticTableGrid longer_chunks;
  longer_chunks.max_chunk = 32;
  message = error_of(synthetic_table_context(d, longer_chunks));
  EXPECT_NE(message.find("x chunk 1..32 (--prediction-max-prefill-chunk-size), found no entry for context 0, chunk 17"),
            std::string::npos)
      << message;

  // A grid wider than the settings is fine: every lookup the settings allow is in it.
  SyntheticTableGrid narrower;
  narrower.max_tokens = 64;
  narrower.max_batch = 2;
  narrower.max_chunk = 8;
  EXPECT_EQ(error_of(synthetic_table_context(d, narrower)), "(accepted)");
}

TEST(VidurTable, ContextsMustFollowTheKvGranularity) {
  test_support::TempDir dir;
  const auto d = dir.path.string();
  SyntheticTableGrid fine;
  fine.granularity = 32;
  write_synthetic_tables(d, fine);
  SyntheticTableGrid coarse;  // granularity 64: the tables' 32, 96 contexts were never Vidur's keys
  const auto message = error_of(synthetic_table_context(d, coarse));
  EXPECT_NE(message.find("expected attn_decode contexts (kv_cache_size) in steps of --kv-granularity 64, found"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("another kv_cache_prediction_granularity"), std::string::npos) << message;
}

// Tables whose four GEMMs at the largest token count take the given times (ms); the others
// keep their synthetic values.
void write_gemm_tables(const std::string& dir, const SyntheticTableGrid& g, double pre, double post, double up,
                       double down) {
  write_synthetic_tables(dir, g);
  const std::pair<const char*, double> gemms[] = {
      {"attn_pre_proj", pre}, {"attn_post_proj", post}, {"mlp_up_proj", up}, {"mlp_down_proj", down}};
  for (const auto& [op, ms] : gemms) {
    std::ofstream out(dir + "/" + op + "_0123abcd_predictions.csv");
    out << "num_tokens,prediction\n";
    for (int64_t n = 1; n <= g.max_tokens; ++n)
      out << n << "," << ms * static_cast<double>(n) / static_cast<double>(g.max_tokens) << "\n";
  }
}

TEST(VidurTable, GemmTimesMustFitTheModelShapeAndGpu) {
  test_support::TempDir dir;
  const auto d = dir.path.string();
  SyntheticTableGrid g;
  g.max_tokens = 4096;
  // Llama-2-7b's GEMMs at 4096 tokens take 4.12e11, 1.37e11, 7.39e11 and 3.70e11 FLOPs: at
  // 220 TFLOP/s, 1.87, 0.625, 3.36 and 1.68 ms (Vidur's A100 tables: 1.90, 0.60, 3.35, 1.59).
  write_gemm_tables(d, g, 1.87, 0.625, 3.36, 1.68);
  EXPECT_EQ(error_of(synthetic_table_context(d, g)), "(accepted)");

  // Four times faster: 880 TFLOP/s, far above the A100's 312 (and within the H100's 1000).
  write_gemm_tables(d, g, 1.87 / 4, 0.625 / 4, 3.36 / 4, 1.68 / 4);
  auto message = error_of(synthetic_table_context(d, g));
  EXPECT_NE(message.find("attn_pre_proj at 4096 tokens takes 0.4675 ms in these tables, which is 882 TFLOP/s for "
                         "meta-llama/Llama-2-7b-hf at TP 1, expected at most the a100's peak of 312 TFLOP/s"),
            std::string::npos)
      << message;
  auto h100 = synthetic_table_context(d, g);
  h100.gpu = test_support::catalog().gpu("h100");
  EXPECT_EQ(error_of(h100), "(accepted)");

  // The projection of attention three times slower than the rest: another model's shape.
  write_gemm_tables(d, g, 3 * 1.87, 0.625, 3.36, 1.68);
  message = error_of(synthetic_table_context(d, g));
  EXPECT_NE(message.find("expected the four GEMMs at 4096 tokens to run within a factor of 2 of each other's FLOP rate "
                         "for meta-llama/Llama-2-7b-hf at TP 1, found attn_pre_proj at 73 and "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(" at 220 TFLOP/s: the tables were made for another model shape or TP"), std::string::npos)
      << message;
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
