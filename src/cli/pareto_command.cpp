#include "infersweep/cli/pareto_command.hpp"

#include <boost/program_options.hpp>
#include <iostream>

#include "infersweep/analysis/pareto_report.hpp"
#include "infersweep/cli/command_line.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sweep/sweep_status.hpp"

namespace po = boost::program_options;

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

}  // namespace

int run_pareto_command(const std::vector<std::string>& args) {
  std::string file, by = "model,trace", format = "table";
  analysis::ParetoOptions options;
  po::options_description desc(
      "infersweep pareto results.h5: per model and trace, the config with the most QPS per dollar that meets\n"
      "the TTFT and TBT SLOs, the Pareto fronts of QPS per dollar against TTFT p90 and TBT p99, and the configs\n"
      "near a front (docs/analysis.md). Works on a file a sweep is still writing");
  desc.add_options()
      ("help,h", "show this help")
      ("file", po::value(&file), "the sweep's results file")
      ("slo-ttft-p90", po::value(&options.slos.ttft_p90_s)->default_value(options.slos.ttft_p90_s, "2.0"),
       "seconds: the best config's TTFT p90 at capacity must not exceed this")
      ("slo-tbt-p99", po::value(&options.slos.tbt_p99_s)->default_value(options.slos.tbt_p99_s, "0.2"),
       "seconds: the best config's TBT p99 at capacity must not exceed this")
      ("by", po::value(&by)->default_value(by), "columns that group configs, comma-separated (or none)")
      ("tolerance", po::value(&options.tolerance)->default_value(options.tolerance, "0.1"),
       "how close to a front counts as near: 0.1 is within 10% on both axes")
      ("all", po::bool_switch(&options.list_all), "list every config with a capacity, not only those on or near a front")
      ("format", po::value(&format)->default_value(format), "table, csv or json");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse_options(args, desc, vm, positional)) return 0;
  if (file.empty()) throw InputError::setting("file", "required: the sweep's results file");
  if (!(options.slos.ttft_p90_s > 0)) throw InputError::setting("slo-ttft-p90", "must be a positive number of seconds");
  if (!(options.slos.tbt_p99_s > 0)) throw InputError::setting("slo-tbt-p99", "must be a positive number of seconds");
  if (!(options.tolerance >= 0 && options.tolerance < 1))
    throw InputError::setting("tolerance", "must be at least 0 and below 1 (0.1 is 10%)");
  if (format != "table" && format != "csv" && format != "json")
    throw InputError::setting("format", "'" + format + "' is not one of table, csv, json");
  options.by = parse_by(by);

  const auto contents = sweep::read_results_file(file);
  const auto groups = analysis::analyse_pareto(contents.results, options);
  const auto& p = contents.progress;
  const std::string state = sweep::state_in_brief(p, sweep::probe_writer(file));
  if (format == "csv") {
    analysis::write_pareto_csv(groups, contents.results, options, std::cout);
  } else if (format == "json") {
    analysis::write_pareto_json(groups, contents.results, options,
                                {{"file", file}, {"sweep_state", state}, {"results_rows", p.results_rows},
                                 {"grid_configs", p.grid_configs}, {"grid_done", p.grid_done}},
                                std::cout);
  } else {
    std::cout << file << ": " << p.results_rows << " configs, sweep " << state;
    if (p.grid_done < p.grid_configs) std::cout << " (" << p.grid_done << " of " << p.grid_configs << " done)";
    std::cout << "\n";
    analysis::print_pareto_table(groups, contents.results, options, std::cout);
  }
  return 0;
}

}  // namespace infersweep::cli
