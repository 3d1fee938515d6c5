#include "infersweep/cli/search_command.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <map>

#include "infersweep/cli/grid_run_options.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/config/output_location.hpp"
#include "infersweep/io/search_report.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/search/search_runner.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

// What only `search` has: where its tables go, how much it prints, whether it runs at all.
struct SearchOutputs {
  std::string output_dir = "search_output";
  int64_t top = 5;
  bool dry_run = false;
};

const config::SettingGroup<SearchOutputs>& search_output_settings() {
  static const auto group = [] {
    using config::Identity;
    config::SettingGroup<SearchOutputs> g("Output");
    g.add(&SearchOutputs::output_dir, "output-dir", Identity::none(),
          "where capacity.csv, probes.csv and capacity.json go")
        .output_dir();
    g.add(&SearchOutputs::top, "top", Identity::none(), "configs shown per model and trace").at_least(1);
    g.add(&SearchOutputs::dry_run, "dry-run", Identity::none(),
          "enumerate and validate the grid, print what would run, run nothing");
    return g;
  }();
  return group;
}

// What the grid holds, counted as its units go by: how many, how many run, why the others skip.
struct GridCount {
  int64_t configs = 0, runnable = 0;
  std::map<std::string, int64_t> skip_reasons;

  void add(const search::SearchUnit& u) {
    ++configs;
    if (u.runnable())
      ++runnable;
    else
      ++skip_reasons[u.skip_reason];
  }

  // The totals, then the distinct skip reasons with their counts, most frequent first.
  void print(const std::string& grid, std::ostream& out) const {
    out << grid << ": " << configs << " configs, " << runnable << " to search, " << configs - runnable << " skipped\n";
    std::vector<std::pair<std::string, int64_t>> sorted(skip_reasons.begin(), skip_reasons.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [reason, count] : sorted) out << "  skipped " << count << " x: " << reason << "\n";
  }
};

// --dry-run: lists the runnable configs as the grid enumerates them, keeping none, so that a
// grid of millions of configs is checked in constant memory.
void list_grid(const search::GridSpec& grid, const spec::SpecCatalog& catalog, const search::GridRunSettings& run) {
  GridCount count;
  search::GridFootprint footprint;
  search::for_each_grid_unit(grid, catalog, run.filter(), [&](search::SearchUnit&& u) {
    count.add(u);
    footprint.add(u);
    if (u.runnable())
      std::cout << u.config_id << "  " << u.labels.model << " " << u.labels.trace << " " << u.labels.device << " tp"
                << u.labels.tp << " pp" << u.labels.pp << " x" << u.labels.replicas << " " << u.labels.scheduler
                << " bsz" << u.labels.batch_size_cap << "\n";
  });
  footprint.check(search::thread_count(run.threads, nullptr));
  if (!run.quiet) count.print(run.grid, std::cerr);
}

}  // namespace

int run_search(const std::vector<std::string>& args) {
  SearchOutputs out;
  const auto parsed = parse_grid_run_options(
      args, "infersweep search: the highest QPS each configuration of a grid sustains within the SLO",
      search_output_settings(), out);
  if (!parsed) return 0;
  const auto& run = *parsed;
  if (!out.dry_run) config::check_output_locations(search_output_settings(), out);

  const auto grid = run.read_grid();
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(run.data_dir));
  if (out.dry_run) {
    list_grid(grid, catalog, run);
    return 0;
  }
  const auto units = search::enumerate_grid(grid, catalog, run.filter());
  search::check_grid_memory(units, search::thread_count(run.threads, nullptr));
  if (!run.quiet) {
    GridCount count;
    for (const auto& u : units) count.add(u);
    count.print(run.grid, std::cerr);
  }

  search::PredictorPool pool;
  search::SearchRunOptions options;
  options.threads = static_cast<int>(run.threads);
  options.progress = run.quiet ? nullptr : &std::cerr;
  options.progress_interval_s = run.progress_interval_s;
  options.config_wall_limit_s = run.config_wall_limit_s;
  const auto results = search::run_searches(units, catalog, pool, options);
  const auto written = io::write_search_outputs(grid, units, results, out.output_dir);
  if (!run.quiet) {
    io::print_search_table(units, results, std::cout, static_cast<int>(out.top));
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i].status == search::ConfigStatus::failed)
        std::cerr << "failed: " << units[i].config_id << " (" << units[i].labels.model << " " << units[i].labels.device
                  << " tp" << units[i].labels.tp << " pp" << units[i].labels.pp << " " << units[i].labels.scheduler
                  << "): " << results[i].message << "\n";
  }
  std::cout << written;
  return 0;
}

}  // namespace infersweep::cli
