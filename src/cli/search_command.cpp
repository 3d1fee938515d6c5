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

// The distinct skip reasons with their counts, most frequent first.
void print_skip_reasons(const std::vector<search::SearchUnit>& units, std::ostream& out) {
  std::map<std::string, int64_t> counts;
  for (const auto& u : units)
    if (!u.runnable()) ++counts[u.skip_reason];
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [reason, count] : sorted) out << "  skipped " << count << " x: " << reason << "\n";
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
  const auto units = search::enumerate_grid(grid, catalog, run.filter());
  search::check_grid_memory(units, search::thread_count(run.threads, nullptr));
  int64_t runnable = 0;
  for (const auto& u : units) runnable += u.runnable() ? 1 : 0;
  if (!run.quiet) {
    std::cerr << run.grid << ": " << units.size() << " configs, " << runnable << " to search, "
              << units.size() - static_cast<size_t>(runnable) << " skipped\n";
    print_skip_reasons(units, std::cerr);
  }
  if (out.dry_run) {
    for (const auto& u : units)
      if (u.runnable())
        std::cout << u.config_id << "  " << u.labels.model << " " << u.labels.trace << " " << u.labels.device << " tp"
                  << u.labels.tp << " pp" << u.labels.pp << " x" << u.labels.replicas << " " << u.labels.scheduler
                  << " bsz" << u.labels.batch_size_cap << "\n";
    return 0;
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
