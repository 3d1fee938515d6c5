// Generated from the declarations: every numeric (and boolean, and closed-choice) setting of
// every front-end rejects NaN, infinities, overflow, text and out-of-range values, and the
// error names that setting: "option --name" on the command line, "file:line: name" in an
// option file, "file:line: section.key" in a grid.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "infersweep/cli/pareto_command.hpp"
#include "infersweep/cli/search_command.hpp"
#include "infersweep/cli/setting_options.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "search/search_test_support.hpp"
#include "test_support.hpp"

namespace infersweep {
namespace {

// The search tests' small grid without its predictor section, so that a section can be added.
std::string grid_without_sections() {
  auto text = test_support::small_grid_text();
  return text.substr(0, text.find("predictor:\n"));
}

using config::Kind;
using config::SettingSpec;

// Values a setting must refuse, by its kind and declared range.
std::vector<std::string> bad_values(const SettingSpec& spec) {
  std::vector<std::string> out;
  switch (spec.kind) {
    case Kind::number:
      out = {"nan", "NaN", "inf", "-inf", "1e999", "-1e999", "twelve", "1.5x"};
      break;
    case Kind::integer:
    case Kind::optional_integer:
      out = {"nan", "inf", "1.5", "9223372036854775808", "-9223372036854775809", "twelve"};
      break;
    case Kind::unsigned_integer:
      out = {"-1", "nan", "1.5", "18446744073709551616", "twelve"};
      break;
    case Kind::boolean:
      out = {"maybe", "2"};
      break;
    case Kind::text:
      if (spec.choices) out = {"no-such-choice"};
      break;
    case Kind::text_list:
      break;
  }
  const bool whole = spec.kind != Kind::number;
  if (spec.has_min()) out.push_back(format_double(spec.min_exclusive ? spec.min : spec.min - (whole ? 1 : 0.5)));
  if (spec.has_max()) out.push_back(format_double(spec.max_exclusive ? spec.max : spec.max + (whole ? 1 : 0.5)));
  return out;
}

template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return cli::describe_error(e);
  }
  return "(no error)";
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

template <class S>
int check_command_line(const config::SettingGroup<S>& group,
                       const std::function<void(const std::vector<std::string>&)>& parse) {
  int cases = 0;
  for (const auto& s : group.settings()) {
    if (!s.spec().on_command_line) continue;
    for (const auto& bad : bad_values(s.spec())) {
      const auto message = input_error_of([&] { parse({"--" + s.name() + "=" + bad}); });
      EXPECT_TRUE(starts_with(message, "option --" + s.name() + ": ")) << s.name() << " = " << bad << ": " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      ++cases;
    }
  }
  return cases;
}

TEST(SettingRanges, SimulateRejectsEveryBadValueNamingTheOption) {
  const auto parse = [](const std::vector<std::string>& args) { cli::parse_simulate_options(args); };
  const int cases = check_command_line(sim::simulation_settings(), parse) +
                    check_command_line(cli::simulate_output_settings(), parse);
  EXPECT_GT(cases, 300);
}

TEST(SettingRanges, SearchAndSweepOptionsRejectEveryBadValueNamingTheOption) {
  const auto parse = [](const std::vector<std::string>& args) {
    auto with = args;
    with.push_back("--dry-run");
    cli::run_search(with);
  };
  EXPECT_GT(check_command_line(search::grid_run_settings(), parse), 10);
}

TEST(SettingRanges, ParetoRejectsEveryBadValueNamingTheOption) {
  const auto parse = [](const std::vector<std::string>& args) {
    auto with = args;
    with.push_back("results.h5");
    cli::run_pareto_command(with);
  };
  EXPECT_GT(check_command_line(cli::pareto_settings(), parse), 10);
}

TEST(SettingRanges, OptionFilesRejectEveryBadValueWithFileAndLine) {
  test_support::TempDir dir;
  const auto path = dir.file("run.ini");
  int cases = 0;
  for (const auto& s : sim::simulation_settings().settings()) {
    if (!s.spec().on_command_line) continue;
    for (const auto& bad : bad_values(s.spec())) {
      std::ofstream(path) << "# a comment\n" << s.name() << " = " << bad << "\n";
      const auto message = input_error_of([&] { cli::parse_simulate_options({"--config=" + path}); });
      EXPECT_TRUE(starts_with(message, path + ":2: " + s.name() + ": ")) << message;
      ++cases;
    }
  }
  EXPECT_GT(cases, 300);
}

// The error of the small grid with `extra` lines at its end.
std::string grid_error(const std::string& extra) {
  return input_error_of([&] { search::parse_grid_text(grid_without_sections() + extra, "g.yaml", "."); });
}

TEST(SettingRanges, GridSectionsRejectEveryBadValueNamingFileLineAndKey) {
  const auto lines = [](const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  const int base_lines = lines(grid_without_sections());
  int cases = 0;
  auto check_section = [&](const std::string& section, const auto& group) {
    for (const auto& s : group.settings())
      for (const auto& bad : bad_values(s.spec())) {
        const auto message = grid_error(section + ":\n  " + s.spec().grid_key + ": \"" + bad + "\"\n");
        const auto where = "g.yaml:" + std::to_string(base_lines + 2) + ": " + section + "." + s.spec().grid_key + ": ";
        EXPECT_TRUE(starts_with(message, where)) << message << "\nwant: " << where;
        ++cases;
      }
  };
  check_section("search", search::search_settings());
  check_section("predictor", predict::predictor_settings());
  EXPECT_GT(cases, 150);
}

TEST(SettingRanges, SchedulerEntriesRejectEveryBadValueOfTheSettingsTheyRead) {
  int cases = 0;
  for (const auto* scheduler : sim::builtin_replica_schedulers().entries())
    for (const auto& name : scheduler->traits.settings) {
      const auto& s = sim::scheduler_settings().at(name);
      for (const auto& bad : bad_values(s.spec())) {
        auto text = grid_without_sections();
        const auto entry = "  - scheduler: " + scheduler->name + "\n";
        const auto at = text.find("schedulers:\n") + std::string("schedulers:\n").size();
        text.insert(at, entry + "    " + s.spec().grid_key + ": \"" + bad + "\"\n");
        const auto line = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 2;
        const auto message = input_error_of([&] { search::parse_grid_text(text, "g.yaml", "."); });
        const auto where = "g.yaml:" + std::to_string(line) + ": schedulers." + s.spec().grid_key + ": ";
        EXPECT_TRUE(starts_with(message, where)) << message << "\nwant: " << where;
        ++cases;
      }
    }
  EXPECT_GT(cases, 20);
}

// Values set in code (a grid, a test) are checked too, before any rule that would trip over
// them and blame another setting.
TEST(SettingRanges, PlanningRejectsNonFiniteValuesSetInCode) {
  using Setter = std::function<void(sim::SimulationConfig&)>;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, Setter>> cases = {
      {"memory-margin", [&](auto& c) { c.memory_margin_fraction = nan; }},
      {"prefill-scale", [&](auto& c) { c.workload.prefill_scale = nan; }},
      {"decode-scale", [&](auto& c) { c.workload.decode_scale = nan; }},
      {"zipf-theta", [&](auto& c) { c.workload.zipf_theta = nan; }},
      {"time-scale", [&](auto& c) { c.workload.time_scale = nan; }},
      {"qps", [&](auto& c) { c.workload.qps = inf; }},
      {"time-limit", [&](auto& c) { c.time_limit_s = nan; }},
      {"watermark-blocks-fraction", [&](auto& c) { c.scheduler.watermark_blocks_fraction = nan; }},
      {"duration", [&](auto& c) { c.workload.duration_s = nan; }},
      {"max-tokens", [&](auto& c) { c.workload.max_tokens = 0; }},
      {"decode-tokens", [&](auto& c) { c.workload.fixed_decode_tokens = 0; }},
      {"roofline-compute-efficiency", [&](auto& c) { c.predictor.roofline.compute_efficiency = -inf; }},
  };
  for (const auto& [name, set] : cases) {
    sim::SimulationConfig c;
    set(c);
    try {
      sim::plan_simulation(c, test_support::catalog());
      ADD_FAILURE() << name << " was accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.setting_name(), name) << e.what();
    }
  }
}

}  // namespace
}  // namespace infersweep
