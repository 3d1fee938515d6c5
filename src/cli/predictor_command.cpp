#include "infersweep/cli/predictor_command.hpp"

#include <boost/program_options.hpp>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

struct ReportOptions {
  std::string data_dir, model = "meta-llama/Llama-2-7b-hf", gpu = "a100", node, output = "predictor_report.csv";
  std::string replica_scheduler = "sarathi";
  int64_t tp = 1, pp = 1, block_size = 16;
  bool all_candidates = false;
  predict::LearnedPredictorSettings learned;
};

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

int report(const std::vector<std::string>& args) {
  ReportOptions o;
  auto& l = o.learned;
  po::options_description desc("infersweep predictor report: how the learned predictor models one deployment");
  desc.add_options()
      ("help,h", "show this help")
      ("model", po::value(&o.model)->default_value(o.model), "model name from data/models")
      ("device", po::value(&o.gpu)->default_value(o.gpu), "GPU SKU (a100, h100, a40)")
      ("node", po::value(&o.node), "node SKU for the network profiles (default: <device>_pairwise_nvlink)")
      ("tp", po::value(&o.tp)->default_value(o.tp), "tensor-parallel degree")
      ("pp", po::value(&o.pp)->default_value(o.pp), "pipeline-parallel degree")
      ("block-size", po::value(&o.block_size)->default_value(o.block_size), "KV block size (selects attention rows)")
      ("replica-scheduler", po::value(&o.replica_scheduler)->default_value(o.replica_scheduler), "orca widens the token grid")
      ("data-dir", po::value(&o.data_dir), "directory with models/, gpus/, nodes/ specs")
      ("profiling-dir", po::value(&l.profiling_dir), "Vidur-layout profiling data (default: $INFERSWEEP_PROFILING_DIR or the build's)")
      ("attention-file", po::value(&l.attention_file), "attention.csv to learn from and to check the roofline against")
      ("cpu-overhead-file", po::value(&l.cpu_overhead_file), "cpu_overheads.csv to model CPU overheads from")
      ("predictor-cache-dir", po::value(&l.cache_dir), "grid cache ('none': off)")
      ("predictor-k-folds", po::value(&l.k_folds)->default_value(l.k_folds), "cross-validation folds")
      ("predictor-seed", po::value(&l.seed)->default_value(l.seed), "seed of folds and trees")
      ("all-candidates", po::bool_switch(&o.all_candidates), "also print every candidate's CV MAPE")
      ("output", po::value(&o.output)->default_value(o.output), "CSV file to write the same report to");
  po::variables_map vm;
  if (!parse_options(args, desc, vm)) return 0;
  if (o.node.empty()) o.node = o.gpu + "_pairwise_nvlink";
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(o.data_dir));
  predict::PredictorContext c;
  c.model = catalog.model(o.model, "model");
  c.gpu = catalog.gpu(o.gpu, "device");
  c.node = catalog.node(o.node, "node");
  c.tensor_parallel = o.tp;
  c.pipeline_parallel = o.pp;
  c.block_size = o.block_size;
  c.replica_scheduler = o.replica_scheduler;
  c.config.name = "learned";
  c.config.learned = o.learned;
  if (o.tp < 1 || o.pp < 1) throw InputError::option("tp", "TP and PP must be at least 1");

  predict::LearnedStateOrigin origin;
  const auto state = predict::load_or_build_learned_state(c, &origin);
  const auto inputs = predict::resolve_learned_inputs(c);

  std::ostringstream csv;
  csv << "operator,source,filter,rows,chosen,cv_mape_percent,folds,candidates\n";
  print("%s on %s (TP%lld PP%lld, node %s), profiling data %s\n", c.model.name.c_str(), c.gpu.name.c_str(),
              static_cast<long long>(o.tp), static_cast<long long>(o.pp), c.node.name.c_str(),
              inputs.profiling_dir.c_str());
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
    csv << name << ',' << io::csv_quote(p.source) << ',' << io::csv_quote(p.filter) << ',' << p.rows << ',' << io::csv_quote(p.chosen)
        << ',' << (p.selection.candidates.empty() ? "" : percent(p.selection.cv_mape)) << ',' << p.selection.folds
        << ',' << io::csv_quote(candidates) << '\n';
  }
  const auto& cal = state->calibration;
  const auto& rp = cal.parameters;
  print("\nroofline calibrated on %lld GEMM rows of %zu %s mlp.csv files: compute efficiency %.3f, memory "
              "efficiency %.3f, attention %.3f / %.3f, launch overhead %.2f us; GEMM MAPE %.2f %%\n",
              static_cast<long long>(cal.rows), cal.sources.size(), c.gpu.name.c_str(), rp.compute_efficiency,
              rp.memory_efficiency, rp.attention_compute_efficiency, rp.attention_memory_efficiency,
              rp.kernel_overhead_us, cal.gemm_mape);
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
    const auto profile = predict::read_attention_profile(inputs.attention_file, c.model, o.tp, o.block_size);
    predict::PredictorContext calibrated = c;
    calibrated.config.roofline = rp;
    const predict::RooflineModel roofline(calibrated);
    const auto check = predict::check_roofline_attention(profile, roofline);
    print("calibrated roofline on held-out measured attention (%s): decode %lld rows, MAPE %.2f %%; "
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
  std::ofstream out(o.output);
  if (!out) throw InputError::option("output", "cannot write '" + o.output + "'");
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
