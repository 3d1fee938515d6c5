#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../search/search_test_support.hpp"
#include "infersweep/cli/search_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/file_bytes.hpp"

using namespace infersweep;
using infersweep::test_support::TempDir;

namespace {

// Runs `search`, returning what it printed on stdout.
std::string run_search(std::vector<std::string> args) {
  args.push_back("--data-dir=" + test_support::data_dir());
  std::ostringstream out, err;
  struct Restore {
    std::streambuf *old_out, *old_err;
    ~Restore() {
      std::cout.rdbuf(old_out);
      std::cerr.rdbuf(old_err);
    }
  } restore{std::cout.rdbuf(out.rdbuf()), std::cerr.rdbuf(err.rdbuf())};
  EXPECT_EQ(cli::run_search(args), 0);
  return out.str();
}

}  // namespace

TEST(SearchCommand, WritesOneRowPerConfigAndEveryProbe) {
  TempDir dir;
  const auto grid = dir.file("grid.yaml");
  std::ofstream(grid) << test_support::small_grid_text() + "  cache_dir: none\n";
  const auto printed = run_search({"--grid", grid, "--threads", "2", "--output-dir", dir.file("out")});
  EXPECT_NE(printed.find("8 configs: 8 searched, 0 skipped, 0 failed"), std::string::npos) << printed;
  const auto capacity = io::CsvTable::read(dir.file("out/capacity.csv"));
  ASSERT_EQ(capacity.num_rows(), 8u);
  // Best-of lists leave out capacities with a caveat, and say how many.
  size_t without_caveat = 0;
  for (size_t r = 0; r < capacity.num_rows(); ++r)
    without_caveat += capacity.cell(r, capacity.column("capacity_caveat")) == "none" ? 1 : 0;
  ASSERT_GT(without_caveat, 5u);
  EXPECT_NE(
      printed.find("llama-2-7b on conv: best 5 of " + std::to_string(without_caveat) + " configs by QPS per dollar"),
      std::string::npos)
      << printed;
  if (without_caveat < 8) {
    EXPECT_NE(printed.find("(" + std::to_string(8 - without_caveat) + " more with a capacity caveat left out"),
              std::string::npos)
        << printed;
  }
  const auto probes = io::CsvTable::read(dir.file("out/probes.csv"));
  int64_t total_probes = 0;
  for (size_t r = 0; r < capacity.num_rows(); ++r) {
    EXPECT_EQ(capacity.cell(r, capacity.column("status")), "ok");
    EXPECT_GT(capacity.as_double(r, capacity.column("capacity_qps")), 0);
    // QPS per dollar is capacity over GPUs x price.
    EXPECT_NEAR(capacity.as_double(r, capacity.column("qps_per_dollar")),
                capacity.as_double(r, capacity.column("capacity_qps")) /
                    (capacity.as_double(r, capacity.column("gpus")) * 2.21),
                1e-12);
    total_probes += capacity.as_int64(r, capacity.column("num_probes"));
  }
  EXPECT_EQ(static_cast<int64_t>(probes.num_rows()), total_probes);
  const auto json = io::read_file_bytes(dir.file("out/capacity.json"));
  EXPECT_NE(json.find("\"results\": ["), std::string::npos);
  EXPECT_NE(json.find("\"probes\": ["), std::string::npos);
}

TEST(SearchCommand, DryRunListsTheRunnableConfigs) {
  TempDir dir;
  const auto grid = dir.file("grid.yaml");
  std::ofstream(grid) << test_support::small_grid_text();
  const auto printed = run_search({"--grid", grid, "--dry-run", "--output-dir", dir.file("out")});
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), 8);
  EXPECT_FALSE(std::filesystem::exists(dir.file("out")));
}

TEST(SearchCommand, ShippedQuickGridRuns) {
  TempDir dir;
  const auto printed = run_search({"--grid", test_support::data_dir() + "/grids/quick.yaml", "--trace-dir",
                                   test_support::vidur_data_dir() + "/processed_traces", "--threads", "2",
                                   "--output-dir", dir.file("out")});
  EXPECT_NE(printed.find("16 configs: 16 searched, 0 skipped, 0 failed"), std::string::npos) << printed;
}

TEST(SearchCommand, BadInputIsAnInputError) {
  EXPECT_THROW(cli::run_search({}), InputError);
  EXPECT_THROW(cli::run_search({"--grid", "/nonexistent.yaml"}), InputError);
  EXPECT_THROW(cli::run_search({"--grid", "x.yaml", "--threads", "-1"}), InputError);
}

TEST(SearchCommand, SearchSettingsOnTheCommandLineOverrideTheGridsAndChangeTheIds) {
  TempDir dir;
  const auto grid = dir.file("grid.yaml");
  std::ofstream(grid) << test_support::small_grid_text("", 100) + "  cache_dir: none\nsearch:\n  max_iterations: 6\n";
  run_search({"--grid", grid, "--quiet", "--output-dir", dir.file("grid")});
  run_search({"--grid", grid, "--quiet", "--max-iterations", "2", "--output-dir", dir.file("override")});
  const auto from_grid = io::CsvTable::read(dir.file("grid/capacity.csv"));
  const auto overridden = io::CsvTable::read(dir.file("override/capacity.csv"));
  ASSERT_EQ(from_grid.num_rows(), overridden.num_rows());
  bool more_than_two = false;
  for (size_t r = 0; r < overridden.num_rows(); ++r) {
    EXPECT_LE(overridden.as_int64(r, overridden.column("num_probes")), 2);
    more_than_two = more_than_two || from_grid.as_int64(r, from_grid.column("num_probes")) > 2;
    EXPECT_NE(overridden.cell(r, overridden.column("config_id")), from_grid.cell(r, from_grid.column("config_id")));
  }
  EXPECT_TRUE(more_than_two);
}
