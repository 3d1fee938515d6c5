#include "infersweep/search/grid_run_settings.hpp"

#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/spec/gpu_price.hpp"

namespace infersweep::search {

const config::SettingGroup<GridRunSettings>& grid_run_settings() {
  static const auto group = [] {
    using config::Identity;
    using G = GridRunSettings;
    config::SettingGroup<G> g("Grid");
    g.add(&G::grid, "grid", Identity::none(), "grid file (YAML; see data/grids/ and docs/search.md)").path();
    g.add(&G::data_dir, "data-dir", Identity::none(), "directory with models/, gpus/, nodes/ specs")
        .path()
        .default_note("$INFERSWEEP_DATA_DIR or the shipped data/");
    g.add(&G::trace_dir, "trace-dir", Identity::none(), "where relative trace files are found")
        .path()
        .default_note("the grid's trace_dir, $INFERSWEEP_TRACE_DIR or the build's vidur-data/processed_traces");
    g.add(&G::gpu_prices, "gpu-prices", Identity::none(),
          "prices per GPU-hour that replace the GPU specs' and the grid's: a file of 'gpu = USD' lines with optional "
          "source and date (see data/README.md); recorded in every result row, never part of a config id")
        .path()
        .default_note("the grid's prices, else each GPU spec's price_per_hour");
    g.add(&G::models, "model", Identity::none(), "only this model of the grid (name or identifier; repeatable)");
    g.add(&G::traces, "trace", Identity::none(), "only this trace of the grid (repeatable)");
    g.add(&G::gpus, "gpu", Identity::none(), "only clusters of this GPU (repeatable)");
    g.add(&G::threads, "threads", Identity::none(),
          "searches run in parallel per process (0: $OMP_NUM_THREADS or every core)")
        .topic("Execution")
        .non_negative()
        .at_most(1024);
    g.add(&G::progress_interval_s, "progress-interval", Identity::none(), "time between progress lines on stderr")
        .topic("Execution")
        .positive()
        .unit("s");
    g.add(&G::config_wall_limit_s, "config-time-limit", Identity::none(),
          "wall time per config before it is recorded as timeout (checked between probes; 0: none)")
        .topic("Execution")
        .non_negative()
        .unit("s");
    g.add(&G::quiet, "quiet", Identity::none(), "no progress lines or summary").topic("Execution").short_name('q');
    g.not_a_setting(&G::search_overrides,
                    "the search settings given on the command line, declared by search_settings()");
    return g;
  }();
  return group;
}

namespace {

GridSpec with_overrides(GridSpec grid, const GridRunSettings& run) {
  for (const auto& [name, value] : run.search_overrides) search_settings().at(name).assign(grid.search, value);
  if (!run.gpu_prices.empty()) {
    const auto text = io::try_read_file_bytes(run.gpu_prices);
    if (!text) throw InputError::setting("gpu-prices", "cannot read '" + run.gpu_prices + "'");
    for (auto& entry : spec::parse_price_file(*text, run.gpu_prices)) grid.prices.push_back(std::move(entry));
  }
  return grid;
}

}  // namespace

GridSpec GridRunSettings::read_grid() const { return with_overrides(read_grid_file(grid, paths()), *this); }

GridSpec GridRunSettings::parse_grid(const std::string& text, const std::string& base_dir) const {
  return with_overrides(parse_grid_text(text, grid, base_dir, paths()), *this);
}

void GridRunSettings::require_grid() const {
  if (grid.empty()) throw InputError::setting("grid", "required: a grid file such as data/grids/quick.yaml");
}

}  // namespace infersweep::search
