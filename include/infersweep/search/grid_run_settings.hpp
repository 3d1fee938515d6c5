#pragma once
// The settings that `search` and `sweep` share: which grid, where its specs and traces are,
// which part of it, how many threads, and how progress is shown. Declared once, so that both
// front-ends have the same options, defaults and checks.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_spec.hpp"

namespace infersweep::search {

struct GridRunSettings {
  std::string grid;
  std::string data_dir;
  std::string trace_dir;
  std::string gpu_prices;  // a prices file (spec/gpu_price.hpp): its prices beat the specs' and the grid's
  std::vector<std::string> models, traces, gpus;  // restrict the grid; empty: all of it
  int64_t threads = 0;                            // 0: $OMP_NUM_THREADS or every core
  double progress_interval_s = 10;
  double config_wall_limit_s = 0;  // 0: none
  bool quiet = false;
  // Search settings given on the command line as {name, value}: they override the grid's.
  std::vector<std::pair<std::string, std::string>> search_overrides;

  GridPaths paths() const { return {trace_dir}; }
  GridFilter filter() const { return {models, traces, gpus}; }
  // Throws InputError when no grid is named.
  void require_grid() const;
  // The grid with the search settings and the prices given on the command line applied.
  GridSpec read_grid() const;
  GridSpec parse_grid(const std::string& text, const std::string& base_dir) const;
};

const config::SettingGroup<GridRunSettings>& grid_run_settings();

}  // namespace infersweep::search
