#include "infersweep/predict/attention_report.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "infersweep/io/file_bytes.hpp"
#include "infersweep/predict/roofline_calibration.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

config::SettingGroup<AttentionCheckSettings> declare() {
  config::SettingGroup<AttentionCheckSettings> g("Report");
  g.add(&AttentionCheckSettings::sources, "attention-check", config::Identity::none(),
        "profiling trees or attention.csv files to validate the attention model on")
      .default_note("the profiling directory, the trees beside it, the attention file");
  return g;
}

void printf_to(std::ostream& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void printf_to(std::ostream& out, const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  out << buffer;
}

std::string canonical(const std::string& path) {
  std::error_code ec;
  const auto c = fs::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

// A GPU's measured attention as it is gathered: its files and where its GEMMs are.
struct Found {
  std::vector<std::string> files;
  std::string gemm_tree;
};

void add_file(std::map<std::string, Found>& found, std::vector<std::string>& order, const std::string& gpu,
              const std::string& file, const std::string& tree) {
  auto it = found.find(gpu);
  if (it == found.end()) {
    order.push_back(gpu);
    it = found.emplace(gpu, Found{}).first;
  }
  const auto key = canonical(file);
  for (const auto& f : it->second.files)
    if (canonical(f) == key) return;
  it->second.files.push_back(file);
  if (it->second.gemm_tree.empty() && !tree.empty()) it->second.gemm_tree = tree;
}

// The GPU of a file outside the compute/<sku>/ layout: the nearest directory named like one.
std::string gpu_of_file(const fs::path& file, const spec::SpecCatalog& catalog) {
  for (auto dir = file.parent_path(); !dir.empty() && dir != dir.parent_path(); dir = dir.parent_path())
    if (catalog.gpus().count(dir.filename().string())) return dir.filename().string();
  return "";
}

void print_row(std::ostream& out, const std::string& a, const std::string& b, const AttentionErrors& before,
               const AttentionErrors& after) {
  printf_to(out, "%-8s %-40s %7lld %9.2f %8.2f %8lld %9.2f %8.2f\n", a.c_str(), b.c_str(),
            static_cast<long long>(after.decode_rows), before.decode_mape, after.decode_mape,
            static_cast<long long>(after.prefill_rows), before.prefill_mape, after.prefill_mape);
}

void print_header(std::ostream& out, const char* a, const char* b) {
  printf_to(out, "%-8s %-40s %7s %9s %8s %8s %9s %8s\n", a, b, "decode", "before %", "after %", "prefill", "before %",
            "after %");
}

}  // namespace

const config::SettingGroup<AttentionCheckSettings>& attention_check_settings() {
  static const auto group = declare();
  return group;
}

std::vector<std::string> default_attention_sources(const std::vector<std::string>& profiling_dirs,
                                                   const std::string& attention_file) {
  std::vector<std::string> sources;
  std::set<std::string> seen;
  const auto add = [&](const std::string& dir) {
    if (seen.insert(canonical(dir)).second) sources.push_back(dir);
  };
  for (const auto& dir : profiling_dirs) {
    add(dir);
    const fs::path here = fs::path(dir).lexically_normal();
    const auto parent = (here.filename().empty() ? here.parent_path() : here).parent_path();
    std::vector<std::string> beside;
    std::error_code ec;
    if (!parent.empty() && io::is_directory(parent))
      for (const auto& entry : fs::directory_iterator(parent, ec))
        if (io::is_directory(entry.path() / "compute")) beside.push_back(entry.path().string());
    std::sort(beside.begin(), beside.end());
    for (const auto& b : beside) add(b);
  }
  if (!attention_file.empty()) sources.push_back(attention_file);
  return sources;
}

std::vector<GpuAttentionData> find_measured_attention(const std::vector<std::string>& sources,
                                                      const std::vector<std::string>& profiling_dirs,
                                                      const spec::SpecCatalog& catalog,
                                                      std::vector<std::string>& notes) {
  std::map<std::string, Found> found;
  std::vector<std::string> order;
  for (const auto& source : sources) {
    if (io::is_directory(source)) {
      std::vector<std::string> skus;
      std::error_code ec;
      if (io::is_directory(fs::path(source) / "compute"))
        for (const auto& entry : fs::directory_iterator(fs::path(source) / "compute", ec))
          if (entry.is_directory()) skus.push_back(entry.path().filename().string());
      std::sort(skus.begin(), skus.end());
      for (const auto& sku : skus) {
        const auto files = gpu_attention_files(source, sku);
        if (files.empty()) continue;
        if (!catalog.gpus().count(sku)) {
          notes.push_back(source + "/compute/" + sku + ": attention measured on a GPU the data directory does not " +
                          "describe (no gpus/" + sku + ".ini); left out");
          continue;
        }
        for (const auto& f : files) add_file(found, order, sku, f, source);
      }
    } else if (fs::path(source).filename() == "attention.csv") {
      const auto gpu = gpu_of_file(source, catalog);
      if (gpu.empty())
        notes.push_back(source + ": no directory of its path names a GPU of the data directory; left out");
      else
        add_file(found, order, gpu, source, "");
    } else {
      notes.push_back(source + ": neither a profiling tree nor an attention.csv file; left out");
    }
  }
  std::vector<GpuAttentionData> out;
  for (const auto& gpu : order) {
    const auto& f = found.at(gpu);
    GpuAttentionData data;
    data.gpu = catalog.gpu(gpu);
    data.rows = read_attention_rows(f.files, data.gpu);
    auto mlp = f.gemm_tree.empty() ? std::vector<std::string>{} : gpu_mlp_files(f.gemm_tree, gpu);
    for (size_t i = 0; mlp.empty() && i < profiling_dirs.size(); ++i) mlp = gpu_mlp_files(profiling_dirs[i], gpu);
    if (mlp.empty()) notes.push_back(gpu + ": no mlp.csv to calibrate the previous model on; it takes the defaults");
    data.gemms = calibrate_roofline(mlp, data.gpu, RooflineParameters{});
    out.push_back(std::move(data));
  }
  return out;
}

void print_attention_validation(std::ostream& out, const AttentionValidation& v) {
  if (!v.leave_one_out.empty()) {
    out << "\nattention model, leave one model out (fitted on the GPU's other models, tested on the one left out;\n"
           "before: the previous roofline attention, efficiencies from the GPU's GEMMs), MAPE:\n";
    print_header(out, "gpu", "held-out model");
    for (const auto& gpu : v.leave_one_out) {
      for (const auto& m : gpu.models) print_row(out, gpu.gpu, m.model, m.before, m.after);
      print_row(out, gpu.gpu, "all models", gpu.before, gpu.after);
    }
  }
  if (!v.cross.empty()) {
    out << "attention model across GPUs (fitted on every row of one, tested on every row of another), MAPE:\n";
    print_header(out, "tested", "fitted on");
    for (const auto& c : v.cross) print_row(out, c.tested_on, c.calibrated_on, c.before, c.after);
  }
  if (!v.pooled_gpus.empty()) {
    std::string gpus;
    for (const auto& g : v.pooled_gpus) gpus += (gpus.empty() ? "" : " + ") + g;
    const auto& e = v.pooled.errors;
    printf_to(out, "attention constants fitted on every row of %s (decode MAPE %.2f %%, prefill MAPE %.2f %%):\n",
              gpus.c_str(), e.decode_mape, e.prefill_mape);
    std::string line;
    for (const auto* s : attention_settings()) {
      char value[32];
      std::snprintf(value, sizeof value, "%.4g", std::stod(s->text(v.pooled.parameters)));
      line += "  --" + s->name() + " " + value + "\n";
    }
    out << line;
  }
}

void report_attention_validation(std::ostream& out, const AttentionCheckSettings& settings,
                                 const RooflineCalibration& deployment, const std::vector<std::string>& profiling_dirs,
                                 const std::string& attention_file, const spec::SpecCatalog& catalog,
                                 const RooflineParameters& base) {
  const auto& a = deployment.attention;
  if (a.decode_rows + a.prefill_rows > 0)
    printf_to(out,
              "roofline attention constants fitted on %lld decode and %lld prefill rows of %zu attention.csv files of "
              "this GPU's other models: decode MAPE %.2f %%, prefill MAPE %.2f %%\n",
              static_cast<long long>(a.decode_rows), static_cast<long long>(a.prefill_rows),
              deployment.attention_sources.size(), a.decode_mape, a.prefill_mape);
  else
    out << "roofline attention constants: as configured (the shipped defaults unless set); this GPU has no "
           "measured attention of other models\n";
  const auto sources =
      settings.sources.empty() ? default_attention_sources(profiling_dirs, attention_file) : settings.sources;
  std::vector<std::string> notes;
  const auto gpus = find_measured_attention(sources, profiling_dirs, catalog, notes);
  for (const auto& note : notes) out << "attention check: " << note << "\n";
  if (gpus.empty()) {
    out << "attention check: no measured attention found (--attention-check names where to look)\n";
    return;
  }
  print_attention_validation(out, validate_attention_model(gpus, base));
}

}  // namespace infersweep::predict
