#include "infersweep/cli/predictor_command.hpp"

#include <boost/program_options.hpp>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/cli/setting_options.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/config/output_location.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/predict/attention_report.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/profile_plausibility.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

struct ReportOptions {
  std::string data_dir, output = "predictor_report.csv";
  bool all_candidates = false;
};

config::SettingGroup<ReportOptions> declare_report_options() {
  using config::Identity;
  config::SettingGroup<ReportOptions> g("Report");
  g.add(&ReportOptions::data_dir, "data-dir", Identity::none(), "directory with models/, gpus/, nodes/ specs")
      .path()
      .default_note("$INFERSWEEP_DATA_DIR or the shipped data/");
  g.add(&ReportOptions::output, "output", Identity::none(), "CSV file to write the same report to").output_file();
  g.add(&ReportOptions::all_candidates, "all-candidates", Identity::none(), "also print every candidate's CV MAPE");
  return g;
}

// The simulation settings a report reads: the predictor's own (its cache included), those
// that decide it, and the scheduler (whose traits can widen the token grid).
bool shapes_the_predictor(const config::SettingSpec& spec) {
  return spec.name != "predictor" && (predict::predictor_settings().find(spec.name) ||
                                      spec.identity.in_predictor_id() || spec.name == "replica-scheduler");
}

// printf-style formatting onto std::cout, so that callers can redirect the report.
void print(const char* format, ...) __attribute__((format(printf, 1, 2)));
void print(const char* format, ...) {
  char buffer[4096];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  std::cout << buffer;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Warnings, in the report itself, about profiled rows faster than the GPU's peak allows.
void print_implausible_times(const std::vector<predict::ImplausibleTime>& rows, const spec::GpuSpec& gpu) {
  constexpr size_t kShown = 10;
  for (size_t i = 0; i < rows.size() && i < kShown; ++i) {
    const auto& r = rows[i];
    print(
        "warning: %s:%lld: %s takes %s ms for %s tokens, faster than its FLOPs at the %s peak of %s TFLOP/s (%s ms)\n",
        printable(r.source).c_str(), static_cast<long long>(r.line), r.op.c_str(), format_double(r.measured_ms).c_str(),
        format_double(r.num_tokens).c_str(), gpu.name.c_str(), format_double(gpu.fp16_tflops).c_str(),
        format_double(r.bound_ms).c_str());
  }
  if (rows.size() > kShown) print("warning: %zu more implausible rows\n", rows.size() - kShown);
}

int report(const std::vector<std::string>& args) {
  ReportOptions o;
  sim::SimulationConfig config;
  config.predictor.name = "learned";
  static const auto report_settings = declare_report_options();
  OptionSections sections;
  sections.section("Report").add_options()("help,h", "show this help");
  describe_settings(sections, report_settings, o);
  predict::AttentionCheckSettings attention_check;
  describe_settings(sections, predict::attention_check_settings(), attention_check);
  describe_settings(sections, sim::simulation_settings(), config, shapes_the_predictor);
  po::options_description desc("infersweep predictor report: how the learned predictor models one deployment");
  sections.add_to(desc);
  po::variables_map vm;
  if (!parse_options(args, desc, vm)) return 0;
  apply_settings(vm, report_settings, o);
  apply_settings(vm, predict::attention_check_settings(), attention_check);
  config::check_output_locations(report_settings, o);
  const auto given = apply_settings(vm, sim::simulation_settings(), config);
  if (!given.count("node")) config.node = sim::default_node(config.gpu);
  config::check_settings(sim::simulation_settings(), config);
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(o.data_dir));
  const auto c = sim::predictor_context(config, catalog);
  const auto tp = c.tensor_parallel, pp = c.pipeline_parallel;

  predict::LearnedStateOrigin origin;
  const auto state = predict::load_or_build_learned_state(c, &origin);
  const auto inputs = predict::resolve_learned_inputs(c);

  std::ostringstream csv;
  csv << "operator,source,filter,rows,chosen,cv_mape_percent,folds,candidates\n";
  print("%s on %s (TP%lld PP%lld, node %s), profiling data %s\n", c.model.name.c_str(), c.gpu.name.c_str(),
        static_cast<long long>(tp), static_cast<long long>(pp), c.node.name.c_str(), inputs.profiling_dir.c_str());
  print("grids %s%s\n\n", origin.from_cache ? "read from cache " : "built and cached as ",
        origin.cache_file.empty() ? "(cache off)" : origin.cache_file.c_str());
  print("%-26s %6s  %-50s %9s\n", "operator", "rows", "chosen model", "CV MAPE %");
  for (const auto& [name, grid] : state->operators) {
    const auto& p = grid.provenance;
    std::string candidates;
    for (const auto& cand : p.selection.candidates)
      candidates += (candidates.empty() ? "" : "; ") + cand.label + "=" + percent(cand.cv_mape);
    print("%-26s %6lld  %-50s %9s\n", name.c_str(), static_cast<long long>(p.rows), p.chosen.c_str(),
          p.selection.candidates.empty() ? "-" : percent(p.selection.cv_mape).c_str());
    if (o.all_candidates)
      for (const auto& cand : p.selection.candidates)
        print("%-26s %6s    %-48s %9s\n", "", "", cand.label.c_str(), percent(cand.cv_mape).c_str());
    csv << name << ',' << io::csv_quote(p.source) << ',' << io::csv_quote(p.filter) << ',' << p.rows << ','
        << io::csv_quote(p.chosen) << ',' << (p.selection.candidates.empty() ? "" : percent(p.selection.cv_mape)) << ','
        << p.selection.folds << ',' << io::csv_quote(candidates) << '\n';
  }
  print_implausible_times(predict::find_implausible_times(predict::read_mlp_profile(inputs.mlp_file, c.model, tp), c),
                          c.gpu);
  const auto& cal = state->calibration;
  const auto& rp = cal.parameters;
  print(
      "\nroofline calibrated on %lld GEMM rows of %zu %s mlp.csv files: compute efficiency %.3f, memory "
      "efficiency %.3f, attention %.3f / %.3f, launch overhead %.2f us; GEMM MAPE %.2f %%\n",
      static_cast<long long>(cal.rows), cal.sources.size(), c.gpu.name.c_str(), rp.compute_efficiency,
      rp.memory_efficiency, rp.attention_compute_efficiency, rp.attention_memory_efficiency, rp.kernel_overhead_us,
      cal.gemm_mape);
  csv << "roofline_calibration," << io::csv_quote(inputs.profiling_dir + "/compute/" + c.gpu.name) << ",GEMM rows,"
      << cal.rows << ",roofline," << percent(cal.gemm_mape) << ",,"
      << io::csv_quote("compute_efficiency=" + format_double(rp.compute_efficiency) +
                       "; memory_efficiency=" + format_double(rp.memory_efficiency) +
                       "; attention_compute_efficiency=" + format_double(rp.attention_compute_efficiency) +
                       "; attention_memory_efficiency=" + format_double(rp.attention_memory_efficiency) +
                       "; kernel_overhead_us=" + format_double(rp.kernel_overhead_us))
      << '\n';
  if (state->attention_measured) {
    // The calibration never saw these rows, so this is the roofline's held-out error.
    const auto profile = predict::read_attention_profile(inputs.attention_file, c.model, tp, c.block_size);
    predict::PredictorContext calibrated = c;
    calibrated.config.roofline = rp;
    const predict::RooflineModel roofline(calibrated);
    const auto check = predict::check_roofline_attention(profile, roofline);
    print(
        "calibrated roofline on held-out measured attention (%s): decode %lld rows, MAPE %.2f %%; "
        "prefill %lld rows, MAPE %.2f %%\n",
        check.source.c_str(), static_cast<long long>(check.decode_rows), check.decode_mape,
        static_cast<long long>(check.prefill_rows), check.prefill_mape);
    csv << "roofline_attn_decode_heldout," << io::csv_quote(check.source) << ",," << check.decode_rows << ",roofline,"
        << percent(check.decode_mape) << ",,\n";
    csv << "roofline_attn_prefill_heldout," << io::csv_quote(check.source) << ",," << check.prefill_rows << ",roofline,"
        << percent(check.prefill_mape) << ",,\n";
  } else {
    print("attention: no measured rows for this shape; the simulation uses the calibrated roofline\n");
  }
  predict::report_attention_validation(std::cout, attention_check, state->calibration, inputs.profiling_dir,
                                       inputs.attention_file, catalog, c.config.roofline);
  std::ofstream out(o.output);
  if (!out) throw InputError::setting("output", "cannot write '" + o.output + "'");
  out << csv.str();
  print("\nwritten %s\n", o.output.c_str());
  return 0;
}

}  // namespace

int run_predictor(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: infersweep predictor report [options]   (see predictor report --help)\n";
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "report") return report(std::vector<std::string>(args.begin() + 1, args.end()));
  throw InputError("unknown predictor subcommand '" + args[0] + "' (expected: report)");
}

}  // namespace infersweep::cli
