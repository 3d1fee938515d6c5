// `simulate --predictor learned` end to end, and `predictor report`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "infersweep/cli/predictor_command.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "test_support.hpp"

using namespace infersweep;

namespace {

struct Silence {
  std::ostringstream sink;
  std::streambuf* old = std::cout.rdbuf(sink.rdbuf());
  ~Silence() { std::cout.rdbuf(old); }
};

}  // namespace

TEST(PredictorCommand, SimulatesLlama70bOnH100Tp4Pp2WithTheLearnedPredictor) {
  test_support::TempDir dir;
  Silence quiet;
  const std::vector<std::string> args{"--model=Llama-2-70b-hf",
                                      "--gpu=h100",
                                      "--tp=4",
                                      "--pp=2",
                                      "--predictor=learned",
                                      "--profiling-dir=" + test_support::profiling_dir(),
                                      "--predictor-cache-dir=" + test_support::predictor_cache_dir(),
                                      "--num-requests=64",
                                      "--qps=1",
                                      "--output-dir=" + dir.file("out"),
                                      "--data-dir=" + test_support::data_dir(),
                                      "--quiet"};
  ASSERT_EQ(cli::run_simulate(args), 0);
  const auto summary = io::read_file_bytes(dir.file("out/summary.json"));
  EXPECT_NE(summary.find("\"predictor\": \"learned\""), std::string::npos) << summary.substr(0, 400);
  EXPECT_NE(summary.find("\"num_completed\": 64"), std::string::npos);
  EXPECT_NE(summary.find("\"predictor_out_of_grid_lookups\": 0"), std::string::npos);
}

TEST(PredictorCommand, SmallGridMakesOffGridLookupsVisibleInTheSummary) {
  test_support::TempDir dir;
  Silence quiet;
  const std::vector<std::string> args{"--predictor=learned",
                                      "--profiling-dir=" + test_support::profiling_dir(),
                                      "--predictor-cache-dir=" + test_support::predictor_cache_dir(),
                                      "--prediction-max-tokens-per-request=256",
                                      "--predictor-k-folds=3",
                                      "--num-requests=16",
                                      "--output-dir=" + dir.file("out"),
                                      "--data-dir=" + test_support::data_dir(),
                                      "--quiet"};
  ASSERT_EQ(cli::run_simulate(args), 0);
  const auto summary = io::read_file_bytes(dir.file("out/summary.json"));
  EXPECT_EQ(summary.find("\"predictor_out_of_grid_lookups\": 0"), std::string::npos);
  EXPECT_NE(summary.find("\"predictor_out_of_grid_lookups\": "), std::string::npos);
}

TEST(PredictorCommand, ReportWritesOneCsvRowPerOperator) {
  test_support::TempDir dir;
  Silence quiet;
  const std::vector<std::string> args{"report",
                                      "--model=Llama-2-7b-hf",
                                      "--gpu=a100",
                                      "--tp=2",
                                      "--profiling-dir=" + test_support::profiling_dir(),
                                      "--predictor-cache-dir=" + test_support::predictor_cache_dir(),
                                      "--data-dir=" + test_support::data_dir(),
                                      "--output=" + dir.file("r.csv")};
  ASSERT_EQ(cli::run_predictor(args), 0);
  const auto csv = io::read_file_bytes(dir.file("r.csv"));
  for (const char* op : {"attn_pre_proj,", "mlp_up_proj,", "add,", "all_reduce,", "roofline_calibration,"})
    EXPECT_NE(csv.find(std::string("\n") + op), std::string::npos) << op << "\n" << csv;
  EXPECT_NE(csv.find("num_tensor_parallel_workers == 2"), std::string::npos);
  EXPECT_NE(quiet.sink.str().find("CV MAPE"), std::string::npos);
}

TEST(PredictorCommand, BadProfilingDirIsAnInputError) {
  Silence quiet;
  EXPECT_THROW(cli::run_simulate({"--predictor=learned", "--profiling-dir=/nonexistent", "--quiet",
                                  "--data-dir=" + test_support::data_dir()}),
               InputError);
  EXPECT_THROW(cli::run_predictor({"explain"}), InputError);
}
