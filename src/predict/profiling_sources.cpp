#include "infersweep/predict/profiling_sources.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& item : split(text, ','))
    if (const auto trimmed = trim(item); !trimmed.empty()) out.emplace_back(trimmed);
  return out;
}

// "entry 2 of 3, '/data/profiling'": how an error names a directory of the list.
std::string entry(size_t index, size_t count, const std::string& dir) {
  return "entry " + std::to_string(index + 1) + " of " + std::to_string(count) + ", '" + dir + "'";
}

// The sub-folders of `dir` that are profiling roots themselves, for an error that points one
// level too high (e.g. at gpu-profiles instead of gpu-profiles/h100).
std::string roots_below(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (io::is_directory(e.path() / "compute") || io::is_directory(e.path() / "network"))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const char* to_string(ElementwiseKernels kernels) { return kernels == ElementwiseKernels::eager ? "eager" : "fused"; }

ElementwiseKernels read_elementwise_kernels(const std::string& meta_file, std::string* why) {
  YAML::Node root;
  try {
    // JSON is YAML: the parser the grids use reads it, with line numbers for errors.
    root = YAML::LoadFile(meta_file);
  } catch (const YAML::BadFile&) {
    throw InputError::in_file(meta_file, 0, "meta.json", "cannot be read");
  } catch (const YAML::Exception& e) {
    throw InputError::in_file(meta_file, e.mark.line + 1, "meta.json", "not valid JSON: " + e.msg);
  }
  if (!root.IsMap()) throw InputError::in_file(meta_file, 0, "meta.json", "expected a JSON object");
  const auto value = root[kElementwiseKernelsKey];
  if (value.IsDefined() && !value.IsNull()) {
    const auto line = value.Mark().line + 1;
    const std::string text = value.IsScalar() ? value.Scalar() : std::string("(not a string)");
    if (text != "eager" && text != "fused")
      throw InputError::in_file(meta_file, line, kElementwiseKernelsKey,
                                "expected \"eager\" or \"fused\", got '" + text + "'");
    if (why) *why = meta_file + ": " + kElementwiseKernelsKey + " = " + text;
    return text == "eager" ? ElementwiseKernels::eager : ElementwiseKernels::fused;
  }
  if (root["torch"].IsDefined()) {
    // A PyTorch profiler that does not say otherwise ran the element-wise operators eagerly.
    if (why) *why = meta_file + " names torch and not " + kElementwiseKernelsKey;
    return ElementwiseKernels::eager;
  }
  if (why) *why = meta_file + " says nothing of its element-wise kernels";
  return ElementwiseKernels::fused;
}

std::vector<std::string> default_profiling_dirs() {
  if (const char* d = std::getenv("INFERSWEEP_PROFILING_DIR"); d && *d) return split_list(d);
  return split_list(INFERSWEEP_DEFAULT_PROFILING_DIRS);
}

std::vector<ProfilingSource> read_profiling_sources(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw InputError::setting("profiling-dir", "no profiling directory given");
  std::vector<ProfilingSource> sources;
  std::vector<fs::path> seen;
  for (size_t i = 0; i < dirs.size(); ++i) {
    const auto& dir = dirs[i];
    const auto name = entry(i, dirs.size(), dir);
    if (!io::is_directory(dir))
      throw InputError::setting("profiling-dir", name +
                                                     ", is not a directory (expected Vidur's layout: "
                                                     "compute/<sku>/<org>/<model>/mlp.csv and network/<node>/*.csv)");
    std::error_code ec;
    auto canonical = fs::weakly_canonical(dir, ec);
    if (ec) canonical = fs::path(dir).lexically_normal();
    if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
      throw InputError::setting("profiling-dir", name + ", is listed twice");
    seen.push_back(canonical);
    if (!io::is_directory(fs::path(dir) / "compute") && !io::is_directory(fs::path(dir) / "network")) {
      const auto below = roots_below(dir);
      throw InputError::setting("profiling-dir",
                                name + ", holds neither compute/ nor network/" +
                                    (below.empty() ? std::string(" (expected Vidur's layout)")
                                                   : " (its folders " + below + " do: list those instead)"));
    }
    ProfilingSource source;
    source.root = dir;
    const auto meta = fs::path(dir) / "meta.json";
    if (fs::exists(meta, ec)) {
      source.meta_file = meta.string();
      source.elementwise = read_elementwise_kernels(source.meta_file, &source.why);
    } else {
      source.why = "no meta.json";
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

std::string mlp_file(const std::string& root, const std::string& gpu, const std::string& model_name) {
  return root + "/compute/" + gpu + "/" + model_name + "/mlp.csv";
}

std::string attention_file(const std::string& root, const std::string& gpu, const std::string& model_name) {
  return root + "/compute/" + gpu + "/" + model_name + "/attention.csv";
}

std::vector<std::string> compute_files(const std::string& root, const std::string& gpu, const std::string& file_name) {
  std::vector<std::string> files;
  const fs::path dir = fs::path(root) / "compute" / gpu;
  if (!io::is_directory(dir)) return files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename() == file_name) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string network_file(const std::string& root, const std::string& network_profile, const std::string& collective) {
  return root + "/network/" + network_profile + "/" + collective + ".csv";
}

}  // namespace infersweep::predict
