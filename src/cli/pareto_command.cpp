#include "infersweep/cli/pareto_command.hpp"

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "infersweep/analysis/pareto_report.hpp"
#include "infersweep/cli/command_line.hpp"
#include "infersweep/cli/setting_options.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/table_csv.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/sweep/sweep_status.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace infersweep::cli {

namespace {

std::vector<std::string> parse_by(const std::string& text) {
  std::vector<std::string> names;
  if (text == "none") return names;
  for (const auto& part : split(text, ',')) {
    names.emplace_back(trim(part));
    if (names.back().empty())
      throw InputError::setting("by", "empty column name in '" + text + "' (expected e.g. model,trace or none)");
  }
  return names;
}

// The capacity.csv of a search's output, when `path` is such a directory or file; empty when
// `path` is anything else (a sweep file).
std::string search_capacity_csv(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const auto csv = (fs::path(path) / "capacity.csv").string();
    if (!fs::exists(csv, ec))
      throw InputError::setting("file", "'" + path +
                                            "' is a directory without capacity.csv (expected a search's "
                                            "--output-dir or a sweep's .h5 file)");
    return csv;
  }
  const auto name = fs::path(path).filename().string();
  if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".csv") == 0) return path;
  return "";
}

}  // namespace

const config::SettingGroup<ParetoSettings>& pareto_settings() {
  static const auto group = [] {
    using config::Identity;
    using P = ParetoSettings;
    config::SettingGroup<P> g("General");
    g.add(&P::file, "file", Identity::none(),
          "a sweep's results file (.h5), or a search's output directory or its capacity.csv")
        .path();
    g.add(&P::slo_ttft_p90_s, "slo-ttft-p90", Identity::none(),
          "the best config's TTFT p90 at capacity must not exceed this")
        .unit("s")
        .positive();
    g.add(&P::slo_tbt_p99_s, "slo-tbt-p99", Identity::none(),
          "the best config's TBT p99 at capacity must not exceed this")
        .unit("s")
        .positive();
    g.add(&P::by, "by", Identity::none(), "columns that group configs, comma-separated (or none)").non_empty();
    g.add(&P::tolerance, "tolerance", Identity::none(),
          "how close to a front counts as near: 0.1 is within 10% on both axes")
        .non_negative()
        .below(1);
    g.add(&P::all, "all", Identity::none(), "list every config with a capacity, not only those on or near a front");
    g.add(&P::include_caveats, "include-caveats", Identity::none(),
          "let configs whose capacity has a caveat (capacity_caveat: iteration_limit, workload_bound) take part");
    g.add(&P::format, "format", Identity::none(), "output format").choices([] {
      return std::vector<std::string>{"table", "csv", "json"};
    });
    return g;
  }();
  return group;
}

int run_pareto_command(const std::vector<std::string>& args) {
  ParetoSettings settings;
  const auto& declared = pareto_settings();
  OptionSections sections;
  sections.section("General").add_options()("help,h", "show this help");
  describe_settings(sections, declared, settings);
  po::options_description desc(
      "infersweep pareto RESULTS: per model and trace, the config with the most QPS per dollar that meets\n"
      "the TTFT and TBT SLOs, the Pareto fronts of QPS per dollar against TTFT p90 and TBT p99, and the configs\n"
      "near a front (docs/analysis.md). RESULTS is a sweep's .h5 file (also one a sweep is still writing), or\n"
      "a search's --output-dir or the capacity.csv in it");
  sections.add_to(desc);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse_options(args, desc, vm, positional)) return 0;
  apply_settings(vm, declared, settings);
  if (settings.file.empty())
    throw InputError::setting("file", "required: a sweep's results file or a search's output directory");

  analysis::ParetoOptions options;
  options.slos.ttft_p90_s = settings.slo_ttft_p90_s;
  options.slos.tbt_p99_s = settings.slo_tbt_p99_s;
  options.tolerance = settings.tolerance;
  options.list_all = settings.all;
  options.include_caveats = settings.include_caveats;
  options.by = parse_by(settings.by);

  const auto& file = settings.file;
  table::ColumnTable results;
  std::vector<table::Field> header;
  std::string summary;
  if (const auto csv = search_capacity_csv(file); !csv.empty()) {
    results = io::read_table_csv(csv, search::result_columns());
    const auto rows = static_cast<int64_t>(results.rows());
    header = {{"file", csv}, {"source", std::string("search output")}, {"results_rows", rows}};
    summary = csv + ": search output, " + std::to_string(rows) + " configs";
  } else {
    auto contents = sweep::read_results_file(file);
    if (!contents.damaged.empty())
      std::cerr << "infersweep pareto: warning: " << file << ": " << sweep::describe_damaged_rows(contents) << "\n";
    if (!contents.rows_checked)
      std::cerr << "infersweep pareto: warning: " << file
                << " has no row checksums (written before them); rows unchecked\n";
    const auto& p = contents.progress;
    const std::string state = sweep::state_in_brief(p, sweep::probe_writer(file));
    header = {{"file", file},
              {"sweep_state", state},
              {"results_rows", p.results_rows},
              {"grid_configs", p.grid_configs},
              {"grid_done", p.grid_done}};
    std::ostringstream line;
    line << file << ": " << p.results_rows << " configs, sweep " << state;
    if (p.grid_done < p.grid_configs) line << " (" << p.grid_done << " of " << p.grid_configs << " done)";
    summary = line.str();
    results = std::move(contents.results);
  }

  const auto groups = analysis::analyse_pareto(results, options);
  if (settings.format == "csv") {
    analysis::write_pareto_csv(groups, results, options, std::cout);
  } else if (settings.format == "json") {
    analysis::write_pareto_json(groups, results, options, header, std::cout);
  } else {
    std::cout << summary << "\n";
    analysis::print_pareto_table(groups, results, options, std::cout);
  }
  return 0;
}

}  // namespace infersweep::cli
