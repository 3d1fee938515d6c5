// `simulate --predictor learned` end to end, and `predictor report`: operators, the file each
// came from (or was estimated from), its CSV columns.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "generated_docs.hpp"
#include "infersweep/cli/predictor_command.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/csv_table.hpp"
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

TEST(PredictorCommand, ReportNamesEachOperatorsFileAndWhatAnEstimateStandsIn) {
  const auto gpu_profiles = test_support::gpu_profiles_dir() + "/h100";
  if (!std::filesystem::is_directory(gpu_profiles + "/compute")) GTEST_SKIP() << "no gpu-profiles next to vidur-data";
  test_support::TempDir dir;
  Silence quiet;
  // Meta-Llama-3-8B on H100: Vidur's data has no profile of it, the eager H100 profile has.
  const std::vector<std::string> args{"report",
                                      "--model=Meta-Llama-3-8B",
                                      "--gpu=h100",
                                      "--profiling-dir=" + test_support::profiling_dir(),
                                      "--profiling-dir=" + gpu_profiles,
                                      "--predictor-k-folds=3",
                                      "--prediction-max-tokens-per-request=512",
                                      "--prediction-max-batch-size=16",
                                      "--prediction-max-prefill-chunk-size=128",
                                      "--predictor-cache-dir=" + test_support::predictor_cache_dir(),
                                      "--data-dir=" + test_support::data_dir(),
                                      "--output=" + dir.file("r.csv")};
  ASSERT_EQ(cli::run_predictor(args), 0);
  const auto out = quiet.sink.str();
  const auto eager_mlp = gpu_profiles + "/compute/h100/meta-llama/Meta-Llama-3-8B/mlp.csv";
  const auto attention = gpu_profiles + "/compute/h100/meta-llama/Meta-Llama-3-8B/attention.csv";
  EXPECT_NE(out.find("  1. " + test_support::profiling_dir() + " (element-wise kernels fused: no meta.json)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  2. " + gpu_profiles + " (element-wise kernels eager: "), std::string::npos) << out;
  EXPECT_NE(out.find("estimated from " + eager_mlp + " (fitted on "), std::string::npos) << out;
  EXPECT_NE(out.find("h100 mlp.csv files)"), std::string::npos) << out;

  const auto csv = io::CsvTable::read(dir.file("r.csv"));
  const auto& columns = cli::predictor_report_columns();
  ASSERT_EQ(csv.header().size(), columns.size());
  for (size_t i = 0; i < columns.size(); ++i) EXPECT_EQ(csv.header()[i], columns[i].name);
  std::map<std::string, std::pair<std::string, std::string>> origin_and_source;
  for (size_t r = 0; r < csv.num_rows(); ++r)
    origin_and_source[csv.cell(r, csv.column("operator"))] = {csv.cell(r, csv.column("origin")),
                                                              csv.cell(r, csv.column("source"))};
  using Row = std::pair<std::string, std::string>;
  EXPECT_EQ(origin_and_source["mlp_up_proj"], Row("measured", eager_mlp));  // GEMMs as measured
  for (const char* op : {"mlp_act", "input_layernorm", "post_attention_layernorm", "attn_rope", "add"})
    EXPECT_EQ(origin_and_source[op], Row("estimated", eager_mlp)) << op;
  EXPECT_EQ(origin_and_source["attn_decode"], Row("measured", attention));
  EXPECT_EQ(origin_and_source["attn_kv_cache_save"], Row("measured", attention));
  EXPECT_EQ(origin_and_source["roofline_calibration"].first, "roofline");
}

TEST(PredictorCommand, AProfilingDirectoryListIsRepeatedOrCommaSeparatedAndErrorsNameTheEntry) {
  Silence quiet;
  for (const auto& dirs :
       {std::vector<std::string>{"--profiling-dir=" + test_support::profiling_dir(), "--profiling-dir=/nonexistent/b"},
        std::vector<std::string>{"--profiling-dir=" + test_support::profiling_dir() + ",/nonexistent/b"}}) {
    std::vector<std::string> args{"report", "--data-dir=" + test_support::data_dir()};
    args.insert(args.end(), dirs.begin(), dirs.end());
    try {
      cli::run_predictor(args);
      FAIL() << "expected an error";
    } catch (const InputError& e) {
      EXPECT_EQ(e.setting_name(), "profiling-dir");
      EXPECT_NE(e.message().find("entry 2 of 2, '/nonexistent/b', is not a directory"), std::string::npos) << e.what();
    }
  }
}

// docs/predictor.md's table of the report's columns is the declaration's Markdown rendering.
TEST(PredictorCommand, DocsReportColumnsAreGeneratedFromTheDeclaration) {
  test_support::expect_generated_tables(
      "docs/predictor.md", {{"predictor report columns", table::markdown_table(cli::predictor_report_columns())}},
      "tests/cli/test_predictor_command.cpp");
}
