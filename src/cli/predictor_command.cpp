#include "infersweep/cli/predictor_command.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <tuple>

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

std::string percent_or_dash(double v) { return std::isnan(v) ? "-" : percent(v); }

table::EnumValue origin_value(const std::string& name) {
  const auto& columns = predictor_report_columns();
  const auto origin = std::find_if(columns.begin(), columns.end(), [](const auto& c) { return c.name == "origin"; });
  const auto it = std::find(origin->labels.begin(), origin->labels.end(), name);
  if (it == origin->labels.end()) throw std::logic_error("predictor report: no origin named " + name);
  return {static_cast<int64_t>(it - origin->labels.begin()), name};
}

// One row of the report's CSV, in the order of predictor_report_columns().
struct ReportRow {
  std::string op, origin = "measured", source, basis, filter;
  int64_t rows = 0;
  std::string chosen;
  double cv_mape = std::nan("");
  int64_t folds = 0;
  std::string candidates;

  std::vector<table::Field> fields() const {
    return {{"operator", op},   {"origin", origin_value(origin)},
            {"source", source}, {"basis", basis},
            {"filter", filter}, {"rows", rows},
            {"chosen", chosen}, {"cv_mape_percent", cv_mape},
            {"folds", folds},   {"candidates", candidates}};
  }
};

void print_sources(const predict::PredictorContext& c, const predict::LearnedPredictorInputs& inputs,
                   const predict::LearnedStateOrigin& origin) {
  print("%s on %s (TP%lld PP%lld, node %s)\n", c.model.name.c_str(), c.gpu.name.c_str(),
        static_cast<long long>(c.tensor_parallel), static_cast<long long>(c.pipeline_parallel), c.node.name.c_str());
  print("profiling directories, earlier first:\n");
  for (size_t i = 0; i < inputs.sources.size(); ++i) {
    const auto& s = inputs.sources[i];
    print("  %zu. %s (element-wise kernels %s: %s)\n", i + 1, s.root.c_str(), predict::to_string(s.elementwise),
          s.why.c_str());
  }
  if (c.node.network_profile != c.node.name && (!inputs.all_reduce_file.empty() || !inputs.send_recv_file.empty()))
    print("network times borrowed from node %s (network_profile in %s)\n", c.node.network_profile.c_str(),
          c.node.source_file.c_str());
  print("grids %s%s\n\n", origin.from_cache ? "read from cache " : "built and cached as ",
        origin.cache_file.empty() ? "(cache off)" : origin.cache_file.c_str());
}

// Every operator: how many rows, which model, its cross-validated error and the file it came
// from (or what it was estimated from).
void print_operators(const predict::LearnedPredictorState& state, bool all_candidates, std::vector<ReportRow>& rows) {
  print("%-26s %6s  %-56s %9s  %s\n", "operator", "rows", "chosen model", "CV MAPE %", "source");
  bool any_estimate = false;
  for (const auto& [name, grid] : state.operators) {
    const auto& p = grid.provenance;
    ReportRow row;
    row.op = name;
    row.source = p.source;
    row.filter = p.filter;
    row.rows = p.rows;
    row.chosen = p.chosen;
    row.folds = p.selection.folds;
    if (p.estimated) {
      any_estimate = true;
      row.origin = "estimated";
      row.basis = p.basis;
      row.cv_mape = p.selection.cv_mape;
    } else if (!p.selection.candidates.empty()) {
      row.cv_mape = p.selection.cv_mape;
    }
    for (const auto& cand : p.selection.candidates)
      row.candidates += (row.candidates.empty() ? "" : "; ") + cand.label + "=" + percent(cand.cv_mape);
    const std::string where = p.estimated ? "estimated from " + p.source + " (" + p.basis + ")" : p.source;
    print("%-26s %6lld  %-56s %9s  %s\n", name.c_str(), static_cast<long long>(p.rows), p.chosen.c_str(),
          percent_or_dash(row.cv_mape).c_str(), printable(where).c_str());
    if (all_candidates)
      for (const auto& cand : p.selection.candidates)
        print("%-26s %6s    %-54s %9s\n", "", "", cand.label.c_str(), percent(cand.cv_mape).c_str());
    rows.push_back(std::move(row));
  }
  for (const char* op : {"attn_decode", "attn_prefill", "attn_kv_cache_save"}) {
    if (state.operators.count(op)) continue;
    print("%-26s %6s  %-56s %9s  %s\n", op, "-", "roofline (calibrated)", "-", "the calibrated roofline below");
    ReportRow row;
    row.op = op;
    row.origin = "roofline";
    row.chosen = "roofline (calibrated)";
    rows.push_back(std::move(row));
  }
  if (any_estimate)
    print(
        "estimated: a fused kernel's launch floor and bandwidth, fitted on fused rows; its CV MAPE leaves one "
        "model (file) out at a time\n");
}

void print_roofline_calibration(const predict::PredictorContext& c, const predict::LearnedPredictorInputs& inputs,
                                const predict::RooflineCalibration& cal, std::vector<ReportRow>& rows) {
  const auto& rp = cal.parameters;
  print(
      "\nroofline calibrated on %lld GEMM rows of %zu %s mlp.csv files: compute efficiency %.3f, memory "
      "efficiency %.3f, attention %.3f / %.3f, launch overhead %.2f us; GEMM MAPE %.2f %%\n",
      static_cast<long long>(cal.rows), cal.sources.size(), c.gpu.name.c_str(), rp.compute_efficiency,
      rp.memory_efficiency, rp.attention_compute_efficiency, rp.attention_memory_efficiency, rp.kernel_overhead_us,
      cal.gemm_mape);
  ReportRow row;
  row.op = "roofline_calibration";
  row.origin = "roofline";
  for (const auto& s : inputs.sources)
    row.source += (row.source.empty() ? "" : "; ") + s.root + "/compute/" + c.gpu.name;
  row.filter = "GEMM rows";
  row.rows = cal.rows;
  row.chosen = "roofline";
  row.cv_mape = cal.gemm_mape;
  row.candidates = "compute_efficiency=" + format_double(rp.compute_efficiency) +
                   "; memory_efficiency=" + format_double(rp.memory_efficiency) +
                   "; attention_compute_efficiency=" + format_double(rp.attention_compute_efficiency) +
                   "; attention_memory_efficiency=" + format_double(rp.attention_memory_efficiency) +
                   "; kernel_overhead_us=" + format_double(rp.kernel_overhead_us);
  rows.push_back(std::move(row));
}

// The calibrated roofline on measured attention rows, which its calibration never saw.
void print_attention_check(const predict::PredictorContext& c, const predict::LearnedPredictorInputs& inputs,
                           const predict::LearnedPredictorState& state, std::vector<ReportRow>& rows) {
  if (!state.attention_measured) {
    print("attention: no measured rows for this shape; the simulation uses the calibrated roofline\n");
    return;
  }
  const auto profile = predict::read_attention_profile(inputs.attention_file, c.model, c.tensor_parallel, c.block_size);
  predict::PredictorContext calibrated = c;
  calibrated.config.roofline = state.calibration.parameters;
  const predict::RooflineModel roofline(calibrated);
  const auto check = predict::check_roofline_attention(profile, roofline);
  print(
      "calibrated roofline on held-out measured attention (%s): decode %lld rows, MAPE %.2f %%; "
      "prefill %lld rows, MAPE %.2f %%\n",
      check.source.c_str(), static_cast<long long>(check.decode_rows), check.decode_mape,
      static_cast<long long>(check.prefill_rows), check.prefill_mape);
  for (const auto& [op, n, mape] :
       {std::make_tuple("roofline_attn_decode_heldout", check.decode_rows, check.decode_mape),
        std::make_tuple("roofline_attn_prefill_heldout", check.prefill_rows, check.prefill_mape)}) {
    ReportRow row;
    row.op = op;
    row.origin = "roofline";
    row.source = check.source;
    row.rows = n;
    row.chosen = "roofline";
    row.cv_mape = mape;
    rows.push_back(std::move(row));
  }
}

void write_report_csv(const std::string& path, const std::vector<ReportRow>& rows) {
  std::ostringstream csv;
  const auto& columns = predictor_report_columns();
  for (size_t i = 0; i < columns.size(); ++i) csv << (i ? "," : "") << columns[i].name;
  csv << '\n';
  for (const auto& row : rows) {
    const auto fields = row.fields();
    if (const auto mismatch = table::row_mismatch(columns, fields); !mismatch.empty())
      throw std::logic_error("predictor report row: " + mismatch);
    for (size_t i = 0; i < fields.size(); ++i) csv << (i ? "," : "") << io::csv_quote(table::field_text(fields[i]));
    csv << '\n';
  }
  std::ofstream out(path);
  if (!out) throw InputError::setting("output", "cannot write '" + path + "'");
  out << csv.str();
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
  config::check_settings(sim::simulation_settings(), config);
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(o.data_dir));
  if (!given.count("node")) config.node = sim::default_node(config.gpu, catalog);
  const auto c = sim::predictor_context(config, catalog);

  predict::LearnedStateOrigin origin;
  const auto state = predict::load_or_build_learned_state(c, &origin);
  const auto inputs = predict::resolve_learned_inputs(c);

  std::vector<ReportRow> rows;
  print_sources(c, inputs, origin);
  print_operators(*state, o.all_candidates, rows);
  const auto& gemm_file = inputs.mlp_operators.front().file;  // GEMMs come from one file
  print_implausible_times(
      predict::find_implausible_times(predict::read_mlp_profile(gemm_file, c.model, c.tensor_parallel), c), c.gpu);
  print_roofline_calibration(c, inputs, state->calibration, rows);
  print_attention_check(c, inputs, *state, rows);
  std::cout << std::flush;
  std::vector<std::string> dirs;
  for (const auto& source : inputs.sources) dirs.push_back(source.root);
  predict::report_attention_validation(std::cout, attention_check, state->calibration, dirs, inputs.attention_file,
                                       catalog, c.config.roofline);
  write_report_csv(o.output, rows);
  print("\nwritten %s\n", o.output.c_str());
  return 0;
}

}  // namespace

const table::Schema& predictor_report_columns() {
  using table::ColumnKind;
  static const table::Schema columns{
      {"operator", ColumnKind::text, "",
       "operator, or roofline_calibration / roofline_attn_*_heldout for the roofline's calibration and its check"},
      {"origin",
       ColumnKind::enumeration,
       "",
       "measured: learned from the source's rows; estimated: a fused-kernel estimate standing in for the source's "
       "eager-PyTorch rows; roofline: the calibrated roofline",
       0,
       {"measured", "estimated", "roofline"}},
      {"source", ColumnKind::text, "", "full path of the file the rows came from (an estimate: the eager file)"},
      {"basis", ColumnKind::text, "", "an estimate's calibration: the fused rows it was fitted on"},
      {"filter", ColumnKind::text, "", "which rows of the source were selected"},
      {"rows", ColumnKind::int64, "", "rows learned from (an estimate: fused rows fitted)"},
      {"chosen", ColumnKind::text, "", "the model chosen by cross-validation, or the estimate's parameters"},
      {"cv_mape_percent", ColumnKind::float64, "%",
       "cross-validated MAPE of the chosen model (an estimate: leaving one model out; roofline rows: their MAPE)"},
      {"folds", ColumnKind::int64, "", "cross-validation folds (an estimate: models)"},
      {"candidates", ColumnKind::text, "", "every candidate's CV MAPE, or the roofline's calibrated parameters"},
  };
  return columns;
}

int run_predictor(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: infersweep predictor report [options]   (see predictor report --help)\n";
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "report") return report(std::vector<std::string>(args.begin() + 1, args.end()));
  throw InputError("unknown predictor subcommand '" + args[0] + "' (expected: report)");
}

}  // namespace infersweep::cli
