// Every place a command writes is checked before it does any work: an output directory that
// is a file, or a results file whose folder is missing, once cost a whole search's results.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "../search/search_test_support.hpp"
#include "infersweep/cli/predictor_command.hpp"
#include "infersweep/cli/search_command.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/cli/sweep_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/config/output_location.hpp"

using namespace infersweep;
using infersweep::test_support::TempDir;

namespace {

struct Outcome {
  std::string setting;  // the InputError's setting, or "(no error)"
  std::string message;
  std::string printed;  // stdout and stderr before the error: empty when no work was done
};

Outcome run_command(const std::function<int(const std::vector<std::string>&)>& command, std::vector<std::string> args) {
  args.push_back("--data-dir=" + test_support::data_dir());
  std::ostringstream out;
  struct Restore {
    std::streambuf *old_out, *old_err;
    ~Restore() {
      std::cout.rdbuf(old_out);
      std::cerr.rdbuf(old_err);
    }
  } restore{std::cout.rdbuf(out.rdbuf()), std::cerr.rdbuf(out.rdbuf())};
  try {
    command(args);
  } catch (const InputError& e) {
    return {e.setting_name(), e.message(), out.str()};
  }
  return {"(no error)", "", out.str()};
}

const auto simulate_command = [](const std::vector<std::string>& a) { return cli::run_simulate(a); };
const auto search_command = [](const std::vector<std::string>& a) { return cli::run_search(a); };
const auto sweep_command = [](const std::vector<std::string>& a) { return cli::run_sweep_command(a, "sweep"); };
const auto predictor_command = [](const std::vector<std::string>& a) {
  auto args = a;
  args.insert(args.begin(), "report");
  return cli::run_predictor(args);
};

}  // namespace

TEST(OutputLocations, AnOutputDirectoryThatIsAFileStopsEveryCommandBeforeItWorks) {
  TempDir d;
  const auto file = d.file("a_file");
  std::ofstream(file) << "x";
  const auto grid = d.file("grid.yaml");
  std::ofstream(grid) << test_support::small_grid_text() + "  cache_dir: none\n";
  using Args = std::vector<std::string>;
  std::vector<std::pair<std::string, Outcome>> outcomes;
  outcomes.emplace_back("simulate", run_command(simulate_command, Args{"--output-dir", file}));
  outcomes.emplace_back("search", run_command(search_command, Args{"--grid", grid, "--output-dir", file}));
  outcomes.emplace_back("search below a file",
                        run_command(search_command, Args{"--grid", grid, "--output-dir", file + "/x"}));
  for (const auto& [name, outcome] : outcomes) {
    EXPECT_EQ(outcome.setting, "output-dir") << name;
    EXPECT_NE(outcome.message.find(file), std::string::npos) << name << ": " << outcome.message;
    EXPECT_EQ(outcome.printed, "") << name << " did work before failing";
  }
}

TEST(OutputLocations, AnOutputFileInAMissingFolderOrNamingAFolderIsRefusedUpFront) {
  TempDir d;
  const auto grid = d.file("grid.yaml");
  std::ofstream(grid) << test_support::small_grid_text() + "  cache_dir: none\n";
  const auto missing = run_command(sweep_command, {"--grid", grid, "--out", d.file("no/such/dir/results.h5")});
  EXPECT_EQ(missing.setting, "out");
  EXPECT_NE(missing.message.find("does not exist"), std::string::npos) << missing.message;
  const auto folder = run_command(sweep_command, {"--grid", grid, "--out", d.path.string()});
  EXPECT_EQ(folder.setting, "out");
  EXPECT_NE(folder.message.find("is a directory"), std::string::npos) << folder.message;
  const auto report = run_command(predictor_command, {"--output", d.file("no/such/report.csv")});
  EXPECT_EQ(report.setting, "output");
  EXPECT_EQ(report.printed, "");
}

TEST(OutputLocations, AMissingOutputDirectoryIsCreatedAndAWritableOneAccepted) {
  TempDir d;
  const auto nested = d.file("a/b/c");
  EXPECT_NO_THROW(config::check_output_location("output-dir", config::PathUse::output_dir, nested));
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  EXPECT_TRUE(std::filesystem::is_empty(nested));  // the probe file is gone
  EXPECT_NO_THROW(config::check_output_location("out", config::PathUse::output_file, d.file("r.h5")));
  EXPECT_FALSE(std::filesystem::exists(d.file("r.h5")));  // checking writes nothing under the name
}

TEST(OutputLocations, AnUnwritableDirectoryGivesTheSystemsReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes through permission bits";
  TempDir d;
  const auto locked = d.file("locked");
  std::filesystem::create_directory(locked);
  std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  try {
    config::check_output_location("output-dir", config::PathUse::output_dir, locked);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find("Permission denied"), std::string::npos) << e.message();
  }
  std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
}
