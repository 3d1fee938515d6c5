// Vidur's reference table sets are accepted for the configuration they were made for and
// refused, with a message naming the directory, what was expected and what was found, for
// another one.
#include <gtest/gtest.h>

#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/vidur_table_model.hpp"
#include "parity/vidur_reference.hpp"
#include "test_support.hpp"

namespace infersweep::parity {
namespace {

class VidurTableFit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(vidur_reference_dir() + "/prediction-tables"))
      GTEST_SKIP() << "Vidur's reference tables are not at " << vidur_reference_dir()
                   << " (set INFERSWEEP_VIDUR_REFERENCE to the vidur-reference directory)";
  }

  // The outcome of building the table predictor for `config` with the tables of `dir`.
  static std::string outcome(sim::SimulationConfig config, const std::string& dir) {
    config.predictor.learned.table_dir = dir;
    try {
      predict::VidurTableModel model(sim::predictor_context(config, test_support::catalog()));
    } catch (const InputError& e) {
      EXPECT_EQ(e.setting_name(), "prediction-table-dir");
      return e.what();
    }
    return "(accepted)";
  }
};

// A_vllm: Llama-2-7b on an A100, TP 1 PP 1; C_round_robin: Llama-2-70b on H100s, TP 4 PP 2.
TEST_F(VidurTableFit, EachReferenceSetFitsItsOwnConfiguration) {
  for (const char* name : {"A_vllm", "C_round_robin"}) {
    const auto run = load_vidur_run(vidur_reference_dir(), name, test_support::catalog());
    EXPECT_EQ(outcome(run.config, run.table_dir), "(accepted)") << name;
  }
}

TEST_F(VidurTableFit, SevenBTablesAreRefusedForSeventyBAtTp4Pp2) {
  const auto small = load_vidur_run(vidur_reference_dir(), "A_vllm", test_support::catalog());
  const auto large = load_vidur_run(vidur_reference_dir(), "C_round_robin", test_support::catalog());
  const auto message = outcome(large.config, small.table_dir);
  EXPECT_NE(message.find("the tables in '" + small.table_dir + "' do not fit this configuration " +
                         "(meta-llama/Llama-2-70b-hf on h100 at TP 4, PP 2): expected an all_reduce table (Vidur "
                         "writes one for TP > 1), found none: the tables were made for TP 1"),
            std::string::npos)
      << message;
}

TEST_F(VidurTableFit, SeventyBTablesAreRefusedForSevenBAtTp1) {
  const auto small = load_vidur_run(vidur_reference_dir(), "A_vllm", test_support::catalog());
  const auto large = load_vidur_run(vidur_reference_dir(), "C_round_robin", test_support::catalog());
  const auto message = outcome(small.config, large.table_dir);
  EXPECT_NE(message.find("the tables in '" + large.table_dir + "' do not fit this configuration " +
                         "(meta-llama/Llama-2-7b-hf on a100 at TP 1, PP 1): expected no all_reduce table at TP 1, "
                         "found all_reduce_12aff055_predictions.csv.gz: the tables were made for TP > 1"),
            std::string::npos)
      << message;
}

TEST_F(VidurTableFit, SameParallelismOnAnotherGpuOrModelIsRefusedByTheGemmRates) {
  // The H100 tables of Llama-2-70b at TP 4 PP 2 on A100s: faster than an A100 can be.
  auto large = load_vidur_run(vidur_reference_dir(), "C_round_robin", test_support::catalog());
  auto on_a100 = large.config;
  on_a100.gpu = "a100";
  on_a100.node = "a100_dgx";
  auto message = outcome(on_a100, large.table_dir);
  EXPECT_NE(message.find("attn_pre_proj at 4096 tokens takes 0.2628 ms in these tables, which is 654 TFLOP/s for "
                         "meta-llama/Llama-2-70b-hf at TP 4, expected at most the a100's peak of 312 TFLOP/s"),
            std::string::npos)
      << message;
  // The A100 tables of Llama-2-7b for Llama-3-8B (also TP 1, PP 1): the attention projection,
  // which grouped-query attention makes smaller, takes as long as Llama-2-7b's.
  auto small = load_vidur_run(vidur_reference_dir(), "A_vllm", test_support::catalog());
  auto llama3 = small.config;
  llama3.model = "meta-llama/Meta-Llama-3-8B";
  message = outcome(llama3, small.table_dir);
  EXPECT_NE(message.find("expected the four GEMMs at 4096 tokens to run within a factor of 2 of each other's FLOP "
                         "rate for meta-llama/Meta-Llama-3-8B at TP 1, found attn_pre_proj at 109 and mlp_down_proj "
                         "at 302 TFLOP/s: the tables were made for another model shape or TP"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace infersweep::parity
