#pragma once
// The command line that `search` and `sweep` share: the grid-run settings, the capacity-search
// settings that override the grid's, and the command's own group, parsed and checked in one way.
#include <optional>
#include <string>
#include <vector>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/cli/setting_options.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/grid_run_settings.hpp"

namespace infersweep::cli {

// The grid-run settings and `own` from `args`; nullopt when --help was asked for (and printed).
template <class Own>
std::optional<search::GridRunSettings> parse_grid_run_options(const std::vector<std::string>& args,
                                                              const std::string& caption,
                                                              const config::SettingGroup<Own>& own_settings, Own& own) {
  search::GridRunSettings run;
  OptionSections sections;
  sections.section("Grid").add_options()("help,h", "show this help");
  describe_settings(sections, search::grid_run_settings(), run);
  describe_settings(sections, search::search_settings(), search::SearchSettings{});
  describe_settings(sections, own_settings, own);
  boost::program_options::options_description desc(caption);
  sections.add_to(desc);
  boost::program_options::variables_map vm;
  if (!parse_options(args, desc, vm)) return std::nullopt;
  apply_settings(vm, search::grid_run_settings(), run);
  run.search_overrides = given_settings(vm, search::search_settings());
  apply_settings(vm, own_settings, own);
  run.require_grid();
  return run;
}

}  // namespace infersweep::cli
