#include "infersweep/cli/search_command.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <map>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/search_report.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/search/search_runner.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

struct SearchOptions {
  std::string grid, data_dir, output_dir = "search_output";
  search::GridPaths paths;
  search::GridFilter filter;
  int threads = 0, top = 5;
  double progress_interval = 5;
  bool dry_run = false, quiet = false;
};

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
  SearchOptions o;
  po::options_description desc("infersweep search: the highest QPS each configuration of a grid sustains within the SLO");
  desc.add_options()
      ("help,h", "show this help")
      ("grid", po::value(&o.grid), "grid file (YAML; see data/grids/ and docs/search.md)")
      ("threads", po::value(&o.threads)->default_value(0), "searches run in parallel (0: $OMP_NUM_THREADS or every core)")
      ("output-dir", po::value(&o.output_dir)->default_value(o.output_dir), "where capacity.csv, probes.csv and capacity.json go")
      ("data-dir", po::value(&o.data_dir), "directory with models/, gpus/, nodes/ specs (default: $INFERSWEEP_DATA_DIR or the shipped data/)")
      ("trace-dir", po::value(&o.paths.trace_dir), "where relative trace files are found (default: the grid's trace_dir, $INFERSWEEP_TRACE_DIR or the build's vidur-data/processed_traces)")
      ("model", po::value(&o.filter.models)->composing(), "search only this model of the grid (name or identifier; repeatable)")
      ("trace", po::value(&o.filter.traces)->composing(), "search only this trace of the grid (repeatable)")
      ("device", po::value(&o.filter.devices)->composing(), "search only clusters of this GPU (repeatable)")
      ("top", po::value(&o.top)->default_value(o.top), "configs shown per model and trace")
      ("progress-interval", po::value(&o.progress_interval)->default_value(o.progress_interval), "seconds between progress lines on stderr")
      ("dry-run", po::bool_switch(&o.dry_run), "enumerate and validate the grid, print what would run, run nothing")
      ("quiet,q", po::bool_switch(&o.quiet), "print only the output paths");
  po::variables_map vm;
  if (!parse_options(args, desc, vm)) return 0;
  if (o.grid.empty()) throw InputError::option("grid", "required: a grid file such as data/grids/quick.yaml");
  if (o.threads < 0) throw InputError::option("threads", "must not be negative");
  if (o.top < 1) throw InputError::option("top", "must be at least 1");
  if (!(o.progress_interval > 0)) throw InputError::option("progress-interval", "must be positive");

  const auto grid = search::read_grid_file(o.grid, o.paths);
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(o.data_dir));
  const auto units = search::enumerate_grid(grid, catalog, o.filter);
  int64_t runnable = 0;
  for (const auto& u : units) runnable += u.runnable() ? 1 : 0;
  if (!o.quiet) {
    std::cerr << o.grid << ": " << units.size() << " configs, " << runnable << " to search, "
              << units.size() - static_cast<size_t>(runnable) << " skipped\n";
    print_skip_reasons(units, std::cerr);
  }
  if (o.dry_run) {
    for (const auto& u : units)
      if (u.runnable())
        std::cout << u.config_id << "  " << u.labels.model << " " << u.labels.trace << " " << u.labels.device << " tp"
                  << u.labels.tp << " pp" << u.labels.pp << " x" << u.labels.replicas << " " << u.labels.scheduler
                  << " bsz" << u.labels.batch_size_cap << "\n";
    return 0;
  }

  search::PredictorPool pool;
  search::SearchRunOptions run;
  run.threads = o.threads;
  run.progress = o.quiet ? nullptr : &std::cerr;
  run.progress_interval_s = o.progress_interval;
  const auto results = search::run_searches(units, catalog, pool, run);
  const auto written = io::write_search_outputs(grid, units, results, o.output_dir);
  if (!o.quiet) {
    io::print_search_table(units, results, std::cout, o.top);
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
